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
                if signum == signal.SIGINT and signal.getsignal(signum) == signal.SIG_IGN:
                    continue  # started in the background by a script (`sitegen build &`): Ctrl-C is not for us
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
    except (_UsageError, click.exceptions.NoArgsIsHelpError):  # `sitegen` alone shows its help
        raise
    except click.UsageError as error:
        raise _in_chinese(error, ctx) from None


# --- --help in Chinese ------------------------------------------------------------------------
# click's own headings and notes are English; its wrapping counts characters, so a line of
# Chinese (two columns a character) ran twice as wide as the terminal.

_NO_LINE_START = set("\uff0c\u3002\uff1b\uff1a\u3001\uff09\u300b\u300d\u300f\uff01\uff1f\u201d")  # ，。；：、）》」』！？”


def _columns(text: str) -> int:
    from .text import is_wide

    return sum(2 if is_wide(char) else 1 for char in text)


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns (a Chinese character takes two): broken between
    Chinese characters, or before a run of Latin letters, at its space when it has one; a
    full-width stop never starts a line (the character before it moves down with it)."""
    from .text import is_wide

    lines: list[str] = []
    line = ""
    for char in " ".join(text.split()):
        if line and _columns(line + char) > width:
            # What goes down to the next line: a stop with the unit before it, a Latin run whole.
            start = len(line)
            if char in _NO_LINE_START or (char != " " and not is_wide(char)):
                start -= char in _NO_LINE_START and is_wide(line[-1])
                while start > 0 and line[start - 1] != " " and not is_wide(line[start - 1]):
                    start -= 1
            if start > 0:
                lines.append(line[:start].rstrip())
                line = line[start:].lstrip()
            elif char in _NO_LINE_START:  # nothing to break at: the stop hangs past the width
                line += char
                continue
            if char == " " and not line:
                continue
        line += char
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _HelpFormatter(click.HelpFormatter):
    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}\uff1a\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法\uff1a" if prefix is None else prefix)

    def write_text(self, text: str) -> None:
        for number, paragraph in enumerate(text.split("\n\n")):
            if number:
                self.write_paragraph()
            for line in _wrapped(paragraph, max(self.width - self.current_indent, 20)):
                self.write(f"{'':>{self.current_indent}}{line}\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:  # type: ignore[no-untyped-def]
        rows = list(rows)
        first_width = min(max(_columns(first) for first, _ in rows), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if _columns(first) <= first_width - col_spacing:
                self.write(" " * (first_width - _columns(first)))
            else:
                self.write("\n" + " " * (first_width + self.current_indent))
            lines = _wrapped(second, max(self.width - first_width - self.current_indent, 20))
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_width + self.current_indent}}{line}\n")


class _Context(click.Context):
    formatter_class = _HelpFormatter


class _Option(click.Option):
    """An option whose help says its default and whether it is needed in Chinese."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.hidden:
            return None
        extra = self.get_help_extra(ctx)
        notes = [f"默认\uff1a{extra['default']}"] if "default" in extra else []
        notes += [extra["range"]] if "range" in extra else []
        notes += ["必填"] if "required" in extra else []
        help = self.help or ""
        if notes:  # inside the sentence: 输出目录（默认：public）。
            stop = "\u3002" if help.endswith("\u3002") else ""
            help = help.removesuffix(stop) + "\uff08" + "\uff1b".join(notes) + "\uff09" + stop
        return self.get_help_spec(ctx), help


def _option(*names: str, **settings):  # type: ignore[no-untyped-def]
    return click.option(*names, cls=_Option, **settings)


_HELP_TEXT = "显示本帮助并退出。"


class _Command(click.Command):
    context_class = _Context

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _said_in_chinese(ctx):
            return super().parse_args(ctx, args)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = _HELP_TEXT
        return option

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [record for param in self.get_params(ctx) if not isinstance(param, click.Argument) and (record := param.get_help_record(ctx))]
        if rows:
            with formatter.section("选项"):
                formatter.write_dl(rows)


class _Commands(_Command, click.Group):
    command_class = _Command

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[no-untyped-def]
        with _said_in_chinese(ctx):
            return super().resolve_command(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [self.options_metavar or "", "命令 [参数]..."]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = [(name, command.short_help or "") for name in self.list_commands(ctx) if (command := self.get_command(ctx, name)) and not command.hidden]
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)


@click.group(cls=_Commands, help="sitegen：把 Markdown 写的健康资讯生成静态网站。每个命令的用法：sitegen 命令 --help。")
@click.version_option(__version__, "--version", prog_name="sitegen", message="%(prog)s %(version)s", help="显示版本号并退出。", cls=_Option)
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


@main.command("build", short_help="构建网站", help="构建网站，输出到 public/（或 --out 的目录）。构建失败时上一次的输出保持不变。")
@_option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, metavar="目录", help="站点目录，内有 site.toml、content/、layouts/、static/。")
@_option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录", help="输出目录（默认：站点目录/public）。")
@_option("--drafts", is_flag=True, help="包括 draft: true 的草稿。")
@_option("--future", is_flag=True, help="包括日期在未来的文章。")
@_option("--noindex", is_flag=True, help="要求搜索引擎不收录任何页面（--drafts、--future 时自动如此）。")
@_option("--base-url", default=None, metavar="网址", help="代替 site.toml 的 base_url，如部署预览的网址。")
@_option("--search/--no-search", default=None, help="生成或不生成 Pagefind 搜索索引（默认：按 site.toml 的 search）。")
@_option("--jobs", "-j", type=click.IntRange(1, 256), default=None, metavar="N", help="工作进程数，默认每个 CPU 核一个。")
@_option("--no-cache", is_flag=True, help="从零构建，不读也不写 .sitegen-cache/。")
@_option("--profile", is_flag=True, help="打印每个阶段的用时。")
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


@main.command("serve", short_help="本地预览，改动后自动刷新", help="本地预览：构建、启动网页服务，文件一改就重新构建并刷新浏览器。")
@_option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, metavar="目录", help="站点目录，内有 site.toml、content/、layouts/、static/。")
@_option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录", help="输出目录（默认：站点目录/.sitegen-cache/preview，从不写 public/）。")
@_option("--host", default="127.0.0.1", show_default=True, metavar="地址", help="监听的地址，0.0.0.0 为所有网卡。")
@_option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, metavar="端口", help="监听的端口，0 为任一空闲端口。")
@_option("--drafts", is_flag=True, help="包括 draft: true 的草稿。")
@_option("--future", is_flag=True, help="包括日期在未来的文章。")
@_option("--open", "open_browser", is_flag=True, help="在浏览器中打开预览。")
@_option("--allowed-host", "allowed_hosts", multiple=True, metavar="主机名", help="除 localhost 和 IP 地址外，也响应这个主机名的请求；可以写多次。")
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


@main.command("new", short_help="新建一篇草稿", help="新建一篇草稿文章：content/<栏目>/<标题的拼音>.md。TITLE 是文章标题。")
@click.argument("title")
@_option("--city", required=True, metavar="城市", help="site.toml 里的城市名，或“全国”。")
@_option("--topic", required=True, metavar="栏目", help="site.toml 里的栏目名，如“医保”。")
@_option("--tags", default="", metavar="标签", help="用逗号分隔的标签，如“个人账户，断缴”。")
@_option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, metavar="目录", help="站点目录，内有 site.toml 和 content/。")
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


@main.command("init", short_help="新建一个站点", help="在 FOLDER（新的或空的目录）新建站点：site.toml、示例文章和页面、.gitignore、netlify.toml。")
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


@main.command("check", short_help="检查文章和设置，不构建", help="不构建，检查文章、设置、链接和图片；有错误时退出码为 1。\n\n给出 FILES（如 pre-commit 传入的文件）时只显示这些文件的问题，链接仍按整个站点核对。")
@_option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, metavar="目录", help="站点目录，内有 site.toml、content/、layouts/、static/。")
@_option("--strict", is_flag=True, help="有警告也算不通过（退出码 1）。")
@_option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text", show_default=True, help="text 给人看，json 给工具读，github 为 GitHub 工作流的注释。")
@_option("--base-url", default=None, metavar="网址", help="按这个部署地址（及其路径前缀）检查，与 build --base-url 相同。")
@_option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="文件", help="不显示这个基线文件里列出的已知警告。")
@_option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="文件", help="把现有的警告写入这个文件，作为基线。")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@_option("--reviews", is_flag=True, help="不做检查，列出待复核的文章（已逾期的和 30 天内到期的）。")
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


@main.command("push", short_help="向百度和 IndexNow 提交新页面", help="把上次提交以来新增或改动的页面提交给百度（令牌在环境变量 BAIDU_PUSH_TOKEN）和 IndexNow（site.toml 的 [indexnow] key）。")
@_option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True, metavar="目录", help="站点目录，内有 site.toml 和构建好的输出。")
@_option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="目录", help="构建好的输出目录（默认：站点目录/public）。")
@_option("--dry-run", is_flag=True, help="只列出要提交给各服务的网址，不发送。")
@_option("--endpoint", default=None, metavar="网址", help="百度普通收录 API 的地址（默认：http://data.zz.baidu.com/urls）。")
@_option("--indexnow-endpoint", default=None, metavar="网址", help="IndexNow API 的地址（默认：https://api.indexnow.org/indexnow）。")
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
