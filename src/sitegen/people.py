"""Stage 1b: read and validate `data/people.toml`, the site's authors and reviewers.

Each `[[people]]` table is one person: `id` (an ASCII slug, the page /people/<id>/), `name`,
`title` (职称), `organization`, `department` (科室), `role`, optional `bio` and `url`. A site
without the file has no people. Every mistake is one line naming the file and the table's line.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import Problem, SiteError
from .model import Person
from .slugs import is_safe_slug

PEOPLE_FILE = "data/people.toml"
_FIELDS = ("id", "name", "title", "organization", "department", "role", "bio", "url")
_REQUIRED = ("id", "name")


def load_people(site_dir: Path) -> tuple[Person, ...]:
    """The people of `data/people.toml` in file order (none without the file); SiteError on mistakes."""
    path = site_dir / PEOPLE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(Problem(PEOPLE_FILE, None, f"无法读取人员名单\uff1a{exc}")) from None
    return parse_people(text)


def parse_people(text: str) -> tuple[Person, ...]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        message = "TOML 语法错误\uff1a请检查这一行的等号、引号和方括号\uff08例如 name = \"张三\"\uff09"
        raise SiteError(Problem(PEOPLE_FILE, int(found.group(1)) if found else None, message)) from None
    # The line of each [[people]] table, so a message points at the person, not the whole file.
    starts = [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*people\s*\]\]", line)]
    problems: list[Problem] = []
    unknown = sorted(set(raw) - {"people"})
    if unknown:
        problems.append(Problem(PEOPLE_FILE, None, f"未知的设置 {', '.join(unknown)}\uff1b人员请写成 [[people]] 表"))
    entries = raw.get("people", [])
    if not isinstance(entries, list):
        raise SiteError(Problem(PEOPLE_FILE, None, "people 应写成 [[people]] 表，每人一个"))
    people: list[Person] = []
    seen: dict[str, int | None] = {}
    for number, entry in enumerate(entries):
        line = starts[number] if number < len(starts) else None
        person = _person(entry, line, problems)
        if person is None:
            continue
        if person.id in seen:
            where = f"第 {seen[person.id]} 行" if seen[person.id] else "前面"
            problems.append(Problem(PEOPLE_FILE, line, f"id = \"{person.id}\" 与{where}的人员重复\uff1b每人的 id 必须不同"))
            continue
        seen[person.id] = line
        people.append(person)
    if problems:
        raise SiteError(problems)
    return tuple(people)


def _person(entry: Any, line: int | None, problems: list[Problem]) -> Person | None:
    if not isinstance(entry, dict):
        problems.append(Problem(PEOPLE_FILE, line, "每位人员应是一个 [[people]] 表"))
        return None
    before = len(problems)
    for key in sorted(set(entry) - set(_FIELDS)):
        problems.append(Problem(PEOPLE_FILE, line, f"{key} 是未知字段\uff1b可用的字段有 {', '.join(_FIELDS)}"))
    values: dict[str, str] = {}
    for key in _FIELDS:
        value = entry.get(key, "")
        if not isinstance(value, str):
            problems.append(Problem(PEOPLE_FILE, line, f"{key} 应为文字\uff0c例如 {key} = \"…\""))
            continue
        values[key] = value.strip()
    for key in _REQUIRED:
        if key in values and not values[key]:
            problems.append(Problem(PEOPLE_FILE, line, f"{key} 缺失\uff0c这是必填项"))
    person_id = values.get("id", "")
    if person_id and not is_safe_slug(person_id):
        problems.append(Problem(PEOPLE_FILE, line, f"id = \"{person_id}\" 只能包含小写字母、数字和连字符\uff0c例如 id = \"zhang-san\""))
    url = values.get("url", "")
    if url and not re.match(r"^https?://[^/\s]+", url):
        problems.append(Problem(PEOPLE_FILE, line, f"url = \"{url}\" 应为完整网址\uff0c以 https:// 开头"))
    if len(problems) > before:
        return None
    return Person(**values)
