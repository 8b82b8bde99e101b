"""`sitegen new`: a draft with complete front matter that checks and builds as it is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TODAY, build_site
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.content import parse_article
from sitegen.errors import SiteError
from sitegen.new import MAX_FILE_NAME, article_file_name, new_article, title_words

TITLE = "深圳医保断缴后个人账户还能用吗"


def test_file_name_follows_the_words_of_the_title() -> None:
    name = article_file_name(TITLE, {"深圳", "医保", "断缴", "个人账户"})
    assert name == "shenzhen-yibao-duanjiao-hou-geren-zhanghu-hai-neng-yong-ma"


@pytest.mark.parametrize(
    "title, expected",
    [
        ("HPV疫苗打几针", "hpv-"),
        ("重庆银行卡能交医保吗", "chongqing-yinhang"),  # pinyin read in context: 行 as hang
        ("孩子发烧38.5度吃什么药", "-38-5-"),
    ],
)
def test_file_name_keeps_latin_words_and_numbers(title: str, expected: str) -> None:
    assert expected in article_file_name(title, {"重庆", "医保"})


@pytest.mark.parametrize(
    "title, expected",
    [
        ("北京儿童医院挂号攻略", "beijing-ertong-yiyuan-guahao-gonglve"),
        ("胃镜检查前需要空腹多久", "weijing-jiancha-qian-xuyao-kongfu-duojiu"),
        ("宝宝湿疹反复发作怎么护理", "baobao-shizhen-fanfu-fazuo-zenme-huli"),
        ("做核磁共振前要注意什么", "zuo-heci-gongzhen-qian-yao-zhuyi-shenme"),
        ("孩子发烧38度要不要去医院", "haizi-fashao-38-du-yao-buyao-qu-yiyuan"),
    ],
)
def test_words_the_site_does_not_use_yet_are_whole_words_too(title: str, expected: str) -> None:
    # A new site has no tags: the file name still reads word by word, not 儿-童-医-院.
    assert article_file_name(title) == expected


def test_long_title_is_cut_between_words() -> None:
    title = "深圳职工医保断缴三个月以后个人账户里的钱还能不能在定点药店和医院继续使用呢"
    vocabulary = {"深圳", "职工", "医保", "断缴", "个人账户", "定点药店", "医院"}
    words = [slug for _, slug in title_words(title, vocabulary)]
    name = article_file_name(title, vocabulary)
    assert len("-".join(words)) > MAX_FILE_NAME >= len(name)
    assert name.startswith("shenzhen-zhigong-yibao-duanjiao")
    assert set(name.split("-")) <= set(words)  # whole words only, never half a syllable
    assert "de" not in name.split("-")  # particles go first


def test_title_without_letters_has_no_file_name() -> None:
    assert article_file_name("???") == ""


def test_new_article_writes_a_complete_draft(basic_site: Path) -> None:
    path = new_article(basic_site, TITLE, "深圳", "医保", ["个人账户", "断缴"], TODAY)
    assert path == basic_site / "content/yibao/shenzhen-yibao-duanjiao-hou-geren-zhanghu-hai-neng-yong-ma.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        f"---\ntitle: {TITLE}\ndate: {TODAY}\ncity: 深圳\ntopic: 医保\ntags: [个人账户, 断缴]\ndraft: true\n---\n"
    )
    for heading in ("## 一、", "## 二、", "## 三、"):
        assert heading in text
    assert "提示" not in text and "免责" not in text  # the layout adds the disclaimer
    article = parse_article("content/yibao/x.md", path.read_bytes())
    assert not isinstance(article, list)
    assert article.front_matter.draft and article.front_matter.date == TODAY


def test_new_article_checks_and_builds(basic_site: Path) -> None:
    path = new_article(basic_site, "深圳医保断缴三个月怎么补缴", "深圳", "医保", ["个人账户"], TODAY)
    relative = path.relative_to(basic_site).as_posix()
    assert [p for p in check_site(basic_site, today=TODAY) if p.path == relative] == []
    build_site(basic_site, drafts=True, search=False)
    assert (basic_site / f"public/yibao/{path.stem}/index.html").exists()


def test_two_new_drafts_are_not_near_copies(basic_site: Path) -> None:
    new_article(basic_site, "广州医保卡丢了怎么补办", "广州", "医保", [], TODAY)
    new_article(basic_site, "深圳少儿医保什么时候交费", "深圳", "医保", [], TODAY)
    assert not [p for p in check_site(basic_site, today=TODAY) if "几乎相同" in p.message]


def test_topic_folder_is_the_configured_slug_or_pinyin(basic_site: Path) -> None:
    assert new_article(basic_site, "宝宝湿疹怎么办", "全国", "儿童健康", [], TODAY).parent.name == "ertong"
    assert new_article(basic_site, "体检前要空腹吗", "全国", "体检", [], TODAY).parent.name == "tijian"


def test_values_yaml_would_misread_are_quoted(basic_site: Path) -> None:
    path = new_article(basic_site, "医保: 报销比例是多少?", "深圳", "医保", ["yes", "#标签"], TODAY)
    article = parse_article("content/yibao/x.md", path.read_bytes())
    assert not isinstance(article, list)
    assert article.front_matter.title == "医保: 报销比例是多少?"
    assert article.front_matter.tags == ["yes", "#标签"]


def test_refuses_to_overwrite(basic_site: Path) -> None:
    path = new_article(basic_site, TITLE, "深圳", "医保", [], TODAY)
    path.write_text("已经写了一半", encoding="utf-8")
    with pytest.raises(FileExistsError, match="已存在"):
        new_article(basic_site, TITLE, "深圳", "医保", [], TODAY + dt.timedelta(days=1))
    assert path.read_text(encoding="utf-8") == "已经写了一半"


def test_bad_input_is_a_site_error(basic_site: Path) -> None:
    with pytest.raises(SiteError):
        new_article(basic_site, "???", "深圳", "医保", [], TODAY)
    with pytest.raises(SiteError, match="city"):
        new_article(basic_site, "深圳医保", "深\n圳", "医保", [], TODAY)


def test_cli_new_prints_the_path_and_refuses_twice(basic_site: Path) -> None:
    args = ["new", TITLE, "--city", "深圳", "--topic", "医保", "--tags", "个人账户,断缴", "--site", str(basic_site)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    written = Path(result.output.strip())
    assert written.exists() and written.parent == basic_site / "content/yibao"
    assert "tags: [个人账户, 断缴]" in written.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    assert "已存在" in again.output and "Traceback" not in again.output
    assert CliRunner().invoke(main, ["check", "--site", str(basic_site)]).exit_code == 0


def test_cli_new_requires_city_and_topic(basic_site: Path) -> None:
    result = CliRunner().invoke(main, ["new", TITLE, "--site", str(basic_site)])
    assert result.exit_code == 2
    assert "--city" in result.output


@pytest.mark.parametrize("separated", ["个人账户\uff0c断缴", "个人账户\u3001断缴", "个人账户\uff1b 断缴", "个人账户, 断缴"])
def test_cli_tags_split_on_full_width_commas_and_enumeration_commas(basic_site: Path, separated: str) -> None:
    before = set((basic_site / "content").rglob("*.md"))
    result = CliRunner().invoke(main, ["new", TITLE, "--city", "深圳", "--topic", "医保", "--tags", separated, "--site", str(basic_site)])
    assert result.exit_code == 0, result.output
    (written,) = set((basic_site / "content").rglob("*.md")) - before
    assert "tags: [个人账户, 断缴]\n" in written.read_text(encoding="utf-8")
