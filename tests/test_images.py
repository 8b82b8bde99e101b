"""Images: covers, body images, page bundles, variants, share cards, thumbnails, sitemap, check."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from conftest import TODAY, build_site, make_site, soup_of
from sitegen.check import check_site
from sitegen.cli import main

BUNDLE = "yibao/menzhen-baoxiao"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    site = make_site(tmp_path_factory.mktemp("images"), "images")
    build_site(site)
    return site


@pytest.fixture(scope="module")
def public(built: Path) -> Path:
    return built / "public"


def _images(public: Path) -> list[Path]:
    return sorted(p for p in public.rglob("*") if p.suffix in (".jpg", ".png", ".webp"))


def _local(public: Path, url: str) -> Path:
    assert url.startswith("/"), url
    return public / url.lstrip("/")


def _srcset(value: str) -> list[tuple[str, int]]:
    return [(part.split()[0], int(part.split()[1].rstrip("w"))) for part in value.split(",")]


# --- variants -------------------------------------------------------------------------------------


def test_every_local_image_gets_webp_and_original_format_variants_never_upscaled(public: Path) -> None:
    names = {p.name for p in (public / "_images").iterdir()}
    widths = {}
    for name in names - {"share-default.jpg"}:  # the theme's own file in static/images/
        match = re.fullmatch(r"([\w-]+?)-[0-9a-f]{10}-(\d+|share)\.(jpg|png|webp)", name)
        assert match, name
        widths.setdefault((match.group(1), match.group(3)), set()).add(match.group(2))
    assert widths[("cover", "webp")] == {"480", "960", "1440"}
    assert widths[("cover", "jpg")] == {"480", "960", "1440", "share"}  # a cover also gets its share card
    assert widths[("photo", "jpg")] == widths[("photo", "webp")] == {"480", "960", "1440"}  # a body image: no card
    assert widths[("chart", "png")] == widths[("chart", "webp")] == {"480", "900"}  # 900 px wide: not upscaled
    assert widths[("queue", "jpg")] == {"480", "700"}
    assert widths[("banner", "jpg")] == {"480", "960", "1300", "share"}  # a static/ cover
    for path in _images(public / "_images"):
        if path.name == "share-default.jpg":
            continue
        with Image.open(path) as image:
            width = path.stem.rsplit("-", 1)[1]
            if width == "share":
                assert image.size == (1200, 630) and image.format == "JPEG"
            else:
                assert image.width == int(width)
            assert image.format == {".jpg": "JPEG", ".png": "PNG", ".webp": "WEBP"}[path.suffix]


def test_exif_orientation_is_applied_and_every_published_image_has_no_metadata(public: Path) -> None:
    photos = sorted((public / "_images").glob("photo-*-1440.*"))
    assert len(photos) == 2
    for path in photos:
        with Image.open(path) as image:
            assert image.size == (1440, 1080)  # stored on its side as 1500 x 2000, shown 2000 x 1500
            x, y = image.width // 20 + 10, image.height // 20 + 10
            red, green, blue = image.convert("RGB").getpixel((x, y))  # the marker drawn at the top left
            assert red > 150 and green < 90 and blue < 90
    for path in _images(public):
        data = path.read_bytes()
        assert b"Exif" not in data and b"TestPhone" not in data and b"GPS" not in data, path
        with Image.open(path) as image:
            assert not image.getexif(), path
            assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment"} & set(image.info), (path, image.info.keys())


def test_transparency_survives_in_png_and_webp(public: Path) -> None:
    for path in (public / "_images").glob("chart-*"):
        with Image.open(path) as image:
            assert image.mode == "RGBA", path
            assert image.getpixel((2, 2))[3] == 0  # the background stays see-through
            assert image.getpixel((image.width * 150 // 900, image.height // 2))[3] == 255


# --- markup ---------------------------------------------------------------------------------------


def test_body_images_are_responsive_lazy_pictures_of_files_that_exist(public: Path) -> None:
    soup = soup_of(public / BUNDLE / "index.html")
    pictures = soup.select(".article-body picture")
    assert len(pictures) == 2
    for picture in pictures:
        source, img = picture.find("source"), picture.find("img")
        assert source["type"] == "image/webp"
        for url, width in _srcset(source["srcset"]) + _srcset(img["srcset"]):
            with Image.open(_local(public, url)) as image:
                assert image.width == width
        assert _local(public, img["src"]).is_file()
        assert img["sizes"] == source["sizes"] == "(max-width: 900px) 100vw, 800px"
        assert img["loading"] == "lazy" and img["decoding"] == "async"
        assert img["alt"] and int(img["width"]) > 0 and int(img["height"]) > 0
    photo = pictures[0].find("img")
    assert photo["alt"] == "报销材料：发票、病历和医保卡摆在桌上"
    assert (photo["width"], photo["height"]) == ("1440", "1080")  # the ratio as shown, upright
    assert pictures[1].find("img")["src"].endswith("-900.png")  # ./chart.png resolved too


def test_the_cover_is_the_largest_paint_not_lazy_with_its_caption(public: Path) -> None:
    soup = soup_of(public / BUNDLE / "index.html")
    figure = soup.select_one("figure.article-cover")
    img = figure.find("img")
    assert img.get("loading") is None and img["fetchpriority"] == "high"
    assert img["alt"] == "医保窗口前排队办理报销的市民"
    assert (img["width"], img["height"]) == ("1440", "900")
    assert [w for _, w in _srcset(img["srcset"])] == [480, 960, 1440]
    assert figure.find("source")["type"] == "image/webp"
    assert figure.find("figcaption").get_text() == "办理门诊报销时请带齐材料。"
    # a relative cover of a normal article beside its file, and one from static/
    static_cover = soup_of(public / "yibao/shenzhen-duanjiao/index.html").select_one("figure.article-cover img")
    assert "/_images/banner-" in static_cover["src"]


def test_share_cards_on_every_page(public: Path) -> None:
    soup = soup_of(public / BUNDLE / "index.html")
    meta = {m.get("property") or m.get("name"): m["content"] for m in soup.find_all("meta") if m.get("content")}
    assert re.fullmatch(r"https://img\.example\.cn/_images/cover-[0-9a-f]{10}-share\.jpg", meta["og:image"])
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["og:image:alt"] == "医保窗口前排队办理报销的市民"
    assert meta["twitter:card"] == "summary_large_image"
    with Image.open(_local(public, meta["og:image"].removeprefix("https://img.example.cn"))) as card:
        assert card.size == (1200, 630) and card.format == "JPEG"
    graph = json.loads(soup.select_one('script[type="application/ld+json"]').string)["@graph"]
    news = next(node for node in graph if node["@type"] == "NewsArticle")
    assert news["image"] == [{"@type": "ImageObject", "url": meta["og:image"], "width": 1200, "height": 630}]
    # no cover: the theme's default image; a remote cover: linked as written, no size claimed
    for page, expected in (("ertong/no-image/index.html", "/_images/share-default-"), ("index.html", "/_images/share-default-")):
        found = soup_of(public / page).find("meta", property="og:image")["content"]
        assert expected in found and found.startswith("https://img.example.cn/")
    remote = soup_of(public / "ertong/remote-cover/index.html")
    assert remote.find("meta", property="og:image")["content"] == "https://cdn.example.org/cough.jpg"
    assert remote.find("meta", property="og:image:width") is None
    assert remote.select_one("figure.article-cover img")["src"] == "https://cdn.example.org/cough.jpg"
    body_img = remote.select_one(".article-body img")
    assert body_img["src"] == "https://cdn.example.org/stethoscope.jpg" and body_img["loading"] == "lazy"


def test_cards_show_the_smallest_variant_with_its_size(public: Path) -> None:
    for page in ("index.html", "topics/yibao/index.html", "articles/index.html"):
        cards = soup_of(public / page).select("li.card")
        assert cards, page
        for card in cards:
            title = card.select_one(".card-title").get_text()
            img = card.select_one(".card-thumb img")
            if title in ("宝宝湿疹怎么护理", "孩子反复咳嗽要做哪些检查"):  # no cover, remote cover
                assert img is None and "has-thumb" not in card["class"]
                continue
            assert img is not None, (page, title)
            assert re.search(r"-480\.(jpg|png)$", img["src"]) and img["loading"] == "lazy"
            with Image.open(_local(public, img["src"])) as image:
                assert (int(img["width"]), int(img["height"])) == image.size
            assert card.select_one(".card-thumb source")["srcset"].endswith("-480.webp")
    related = soup_of(public / "yibao/shenzhen-duanjiao/index.html").select(".related .card-thumb img")
    assert related  # 相关推荐 cards too


def test_sitemap_lists_covers(public: Path) -> None:
    text = (public / "sitemap.xml").read_text(encoding="utf-8")
    assert 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"' in text
    block = text.split("<loc>https://img.example.cn/yibao/menzhen-baoxiao/</loc>")[1].split("</url>")[0]
    assert re.search(r"<image:loc>https://img\.example\.cn/_images/cover-[0-9a-f]{10}-1440\.jpg</image:loc>", block)
    no_cover = text.split("<loc>https://img.example.cn/ertong/no-image/</loc>")[1].split("</url>")[0]
    assert "image:image" not in no_cover


# --- page bundles ---------------------------------------------------------------------------------


def test_a_page_bundle_is_one_article_with_its_files_beside_it(built: Path, public: Path) -> None:
    folder = public / BUNDLE
    assert {p.name for p in folder.iterdir()} == {"index.html", "cover.jpg", "photo.jpg", "chart.png", "form.pdf"}
    assert (folder / "form.pdf").read_bytes() == (built / "content" / BUNDLE / "form.pdf").read_bytes()
    with Image.open(folder / "photo.jpg") as photo:  # published without its GPS, upright, at most 1440 px
        assert photo.size == (1440, 1080) and not photo.getexif()
    assert soup_of(folder / "index.html").find("a", string="下载报销申请表")["href"] == "form.pdf"
    assert not (public / "yibao/index").exists()


def test_bundles_with_the_same_file_names_do_not_collide(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    second = site / "content/yibao/zhuyuan-baoxiao"
    shutil.copytree(site / "content" / BUNDLE, second)
    index = second / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("门诊报销需要带哪些材料", "住院报销需要带哪些材料"), encoding="utf-8")
    build_site(site)
    public = site / "public"
    assert (public / "yibao/zhuyuan-baoxiao/photo.jpg").is_file() and (public / BUNDLE / "photo.jpg").is_file()
    first = soup_of(public / BUNDLE / "index.html").select_one(".article-body img")["src"]
    assert first == soup_of(public / "yibao/zhuyuan-baoxiao/index.html").select_one(".article-body img")["src"]  # same bytes: one file


# --- incremental ----------------------------------------------------------------------------------


def _snapshot(public: Path) -> dict[str, bytes]:
    return {p.relative_to(public).as_posix(): p.read_bytes() for p in public.rglob("*") if p.is_file()}


def test_replacing_one_photo_changes_only_its_variants_and_the_pages_showing_it(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    build_site(site)
    public = site / "public"
    before = _snapshot(public)
    again = build_site(site)
    assert again.written == 0
    image = Image.new("RGB", (2400, 1600), (200, 180, 20))
    ImageDraw.Draw(image).ellipse([400, 300, 2000, 1300], fill=(20, 40, 160))
    image.save(site / "content/yibao/pics/queue.jpg", quality=80)  # a body image of one article
    result = build_site(site)
    after = _snapshot(public)
    changed = {path for path in after if before.get(path) != after[path]}
    gone = set(before) - set(after)
    # its page, and the feeds that carry its body
    assert {p for p in changed if not p.startswith("_images/")} == {"yibao/shenzhen-duanjiao/index.html", "feed.xml", "topics/yibao/feed.xml"}
    assert {p.rsplit("-", 2)[0] for p in changed if p.startswith("_images/")} == {"_images/queue"}
    assert {p.rsplit("-", 2)[0] for p in gone} == {"_images/queue"}  # the old photo's variants are gone
    assert {p.rsplit("-", 1)[1] for p in changed if p.startswith("_images/")} == {"480.jpg", "480.webp", "960.jpg", "960.webp", "1440.jpg", "1440.webp"}
    assert result.rendered == 3 + 6
    # a cover replaced: its page, and every card and share tag showing it
    image.save(site / "content" / BUNDLE / "cover.jpg", quality=80)
    build_site(site)
    final = _snapshot(public)
    pages = {path for path in final if path.endswith(".html") and after.get(path) != final[path]}
    showing = {path for path in final if path.endswith(".html") and b"/_images/cover-" in final[path]}
    assert pages == showing and f"{BUNDLE}/index.html" in pages and "index.html" in pages


def test_unchanged_images_are_never_encoded_again(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "images")
    build_site(site)
    shutil.rmtree(site / "public")
    import sitegen.images

    def refuse(*args, **kwargs):
        raise AssertionError("encoded again")

    monkeypatch.setattr(sitegen.images, "make_picture", refuse)
    build_site(site, jobs=1)  # a new output, the same cache: every variant comes from the store
    assert len(list((site / "public/_images").iterdir())) > 20


def test_a_theme_that_reads_only_a_thumbnail_is_fingerprinted_by_the_image(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    layouts = site / "layouts"
    (layouts / "list.html").write_text(
        "{% for a in pagination.items %}{{ a.title }} {{ a.cover.thumbnail.src if a.cover and a.cover.thumbnail else '-' }}\n{% endfor %}",
        encoding="utf-8",
    )
    build_site(site)
    page = site / "public/topics/yibao/index.html"
    old = page.read_text(encoding="utf-8")
    Image.new("RGB", (1600, 1000), (10, 200, 90)).save(site / "static/img/banner.jpg", quality=80)
    build_site(site)
    new = page.read_text(encoding="utf-8")
    assert old != new and "/_images/banner-" in new


# --- other ways of writing --------------------------------------------------------------------------


def test_hugo_cover_names_and_raw_img_tags(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    folder = site / "content/yibao"
    (folder / "hugo-featured.md").write_text(
        "---\ntitle: 医保卡丢了怎么办\ndate: 2026-10-01\ncity: 广州\ntopic: 医保\nfeatured_image: pics/queue.jpg\nimage_alt: 排队的人\n---\n\n"
        "医保卡丢失后要先挂失。\n\n<img src=\"pics/queue.jpg\" alt=\"取号机\" width=\"300\">\n",
        encoding="utf-8",
    )
    (folder / "papermod.md").write_text(
        "---\ntitle: 医保卡密码忘了怎么办\ndate: 2026-10-02\ncity: 广州\ntopic: 医保\ncover:\n  image: /img/banner.jpg\n  alt: 服务大厅\n  caption: 大厅一角\n---\n\n"
        "带上身份证去柜台重置密码。\n\n<picture><source srcset=\"/img/banner.jpg\" type=\"image/jpeg\"><img src=\"/img/banner.jpg\" alt=\"原图\" srcset=\"/img/banner.jpg 1300w\" loading=\"eager\"></picture>\n",
        encoding="utf-8",
    )
    build_site(site)
    public = site / "public"
    featured = soup_of(public / "yibao/hugo-featured/index.html")
    assert "/_images/queue-" in featured.select_one("figure.article-cover img")["src"]
    raw = featured.select_one(".article-body img")
    assert raw["width"] == "300" and raw["height"] == "200" and raw["loading"] == "lazy" and raw.find_parent("picture")
    papermod = soup_of(public / "yibao/papermod/index.html")
    cover = papermod.select_one("figure.article-cover")
    assert cover.find("img")["alt"] == "服务大厅" and cover.find("figcaption").get_text() == "大厅一角"
    own = papermod.select(".article-body picture")
    assert len(own) == 1  # the editor's own <picture> is kept as written, never wrapped again
    img = own[0].find("img")
    assert img["srcset"] == "/img/banner.jpg 1300w" and img["loading"] == "eager"
    assert own[0].find("source")["srcset"] == "/img/banner.jpg"


def test_image_urls_carry_the_base_path(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    toml = site / "site.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('https://img.example.cn/"', 'https://img.example.cn/health/"'), encoding="utf-8")
    build_site(site)
    soup = soup_of(site / "public" / BUNDLE / "index.html")
    assert soup.find("meta", property="og:image")["content"].startswith("https://img.example.cn/health/_images/cover-")
    for img in soup.select(".article-body picture img, figure picture img"):
        assert img["src"].startswith("/health/_images/")
        assert all(url.startswith("/health/_images/") for url, _ in _srcset(img["srcset"]))


# --- problems -------------------------------------------------------------------------------------


ARTICLE = "---\ntitle: {title}\ndate: 2026-10-05\ncity: 上海\ntopic: 儿童健康\n{extra}---\n\n孩子发烧时先量体温，再决定是否就医。\n\n{body}\n"


def _write(site: Path, name: str, title: str, extra: str = "", body: str = "") -> None:
    (site / "content/ertong" / name).write_text(ARTICLE.format(title=title, extra=extra, body=body), encoding="utf-8")


def test_check_reports_image_problems_with_file_and_line(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    _write(site, "no-alt.md", "封面没有说明", "image: small.jpg\n")
    _write(site, "missing.md", "图片找不到", "", "![体温计](thermometer.jpg)\n\n![](small.jpg)")
    _write(site, "http.md", "不安全的封面", "image: http://cdn.example.org/a.jpg\nimage_alt: 图\n")
    big = Image.effect_noise((3000, 2400), 120).convert("RGB")
    big.save(site / "content/ertong/big.png")
    _write(site, "big.md", "很大的原图", "image: big.png\nimage_alt: 噪点\n")
    problems = check_site(site, today=TODAY)

    def one(path: str, severity: str, fragment: str):
        found = [p for p in problems if p.path == f"content/ertong/{path}" and p.severity == severity and fragment in p.message]
        assert len(found) == 1, "\n".join(map(str, problems))
        return found[0]

    assert one("no-alt.md", "error", "image_alt").line == 6
    assert one("missing.md", "error", "thermometer.jpg").line == 10
    assert "content/ertong/thermometer.jpg" in one("missing.md", "error", "thermometer.jpg").message
    assert one("missing.md", "warning", "缺少说明文字").line == 12
    assert one("http.md", "error", "https").line == 6
    assert one("big.md", "warning", "超过 5 MB").line == 6
    assert one("small-cover.md", "warning", "1200").line == 7
    # the build refuses what check calls an error in front matter, and warns of a missing body image
    result = CliRunner().invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "content/ertong/no-alt.md:6" in result.output and "image_alt" in result.output


def test_a_missing_body_image_is_a_warning_in_the_build(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    _write(site, "missing.md", "图片找不到", "", "![体温计](thermometer.jpg)")
    result = build_site(site)
    assert any(w.path == "content/ertong/missing.md" and w.line == 10 and "thermometer.jpg" in w.message for w in result.warnings)
    img = soup_of(site / "public/ertong/missing/index.html").select_one(".article-body img")
    assert img["src"] == "thermometer.jpg" and img["alt"] == "体温计"  # left as written


def test_an_unreadable_image(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    (site / "content/ertong/broken.jpg").write_bytes(b"not a jpeg at all")
    _write(site, "broken-body.md", "坏掉的正文图", "", "![坏图](broken.jpg)")
    result = build_site(site)
    assert any("broken.jpg" in w.path and "无法读取图片" in w.message for w in result.warnings)
    shown = soup_of(site / "public/ertong/broken-body/index.html").select_one(".article-body img")["src"]
    assert _local(site / "public", shown).read_bytes() == b"not a jpeg at all"  # published as it is, as the warning says
    _write(site, "broken-cover.md", "坏掉的封面", "image: broken.jpg\nimage_alt: 坏图\n")
    run = CliRunner().invoke(main, ["build", "--site", str(site)])
    assert run.exit_code == 1 and "content/ertong/broken.jpg" in run.output and "无法读取图片" in run.output
    assert "Traceback" not in run.output and "cannot identify" not in run.output


def test_a_static_image_with_gps_is_named_by_check(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 5.0)}
    Image.new("RGB", (1600, 900), (1, 2, 3)).save(site / "static/img/banner.jpg", exif=exif)
    problems = check_site(site, today=TODAY)
    assert [p for p in problems if p.path == "static/img/banner.jpg" and "GPS" in p.message and p.severity == "warning"]
    build_site(site)
    variants = list((site / "public/_images").glob("banner-*"))
    assert len(variants) == 7
    for path in variants:
        assert b"GPS" not in path.read_bytes()


def test_new_settings_give_new_file_names(tmp_path: Path) -> None:
    site = make_site(tmp_path, "images")
    build_site(site)
    before = {p.name for p in (site / "public/_images").iterdir()}
    toml = site / "site.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[images]\nquality = 60\n", encoding="utf-8")
    build_site(site)
    after = {p.name for p in (site / "public/_images").iterdir()}
    assert not (before & after) - {"share-default.jpg"}  # cached for a year: other pixels need another name
