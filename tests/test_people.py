"""data/people.toml: authors and reviewers, /people/ and /people/<id>/ with their articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import build_site, make_site, soup_of
from sitegen.errors import SiteError
from sitegen.people import parse_people
from sitegen.serve import is_watched_change


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path, "trust")


def test_people_load_in_file_order() -> None:
    people = parse_people('[[people]]\nid = "a"\nname = "甲"\ntitle = "主任医师"\n\n[[people]]\nid = "b"\nname = "乙"\n')
    assert [(p.id, p.name, p.title) for p in people] == [("a", "甲", "主任医师"), ("b", "乙", "")]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('[[people]]\nid = "a"\nname = "甲"\n\n[[people]]\nid = "Zhang San"\nname = "张三"\n', 5, "id = \"Zhang San\" 只能包含"),
        ('[[people]]\nid = "a"\n', 1, "name 缺失"),
        ('[[people]]\nid = "a"\nname = "甲"\n[[people]]\nid = "a"\nname = "乙"\n', 4, "与第 1 行的人员重复"),
        ('[[people]]\nid = "a"\nname = "甲"\nphone = "1"\n', 1, "phone 是未知字段"),
        ('[[people]]\nid = "a"\nname = "甲"\nurl = "doctor.example.cn"\n', 1, "应为完整网址"),
        ('[[people]]\nid = "a"\nname = 3\n', 1, "name 应为文字"),
        ('[[people]\nid = "a"\n', 1, "TOML 语法错误"),
    ],
)
def test_people_mistakes_name_the_file_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(SiteError) as raised:
        parse_people(text)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("data/people.toml", line)
    assert fragment in problem.message


def test_people_pages_list_everyone_and_their_articles(site: Path) -> None:
    build_site(site)
    public = site / "public"
    index = soup_of(public / "people/index.html")
    names = [a.get_text() for a in index.select(".person-name")]
    assert names == ["李编辑", "王医生", "赵药师"]
    assert index.select_one(".person-name")["href"] == "/people/li-bianji/"

    doctor = soup_of(public / "people/wang-yisheng/index.html")
    assert "主任医师 · 深圳市儿童医院 · 儿科" in doctor.select_one(".person-credentials").get_text()
    # Written (发烧) and reviewed (湿疹), newest first.
    assert [a["href"] for a in doctor.select(".card-link")] == ["/ertong/fashao/", "/ertong/shizhen/"]
    assert doctor.select_one('a[rel="nofollow noopener"]')["href"] == "https://doctor.example.cn/wang"

    # paginate = 2: the editor's three articles take two pages.
    editor = soup_of(public / "people/li-bianji/index.html")
    assert [a["href"] for a in editor.select(".card-link")] == ["/ertong/fashao/", "/ertong/shizhen/"]
    second = soup_of(public / "people/li-bianji/page/2/index.html")
    assert [a["href"] for a in second.select(".card-link")] == ["/yibao/menzhen/"]
    sitemap = (public / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://trust.example.cn/people/wang-yisheng/" in sitemap


def test_a_site_without_people_has_no_people_pages(tmp_path: Path) -> None:
    site = make_site(tmp_path, "basic")
    build_site(site)
    assert not (site / "public/people").exists()


def test_editing_a_person_updates_their_pages_and_articles(site: Path) -> None:
    build_site(site)
    people = site / "data/people.toml"
    people.write_text(people.read_text(encoding="utf-8").replace("深圳市儿童医院", "广州市妇女儿童医疗中心"), encoding="utf-8")
    result = build_site(site)
    public = site / "public"
    assert "广州市妇女儿童医疗中心" in (public / "people/wang-yisheng/index.html").read_text(encoding="utf-8")
    assert "广州市妇女儿童医疗中心" in (public / "ertong/shizhen/index.html").read_text(encoding="utf-8")
    # Only the pages that show the doctor's organization: /people/, theirs, the two articles they are on.
    assert result.rendered == 4


def test_an_unknown_person_stops_the_build(site: Path) -> None:
    article = site / "content/ertong/fashao.md"
    article.write_text(article.read_text(encoding="utf-8").replace("author: [li-bianji, wang-yisheng]", "author: [li-bianji, wang-yisheng2]"), encoding="utf-8")
    with pytest.raises(SiteError) as raised:
        build_site(site)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("content/ertong/fashao.md", 7)
    assert "找不到人员\u201cwang-yisheng2\u201d" in problem.message


def test_serve_rebuilds_when_the_people_change(site: Path) -> None:
    assert is_watched_change(str(site / "data/people.toml"), site, site / "public")
