"""The `sitegen` command: parses arguments, calls the library, prints what it returns."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from . import __version__
from .build import BuildOptions, build
from .errors import BuildInterrupted, SiteError, printable
from .workers import WorkerLost

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _fail(error: SiteError) -> NoReturn:
    for problem in error.problems:
        click.secho(f"错误 {problem}", fg="red", err=True)
    _exit_with(f"构建失败\uff1a{len(error.problems)} 个问题\uff1b上一次的输出保持不变\u3002")


def _exit_with(message: str, status: int = 1) -> NoReturn:
    # click.ClickException would print its English "Error: " before our Chinese line.
    click.secho(message, fg="red" if status == 1 else "yellow", err=True)
    sys.exit(status)


class _Interrupts:
    """Ctrl-C and SIGTERM (a CI runner's timeout, `kill`) stop a build the same clean way.

    Both raise KeyboardInterrupt. One that lands inside a callback from compiled code (nh3 calls
    back into Python for every URL) cannot propagate there; Python would print it as an
    "exception ignored" traceback and go on, so it is delivered again once the callback is done.
    """

    def __init__(self) -> None:
        self.received = False
        self._previous: list = []

    def _interrupt(self, signum, frame) -> None:
        self.received = True
        raise KeyboardInterrupt

    def _unraisable(self, unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            # Raised here it would be swallowed again: a timer delivers it a moment later.
            signal.setitimer(signal.ITIMER_REAL, 0.001)
        else:
            sys.__unraisablehook__(unraisable)

    def __enter__(self) -> _Interrupts:
        try:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
                self._previous.append((signum, signal.signal(signum, self._interrupt)))
        except ValueError:  # not the main thread (a test calling the CLI from a thread)
            pass
        self._previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        return self

    def __exit__(self, *exc_info) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.unraisablehook = self._previous_hook
        for signum, handler in self._previous:
            signal.signal(signum, handler)


class _UsageError(click.UsageError):
    """A mistyped command line, said in one Chinese line (click's own is English, in three)."""

    def show(self, file=None) -> None:  # type: ignore[override]
        click.secho(self.message, fg="red", err=True)


def _in_chinese(error: click.UsageError, ctx: click.Context) -> _UsageError:
    """`error` (raised while parsing `ctx`'s arguments) as one line saying what was wrong and
    where the usage is."""
    ctx = error.ctx or ctx
    command = ctx.command_path
    help_hint = f"\uff1b运行 {command} --help 查看用法"
    if isinstance(error, click.NoSuchOption):
        near = sorted(error.possibilities or ())
        message = f"没有 {error.option_name} 这个选项" + (f"\uff0c是不是 {'、'.join(near)}" if near else "") + help_hint
    elif isinstance(error, click.BadOptionUsage):
        message = f"选项 {error.option_name} 后面应写一个值" + help_hint
    elif isinstance(error, click.MissingParameter):
        param = error.param
        message = f"缺少{'选项 ' if isinstance(param, click.Option) else '参数 '}{_param_name(param)}" + help_hint
    elif isinstance(error, click.BadParameter):
        message = f"{_param_name(error.param)} 的值不对\uff1a{_expected(error.param)}" + help_hint
    elif isinstance(error, click.exceptions.NoSuchCommand):
        names = "、".join(sorted(ctx.command.list_commands(ctx))) if isinstance(ctx.command, click.Group) else ""
        message = f"没有 {error.command_name} 这个命令" + (f"\uff1b可用的命令\uff1a{names}" if names else "") + help_hint
    elif error.message.startswith("Got unexpected extra argument"):
        message = f"多余的参数\uff1a{' '.join(ctx.args) or error.message.partition('(')[2].rstrip(')')}" + help_hint
    else:
        message = "命令行参数有误" + help_hint
    return _UsageError(message, ctx)


def _param_name(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    return param.human_readable_name if param is not None else "参数"


def _expected(param: click.Parameter | None) -> str:
    kind = param.type if param is not None else None
    if isinstance(kind, click.Choice):
        return "应为 " + "、".join(map(str, kind.choices)) + " 之一"
    if isinstance(kind, click.types.IntParamType):
        return "应为整数" if not isinstance(kind, click.IntRange) or kind.min is None else f"应为不小于 {kind.min} 的整数"
    if isinstance(kind, click.types.FloatParamType):
        return "应为数字"
    if isinstance(kind, click.Path):
        return "应为一个路径"
    return "请检查这个值"


@contextmanager
def _said_in_chinese(ctx: click.Context) -> Iterator[None]:
    """Any usage error raised inside, as _in_chinese() says it."""
    try:
        yield
    except _UsageError:
        raise
    except click.UsageError as error:
        raise _in_chinese(error, ctx) from None


class _Command(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _said_in_chinese(ctx):
            return super().parse_args(ctx, args)


class _Commands(click.Group):
    command_class = _Command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _said_in_chinese(ctx):
            return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[no-untyped-def]
        with _said_in_chinese(ctx):
            return super().resolve_command(ctx, args)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """sitegen: build Chinese health-news sites from Markdown."""


class _ProgressBar:
    """A progress bar for page rendering, shown only on a terminal and once a build passes 1 s."""

    def __init__(self, started: float):
        self.started = started
        self.bar: ProgressBar[int] | None = None
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
@click.option("--noindex", is_flag=True, help="Ask search engines to list no page (implied by --drafts and --future).")
@click.option("--base-url", default=None, help="Override base_url of site.toml (e.g. a deploy preview's URL).")
@click.option("--search/--no-search", default=None, help="Build the Pagefind search index (default: as site.toml says).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None, help="Worker processes (default: one per core).")
@click.option("--no-cache", is_flag=True, help="Build from nothing, without reading or writing .sitegen-cache/.")
@click.option("--profile", is_flag=True, help="Print the time spent in each stage.")
def build_command(site_dir: Path, out_dir: Path | None, drafts: bool, future: bool, noindex: bool, base_url: str | None, search: bool | None, jobs: int | None, no_cache: bool, profile: bool) -> None:
    """Build the site into public/."""
    started = time.perf_counter()
    progress = _ProgressBar(started)
    options = BuildOptions(
        site_dir=site_dir, out_dir=out_dir, drafts=drafts, future=future, noindex=noindex, base_url=base_url, search=search,
        jobs=jobs, cache=not no_cache, on_progress=progress, on_wait=_waiting,
    )  # fmt: skip
    interrupts = _Interrupts()
    try:
        with interrupts:
            result = build(options)
    except SiteError as error:
        progress.close()
        _fail(error)
    except (KeyboardInterrupt, WorkerLost) as stopped:
        progress.close()
        if isinstance(stopped, BuildInterrupted) and stopped.committed:
            _exit_with("已中断\uff1a新的输出已经生成\uff0c但构建缓存未保存完整\uff1b下次构建会完整核对输出\u3002", 130)
        if isinstance(stopped, KeyboardInterrupt) or interrupts.received:  # workers end with the signal too
            _exit_with("已中断\uff1b上一次的输出保持不变\u3002", 130)
        _exit_with("构建失败\uff1a一个工作进程意外退出\uff08可能是内存不足\uff09\uff1b上一次的输出保持不变\uff0c可以用 --jobs 1 重试\u3002")
    except OSError as exc:  # a last resort: the library turns the ones it expects into SiteError
        progress.close()
        where = printable(str(exc.filename)) + " " if exc.filename else ""
        _exit_with(f"构建失败\uff1a{where}{exc.strerror or exc}\uff1b上一次的输出保持不变\u3002")
    progress.close()
    for warning in result.warnings:
        click.secho(f"警告 {warning}", fg="yellow", err=True)
    elapsed = time.perf_counter() - started
    if profile:
        for stage, seconds in result.timings.items():
            cpu = result.cpu_timings.get(stage)
            click.echo(f"  {stage:<14} {seconds * 1000:8.1f} ms" + ("" if cpu is None else f"   CPU {cpu * 1000:8.1f} ms"))
    skipped = []
    if result.skipped_drafts:
        skipped.append(f"{result.skipped_drafts} 篇草稿")
    if result.skipped_future:
        skipped.append(f"{result.skipped_future} 篇未来日期")
    note = "\uff08未发布\uff1a" + "\u3001".join(skipped) + "\uff09" if skipped else ""
    click.echo(
        f"已生成 {result.out_dir}\uff1a{result.articles} 篇文章{note}\uff0c{result.pages} 个页面\uff0c"
        + (f"{result.images} 张图片\uff0c" if result.images else "")
        + f"{result.written} 个文件写入\uff0c{result.unchanged} 个未变\uff0c用时 {elapsed:.2f} 秒"
        f"\uff08{result.pages / max(elapsed, 1e-9):.0f} 页/秒\uff09"
    )


def _waiting() -> None:
    click.secho("等待另一个构建完成\u2026", fg="yellow", err=True)


# --- sitegen serve ----------------------------------------------------------------------------


def _print_serve_event(event) -> None:
    colour = {"failed": "red", "warning": "yellow", "ready": "green"}.get(event.kind)
    click.secho(printable(event.message), fg=colour, bold=event.kind == "ready", err=event.kind in ("failed", "warning"))
    label, fg = ("错误", "red") if event.kind == "failed" else ("警告", "yellow")
    for problem in event.problems:
        click.secho(f"  {label} {problem}", fg=fg, err=True)


@main.command("serve")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output folder (default: SITE/.sitegen-cache/preview, never public/).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every network interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--drafts", is_flag=True, help="Include articles with draft: true.")
@click.option("--future", is_flag=True, help="Include articles dated in the future.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the web browser.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME", help="Also answer requests for this host name (besides localhost and IP addresses); repeatable.")
def serve_command(site_dir: Path, out_dir: Path | None, host: str, port: int, drafts: bool, future: bool, open_browser: bool, allowed_hosts: tuple[str, ...]) -> None:
    """Preview the site: build, serve, and rebuild and reload the browser on every change."""
    import gc

    gc.enable()  # off for the one-shot commands (__main__); a preview runs for hours
    try:
        # Imported here so that `sitegen build` does not load the HTTP server and the file watcher.
        from .serve import ServeError, ServeOptions, serve

        build_options = BuildOptions(site_dir=site_dir, out_dir=out_dir, drafts=drafts, future=future)
        options = ServeOptions(build=build_options, host=host, port=port, open_browser=open_browser, allowed_hosts=allowed_hosts)
        try:
            serve(options, _print_serve_event)
        except ServeError as error:
            _exit_with(str(error))
    except KeyboardInterrupt:  # before serve() took over Ctrl-C (click would print "Aborted!")
        _exit_with("预览已停止\u3002", 130)


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
    import re

    from .config import site_today
    from .new import new_article

    tag_list = [t for t in re.split("[,\uff0c\u3001;\uff1b]", tags) if t.strip()]  # , ， 、 ; ；
    try:
        path = new_article(site_dir, title, city, topic, tag_list, site_today(site_dir))  # the site's time zone
    except SiteError as error:
        for problem in error.problems:
            click.secho(f"错误 {problem}", fg="red", err=True)
        _exit_with("未能创建文章\u3002")
    except FileExistsError as error:
        _exit_with(printable(str(error)))
    click.echo(path.as_posix())


@main.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
def init_command(folder: Path) -> None:
    """Start a new site in FOLDER (new or empty): site.toml, an example article and page, .gitignore, netlify.toml."""
    import shlex

    from .init import init_site

    try:
        written = init_site(folder)
    except SiteError as error:
        for problem in error.problems:
            click.secho(f"错误 {problem}", fg="red", err=True)
        _exit_with("未能创建站点\u3002")
    for path in written:
        click.echo(printable(path.as_posix()))
    site = printable(shlex.quote(folder.as_posix()))  # a command to copy, so quoted for the shell
    click.echo(f"已创建新站点 {printable(folder.as_posix())}\uff1b预览\uff1asitegen serve --site {site}\uff0c构建\uff1asitegen build --site {site}")


@main.command("check")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml, content/, layouts/, static/.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="text for people, json for tools, github for workflow annotations.")
@click.option("--base-url", default=None, help="Check against this deploy address (its base path), as build --base-url builds.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Hide the known warnings listed in this file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the current warnings to this file as the baseline.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--reviews", is_flag=True, help="Print the review queue (overdue, and due within 30 days) instead of checking.")
def check_command(
    site_dir: Path, strict: bool, output_format: str, reviews: bool, base_url: str | None, baseline: Path | None,
    write_baseline: Path | None, files: tuple[Path, ...],
) -> None:
    """Check articles, settings, links and images without building; exit 1 on errors.

    With FILES (as pre-commit passes them), only their problems are shown; links still resolve
    against the whole site.
    """
    import json

    from .check import baseline_key, check_site, only_files, read_baseline
    from .check import write_baseline as write_baseline_file

    if reviews:
        _review_queue(site_dir, output_format)
        return

    started = time.perf_counter()
    try:
        problems = check_site(site_dir, base_url=base_url)
        if write_baseline is not None:
            count = write_baseline_file(write_baseline, problems)
            click.echo(f"已把 {count} 个警告写入基线文件 {printable(write_baseline.as_posix())}")
        if files:
            problems = only_files(site_dir, files, problems)
        if baseline is not None:
            known = read_baseline(baseline)
            problems = [p for p in problems if p.severity == "error" or baseline_key(p) not in known]
    except SiteError as error:  # an unreadable baseline
        _exit_with("\n".join(str(p) for p in error.problems))
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
            click.echo(printable(f"::{p.severity} {where}::{_annotation_data(p.message)}"))
    else:
        for p in problems:
            where = shown(p.path) + (f":{p.line}" if p.line else "")
            line = printable(f"{where}: {_SEVERITY_LABEL.get(p.severity, p.severity)}: {p.message}")
            click.secho(line, fg="red" if p.severity == "error" else "yellow")
        if problems:
            click.echo(f"检查完成：{errors} 个错误，{warnings} 个警告\uff08用时 {elapsed:.2f} 秒\uff09")
        else:
            click.echo(f"检查通过：没有发现问题\uff08用时 {elapsed:.2f} 秒\uff09")
    if errors or (strict and warnings):
        sys.exit(1)


def _review_queue(site_dir: Path, output_format: str) -> None:
    """`sitegen check --reviews`: what editors must send to reviewers, the earliest due first."""
    import json

    from .check import check_reviews

    queue, problems = check_reviews(site_dir)
    for p in problems:
        click.secho(printable(f"{p.path}" + (f":{p.line}" if p.line else "") + f": {p.message}"), fg="red", err=True)
    if problems:
        sys.exit(1)
    if output_format == "json":
        click.echo(json.dumps([entry.record() for entry in queue], ensure_ascii=False, indent=2))
        return
    for entry in queue:
        state = "\u5df2\u903e\u671f" if entry.overdue else "\u5373\u5c06\u5230\u671f"  # 已逾期 / 即将到期
        reviewers = "\u3001".join(entry.reviewers) or "\u672a\u6307\u5b9a\u5ba1\u6838\u4eba"  # 未指定审核人
        click.echo(printable(f"{entry.due}  {state}  {entry.path}  {entry.title}\uff08\u5ba1\u6838\uff1a{reviewers}\uff09"))
    overdue = sum(1 for entry in queue if entry.overdue)
    click.echo(f"待复核\uff1a{overdue} 篇已逾期\uff0c{len(queue) - overdue} 篇将在 30 天内到期")


def _annotation_data(text: str) -> str:
    # GitHub's workflow-command escaping: % and line breaks in the message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation_property(text: str) -> str:
    return _annotation_data(text).replace(":", "%3A").replace(",", "%2C")


@main.command("push")
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, help="Site folder holding site.toml and the built output.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Built output folder (default: SITE/public).")
@click.option("--dry-run", is_flag=True, help="List the URLs that would be sent to each service; send nothing.")
@click.option("--endpoint", default=None, help="Baidu's 普通收录 API address (default: http://data.zz.baidu.com/urls).")
@click.option("--indexnow-endpoint", default=None, help="IndexNow API address (default: https://api.indexnow.org/indexnow).")
def push_command(site_dir: Path, out_dir: Path | None, dry_run: bool, endpoint: str | None, indexnow_endpoint: str | None) -> None:
    """Send pages added or changed since the last push to Baidu (token in BAIDU_PUSH_TOKEN) and IndexNow ([indexnow] key)."""
    import os

    from .cache import CACHE_DIR
    from .config import load_config
    from .push import BAIDU_ENDPOINT, INDEXNOW_ENDPOINT, TOKEN_VARIABLE, push_site

    try:
        config = load_config(site_dir)
        results = push_site(
            out_dir or site_dir / "public", site_dir / CACHE_DIR, config, token=os.environ.get(TOKEN_VARIABLE),
            baidu_endpoint=endpoint or BAIDU_ENDPOINT, indexnow_endpoint=indexnow_endpoint or INDEXNOW_ENDPOINT, dry_run=dry_run,
        )  # fmt: skip
    except SiteError as error:
        for problem in error.problems:
            click.secho(printable(f"错误 {problem}"), fg="red", err=True)
        sys.exit(1)
    for result in results:
        for message in result.messages:
            click.echo(printable(message))
        if dry_run:
            for url in result.pending:
                click.echo(url)
        for problem in result.problems:
            click.secho(printable(f"错误 {problem}"), fg="red", err=True)
    if any(result.problems for result in results):
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    # `python -m sitegen.cli` runs as `sitegen` does: Ctrl-C while loading, the collector, the exit.
    from sitegen.__main__ import main as run

    run()
