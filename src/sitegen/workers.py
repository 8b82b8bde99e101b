"""Run the expensive stages on every core: forked worker processes over chunks of work.

Workers are forked, so they inherit the stage's input (the site model, the templates) instead of
receiving pickled copies, and only results travel back. The input is passed to each chunk's
function as its first argument (`function(shared, chunk)`): a forked child simply still has it,
so no module keeps it. Where fork is not available, or the work is small, everything runs in
this process: the results are the same either way.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pickle
import secrets
import select
import signal
import struct
import tempfile
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Shared = TypeVar("Shared")
Result = TypeVar("Result")

_SHARED_MEMORY = "/dev/shm"
_STOPPING = {signal.SIGINT, signal.SIGTERM}
_SPILL = "sitegen-chunk-"  # result files are named <_SPILL><parent pid>-<run>-…


class WorkerLost(RuntimeError):
    """A worker process ended without returning its chunks' results."""


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def chunks(items: Sequence[Item], jobs: int, smallest: int = 64) -> list[Sequence[Item]]:
    """Split work into a few chunks per worker: small enough to balance, large enough to be cheap."""
    if not items:
        return []
    size = max(smallest, -(-len(items) // (jobs * 4)))
    return [items[start : start + size] for start in range(0, len(items), size)]


def run_chunks(
    function: Callable[[Shared, Sequence[Item]], Result],
    items: Sequence[Item],
    *,
    shared: Shared,
    jobs: int,
    minimum: int = 200,
    smallest: int = 64,
    on_chunk: Callable[[int], None] | None = None,
    hold_back: Callable[[], bool] | None = None,
) -> list[Result]:
    """`function(shared, chunk)` for each chunk of `items`, in order, on up to `jobs` processes.

    `on_chunk(n)` is told how many items each finished chunk held, for progress bars. While
    `hold_back()` is true, this process takes no chunk itself and leaves its core to something
    else that runs meanwhile (Pagefind), once it has forked the workers. A worker that dies
    (killed, out of memory) fails the stage with WorkerLost instead of leaving it waiting for
    ever. When this returns or raises (Ctrl-C included), no worker is left running and no result
    file is left behind.
    """
    parts = chunks(items, jobs, smallest)
    if jobs <= 1 or len(items) < minimum or not hasattr(os, "fork") or len(parts) < 2:
        results = []
        for part in parts:
            results.append(function(shared, part))
            if on_chunk:
                on_chunk(len(part))
        return results
    return _run_forked(function, shared, parts, min(jobs, len(parts)), on_chunk, hold_back)


def _run_forked(function, shared, parts: list, jobs: int, on_chunk, hold_back=None) -> list[Any]:
    # Every process, this one included (one process fewer holds a copy of everything: memory is
    # summed over the process tree), takes the next chunk number from a pipe whenever it is free,
    # so none sits idle while another has several chunks to go: on a shared machine one core is
    # often slower than the other. Each worker writes every result to a file and sends the
    # chunk's number and the file's name down its own pipe, so it never waits for this process.
    spill = f"{_SPILL}{os.getpid()}-{secrets.token_hex(4)}-"
    _remove_orphans()
    tasks, task_feed = os.pipe()
    # Written whole before any worker starts: fixed-size records of at most PIPE_BUF bytes that
    # are all in the pipe are read whole, one reader at a time.
    os.write(task_feed, b"".join(struct.pack(_TASK, index) for index in range(len(parts))))
    os.close(task_feed)
    workers: dict[int, tuple[int, int]] = {}  # worker number → (pid, read end of its pipe)
    results_in: _ResultPipes | None = None
    try:
        for number in range(1, jobs):
            read, write = os.pipe()
            # Ctrl-C and SIGTERM wait until the worker is on the list below, so the cleanup
            # can end every worker there is; the worker sets its own handlers before it takes them.
            signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
            try:
                pid = os.fork()
                if pid == 0:  # the worker
                    os.close(read)
                    _work(function, shared, parts, tasks, write, spill)
                workers[number] = (pid, read)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
            os.close(write)
        results: list[Any] = [None] * len(parts)
        done = [False] * len(parts)

        def take(index: int, value: Any) -> None:
            results[index], done[index] = value, True
            if on_chunk:
                on_chunk(len(parts[index]))

        results_in = _ResultPipes([read for _, read in workers.values()])  # closes them from now on
        workers = {number: (pid, -1) for number, (pid, _) in workers.items()}
        # Held back, this process still takes in the workers' results as they come (progress).
        while hold_back is not None and not all(done) and hold_back() and results_in.open:
            for index, value in results_in.read(timeout=0.05):
                take(index, value)
        while (task := _next_task(tasks)) is not None:
            take(task, function(shared, parts[task]))
        while results_in.open:
            for index, value in results_in.read(timeout=None):
                take(index, value)
        if not all(done):
            raise WorkerLost("a worker process ended before returning its result")
        return results
    finally:
        os.close(tasks)
        if results_in is not None:
            results_in.close()
        for pid, read in workers.values():
            if read != -1:
                with contextlib.suppress(OSError):
                    os.close(read)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)  # a no-op for a worker that has finished
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        _remove_spilled(spill)


_TASK = "<I"  # a chunk number in the task pipe


def _next_task(tasks: int) -> int | None:
    record = os.read(tasks, struct.calcsize(_TASK))
    return struct.unpack(_TASK, record)[0] if record else None


def _work(function, shared, parts: Sequence, tasks: int, pipe: int, spill: str) -> None:
    """A worker's whole life: compute the chunks it takes, send each result, leave without cleanup."""
    # Ctrl-C reaches the whole process group: the parent alone reports it and ends the workers,
    # which would otherwise each print a traceback. SIGTERM ends a worker plainly, whatever
    # handler the parent (serve) had installed before forking.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)
    status = 0
    try:
        while (index := _next_task(tasks)) is not None:
            try:
                outcome: tuple[str, Any] = ("result", function(shared, parts[index]))
            except Exception as exc:  # a SiteError travels back with its problems
                outcome = ("error", exc)
            handle, path = tempfile.mkstemp(prefix=spill, dir=_spill_folder())
            with os.fdopen(handle, "wb") as file:
                try:
                    pickle.dump(outcome, file, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # an exception that cannot be pickled: its words still can
                    file.seek(0)
                    file.truncate()
                    pickle.dump(("error", RuntimeError(repr(outcome[1]))), file)
            os.write(pipe, f"{index} ".encode() + path.encode("utf-8", "surrogateescape") + b"\n")
            if outcome[0] == "error":
                break  # the stage fails at this result: the rest is not needed
    except BaseException:
        status = 1
    finally:
        # Never return into the parent's code, never run its atexit handlers or flush its buffers.
        os._exit(status)


class _ResultPipes:
    """The read ends of the workers' pipes: the results of finished chunks, one line each, read
    as they come from whichever worker sends them. A pipe is closed once its worker has exited."""

    def __init__(self, reads: list[int]):
        self._pending = {read: b"" for read in reads}
        self._poll = select.poll()  # not select(): a long-running serve may hold descriptors past 1024
        for read in reads:
            self._poll.register(read, select.POLLIN)

    @property
    def open(self) -> bool:
        return bool(self._pending)

    def read(self, timeout: float | None) -> list[tuple[int, Any]]:
        """The results that arrived within `timeout` seconds (None: until a pipe has news)."""
        received = []
        for read, _ in self._poll.poll(None if timeout is None else timeout * 1000):
            data = os.read(read, 65536)
            if not data:  # the worker has exited: a line it did not finish means it was lost
                rest = self._pending.pop(read)
                self._poll.unregister(read)
                os.close(read)
                if rest:
                    _received(rest)
                continue
            lines = (self._pending[read] + data).split(b"\n")
            self._pending[read] = lines.pop()
            received += [_received(line + b"\n") for line in lines]
        return received

    def close(self) -> None:
        for read in self._pending:
            with contextlib.suppress(OSError):
                os.close(read)
        self._pending.clear()


def _received(line: bytes) -> tuple[int, Any]:
    if not line.endswith(b"\n"):
        raise WorkerLost("a worker process ended before returning its result")
    number, _, name = line[:-1].partition(b" ")
    path = name.decode("utf-8", "surrogateescape")
    try:
        with open(path, "rb") as file:
            kind, value = pickle.load(file)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    if kind == "error":
        raise value
    return int(number), value


def _spill_folder() -> str | None:
    return _SHARED_MEMORY if os.access(_SHARED_MEMORY, os.W_OK) else None


def _remove_orphans() -> None:
    """Delete result files of builds that were killed outright (kill -9, out of memory)."""
    folder = _spill_folder() or tempfile.gettempdir()
    for path in glob.glob(os.path.join(glob.escape(folder), _SPILL + "*")):
        owner = os.path.basename(path)[len(_SPILL) :].partition("-")[0]
        if not owner.isdigit():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.unlink(path)
        except OSError:
            pass  # alive, under another user


def _remove_spilled(spill: str) -> None:
    """Delete result files of this run that nobody read: a stage stopped early leaves some."""
    folder = _spill_folder() or tempfile.gettempdir()
    for path in glob.glob(os.path.join(glob.escape(folder), glob.escape(spill) + "*")):
        with contextlib.suppress(OSError):
            os.unlink(path)
