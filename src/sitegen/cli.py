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
    raise click.ClickException(f"构建失败：{count} 个问题；上一次的输出保持不变。")


@click.group()
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """sitegen: build Chinese health-news sites from Markdown."""


class _ProgressBar:
    """A progress bar for page rendering, shown only on a terminal and once a build passes 1 s."""

    def __init__(self, started: float):
        self.started = started
        self.bar = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if not sys.stderr.isatty() or time.perf_counter() - self.started < 1.0 or done >= total:
                return
            self.bar = click.progressbar(length=total, label="生成页面", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command("build")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder (default: SITE/public).")
@click.option("--drafts", is_flag=True, help="Include articles with draft: true.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--base-url", default=None, help="Override base_url of site.toml (e.g. a deploy preview's URL).")
@click.option("--search/--no-search", default=None, help="Build the Pagefind search index (default: as site.toml says).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="Worker processes (default: one per core).")
@click.option("--no-cache", is_flag=True, help="Build from nothing, without reading or writing .sitegen-cache/.")
@click.option("--profile", is_flag=True, help="Print the time spent in each stage.")
def build_command(site_dir: Path, out_dir: Path | None, drafts: bool, future: bool, base_url: str | None, search: bool | None, jobs: int | None, no_cache: bool, profile: bool) -> None:
    """Build the site into public/."""
    started = time.perf_counter()
    progress = _ProgressBar(started)
    options = BuildOptions(
        site_dir=site_dir, out_dir=out_dir, drafts=drafts, future=future, base_url=base_url, search=search,
        jobs=jobs, cache=not no_cache, on_progress=progress,
    )  # fmt: skip
    try:
        result = build(options)
    except SiteError as error:
        progress.close()
        _fail(error)
    except KeyboardInterrupt:
        progress.close()
        click.secho("已中断；上一次的输出保持不变。", fg="yellow", err=True)
        sys.exit(130)
    except OSError as exc:  # a last resort: the library turns the ones it expects into SiteError
        progress.close()
        raise click.ClickException(f"构建失败：{exc.filename or ''} {exc.strerror or exc}；上一次的输出保持不变。")
    progress.close()
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
    note = "\uff08未发布\uff1a" + "\u3001".join(skipped) + "\uff09" if skipped else ""
    click.echo(
        f"已生成 {result.out_dir}\uff1a{result.articles} 篇文章{note}\uff0c{result.pages} 个页面\uff0c"
        f"{result.written} 个文件写入\uff0c{result.unchanged} 个未变\uff0c用时 {elapsed:.2f} 秒"
        f"\uff08{result.pages / max(elapsed, 1e-9):.0f} 页/秒\uff09"
    )


# --- sitegen serve ----------------------------------------------------------------------------


def _print_serve_event(event) -> None:
    colour = {"failed": "red", "warning": "yellow", "ready": "green"}.get(event.kind)
    click.secho(event.message, fg=colour, bold=event.kind == "ready", err=event.kind in ("failed", "warning"))
    label, fg = ("错误", "red") if event.kind == "failed" else ("警告", "yellow")
    for problem in event.problems:
        click.secho(f"  {label} {problem}", fg=fg, err=True)


@main.command("serve")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder (default: SITE/public).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every network interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--drafts", is_flag=True, help="Include articles with draft: true.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the web browser.")
def serve_command(site_dir: Path, out_dir: Path | None, host: str, port: int, drafts: bool, future: bool, open_browser: bool) -> None:
    """Preview the site: build, serve, and rebuild and reload the browser on every change."""
    # Imported here so that `sitegen build` does not load the HTTP server and the file watcher.
    from .serve import ServeError, ServeOptions, serve

    build_options = BuildOptions(site_dir=site_dir, out_dir=out_dir, drafts=drafts, future=future)
    try:
        serve(ServeOptions(build=build_options, host=host, port=port, open_browser=open_browser), _print_serve_event)
    except ServeError as error:
        raise click.ClickException(str(error))


# --- sitegen new / sitegen check --------------------------------------------------------------

_SEVERITY_LABEL = {"error": "错误", "warning": "警告"}


@main.command("new")
@click.argument("title")
@click.option("--city", required=True, help="City name as site.toml lists it, or 全国.")
@click.option("--topic", required=True, help="Topic name as site.toml lists it, e.g. 医保.")
@click.option("--tags", default="", help="Tags separated by commas, e.g. 个人账户，断缴.")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml and content/.")
def new_command(title: str, city: str, topic: str, tags: str, site_dir: Path) -> None:
    """Start a draft article: content/<topic>/<pinyin-of-title>.md."""
    import datetime as dt
    import re

    from .new import new_article

    tag_list = [t for t in re.split("[,\uff0c\u3001;\uff1b]", tags) if t.strip()]  # , ， 、 ; ；
    try:
        path = new_article(site_dir, title, city, topic, tag_list, dt.date.today())
    except SiteError as error:
        for problem in error.problems:
            click.secho(f"错误 {problem}", fg="red", err=True)
        raise click.ClickException("未能创建文章。")
    except FileExistsError as error:
        raise click.ClickException(str(error))
    click.echo(path.as_posix())


@main.command("check")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="text for people, json for tools, github for workflow annotations.")
def check_command(site_dir: Path, strict: bool, output_format: str) -> None:
    """Check articles, settings, links and images without building; exit 1 on errors."""
    import json

    from .check import check_site

    started = time.perf_counter()
    problems = check_site(site_dir)
    elapsed = time.perf_counter() - started

    def shown(path: str) -> str:
        # Paths relative to the current folder, so editors and GitHub can open them.
        return path if site_dir == Path(".") else (site_dir / path).as_posix()

    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if output_format == "json":
        records = [{"file": shown(p.path), "line": p.line, "severity": p.severity, "message": p.message} for p in problems]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif output_format == "github":
        for p in problems:
            where = f"file={_annotation_property(shown(p.path))}" + (f",line={p.line}" if p.line else "")
            click.echo(f"::{p.severity} {where}::{_annotation_data(p.message)}")
    else:
        for p in problems:
            where = shown(p.path) + (f":{p.line}" if p.line else "")
            click.secho(f"{where}: {_SEVERITY_LABEL.get(p.severity, p.severity)}: {p.message}", fg="red" if p.severity == "error" else "yellow")
        if problems:
            click.echo(f"检查完成：{errors} 个错误，{warnings} 个警告\uff08用时 {elapsed:.2f} 秒\uff09")
        else:
            click.echo(f"检查通过：没有发现问题\uff08用时 {elapsed:.2f} 秒\uff09")
    if errors or (strict and warnings):
        sys.exit(1)


def _annotation_data(text: str) -> str:
    # GitHub's workflow-command escaping: % and line breaks in the message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation_property(text: str) -> str:
    return _annotation_data(text).replace(":", "%3A").replace(",", "%2C")

if __name__ == "__main__":  # pragma: no cover
    main()
