"""site.toml: defaults, and errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import DEFAULT_DISCLAIMER, load_config
from sitegen.errors import SiteError

MINIMAL = '''title = "站点"
[source_notice]
text = "整理自公开资料。"
contact = "fix@example.cn"
'''


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_minimal_config_has_health_site_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.disclaimer.default == DEFAULT_DISCLAIMER
    assert config.related.count == 10
    assert config.paginate == 20
    assert config.base_url.endswith("/")


def test_base_url_override(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), base_url="https://deploy-preview-3--x.netlify.app")
    assert config.base_url == "https://deploy-preview-3--x.netlify.app/"


@pytest.mark.parametrize(
    "text, words",
    [
        (MINIMAL.replace('contact = "fix@example.cn"', 'contact = ""'), "source_notice.contact"),
        (MINIMAL.replace('contact = "fix@example.cn"\n', ""), "source_notice.contact"),
        (MINIMAL + 'permalink = "/{slug}"\n', "permalink"),
        (MINIMAL.replace('title = "站点"', 'title = "站点"\npermalink = "/{nosuch}/{slug}/"'), "nosuch"),
        (MINIMAL.replace('title = "站点"', 'title = "站点"\npermalink = "/../{slug}/"'), "permalink"),
        (MINIMAL + "[[topics]]\nname = \"医保\"\ndisclaimer = \"policy\"\n", "policy"),
        (MINIMAL + "[[topics]]\nname = \"医保\"\nslug = \"../x\"\n", "slug"),
        (MINIMAL.replace('title = "站点"', 'title = "站点"\ntitel = "x"'), "titel"),
        ("title = \n", "TOML"),
    ],
)
def test_config_errors_name_the_setting(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(SiteError) as raised:
        load_config(write(tmp_path, text))
    message = str(raised.value)
    assert words in message
    assert message.startswith("site.toml")


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match=r"site\.toml"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('paginate = 0\n' + MINIMAL, 1, "paginate 不能小于 1"),
        ('title = "站点"\npaginate = "二十"\n' + MINIMAL.split("\n", 1)[1], 2, "paginate 应是整数"),
        ('hot_searches = "医保"\n' + MINIMAL, 1, "hot_searches 应是列表"),
        ('search_words = ["CT室"]\n' + MINIMAL, 1, "\u201cCT室\u201d不是两个或以上汉字的词"),
        (MINIMAL + "[related]\ncount = -1\n", 6, "related.count 不能小于 0"),
        ("legal = 3\n" + MINIMAL, 1, "legal 应是一个表"),
    ],
)
def test_config_errors_are_chinese_and_name_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    with pytest.raises(SiteError) as raised:
        load_config(write(tmp_path, text))
    message = str(raised.value)
    assert message.startswith(f"site.toml:{line}: ") and words in message, message
    assert not any(english in message for english in ("Input should", "valid", "must", "Field")), message  # pydantic's own words
