"""Stage 6: write the site into a staging folder beside the output, and move it in when complete.

A failed or interrupted build leaves the previous output as it was. Two ways to get there:

- `StagedOutput` stages the whole site and swaps the folders. Files whose bytes did not change
  are hard links to the previous output's files, so their modification times stay and a deploy
  uploads only what changed. Deleting a whole output tree is slow on some disks (ext4 mounted
  with `discard`: about 10 s for 13,000 pages), so the tree a swap retires is kept as a spare
  and becomes the next build's staging folder: only the files that changed are replaced in it.
- `PatchedOutput` stages only the files that changed and, once every page has rendered, moves
  each into the output by an atomic rename. Carrying 100,000 unchanged pages over into a new
  tree costs seconds; when one article changed, a handful of renames is all the work.

Builds of one site take turns (`build_lock`), and each staging or retired folder has an owner: a
lock file beside it that its build holds, so a leftover is removed only when no live build owns it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import threading
import time
import uuid
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import Problem, SiteError

STAGING_MARK = ".sitegen-staging-"
RETIRED_MARK = ".sitegen-retired-"
OWNER_MARK = ".sitegen-owner-"  # the lock file of a build's staging and retired folders
STOP_ENVIRONMENT = "SITEGEN_STOP_AT"


def stop_if_asked(stage: str) -> None:
    """A test hook: end the process at once, as kill -9 would, where SITEGEN_STOP_AT names `stage`."""
    if os.environ.get(STOP_ENVIRONMENT) == stage:
        os._exit(137)


def _lock_file(path: Path, create_new: bool = False) -> int | None:
    """An exclusive flock on `path`, or None if another process holds it.

    The file must still be at `path` once locked: a process that removes a dead build's lock
    file may unlink it between our open and our flock, and a lock on an unlinked file guards nothing.
    """
    flags = os.O_RDWR | os.O_CREAT | (os.O_EXCL if create_new else 0)
    while True:
        descriptor = os.open(path, flags, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)
        if create_new:
            raise FileExistsError(errno.EEXIST, "lock file was replaced", str(path))


@contextlib.contextmanager
def build_lock(path: Path, wait: float, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the build lock at `path` for the block, waiting at most `wait` seconds for another build.

    flock ends with the process that holds it, so a killed build never leaves the lock taken.
    """
    try:
        path.parent.mkdir(exist_ok=True)
        descriptor = _lock_file(path)
    except OSError:
        # No site folder (the build reports that itself) or a read-only one, which no build can
        # change: building without the lock is what sitegen did before it had one.
        yield
        return
    if descriptor is None:
        if on_wait is not None:
            on_wait()
        deadline = time.monotonic() + wait
        while descriptor is None:
            if time.monotonic() > deadline:
                minutes = f"{wait / 60:.0f} \u5206\u949f" if wait >= 60 else f"{wait:.0f} \u79d2"
                raise SiteError(
                    Problem(str(path), None, f"另一个构建正在进行\uff0c等了 {minutes}仍未结束\uff1b请等它完成后重试\uff0c或确认没有其他 sitegen 进程在运行")
                )
            time.sleep(0.1)
            descriptor = _lock_file(path)
    try:
        yield
    finally:
        os.close(descriptor)


class _Owner:
    """The lock file that marks a build's staging and retired folders as in use, held until released."""

    def __init__(self, out_dir: Path):
        while True:
            self.tag = uuid.uuid4().hex[:8]
            self.path = out_dir.parent / f"{OWNER_MARK}{out_dir.name}-{self.tag}"
            try:
                self._descriptor = _lock_file(self.path, create_new=True)
            except FileExistsError:
                continue
            except OSError as exc:
                raise write_error(str(self.path), exc) from None
            if self._descriptor is not None:
                return

    def release(self) -> None:
        if self._descriptor is None:
            return
        # Unlinked before it is unlocked: whoever locks it later finds a dead owner's file.
        self.path.unlink(missing_ok=True)
        os.close(self._descriptor)
        self._descriptor = None


class OutputFile(Protocol):
    """What the last build recorded of a file it wrote (cache.OutputRecord)."""

    @property
    def size(self) -> int: ...

    @property
    def mtime_ns(self) -> int: ...

    @property
    def inode(self) -> int: ...


def _is_recorded(found: os.stat_result, record: OutputFile) -> bool:
    return found.st_size == record.size and found.st_mtime_ns == record.mtime_ns and found.st_ino == record.inode


@dataclass
class WriteStats:
    written: int = 0  # files whose bytes are new or changed
    unchanged: int = 0


def check_output_folder(out_dir: Path, site_dir: Path) -> None:
    """Refuse an output folder that would overwrite the site's own sources, or someone's files."""
    out, site = out_dir.resolve(), site_dir.resolve()
    protected = [site / name for name in ("content", "layouts", "static")]
    if out == site or out in site.parents or any(out == p or p in out.parents for p in protected):
        raise SiteError(Problem(str(out_dir), None, "输出目录不能是站点目录本身、它的上级，或 content/、layouts/、static/ 之内"))
    if out.exists() and not out.is_dir():
        raise SiteError(Problem(str(out_dir), None, "输出目录的位置上已有一个文件；请换一个输出目录或删除该文件"))
    # A build replaces the whole folder: `--out ~/Documents` must not delete someone's documents.
    try:
        foreign = out.is_dir() and any(out.iterdir()) and not any((out / name).exists() for name in _OUTPUT_SIGNS)
    except OSError as exc:
        raise SiteError(Problem(str(out_dir), None, f"无法读取输出目录：{exc.strerror or exc}")) from None
    if foreign:
        raise SiteError(
            Problem(str(out_dir), None, "输出目录不是空的，也不像生成过的网站\uff08没有 index.html 或 sitemap.xml\uff09；为免删除其中的文件，请换一个目录或先清空它")
        )


_OUTPUT_SIGNS = ("index.html", "sitemap.xml", "404.html")


def write_error(path: str, exc: OSError) -> SiteError:
    """The one-line error for a file that could not be written: a full disk says so."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SiteError(Problem(path, None, "磁盘已满，无法写入此文件；请腾出磁盘空间后重新生成，上一次的输出保持不变"))
    return SiteError(Problem(path, None, f"无法写入此文件：{exc.strerror or exc}"))


class StagedOutput:
    """A staging folder beside the output that replaces it on `commit()`, and is removed otherwise.

    `spare` is where a previous build kept its retired tree (None: no spare, start empty and
    delete the retired tree). Nothing is assumed of what the spare holds: `remove_others` lists it
    (a list kept in the cache goes stale when a build is killed after its swap, and misses files
    put into the output by hand). Use it as a context manager. Worker processes forked while it
    is open may write into it too.
    """

    def __init__(self, out_dir: Path, spare: Path | None = None):
        self.out_dir = out_dir.absolute()
        try:
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(str(self.out_dir.parent), exc) from None
        remove_leftovers(self.out_dir)
        self.spare = spare
        self._owner = _Owner(self.out_dir)
        self.folder = self.out_dir.parent / f"{STAGING_MARK}{self.out_dir.name}-{self._owner.tag}"
        self._reused = False
        try:
            if spare is not None and spare.is_dir() and _same_device(spare, self.out_dir.parent):
                os.rename(spare, self.folder)
                self._reused = True
            else:
                if spare is not None and spare.exists():
                    shutil.rmtree(spare, ignore_errors=True)
                self.folder.mkdir()
        except OSError as exc:
            self._owner.release()
            raise write_error(str(self.folder), exc) from None
        self._made: set[str] = set()
        self._committed = False

    def __enter__(self) -> StagedOutput:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if not self._committed and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self._owner.release()

    def _target(self, relative: str) -> Path:
        # The path's words are checked here and each folder once in _make_folders: resolving
        # every path would cost a second per 10,000 pages.
        target = safe_join(self.folder, relative, check_links=False)
        parent = os.path.dirname(relative)
        if parent and parent not in self._made:
            self._make_folders(parent)
        return target

    def _make_folders(self, parent: str) -> None:
        # A reused spare tree is a former output, and someone may have put a symlink in it
        # (`public/yibao -> ../content/yibao`): see _real_folders.
        _real_folders(self.folder, parent, self._made)

    def write(self, relative: str, content: bytes) -> bool:
        """Write one file; identical bytes are linked from the previous output, keeping its mtime.

        Returns whether the bytes differ from the previous output's. An OSError (a full disk)
        becomes a SiteError naming the file.
        """
        try:
            return self._write(relative, content)
        except OSError as exc:
            raise write_error(f"{self.out_dir.name}/{relative}", exc) from None

    def _write(self, relative: str, content: bytes) -> bool:
        target, old = self._target(relative), self.out_dir / relative
        try:
            same = old.is_file() and old.stat().st_size == len(content) and old.read_bytes() == content
        except OSError:
            same = False
        if same and self._link(old, target):
            return False
        _clear(target)
        # A new file, never an overwrite: the file there may be a hard link into the live output.
        target.write_bytes(content)
        return not same

    def keep(self, relative: str, record: OutputFile | None = None) -> bool:
        """Carry a file over from the previous output unchanged; False if it is not there.

        With the `record` the last build kept of it, only the very file it wrote, with the size and
        time it had, is carried over: one that someone edited or replaced in the output is not trusted. Called for every unchanged page, so
        it works on strings, not Path objects (100,000 pages: 1 s instead of 7).
        """
        old = f"{self.out_dir}/{relative}"
        try:
            old_stat = os.stat(old)
        except OSError:
            return False
        if record is not None and not _is_recorded(old_stat, record):
            return False
        _refuse_unsafe(relative)
        parent = relative.rpartition("/")[0]
        if parent and parent not in self._made:
            self._make_folders(parent)
        target = f"{self.folder}/{relative}"
        try:
            here = os.lstat(target)
            if here.st_ino == old_stat.st_ino and here.st_dev == old_stat.st_dev:
                return True  # the spare tree holds this very file already
        except FileNotFoundError:
            pass
        return self._link(Path(old), Path(target), old_stat)

    def _link(self, old: Path, target: Path, old_stat: os.stat_result | None = None) -> bool:
        try:
            old_stat = old_stat or old.stat()
        except OSError:
            return False
        try:
            here = target.lstat()
            if here.st_ino == old_stat.st_ino and here.st_dev == old_stat.st_dev:
                return True  # the spare tree holds this very file already
        except FileNotFoundError:
            pass
        _clear(target)
        try:
            os.link(old, target)
        except OSError:
            try:
                shutil.copy2(old, target)  # another file system, or links not allowed
            except OSError:
                return False
        return True

    def staged_path(self, relative: str) -> Path:
        return self.folder / relative

    def replace_folder(self, relative: str, retire_to: Path | None = None) -> Path:
        """An empty folder to fill now that is the output's `relative` folder once committed.

        What a reused tree holds there is moved to `retire_to` when given, else deleted."""
        target = self.folder / relative
        if not (retire_to is not None and target.is_dir() and not target.is_symlink() and retire_folder(target, retire_to)):
            _clear(target) if target.is_symlink() or target.is_file() else shutil.rmtree(target, ignore_errors=True)
        return target

    def copy_static(self, files: dict[str, Path], taken: set[str]) -> WriteStats:
        return copy_static(self, files, taken)

    def remove_others(self, keep: set[str], protected_dirs: tuple[str, ...] = ()) -> None:
        """Delete what a reused spare tree holds beyond `keep` (files under `protected_dirs` stay).

        The tree is listed without following links, so a link someone put there is removed as a
        link, never walked into; folders left empty go too.
        """
        if not self._reused:
            return
        files, folders = _listing(str(self.folder))
        for relative in sorted(set(files) - keep):
            if not relative.startswith(protected_dirs):
                _clear(self.folder / relative)
        needed = {parent for relative in keep for parent in _parents(relative)}
        for relative in sorted(set(folders) - needed, reverse=True):  # the deepest first
            if not relative.startswith(protected_dirs) and not (relative + "/").startswith(protected_dirs):
                with contextlib.suppress(OSError):
                    os.rmdir(self.folder / relative)

    def commit(self, expected: Iterable[str] = ("index.html",)) -> None:
        """Replace the output folder with the staged one; keep the old one as the next spare.

        The staged tree must hold every file in `expected` (what the build recorded): a tree that
        lost some, say to a process that deleted the folder, is refused and the output stays.
        """
        _refuse_incomplete(self.out_dir, [relative for relative in expected if not os.path.lexists(f"{self.folder}/{relative}")])
        retired = self.out_dir.parent / f"{RETIRED_MARK}{self.out_dir.name}-{self._owner.tag}"
        swapped = False
        try:
            if self.out_dir.exists():
                os.rename(self.out_dir, retired)
            stop_if_asked("swap")
            os.rename(self.folder, self.out_dir)
            swapped = True
        except OSError as exc:
            raise SiteError(Problem(str(self.out_dir), None, f"无法用新生成的网站替换输出目录：{exc.strerror or exc}")) from None
        finally:
            if not swapped and retired.exists() and not self.out_dir.exists():
                os.rename(retired, self.out_dir)
        self._committed = True
        if not retired.exists():
            return
        if self.spare is not None:
            try:
                self.spare.parent.mkdir(parents=True, exist_ok=True)
                os.rename(retired, self.spare)
                return
            except OSError:
                pass  # the cache is on another file system: no spare this time
        shutil.rmtree(retired, ignore_errors=True)


class PatchedOutput:
    """Changed files staged beside the output, renamed into it on `commit()`; removed otherwise.

    For builds that change a few pages of an existing output this build's cache describes
    (`previous`: the files it holds). Same interface as StagedOutput. Every page
    is rendered before the output is touched, so a bad template or article leaves it as it was;
    the renames of `commit()` run with Ctrl-C held back until they are done.
    """

    def __init__(self, out_dir: Path, previous: set[str]):
        self.out_dir = out_dir.absolute()
        remove_leftovers(self.out_dir)
        self._owner = _Owner(self.out_dir)
        self.folder = self.out_dir.parent / f"{STAGING_MARK}{self.out_dir.name}-{self._owner.tag}"
        try:
            self.folder.mkdir()
        except OSError as exc:
            self._owner.release()
            raise write_error(str(self.folder), exc) from None
        self._previous = previous
        self._real_folders: dict[str, bool] = {"": True}  # folder → a real folder, no link on the way
        self._listings: dict[str, dict[str, bool]] = {}
        self._removed: list[str] = []
        self._swaps: list[tuple[str, Path, Path | None]] = []  # (output folder, the folder that replaces it, where the old goes)
        self._committed = False

    def __enter__(self) -> PatchedOutput:
        return self

    def __exit__(self, kind, error, trace) -> None:
        for folder in (self.folder, *(fresh for _, fresh, _ in self._swaps)):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
        self._owner.release()

    def keep(self, relative: str, record: OutputFile | None = None) -> bool:
        """Whether the output still holds this very file as the last build wrote it (then it stays)."""
        try:
            old_stat = os.stat(f"{self.out_dir}/{relative}")
        except OSError:
            return False
        if record is not None and not _is_recorded(old_stat, record):
            return False
        # A file reached through a link someone put in the output is not in the output: commit()
        # replaces such a link by a real folder, so everything under it must be staged.
        return self._in_real_folders(relative.rpartition("/")[0])

    def _in_real_folders(self, parent: str) -> bool:
        real = self._real_folders.get(parent)
        if real is None:
            up, _, name = parent.rpartition("/")
            if not self._in_real_folders(up):
                real = False
            elif "/" not in up:
                # The output's top folders (a topic, tags/) hold a folder per page: one listing
                # (os.scandir knows links from it) instead of an lstat for each of 100,000 pages.
                real = self._listing(up).get(name, False)
            else:
                try:
                    real = stat.S_ISDIR(os.lstat(f"{self.out_dir}/{parent}").st_mode)
                except OSError:
                    real = False
            self._real_folders[parent] = real
        return real

    def _listing(self, folder: str) -> dict[str, bool]:
        """Each entry of an output folder, and whether it is a real folder."""
        listing = self._listings.get(folder)
        if listing is None:
            try:
                with os.scandir(f"{self.out_dir}/{folder}" if folder else self.out_dir) as entries:
                    listing = {entry.name: entry.is_dir(follow_symlinks=False) for entry in entries}
            except OSError:
                listing = {}
            self._listings[folder] = listing
        return listing

    def write(self, relative: str, content: bytes) -> bool:
        """Stage one file unless the output holds these very bytes; returns whether they differ."""
        _refuse_unsafe(relative)
        old = f"{self.out_dir}/{relative}"
        try:
            found = os.lstat(old)
            if stat.S_ISREG(found.st_mode) and found.st_size == len(content) and self._in_real_folders(relative.rpartition("/")[0]):
                with open(old, "rb") as handle:
                    if handle.read() == content:
                        return False
        except OSError:
            pass
        target = self.folder / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        except OSError as exc:
            raise write_error(f"{self.out_dir.name}/{relative}", exc) from None
        return True

    def staged_path(self, relative: str) -> Path:
        """Where the file is now: staged if this build wrote it, else in the output."""
        for folder, fresh, _ in self._swaps:
            if relative.startswith(folder + "/"):
                return fresh / relative[len(folder) + 1 :]
        staged = self.folder / relative
        return staged if staged.exists() else self.out_dir / relative

    def replace_folder(self, relative: str, retire_to: Path | None = None) -> Path:
        """An empty folder to fill now that takes the place of the output's `relative` folder on
        commit, with two renames: Pagefind's index of 10,000 files is not renamed file by file.
        The folder it replaces is moved to `retire_to` when given, else deleted.

        It is beside the output, named as this build's staging folder with a suffix that no
        staging folder has, so a build stopped before it is swapped in leaves it for
        remove_leftovers (its tag names no live build)."""
        fresh = self.folder.with_name(f"{self.folder.name}x{len(self._swaps)}")
        shutil.rmtree(fresh, ignore_errors=True)
        self._swaps.append((relative, fresh, retire_to))
        return fresh

    def copy_static(self, files: dict[str, Path], taken: set[str]) -> WriteStats:
        return copy_static(self, files, taken)

    def remove_others(self, keep: set[str], protected_dirs: tuple[str, ...] = ()) -> None:
        """Remove, on commit, the files the last build wrote that this one does not."""
        self._removed = sorted(p for p in set(self._previous) - keep if not p.startswith(protected_dirs))

    def commit(self, expected: Container[str] = ("index.html",)) -> None:
        """Rename every staged file into the output and delete the removed ones.

        If the staging folder is gone, or `index.html` is neither staged nor in the output,
        nothing is renamed. The other files in `expected` were either staged or found in the
        output by `keep()` moments ago: checking each again would cost a rebuild of 100,000 pages
        half a second.
        """
        # Worker processes staged files too: the folder, not this process's memory, says which.
        if not self.folder.is_dir():
            _refuse_incomplete(self.out_dir, ["index.html"])
        files, _ = _listing(str(self.folder))
        staged = sorted(files)
        if "index.html" in expected and "index.html" not in staged and not (self.out_dir / "index.html").exists():
            _refuse_incomplete(self.out_dir, ["index.html"])
        with _interrupts_held():
            try:
                checked: set[str] = set()
                for number, relative in enumerate(staged):
                    if number == len(staged) // 2:
                        stop_if_asked("swap")
                    _real_folders(self.out_dir, relative.rpartition("/")[0], checked)
                    os.replace(self.folder / relative, self.out_dir / relative)
                if not staged:
                    stop_if_asked("swap")
                root = os.path.realpath(self.out_dir)
                for relative in self._removed:
                    path = self.out_dir / relative
                    parent = os.path.realpath(path.parent)
                    if parent != root and not parent.startswith(root + os.sep):
                        continue  # under a symlink someone put in the output: not ours to delete
                    _clear(path)
                    _remove_empty_parents(path.parent, self.out_dir)
                for relative, fresh, retire_to in self._swaps:
                    if fresh.is_dir():  # else nothing was written into it: the output's stays
                        swap_folder(fresh, self.out_dir / relative, retire_to)
            except OSError as exc:
                # Every file is whole, old or new; the cache still describes the old ones, so the
                # next build renders whatever differs from it.
                raise write_error(str(self.out_dir), exc) from None
        self._committed = True


def swap_folder(fresh: Path, target: Path, retire_to: Path | None = None) -> None:
    """Put `fresh` where `target` is: the old one renamed aside, the new one in, the old deleted,
    or moved to `retire_to` for a later build to delete where it has time to spare."""
    retired = fresh.with_name(fresh.name + "old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        os.rename(target, retired)
    os.rename(fresh, target)
    if retire_to is not None and retired.exists() and retire_folder(retired, retire_to):
        return
    shutil.rmtree(retired, ignore_errors=True)


def move_folder(source: Path, target: Path) -> None:
    """Rename `source` to `target`, or copy it there and delete it when they are on two file
    systems (an output on another disk than the cache)."""
    try:
        os.rename(source, target)
    except OSError:
        shutil.copytree(source, target)
        shutil.rmtree(source, ignore_errors=True)


def retire_folder(folder: Path, slot: Path) -> bool:
    """Move `folder` to `slot` (emptied first) instead of deleting it now; False where it cannot
    go there (another file system), and then it is left where it is."""
    shutil.rmtree(slot, ignore_errors=True)  # one the last build had no time to delete
    try:
        slot.parent.mkdir(parents=True, exist_ok=True)
        os.rename(folder, slot)
    except OSError:
        return False
    return True


def _real_folders(root: Path, parent: str, checked: set[str]) -> None:
    """Make every folder on the way to `root/parent` a real folder, never a link out of the tree.

    Each folder is checked once (`checked` remembers), and anything but a real folder (a symlink,
    a file) is replaced by one, so no write can pass through a link. Worker processes may be
    making the same folders at the same time.
    """
    missing = []
    while parent and parent not in checked:
        missing.append(parent)
        parent = os.path.dirname(parent)
    for folder in reversed(missing):
        full = os.path.join(root, folder)
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISDIR(mode):
            with contextlib.suppress(FileNotFoundError):  # a worker process may be here too
                os.unlink(full)
            mode = None
        if mode is None:
            try:
                os.mkdir(full)
            except FileExistsError:
                if os.path.islink(full) or not os.path.isdir(full):
                    raise
        checked.add(folder)


@contextlib.contextmanager
def _interrupts_held():
    """Hold Ctrl-C (SIGINT) back until the block is done; only the main thread can do so."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple] = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(*received[0])


def copy_static(output: StagedOutput | PatchedOutput, files: dict[str, Path], taken: set[str]) -> WriteStats:
    """Copy the static files (theme.static_files) as they are; one that would replace a generated page is an error."""
    stats = WriteStats()
    for relative, source in files.items():
        if relative in taken:
            raise SiteError(Problem(f"static/{relative}", None, f"与生成的页面 {relative} 同名；请改名或删除其一"))
        taken.add(relative)
        try:
            content = source.read_bytes()
        except OSError as exc:
            raise SiteError(Problem(f"static/{relative}", None, f"无法读取文件：{exc.strerror or exc}")) from None
        if output.write(relative, content):
            stats.written += 1
        else:
            stats.unchanged += 1
    return stats


def remove_leftovers(out_dir: Path) -> None:
    """Delete the staging and retired folders beside `out_dir` that no live build owns.

    A build stopped between the two renames of a swap left no output but a retired one: that
    one is put back first, so the previous site is never lost. A folder whose owner's lock file
    is held belongs to a build still running (another site's, or one that did not take the
    site's build lock) and is left alone.
    """
    parent = out_dir.parent
    owners: dict[str, tuple[bool, int | None]] = {}  # tag → (a live build holds it, our lock on it)

    def dead(tag: str) -> bool:
        if tag not in owners:
            owners[tag] = _owner_state(parent / f"{OWNER_MARK}{out_dir.name}-{tag}")
        return not owners[tag][0]

    try:
        found = {mark: _leftovers(parent, mark, out_dir.name) for mark in (STAGING_MARK, RETIRED_MARK, OWNER_MARK)}
        if not out_dir.exists():
            retired = [path for path, tag in found[RETIRED_MARK] if dead(tag)]
            if retired:
                os.rename(max(retired, key=lambda path: path.stat().st_mtime), out_dir)
        for mark in (STAGING_MARK, RETIRED_MARK):
            for path, tag in found[mark]:
                if dead(tag) and path.exists():
                    shutil.rmtree(path, ignore_errors=True)
        for path, tag in found[OWNER_MARK]:
            if dead(tag):
                path.unlink(missing_ok=True)
    finally:
        for _, descriptor in owners.values():
            if descriptor is not None:
                os.close(descriptor)


def _owner_state(path: Path) -> tuple[bool, int | None]:
    """Whether a live build holds this owner file, and if not, our lock on it (None: no file)."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False, None  # an older sitegen's folder, or its owner was done: nobody's
    except OSError:
        return True, None  # cannot tell: leave the folder alone
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return True, None
    return False, descriptor


def _leftovers(parent: Path, mark: str, name: str) -> list[tuple[Path, str]]:
    """Entries named `<mark><name>-<tag>`, with their tags; `public-preview`'s are not `public`'s."""
    prefix = f"{mark}{name}-"
    try:
        entries = os.listdir(parent)
    except OSError:
        return []
    return [(parent / entry, entry[len(prefix) :]) for entry in entries if entry.startswith(prefix) and "-" not in entry[len(prefix) :]]


def _refuse_incomplete(out_dir: Path, missing: list[str]) -> None:
    if missing:
        pages_first = sorted(missing, key=lambda path: (not path.endswith(".html"), path))  # what a reader would miss
        shown = "\u3001".join(pages_first[:3]) + (" \u7b49" if len(missing) > 3 else "")
        raise SiteError(
            Problem(str(out_dir), None, f"新生成的网站不完整\uff08缺少 {shown}\uff0c共 {len(missing)} 个文件\uff09\uff0c没有替换输出目录\uff1b请确认没有其他程序在改动它旁边的文件夹后重新生成")
        )


def _listing(root: str) -> tuple[list[str], list[str]]:
    """Every file (links included, never followed) and every folder under `root`, as relative paths."""
    files: list[str] = []
    folders: list[str] = []
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(f"{root}/{relative}" if relative else root) as entries:
            for entry in entries:
                path = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    folders.append(path)
                    pending.append(path)
                else:
                    files.append(path)
    return files, folders


def _parents(relative: str) -> Iterator[str]:
    parent = relative.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]


def _unsafe(relative: str) -> bool:
    """Whether a relative output path could leave its folder: .., absolute, drive, NUL, backslash."""
    parts = relative.split("/")
    return (
        not relative
        or relative.startswith(("/", "\\"))
        or "\\" in relative
        or "\x00" in relative
        or ":" in parts[0]
        or any(part in ("", ".", "..") for part in parts)
    )


def _refuse_unsafe(relative: str) -> None:
    if _unsafe(relative):
        raise SiteError(Problem(relative, None, "输出路径不安全\uff08含 ..、绝对路径或非法字符\uff09，已拒绝写入"))


def safe_join(root: Path, relative: str, check_links: bool = True) -> Path:
    """`root / relative`, refusing any path that would land outside `root`."""
    _refuse_unsafe(relative)
    target = root / relative
    if check_links and root.resolve() not in target.resolve().parents:
        raise SiteError(Problem(relative, None, "输出路径落在输出目录之外，已拒绝写入"))
    return target


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _same_device(first: Path, second: Path) -> bool:
    try:
        return first.stat().st_dev == second.stat().st_dev
    except OSError:
        return False
