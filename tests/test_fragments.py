"""Macro calls that pages repeat (an article's card) are rendered once per renderer, exactly.

The cached HTML must be what Jinja would render, and each page that shows it must still depend
on the facts the macro read (render.MacroFragments).
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2.sandbox import SandboxedEnvironment

from conftest import build_site, make_site
from site_trees import describe_differences, tree
from sitegen.render import MacroFragments


def _entry(site: Path, text: str) -> None:
    (site / "layouts" / "parts" / "entry.html").write_text(text, encoding="utf-8")


def _cold(site: Path, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    build_site(site, out_dir=out, cache=False)
    return out


def _equals_uncached(site: Path, tmp_path: Path, monkeypatch) -> Path:
    """Build `site` with the fragments and without; the two outputs must be equal byte for byte."""
    shared = _cold(site, tmp_path, "shared")
    with monkeypatch.context() as patch:
        patch.setattr(MacroFragments, "call", lambda self, env, context, macro, args, kwargs: SandboxedEnvironment.call(env, context, macro, *args, **kwargs))
        plain = _cold(site, tmp_path, "plain")
    assert tree(shared) == tree(plain), describe_differences(tree(shared), tree(plain), "with fragments", "without")
    return shared


def test_cards_come_out_as_jinja_renders_them(tmp_path: Path, monkeypatch) -> None:
    _equals_uncached(make_site(tmp_path, "custom_theme"), tmp_path, monkeypatch)


def test_the_default_theme_comes_out_as_jinja_renders_it(tmp_path: Path, monkeypatch) -> None:
    _equals_uncached(make_site(tmp_path, "basic"), tmp_path, monkeypatch)


def test_a_card_module_with_a_cycler_is_rendered_call_by_call(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "custom_theme")
    _entry(site, '{% set row = cycler("odd", "even") %}\n{% macro entry(item, site) %}<div class="entry {{ row.next() }}">{{ item.title }}</div>{% endmacro %}\n')
    out = _equals_uncached(site, tmp_path, monkeypatch)
    assert len(re.findall(r'class="entry (odd|even)"', (out / "index.html").read_text(encoding="utf-8"))) >= 2


def test_a_macro_called_with_a_caller_keeps_each_callers_body(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "custom_theme")
    _entry(site, '{% macro entry(item, site) %}<div class="entry">{{ item.title }}{{ caller() if caller is defined else "" }}</div>{% endmacro %}\n')
    home = site / "layouts" / "home.html"
    text, count = re.subn(r"\{\{ entry\((\w+), site\) \}\}", r"{% call entry(\1, site) %}<em>{{ loop.index }}</em>{% endcall %}", home.read_text(encoding="utf-8"))
    assert count, "home.html calls entry()"
    home.write_text(text, encoding="utf-8")
    out = _equals_uncached(site, tmp_path, monkeypatch)
    marks = re.findall(r"<em>(\d+)</em>", (out / "index.html").read_text(encoding="utf-8"))
    assert marks == [str(n) for n in range(1, len(marks) + 1)] and len(marks) >= 2


def test_a_macro_of_the_pages_own_template_is_not_kept(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "custom_theme")
    home = site / "layouts" / "home.html"
    text = home.read_text(encoding="utf-8").replace('{% from "parts/entry.html" import entry %}', '{% macro entry(item, site) %}<p class="own">{{ item.title }}{{ page.title }}</p>{% endmacro %}')
    home.write_text(text, encoding="utf-8")
    out = _equals_uncached(site, tmp_path, monkeypatch)
    assert 'class="own"' in (out / "index.html").read_text(encoding="utf-8")


def test_cards_are_made_once_and_shared_by_the_pages_that_show_them(tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path, "custom_theme")
    calls: list[tuple] = []
    real = MacroFragments._key

    def counted(self, env, macro, args, kwargs):
        key = real(self, env, macro, args, kwargs)
        calls.append(key)
        return key

    monkeypatch.setattr(MacroFragments, "_key", counted)
    build_site(site, cache=False, jobs=1)
    kept = [key for key in calls if key is not None]
    assert kept and len(set(kept)) < len(kept) / 2  # each card made once, shown on several pages


def test_a_title_edit_renders_every_page_showing_its_card_again(tmp_path: Path) -> None:
    site = make_site(tmp_path, "custom_theme")
    build_site(site)
    article = sorted((site / "content").rglob("*.md"))[0]
    text = article.read_text(encoding="utf-8")
    title = re.search(r"^title:\s*(.+)$", text, re.M).group(1).strip().strip('"')
    article.write_text(text.replace(title, title + "(已更新)", 1), encoding="utf-8")
    build_site(site)
    cold = _cold(site, tmp_path, "cold")
    assert tree(site / "public") == tree(cold), describe_differences(tree(site / "public"), tree(cold), "incremental", "cold")
    shown = [p for p in cold.rglob("*.html") if "(已更新)" in p.read_text(encoding="utf-8")]
    assert len(shown) >= 3  # its own page and the lists with its card
