"""Layouts run in Jinja's sandbox: a template cannot reach Python internals, in build or check."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import TODAY, build_site
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.errors import SiteError

# Each reaches os.popen (or the class tree) from an object templates are given; none may run.
ESCAPES = [
    '{{ cycler.__init__.__globals__.os.popen("touch MARKER").read() }}',
    '{{ joiner.__init__.__globals__["os"].popen("touch MARKER").read() }}',
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ site.__class__.__init__.__globals__ }}",
    '{{ lipsum.__globals__["os"].popen("touch MARKER").read() }}',
    "{{ range.__self__ }}",
]


def _put_in_footer(site: Path, snippet: str) -> None:
    footer = site / "layouts/partials/footer.html"
    marker = str(site / "ran")
    footer.write_text(footer.read_text(encoding="utf-8") + snippet.replace("MARKER", marker), encoding="utf-8")


@pytest.mark.parametrize("snippet", ESCAPES)
def test_a_layout_cannot_run_code_during_build(basic_site: Path, snippet: str) -> None:
    _put_in_footer(basic_site, snippet)
    with pytest.raises(SiteError) as raised:
        build_site(basic_site)
    assert not (basic_site / "ran").exists()
    message = str(raised.value.problems[0])
    assert message.startswith("layouts/partials/footer.html"), message
    assert "模板" in message and "Traceback" not in message


@pytest.mark.parametrize("snippet", ESCAPES[:2])
def test_a_layout_cannot_run_code_during_check(basic_site: Path, snippet: str) -> None:
    _put_in_footer(basic_site, snippet)
    problems = check_site(basic_site, today=TODAY)
    assert not (basic_site / "ran").exists()
    assert any(p.path == "layouts/partials/footer.html" and p.severity == "error" for p in problems), problems


def test_the_cli_names_the_template_in_one_chinese_line(basic_site: Path) -> None:
    _put_in_footer(basic_site, ESCAPES[0])
    result = CliRunner().invoke(main, ["build", "--site", str(basic_site), "--no-search"])
    assert result.exit_code == 1
    assert not (basic_site / "ran").exists()
    first = result.output.splitlines()[0]
    assert "layouts/partials/footer.html" in first and "不允许" in first, result.output
    assert "Traceback" not in result.output


def test_ordinary_template_code_still_works(basic_site: Path) -> None:
    # Loops, filters, namespaces, method calls on strings and dicts: what themes do every day.
    _put_in_footer(
        basic_site,
        "{% set ns = namespace(n=0) %}{% for a in site.articles %}{% set ns.n = ns.n + 1 %}{% endfor %}"
        '<p id="stats">{{ ns.n }}|{{ site.config.title|upper|length > 0 }}|{{ "a,b".split(",")|join("+") }}'
        '|{{ {"k": 1}.items()|list|length }}|{{ cycler("x", "y").next() }}</p>',
    )
    build_site(basic_site, search=False)
    html = (basic_site / "public/index.html").read_text(encoding="utf-8")
    assert '<p id="stats">' in html
    stats = html.split('<p id="stats">', 1)[1].split("</p>", 1)[0]
    count, upper, joined, items, cycled = stats.split("|")
    assert int(count) > 0 and upper == "True" and joined == "a+b" and items == "1" and cycled == "x"
