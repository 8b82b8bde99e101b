"""`sitegen serve`: build the site, serve it locally, rebuild on every change and reload the tabs.

Rebuilds run the one pipeline, `build.build()`, into a preview folder of their own
(`.sitegen-cache/preview/`), never into `public/`, so drafts shown here can never be deployed by
mistake; the server only reads that folder. Live reload works over Server-Sent Events: served HTML pages (never the files on
disk) get a small script that listens on `/__sitegen__/events` and reloads the page, swaps its
stylesheets when only CSS changed, or shows the build's problems in an overlay while the site is
broken. The library never prints: everything worth telling arrives at the `on_event` callback.
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import os
import queue
import re
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes

import watchfiles

from .build import STATIC_DIR, BuildOptions, BuildResult, build, refresh_search_index
from .cache import CACHE_DIR
from .config import load_config
from .content import CONTENT_DIR
from .errors import Problem, SiteError, printable
from .output import RETIRED_MARK, check_output_folder, remove_leftovers
from .render import LAYOUTS_DIR
from .site import base_path

EVENTS_PATH = "/__sitegen__/events"
SCRIPT_PATH = "/__sitegen__/reload.js"
CONFIG_FILE = "site.toml"
TREE_DIRS = (CONTENT_DIR, LAYOUTS_DIR, STATIC_DIR, "data")  # data/: people.toml, the authors and reviewers pages show

# watchfiles groups changes until none has come for STEP ms (at most DEBOUNCE ms in all), so an
# editor's double write or a `git checkout` of 50 files arrives as one set and gives one rebuild.
WATCH_DEBOUNCE_MS = 1000
WATCH_STEP_MS = 100
WATCH_IDLE_MS = 250
# The site folder and its source folders are watched by two watchers (see _Watchers); a burst that
# touches both arrives as two sets a moment apart, gathered here into the same rebuild.
GATHER_SECONDS = 0.15
SSE_PING_SECONDS = 15.0
SSE_RETRY_MS = 1000
MISSING_FILE_WAIT_SECONDS = 30.0
PREVIEW_DIR = Path(CACHE_DIR) / "preview"  # inside the site folder; git-ignored with the cache
# A connection that sends or reads nothing for this long is dropped: a tab that stopped reading a
# big file must not hold a thread and its socket for ever.
IDLE_TIMEOUT_SECONDS = 30.0
# No file name in the output is longer than the file systems allow (255 bytes); a longer segment,
# or a target longer than any page's path, is answered 404 at once without touching the disk.
MAX_SEGMENT_BYTES = 255
MAX_TARGET_BYTES = 4096
# Names that cannot be an attacker's DNS name: a page on another site that resolves its own name
# to 127.0.0.1 (DNS rebinding) sends that name as Host, and is refused.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

# Editor droppings: vim swap files and its 4913 write test, backups, Emacs autosaves.
_TEMP_NAMES = {"4913"}
_TEMP_SUFFIXES = (".swp", ".swo", ".swn", ".swx", "~", "___jb_tmp___", "___jb_old___")

_TEXT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xml": "application/xml",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".svg": "image/svg+xml",
}
_BINARY_TYPES = {".wasm": "application/wasm", ".woff2": "font/woff2", ".woff": "font/woff", ".webp": "image/webp", ".avif": "image/avif"}
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


class ServeError(Exception):
    """The preview server cannot start (port taken, unusable output folder)."""


@dataclass(frozen=True)
class ServeOptions:
    build: BuildOptions = field(default_factory=BuildOptions)
    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port
    open_browser: bool = False
    allowed_hosts: tuple[str, ...] = ()  # Host names served besides local ones and IP addresses
    idle_timeout: float = IDLE_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ServeEvent:
    """Something the person running `sitegen serve` should see, as one ready-made line.

    kind: "built" (a build or rebuild succeeded), "failed" (it did not; `problems` says why),
    "ready" (the server listens; `url`), "indexed" (the search index caught up after a rebuild),
    "warning", "stopped".
    """

    kind: str
    message: str
    problems: tuple[Problem, ...] = ()
    url: str | None = None
    changes: tuple[str, ...] = ()
    css_only: bool = False
    seconds: float | None = None


EventCallback = Callable[[ServeEvent], None]


# ---------------------------------------------------------------------------------------------
# Watching


def is_watched_change(path: str, site_dir: Path, out_dir: Path) -> bool:
    """Whether a changed `path` can change the site: site.toml or a file under content/, layouts/, static/, data/."""
    changed = Path(path)
    relative = _relative_to_any(changed, [site_dir.absolute(), site_dir.resolve()])
    if relative is None or not relative.parts:
        return False
    if _relative_to_any(changed, [out_dir.absolute(), out_dir.resolve()]) is not None:
        return False
    # Hidden parts cover .sitegen-cache/, staging folders, .git/, Emacs .#locks and .name.swp.
    if any(part.startswith(".") for part in relative.parts):
        return False
    name = relative.name
    if name in _TEMP_NAMES or name.endswith(_TEMP_SUFFIXES) or (name.startswith("#") and name.endswith("#")):
        return False
    if len(relative.parts) == 1:
        return name == CONFIG_FILE or name in TREE_DIRS
    return relative.parts[0] in TREE_DIRS


def _relative_to_any(path: Path, roots: Iterable[Path]) -> Path | None:
    for root in roots:
        try:
            return path.relative_to(root)
        except ValueError:
            continue
    return None


def is_css_only(changes: Iterable[str]) -> bool:
    """Whether every changed path (relative to the site) is a stylesheet under static/."""
    changes = list(changes)
    return bool(changes) and all(c.startswith(f"{STATIC_DIR}/") and c.lower().endswith(".css") for c in changes)


class _Watchers:
    """watchfiles on the source folders (recursive) and on the site folder itself (not recursive).

    The site folder is not watched recursively because it may hold public/, .git/ or a virtualenv
    with thousands of folders. site.toml is watched through its folder, not by itself: an editor
    that saves by renaming a new file over it would end a watch on the file.
    """

    def __init__(self, site_dir: Path, out_dir: Path, changes: queue.Queue, on_event: EventCallback):
        self.site_dir = site_dir.absolute()
        self.out_dir = out_dir
        self.changes = changes
        self.on_event = on_event
        self._threads: list[tuple[threading.Thread, threading.Event]] = []
        self._tree: tuple[threading.Thread, threading.Event] | None = None
        self._tree_roots: dict[str, int] = {}
        self._ready: list[threading.Event] = []

    def start(self) -> None:
        stop = threading.Event()
        top = threading.Thread(target=self._run, args=([self.site_dir], False, self._top_filter, stop, self._ready_event()), name="sitegen-watch-site", daemon=True)
        top.start()
        self._threads.append((top, stop))
        self.refresh()

    def refresh(self) -> None:
        """(Re)start the recursive watcher when a source folder appeared, vanished or was replaced."""
        roots = {}
        for name in TREE_DIRS:
            try:
                roots[name] = (self.site_dir / name).stat().st_ino
            except OSError:
                continue
        if roots == self._tree_roots and self._tree is not None:
            return
        self._stop_tree()
        self._tree_roots = roots
        if not roots:
            return
        stop = threading.Event()
        paths = [self.site_dir / name for name in roots]
        thread = threading.Thread(target=self._run, args=(paths, True, self._tree_filter, stop, self._ready_event()), name="sitegen-watch-tree", daemon=True)
        thread.start()
        self._tree = (thread, stop)

    def wait_ready(self, timeout: float) -> None:
        """Block until the watchers have started, so that no edit made after this is missed."""
        deadline = time.monotonic() + timeout
        for ready in self._ready:
            ready.wait(max(0.0, deadline - time.monotonic()))
        self._ready.clear()

    def _ready_event(self) -> threading.Event:
        ready = threading.Event()
        self._ready = [r for r in self._ready if not r.is_set()] + [ready]
        return ready

    def stop(self) -> None:
        self._stop_tree()
        for _, stop in self._threads:
            stop.set()
        for thread, _ in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _stop_tree(self) -> None:
        if self._tree is not None:
            thread, stop = self._tree
            stop.set()
            thread.join(timeout=5)
            self._tree = None

    def _top_filter(self, change: watchfiles.Change, path: str) -> bool:
        name = Path(path).name
        if name in TREE_DIRS:
            # Only a source folder's own appearance or removal matters here; edits inside it
            # come from the recursive watcher.
            return change != watchfiles.Change.modified
        return name == CONFIG_FILE and is_watched_change(path, self.site_dir, self.out_dir)

    def _tree_filter(self, change: watchfiles.Change, path: str) -> bool:
        return is_watched_change(path, self.site_dir, self.out_dir)

    def _run(self, paths: list[Path], recursive: bool, watch_filter, stop: threading.Event, ready: threading.Event) -> None:
        try:
            for batch in watchfiles.watch(
                *paths,
                watch_filter=watch_filter,
                debounce=WATCH_DEBOUNCE_MS,
                step=WATCH_STEP_MS,
                stop_event=stop,
                recursive=recursive,
                raise_interrupt=False,  # Ctrl-C belongs to the main thread
                # An empty set every WATCH_IDLE_MS tells that the watch is set up (see wait_ready).
                rust_timeout=WATCH_IDLE_MS,
                yield_on_timeout=True,
            ):
                ready.set()
                if batch:
                    self.changes.put(batch)
        except Exception as exc:  # a watched folder removed under us: refresh() starts a new watcher
            ready.set()
            if not stop.is_set():
                self.on_event(ServeEvent("warning", f"监视文件时出错：{exc}；将在下一次改动时重新开始监视"))
                self.changes.put(set())


def describe_changes(changes: Iterable[tuple[watchfiles.Change, str]], site_dir: Path) -> tuple[str, ...]:
    """The changed paths relative to the site folder, sorted; files created and gone again are left out.

    Editors and sed save through a temporary file renamed over the real one; that temporary file
    changes nothing and would spoil the test for a CSS-only change.
    """
    roots = [site_dir.absolute(), site_dir.resolve()]
    kinds: dict[str, set[watchfiles.Change]] = {}
    for change, path in changes:
        kinds.setdefault(path, set()).add(change)
    found = set()
    for path, seen in kinds.items():
        if watchfiles.Change.added in seen and not os.path.lexists(path):
            continue
        relative = _relative_to_any(Path(path), roots)
        found.add(relative.as_posix() if relative is not None else path)
    return tuple(sorted(found))


def _summary(changes: tuple[str, ...], site_dir: Path) -> str:
    # "Added" cannot be told from "replaced by a rename", so only a removal gets its own word.
    shown = [f"{'删除' if not os.path.lexists(site_dir / c) else '改动'} {c}" for c in changes[:3]]
    more = f" 等 {len(changes)} 个文件" if len(changes) > 3 else ""
    return "、".join(shown) + more


# ---------------------------------------------------------------------------------------------
# Live-reload clients


class _Hub:
    """The browsers listening on the event stream, and the state a newly connected one needs."""

    def __init__(self, server_id: str):
        self._lock = threading.Lock()
        self._clients: set[queue.Queue] = set()
        self._closed = False
        self.server_id = server_id
        self.generation = 0  # counts good builds; with server_id, names the site being served
        self.problems: list[dict] = []

    @property
    def build_token(self) -> str:
        return f"{self.server_id}-{self.generation}"

    def subscribe(self) -> tuple[queue.Queue | None, bytes]:
        """A queue for a new client plus its greeting; the queue is None once the server stops."""
        with self._lock:
            hello = _sse("hello", {"build": self.build_token, "problems": self.problems})
            if self._closed:
                return None, hello
            client: queue.Queue = queue.Queue()
            self._clients.add(client)
            return client, hello

    def unsubscribe(self, client: queue.Queue) -> None:
        with self._lock:
            self._clients.discard(client)

    def built(self, css_only: bool) -> str:
        """A good build is being served: tell the tabs; return the event sent ("css" or "reload")."""
        with self._lock:
            # After a failed build the tabs show an overlay: reload them even for a CSS change.
            was_broken = bool(self.problems)
            self.generation += 1
            self.problems = []
            event = "css" if css_only and not was_broken else "reload"
            self._send(_sse(event, {"build": self.build_token}))
            return event

    def failed(self, problems: list[Problem]) -> None:
        with self._lock:
            self.problems = [{"path": p.path, "line": p.line, "message": p.message} for p in problems]
            self._send(_sse("problems", {"build": self.build_token, "problems": self.problems}))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for client in self._clients:
                client.put(None)
            self._clients.clear()

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def _send(self, message: bytes) -> None:
        for client in self._clients:
            client.put(message)


def _sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def reload_script_tag(build_token: str) -> bytes:
    """The tag injected into served HTML; the build token lets a reconnecting tab see it is stale."""
    return f'<script src="{SCRIPT_PATH}" data-build="{build_token}"></script>\n'.encode("ascii")


def inject_reload_script(html: bytes, build_token: str) -> bytes:
    """`html` with the live-reload script before its last </body> (at the end if it has none)."""
    tag = reload_script_tag(build_token)
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + tag
    at = ends[-1].start()
    return html[:at] + tag + html[at:]


# ---------------------------------------------------------------------------------------------
# Requests → files


@dataclass(frozen=True)
class Resolution:
    """What a request path maps to: a file to send, a redirect, or a refusal."""

    status: int  # 200, 301, 403 or 404
    file: Path | None = None
    location: str | None = None


def resolve_request_path(out_dir: Path, target: str, prefix: str = "") -> Resolution:
    """Map a request target (raw, percent-encoded) to a file inside `out_dir`, never outside it.

    `prefix` is the path of base_url ('' or '/health'): pages link to /health/..., so that is
    where they are served.
    """
    raw = target.split("#", 1)[0]
    raw_path, _, query = raw.partition("?")
    if too_long(raw_path):
        return Resolution(HTTPStatus.NOT_FOUND)
    if not raw_path.startswith("/") or "\\" in raw_path or "%5c" in raw_path.lower():
        return Resolution(HTTPStatus.FORBIDDEN)
    try:
        path = unquote(raw_path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return Resolution(HTTPStatus.NOT_FOUND)
    if "\x00" in path or "\\" in path or any(ord(ch) < 0x20 for ch in path):
        return Resolution(HTTPStatus.FORBIDDEN)
    segments = path.split("/")
    if any(part in (".", "..") for part in segments):
        return Resolution(HTTPStatus.FORBIDDEN)
    trailing = path.endswith("/")
    parts = [part for part in segments if part]  # `//` collapses, so no redirect can leave the host
    if prefix:
        prefix_parts = [p for p in prefix.split("/") if p]
        if parts[: len(prefix_parts)] != prefix_parts:
            if not parts:
                return Resolution(HTTPStatus.MOVED_PERMANENTLY, location=quote(prefix + "/"))
            return Resolution(HTTPStatus.NOT_FOUND)
        if parts == prefix_parts and not trailing:
            return Resolution(HTTPStatus.MOVED_PERMANENTLY, location=quote(prefix + "/") + (f"?{query}" if query else ""))
        parts = parts[len(prefix_parts) :]
    root = out_dir.resolve()
    candidate = root.joinpath(*parts) if parts else root
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):
        return Resolution(HTTPStatus.NOT_FOUND)
    if real != root and root not in real.parents:
        return Resolution(HTTPStatus.FORBIDDEN)
    try:
        if real.is_dir():
            if not trailing and parts:
                pretty = "/" + "/".join(parts) + "/"
                return Resolution(HTTPStatus.MOVED_PERMANENTLY, location=quote(prefix + pretty) + (f"?{query}" if query else ""))
            index = real / "index.html"
            return Resolution(HTTPStatus.OK, file=index) if index.is_file() else Resolution(HTTPStatus.NOT_FOUND)
        if real.is_file() and not trailing:
            return Resolution(HTTPStatus.OK, file=real)
    except OSError:  # is_dir() lets some errors through (a name too long, no permission)
        pass
    return Resolution(HTTPStatus.NOT_FOUND)


def too_long(raw_path: str) -> bool:
    """Whether a raw request path is longer than any file in the output can be named."""
    if len(raw_path) > MAX_TARGET_BYTES:
        return True
    return any(len(unquote_to_bytes(segment)) > MAX_SEGMENT_BYTES for segment in raw_path.split("/"))


def host_name(host_header: str | None) -> str | None:
    """The name in a Host header, lowercase, without port or brackets; None if it has none."""
    if not host_header:
        return None
    name = host_header.strip().lower()
    if name.startswith("["):  # [::1]:8000
        name, _, rest = name[1:].partition("]")
        if rest and not rest.startswith(":"):
            return None
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    return name.rstrip(".") or None


def is_local_or_address(name: str) -> bool:
    """Whether a Host name cannot be someone else's DNS name: a loopback name or an IP address."""
    if name in LOCAL_HOSTS or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def content_type(path: Path) -> str:
    """The Content-Type header for a file; text types carry `; charset=utf-8`."""
    suffix = path.suffix.lower()
    if suffix in _TEXT_TYPES:
        return f"{_TEXT_TYPES[suffix]}; charset=utf-8"
    if suffix in _BINARY_TYPES:
        return _BINARY_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed and guessed.startswith("text/"):
        return f"{guessed}; charset=utf-8"
    return guessed or "application/octet-stream"


# ---------------------------------------------------------------------------------------------
# The server


class DevServer:
    """The preview server: start(), then run_forever() (or rebuild() by hand), then stop()."""

    def __init__(self, options: ServeOptions, on_event: EventCallback | None = None):
        if options.build.out_dir is None:
            options = replace(options, build=replace(options.build, out_dir=options.build.site_dir / PREVIEW_DIR))
        self.options = options
        self.site_dir = options.build.site_dir
        self.out_dir = options.build.output.absolute()
        self.on_event = on_event or (lambda event: None)
        self.hub = _Hub(secrets.token_hex(4))
        self.last_result: BuildResult | None = None  # the last good build, kept for callers
        self.prefix = ""
        self._changes: queue.Queue = queue.Queue()
        self._watchers = _Watchers(self.site_dir, self.out_dir, self._changes, self._emit)
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._building = False
        self._httpd: _PreviewHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self.url = ""
        bound = [] if options.host in ("", "0.0.0.0", "::") else [options.host.strip("[]").lower()]
        self._allowed_hosts = frozenset(bound + [name.strip().lower().rstrip(".") for name in options.allowed_hosts])
        self._refused_hosts: set[str] = set()

    def allows_host(self, host_header: str | None) -> bool:
        """Whether to answer a request with this Host header (see LOCAL_HOSTS: DNS rebinding)."""
        name = host_name(host_header)
        if name is not None and (name in self._allowed_hosts or is_local_or_address(name)):
            return True
        shown = _for_terminal(name or "", 80)
        if len(self._refused_hosts) < 20 and shown not in self._refused_hosts:  # once a name, and not for ever
            self._refused_hosts.add(shown)
            self._emit(ServeEvent("warning", f"已拒绝 Host 为\u201c{shown}\u201d的请求\uff1b如需用这个名字访问预览\uff0c请加上 --allowed-host {shown or '名字'}"))
        return False

    # -- lifecycle --

    def start(self) -> None:
        """Bind the port, build the site once, then serve and watch in background threads."""
        try:
            check_output_folder(self.out_dir, self.site_dir)
        except SiteError as error:
            raise ServeError("; ".join(str(p) for p in error.problems)) from None
        host, port = self.options.host, self.options.port
        try:
            self._httpd = _PreviewHTTPServer((host, port), self)
        except OSError as exc:
            raise ServeError(f"无法在 {host}:{port} 上监听：{exc.strerror or exc}；换一个 --port 试试") from None
        bound_port = self._httpd.server_address[1]
        self.url = f"http://{_url_host(host)}:{bound_port}"
        # Watch before the first build, so an edit made while it runs is not missed.
        self._watchers.start()
        self.rebuild(())
        self._watchers.wait_ready(timeout=5)
        self._http_thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="sitegen-http", daemon=True)
        self._http_thread.start()
        page_url = f"{self.url}{self.prefix}/"
        self._emit(ServeEvent("ready", f"预览地址：{page_url}  \uff08按 Ctrl-C 停止\uff09", url=page_url))

    def run_forever(self) -> None:
        """Rebuild on every batch of changes until stop() is called (or Ctrl-C in the caller)."""
        while not self._stopping.is_set():
            try:
                batch = self._changes.get(timeout=0.25)
            except queue.Empty:
                continue
            changes = set(batch)
            deadline = time.monotonic() + GATHER_SECONDS
            while (remaining := deadline - time.monotonic()) > 0:
                try:
                    changes |= self._changes.get(timeout=remaining)
                except queue.Empty:
                    break
            if self._stopping.is_set():
                break
            self._watchers.refresh()
            if changes:
                self.rebuild(changes)

    def stop(self) -> None:
        """Stop watching and serving: open event streams end, the port is released."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._watchers.stop()
        self.hub.close()
        if self._httpd is None:
            return  # never listened (port taken): nothing was running to report as stopped
        if self._http_thread is not None and self._http_thread.ident is not None:
            self._httpd.shutdown()  # waits for serve_forever(): for ever if that never started
            self._http_thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd = None
        self._emit(ServeEvent("stopped", "预览已停止。"))

    # -- building --

    def rebuild(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> bool:
        """Run the build pipeline once and tell the tabs; return whether it succeeded."""
        changes = list(changes)
        described = describe_changes(changes, self.site_dir)
        if changes and not described:
            return not self.hub.problems  # only temporary files came and went: nothing to rebuild
        css_only = is_css_only(described)
        started = time.perf_counter()
        with self._idle:
            self._building = True
        # After the first build, a small edit is patched in and the page reloads before Pagefind
        # indexes the site again (seconds on a big site), instead of after.
        options = replace(self.options.build, search_index_now=self.last_result is None)
        try:
            result = build(options)
        except SiteError as error:
            return self._failed(described, list(error.problems), time.perf_counter() - started)
        except KeyboardInterrupt:
            _tidy_interrupted_output(self.out_dir)
            raise
        except Exception as exc:  # a bug in a stage must not take the preview down with it
            return self._failed(described, [_unexpected_problem(exc)], time.perf_counter() - started)
        finally:
            with self._idle:
                self._building = False
                self._idle.notify_all()
        seconds = time.perf_counter() - started
        self.last_result = result
        self.prefix = self._base_path()
        sent = self.hub.built(css_only)
        if not changes:
            message = f"已生成 {result.out_dir}\uff1a{result.articles} 篇文章，{result.pages} 个页面\uff08{result.written} 个写入\uff09，用时 {seconds:.2f} 秒"
        else:
            note = "已更新样式表" if sent == "css" else "已刷新页面"
            message = f"{_summary(described, self.site_dir)} → 已重新生成 {result.pages} 个页面\uff08{result.written} 个写入\uff09，用时 {seconds:.2f} 秒；{note}"
        self._emit(ServeEvent("built", message, problems=tuple(result.warnings), changes=described, css_only=sent == "css", seconds=seconds))
        if result.search_pending:
            self._refresh_search_index()
        return True

    def _refresh_search_index(self) -> None:
        started = time.perf_counter()
        try:
            result = self.last_result
            docs, words = (result.search_docs, result.search_words) if result is not None else ((), ())
            refresh_search_index(self.out_dir, self.options.build.site_dir, docs, words)
        except SiteError as error:
            self._emit(ServeEvent("warning", f"搜索索引未能更新\uff1a{error.problems[0].message}", problems=tuple(error.problems)))
            return
        except OSError as exc:
            self._emit(ServeEvent("warning", f"搜索索引未能更新\uff1a{exc.strerror or exc}"))
            return
        self._emit(ServeEvent("indexed", f"搜索索引已更新\uff0c用时 {time.perf_counter() - started:.2f} 秒"))

    def _failed(self, described: tuple[str, ...], problems: list[Problem], seconds: float) -> bool:
        self.hub.failed(problems)
        kept = "继续提供上一次成功生成的网站" if self.last_result is not None else "还没有成功生成过网站"
        self._emit(
            ServeEvent(
                "failed",
                f"{_summary(described, self.site_dir) if described else '首次生成'} → 生成失败：{len(problems)} 个问题，用时 {seconds:.2f} 秒；{kept}，改好后会自动重新生成",
                problems=tuple(problems),
                changes=described,
                seconds=seconds,
            )
        )
        return False

    def _base_path(self) -> str:
        try:
            return base_path(load_config(self.site_dir, self.options.build.base_url))
        except Exception:  # the build just read the same file; keep the last prefix if that changed
            return self.prefix

    @property
    def building(self) -> bool:
        return self._building

    def wait_while_building(self, timeout: float) -> None:
        """Block until no rebuild is running (a page may be missing while the output is swapped)."""
        with self._idle:
            self._idle.wait_for(lambda: not self._building, timeout=timeout)

    def _emit(self, event: ServeEvent) -> None:
        try:
            self.on_event(event)
        except Exception:  # a failing printer must not stop the server
            pass


def serve(options: ServeOptions, on_event: EventCallback | None = None) -> None:
    """Build, serve and watch the site until Ctrl-C (or SIGTERM); raise ServeError if it cannot start."""
    server = DevServer(options, on_event)
    # SIGTERM (an IDE's stop button, a process manager) ends the preview as cleanly as Ctrl-C.
    previous_term = _set_signal(signal.SIGTERM, _interrupter())
    try:
        try:
            server.start()
            if options.open_browser:
                webbrowser.open(f"{server.url}{server.prefix}/")
            server.run_forever()
        except KeyboardInterrupt:
            pass
        finally:
            # A second Ctrl-C or SIGTERM while shutting down would only leave a traceback behind.
            previous_int = _set_signal(signal.SIGINT, signal.SIG_IGN)
            _set_signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                server.stop()
            finally:
                _set_signal(signal.SIGINT, previous_int)
    except KeyboardInterrupt:  # one that came between two of the lines above
        pass
    finally:
        _set_signal(signal.SIGTERM, previous_term)


def _interrupter() -> Callable[[int, object], None]:
    """A SIGTERM handler that stops serve like Ctrl-C, and is harmless in a forked build worker."""
    owner = os.getpid()

    def interrupt(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            # A worker forked by a build, caught before it reset its handlers: it ends as SIGTERM
            # ends any process, instead of printing a KeyboardInterrupt traceback.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    return interrupt


def _set_signal(signum: int, handler):
    """Install a signal handler and return the old one; a no-op (None) outside the main thread."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signum, handler)


def _tidy_interrupted_output(out_dir: Path) -> None:
    """After Ctrl-C in a build: put back an output that was moved aside, then drop staging folders."""
    if not out_dir.exists():
        retired = sorted(out_dir.parent.glob(f"{RETIRED_MARK}{out_dir.name}-*"), key=lambda p: p.stat().st_mtime)
        if retired:
            os.rename(retired[-1], out_dir)
    remove_leftovers(out_dir)


def _unexpected_problem(exc: Exception) -> Problem:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"\uff08位于 {Path(frames[-1].filename).name}:{frames[-1].lineno}\uff09" if frames else ""
    return Problem("sitegen", None, f"生成时出现意外错误 {type(exc).__name__}: {exc}{where}；这是 sitegen 的缺陷，请报告")


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class _PreviewHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a stuck browser connection must not keep the process alive

    def __init__(self, address: tuple[str, int], preview: DevServer):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.preview = preview
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # The default prints a traceback; a closed browser tab is normal, anything else is news.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        # The message may hold the request's path: shortened and escaped, never 64 KB of it.
        self.preview._emit(ServeEvent("warning", f"处理请求时出错\uff1a{type(exc).__name__}: {_for_terminal(str(exc))}"))


def _for_terminal(text: str, limit: int = 200) -> str:
    """`text` safe to print: control characters and escape sequences shown escaped, `limit` at most."""
    text = printable(text)
    return text if len(text) <= limit else text[:limit] + "\u2026"


# For a site without 404.html, or never built: still HTML, so the reload script and overlay work.
_NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>404 页面不存在</title></head>
<body><h1>404 页面不存在</h1></body></html>
""".encode()


class _Handler(BaseHTTPRequestHandler):
    server: _PreviewHTTPServer
    server_version = "sitegen-serve"

    def setup(self) -> None:
        # StreamRequestHandler sets this on the socket: a client that sends or reads nothing for
        # so long is dropped (a read or write raises TimeoutError and the thread ends).
        self.timeout = self.server.preview.options.idle_timeout  # type: ignore[misc]  # per connection, as setup() reads it; typeshed calls it a ClassVar
        super().setup()

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args) -> None:
        pass  # the library never prints; requests are not worth a line each

    def _respond(self, send_body: bool) -> None:
        preview = self.server.preview
        if not preview.allows_host(self.headers.get("Host")):
            message = "403 禁止访问\uff1a预览只回应本机名字\uff08localhost\uff09和 IP 地址\uff1b其他名字请用 --allowed-host 加上\n"
            self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", message.encode("utf-8"), send_body)
            return
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            self._events(send_body)
            return
        if path == SCRIPT_PATH:
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_JS.encode("utf-8"), send_body)
            return
        # Read the token before the file: the page is then never older than the build it names.
        token = preview.hub.build_token
        resolution = resolve_request_path(preview.out_dir, self.path, preview.prefix)
        if resolution.status == HTTPStatus.NOT_FOUND and preview.building and not too_long(path):
            # The output folder is swapped by two renames; a request in between waits for the build.
            preview.wait_while_building(MISSING_FILE_WAIT_SECONDS)
            token = preview.hub.build_token
            resolution = resolve_request_path(preview.out_dir, self.path, preview.prefix)
        if resolution.status == HTTPStatus.MOVED_PERMANENTLY:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", resolution.location or "/")
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            return
        if resolution.status == HTTPStatus.FORBIDDEN:
            self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", "403 禁止访问\n".encode(), send_body)
            return
        body: bytes | None = None
        if resolution.file is not None:
            status, kind = HTTPStatus.OK, content_type(resolution.file)
            try:
                # Pages are small and get the reload script; every other file is streamed.
                opened = resolution.file.open("rb")
            except OSError:
                opened = None
            if opened is not None:
                with opened:
                    if not kind.startswith("text/html"):
                        self._send_file(kind, opened, send_body)
                        return
                    try:
                        body = opened.read()
                    except OSError:
                        body = None
        if body is None:
            status, kind = HTTPStatus.NOT_FOUND, "text/html; charset=utf-8"
            try:
                body = (preview.out_dir / "404.html").read_bytes()
            except OSError:
                body = _NOT_FOUND_PAGE
        if kind.startswith("text/html"):
            body = inject_reload_script(body, token)
        self._send(status, kind, body, send_body)

    def _send(self, status: int, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _send_file(self, kind: str, file, send_body: bool) -> None:
        """Send an open file in pieces: 16 tabs loading a 50 MB file once held 760 MB in memory."""
        size = os.fstat(file.fileno()).st_size
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body and size:
            # The socket's timeout bounds each wait to send: a client that stops reading is dropped.
            self.connection.sendfile(file, 0, size)

    def _events(self, send_body: bool) -> None:
        hub = self.server.preview.hub
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if not send_body:
            return
        client, hello = hub.subscribe()
        try:
            self.wfile.write(f"retry: {SSE_RETRY_MS}\n\n".encode("ascii") + hello)
            self.wfile.flush()
            while client is not None:
                try:
                    message = client.get(timeout=SSE_PING_SECONDS)
                except queue.Empty:
                    message = b": ping\n\n"  # finds out when the tab is gone
                if message is None:  # the server stops
                    break
                self.wfile.write(message)
                self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            pass
        finally:
            if client is not None:
                hub.unsubscribe(client)


RELOAD_JS = r"""// Live reload for `sitegen serve`. Served HTML gets this script; files in public/ never do.
(function () {
  "use strict";
  if (window.__sitegenLiveReload) return;
  window.__sitegenLiveReload = true;

  var script = document.currentScript;
  var pageBuild = script ? script.getAttribute("data-build") : null;
  var scrollKey = "sitegen:scrollY:" + location.pathname + location.search;
  var overlayId = "sitegen-error-overlay";

  restoreScroll();

  function restoreScroll() {
    var saved = null;
    try {
      saved = sessionStorage.getItem(scrollKey);
      sessionStorage.removeItem(scrollKey);
    } catch (e) {}
    if (saved === null) return;
    var y = Number(saved) || 0;
    var apply = function () { window.scrollTo(0, y); };
    apply(); // the page above this script is laid out already
    window.addEventListener("load", apply); // again once images and fonts have settled
  }

  function reload() {
    try { sessionStorage.setItem(scrollKey, String(window.scrollY)); } catch (e) {}
    location.reload();
  }

  function swapStylesheets() {
    var links = document.querySelectorAll('link[rel~="stylesheet"][href]');
    Array.prototype.forEach.call(links, function (link) {
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin) return;
      url.searchParams.set("sitegen", Date.now().toString(36));
      var fresh = link.cloneNode(false);
      fresh.href = url.href;
      // The old sheet stays until the new one has loaded, so the page never shows unstyled.
      var done = function () { if (link.parentNode) link.parentNode.removeChild(link); };
      fresh.addEventListener("load", done);
      fresh.addEventListener("error", done);
      link.parentNode.insertBefore(fresh, link.nextSibling);
    });
  }

  function hideProblems() {
    var old = document.getElementById(overlayId);
    if (old) old.parentNode.removeChild(old);
  }

  function element(tag, css, text) {
    var node = document.createElement(tag);
    if (css) node.style.cssText = css;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showProblems(problems) {
    hideProblems();
    if (!problems || !problems.length) return;
    var box = element("div",
      "position:fixed;z-index:2147483647;top:12px;left:12px;right:12px;max-height:70vh;overflow:auto;" +
      "box-sizing:border-box;padding:16px 20px;background:#fff;color:#1b1b1b;border:2px solid #c62828;" +
      "border-radius:8px;box-shadow:0 8px 30px rgba(0,0,0,.35);font:14px/1.6 system-ui,sans-serif;text-align:left");
    box.id = overlayId;
    box.setAttribute("role", "alert");
    box.appendChild(element("strong", "display:block;color:#c62828;font-size:16px;margin-bottom:6px",
      "生成失败：" + problems.length + " 个问题"));
    box.appendChild(element("p", "margin:0 0 8px;color:#555",
      "页面显示的是上一次成功生成的内容；改好文件后会自动刷新。"));
    var list = element("ol", "margin:0;padding-left:1.4em");
    problems.forEach(function (problem) {
      var item = element("li", "margin:6px 0");
      item.className = "sitegen-problem";
      var where = element("code", "font:13px/1.5 ui-monospace,monospace;background:#fbe9e7;padding:1px 4px;border-radius:3px",
        problem.path);
      where.className = "sitegen-problem-file";
      item.appendChild(where);
      if (problem.line !== null && problem.line !== undefined) {
        var line = element("span", "color:#555", " 第 " + problem.line + " 行");
        line.className = "sitegen-problem-line";
        item.appendChild(line);
      }
      var message = element("div", "white-space:pre-wrap", problem.message);
      message.className = "sitegen-problem-message";
      item.appendChild(message);
      list.appendChild(item);
    });
    box.appendChild(list);
    (document.body || document.documentElement).appendChild(box);
  }

  function listen() {
    var source = new EventSource("/__sitegen__/events");
    source.addEventListener("hello", function (event) {
      var state = JSON.parse(event.data);
      // A different build means the site changed while this tab was not listening (hidden, or
      // the server restarted): the page is stale.
      if (pageBuild !== null && state.build !== pageBuild) { reload(); return; }
      showProblems(state.problems);
    });
    source.addEventListener("reload", function () { reload(); });
    source.addEventListener("css", function (event) {
      pageBuild = JSON.parse(event.data).build;
      swapStylesheets();
    });
    source.addEventListener("problems", function (event) {
      showProblems(JSON.parse(event.data).problems);
    });
    return source;
  }

  if (!window.EventSource) return;
  // Browsers allow about six connections per host: only visible tabs hold an event stream, so
  // many open preview tabs cannot use them all up. A tab shown again catches up through "hello".
  var source = document.hidden ? null : listen();
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && source) {
      source.close();
      source = null;
    } else if (!document.hidden && !source) {
      source = listen();
    }
  });
})();
"""
