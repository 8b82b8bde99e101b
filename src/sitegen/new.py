"""`sitegen new`: start an article as a draft with complete front matter and a body skeleton.

The file name is the title in pinyin, one hyphen-separated word per Chinese word, so that it reads
like the site's other file names: 深圳医保断缴后个人账户还能用吗 →
shenzhen-yibao-duanjiao-hou-geren-zhanghu-hai-neng-yong-ma.md.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from pypinyin import Style, lazy_pinyin

from .config import SiteConfig, load_config
from .content import CONTENT_DIR, load_content, parse_article
from .errors import Problem, SiteError
from .slugs import slugify
from .workers import default_jobs

MAX_FILE_NAME = 60  # characters of the stem, without ".md"
# Particles that carry no meaning in a URL; the first words dropped when a name is too long.
_FILLER = {"的", "了", "吗", "呢", "吧", "啊", "呀", "么"}
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LONGEST_WORD = 8


def new_article(
    site_dir: Path,
    title: str,
    city: str,
    topic: str,
    tags: Sequence[str] = (),
    today: dt.date | None = None,
) -> Path:
    """Write a draft article to content/<topic slug>/<pinyin of title>.md and return its path.

    Raises FileExistsError rather than overwrite, and SiteError when the input cannot make an article.
    """
    config = load_config(site_dir)
    today = today or dt.date.today()
    title, city, topic = title.strip(), city.strip(), topic.strip()
    tags = [t.strip() for t in tags if t.strip()]
    stem = article_file_name(title, site_vocabulary(site_dir, config, [city, topic, *tags]))
    if not stem:
        raise SiteError(Problem("sitegen new", None, f"title: 无法从标题“{title}”生成文件名；标题里需要有汉字、字母或数字"))
    path = site_dir / CONTENT_DIR / topic_folder(config, topic) / f"{stem}.md"
    relative = path.relative_to(site_dir).as_posix()
    text = article_template(title, city, topic, tags, today)
    parsed = parse_article(relative, text.encode("utf-8"))
    if isinstance(parsed, list):  # e.g. an empty title or a line break in --city
        raise SiteError(parsed)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:  # "x": never overwrite
            file.write(text)
    except FileExistsError:
        raise FileExistsError(f"{path.as_posix()} 已存在，未覆盖；请直接编辑它，或换一个标题") from None
    return path


def site_vocabulary(site_dir: Path, config: SiteConfig, names: Sequence[str] = ()) -> set[str]:
    """The words this site already uses (topics, cities, hot searches, every article's tags), and `names`."""
    words = {*(t.name for t in config.topics), *(c.name for c in config.cities), *config.hot_searches, *names}
    for article in load_content(site_dir, drafts=True, future=True, jobs=default_jobs()).articles:
        words.update(article.front_matter.tags)
    return words


def topic_folder(config: SiteConfig, topic: str) -> str:
    """The folder under content/ for a topic: its slug in site.toml, else its pinyin."""
    known = config.topic(topic)
    return (known.slug if known and known.slug else slugify(topic)) or "misc"


def article_template(title: str, city: str, topic: str, tags: Sequence[str], today: dt.date) -> str:
    """The text of a new draft: front matter, a lead-answer placeholder and three section headings."""
    fields = {"title": title, "date": today.isoformat(), "city": city, "topic": topic, "tags": list(tags), "draft": True}
    header = "".join(f"{key}: {_yaml_value(value)}\n" for key, value in fields.items())
    # The lead names the title so that two unfinished drafts do not look like copies of each other.
    body = (
        f"\uff08导语，待写\uff09开头先用两三句话直接回答“{title}”：结论是什么，适用于哪些人、哪些情况。\n\n"
        "## 一、…\n\n"
        "## 二、…\n\n"
        "## 三、…\n"
    )
    return f"---\n{header}---\n\n{body}"


def _yaml_value(value: object) -> str:
    # safe_dump quotes what YAML would misread (`a: b`, `yes`, `#标签`); the date stays bare.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1_000_000)
    return dumped.removesuffix("\n...\n").strip()


def article_file_name(title: str, vocabulary: Iterable[str] = ()) -> str:
    """The title in toneless pinyin, one hyphen-separated word per Chinese word, at most 60 characters.

    Words the site already uses (topics, cities, tags) are kept whole; other text is split by
    jieba's dictionary (_phrases), and a character it does not join is a word of its own.
    """
    words = title_words(title, vocabulary)
    name = "-".join(pinyin for _, pinyin in words)
    if len(name) > MAX_FILE_NAME:
        words = [w for w in words if w[0] not in _FILLER] or words
        name = "-".join(pinyin for _, pinyin in words)
    if len(name) > MAX_FILE_NAME:
        name = name[: MAX_FILE_NAME + 1].rsplit("-", 1)[0] if "-" in name[: MAX_FILE_NAME + 1] else name[:MAX_FILE_NAME]
    return name.strip("-")


def title_words(title: str, vocabulary: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The words of a title as (text, slug) pairs: 深圳医保 → [(深圳, shenzhen), (医保, yibao)]."""
    title = unicodedata.normalize("NFKC", title)
    known = {w for w in (unicodedata.normalize("NFKC", v) for v in vocabulary) if 1 < len(w) <= _LONGEST_WORD}
    words: list[tuple[str, str]] = []
    position = 0
    for run in _HAN_RUN.finditer(title):
        words.extend((w, w) for w in slugify(title[position : run.start()]).split("-") if w)
        # Pinyin of the whole run, so pypinyin picks each character's reading in context (银行: hang).
        syllables = lazy_pinyin(run.group(), style=Style.NORMAL, v_to_u=False)
        start = 0
        for word in _segment(run.group(), known):
            words.append((word, "".join(syllables[start : start + len(word)])))
            start += len(word)
        position = run.end()
    words.extend((w, w) for w in slugify(title[position:]).split("-") if w)
    return [(text, re.sub(r"[^a-z0-9]", "", slug.lower())) for text, slug in words if slug]


def _segment(run: str, known: set[str]) -> list[str]:
    """Split a run of Chinese characters: longest known word first, then jieba's words."""
    words: list[str] = []
    pending = ""
    index = 0
    while index < len(run):
        match = next((run[index : index + n] for n in range(_LONGEST_WORD, 1, -1) if run[index : index + n] in known), None)
        if match is None:
            pending += run[index]
            index += 1
            continue
        words.extend(_phrases(pending))
        pending = ""
        # A four-character term is nearly always two words (个人账户 → geren-zhanghu).
        words.extend([match[:2], match[2:]] if len(match) == 4 else [match])
        index += len(match)
    words.extend(_phrases(pending))
    return words


def _phrases(text: str) -> list[str]:
    """Words of a run no site word covers, by jieba's dictionary alone (no guessing of unknown words).

    pypinyin's own phrase list cut 儿童医院挂号攻略 into 儿|童|医|院|挂号|攻|略; jieba knows them all.
    Its four-character words split in two, as the site's own do (儿童医院 → ertong-yiyuan)."""
    if not text:
        return []
    import rjieba  # loads jieba's dictionary (0.2 s): only `sitegen new` and indexing builds need it

    return [half for word in rjieba.cut(text, False) for half in ([word[:2], word[2:]] if len(word) == 4 else [word])]
