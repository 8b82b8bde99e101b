"""The `sitegen` command: parses arguments, calls the library, prints what it returns."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .build import BuildOptions, build
from .errors import SiteError


def _fail(error: SiteError) -> None:
    for problem in error.problems:
        click.secho(f"错误 {problem}", fg="red", err=True)
    count = len(error.problems)
    raise click.ClickException(f"构建失败:{count} 个问题;上一次的输出保持不变。")


@click.group()
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """sitegen: build Chinese health-news sites from Markdown."""


@main.command("build")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder (default: SITE/public).")
@click.option("--drafts", is_flag=True, help="Include articles with draft: true.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--base-url", default=None, help="Override base_url of site.toml (e.g. a deploy preview's URL).")
@click.option("--search/--no-search", default=None, help="Build the Pagefind search index (default: as site.toml says).")
@click.option("--profile", is_flag=True, help="Print the time spent in each stage.")
def build_command(site_dir: Path, out_dir: Path | None, drafts: bool, future: bool, base_url: str | None, search: bool | None, profile: bool) -> None:
    """Build the site into public/."""
    started = time.perf_counter()
    options = BuildOptions(site_dir=site_dir, out_dir=out_dir, drafts=drafts, future=future, base_url=base_url, search=search)
    try:
        result = build(options)
    except SiteError as error:
        _fail(error)
    except KeyboardInterrupt:
        click.secho("已中断;上一次的输出保持不变。", fg="yellow", err=True)
        sys.exit(130)
    for warning in result.warnings:
        click.secho(f"警告 {warning}", fg="yellow", err=True)
    elapsed = time.perf_counter() - started
    if profile:
        for stage, seconds in result.timings.items():
            click.echo(f"  {stage:<14} {seconds * 1000:8.1f} ms")
    skipped = []
    if result.skipped_drafts:
        skipped.append(f"{result.skipped_drafts} 篇草稿")
    if result.skipped_future:
        skipped.append(f"{result.skipped_future} 篇未来日期")
    note = f"(未发布:{'、'.join(skipped)})" if skipped else ""
    click.echo(
        f"已生成 {result.out_dir}:{result.articles} 篇文章{note},{result.pages} 个页面,"
        f"{result.written} 个写入,{result.unchanged} 个未变,用时 {elapsed:.2f} 秒"
        f"({result.pages / max(elapsed, 1e-9):.0f} 页/秒)"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
