"""Run the expensive stages on every core: forked worker processes over chunks of work.

Workers are forked, so they inherit the stage's inputs (the site model, the templates) instead of
receiving pickled copies, and only small results travel back. Where fork is not available, or
the work is small, everything runs in this process: the results are the same either way.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import pickle
import secrets
import signal
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_STATE: Any = None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def state() -> Any:
    """The shared input of the current stage, as seen from inside a worker."""
    return _STATE


def chunks(items: Sequence[Item], jobs: int, smallest: int = 64) -> list[Sequence[Item]]:
    """Split work into a few chunks per worker: small enough to balance, large enough to be cheap."""
    if not items:
        return []
    size = max(smallest, -(-len(items) // (jobs * 4)))
    return [items[start : start + size] for start in range(0, len(items), size)]


def run_chunks(
    function: Callable[[Sequence[Item]], Result],
    items: Sequence[Item],
    *,
    shared: Any,
    jobs: int,
    minimum: int = 200,
    smallest: int = 64,
    on_chunk: Callable[[int], None] | None = None,
) -> list[Result]:
    """`function(chunk)` for each chunk of `items`, in order, computed on up to `jobs` processes.

    `shared` is what `state()` returns inside `function`. `on_chunk(n)` is told how many items
    each finished chunk held, for progress bars. A worker that dies (killed, out of memory) fails
    the stage with WorkerLost instead of leaving it waiting for ever. When this returns or raises
    (Ctrl-C included), no worker is left running and no result file is left behind.
    """
    global _STATE
    parts = chunks(items, jobs, smallest)
    _STATE = shared
    try:
        if jobs <= 1 or len(items) < minimum or "fork" not in multiprocessing.get_all_start_methods():
            results = []
            for part in parts:
                results.append(function(part))
                if on_chunk:
                    on_chunk(len(part))
            return results
        return _run_forked(function, parts, jobs, on_chunk)
    finally:
        _STATE = None


class WorkerLost(RuntimeError):
    """A worker process ended without returning its chunk's result."""


def _run_forked(function, parts: list, jobs: int, on_chunk) -> list[Any]:
    # This process takes every `jobs`-th chunk itself and forks jobs - 1 workers for the rest:
    # one process fewer holds a copy of everything (memory is summed over the process tree).
    # concurrent.futures, unlike multiprocessing.Pool, notices a worker that died and says so.
    mine = set(range(0, len(parts), jobs))
    spill = f"sitegen-chunk-{os.getpid()}-{secrets.token_hex(4)}-"  # this run's result files
    executor = ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("fork"), initializer=_quiet_worker)
    finished = False
    try:
        futures = {n: executor.submit(_shipped, function, spill, part) for n, part in enumerate(parts) if n not in mine}
        results: list[Any] = [None] * len(parts)
        for number in sorted(mine):
            results[number] = function(parts[number])
            if on_chunk:
                on_chunk(len(parts[number]))
        for number, future in futures.items():
            try:
                shipped = future.result()
            except BrokenProcessPool:
                raise WorkerLost("a worker process ended before returning its result") from None
            results[number] = _received(shipped)
            if on_chunk:
                on_chunk(len(parts[number]))
        finished = True
        return results
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:  # an error or Ctrl-C: no worker outlives the stage
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)
        _remove_spilled(spill)


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group: the parent alone reports it and ends the workers,
    # which would otherwise each print a traceback. SIGTERM ends a worker plainly, whatever
    # handler the parent (serve) had installed before forking.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# A big result sent back through the pool's pipe arrives in 64 KiB pieces, and the thread that
# reads them needs the GIL for each piece while this process is busy with its own chunk: 55 MB
# took seconds (a GIL convoy). Big results go through a file instead: one write, one read.
_PIPE_LIMIT = 64 * 1024
_SHARED_MEMORY = "/dev/shm"


def _shipped(function: Callable[[Sequence[Item]], Result], spill: str, part: Sequence[Item]) -> tuple[str | None, bytes]:
    data = pickle.dumps(function(part), protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) <= _PIPE_LIMIT:
        return None, data
    handle, path = tempfile.mkstemp(prefix=spill, dir=_spill_folder())
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return path, b""


def _spill_folder() -> str | None:
    return _SHARED_MEMORY if os.access(_SHARED_MEMORY, os.W_OK) else None


def _remove_spilled(spill: str) -> None:
    """Delete result files of this run that nobody read: a stage stopped early leaves some."""
    folder = _spill_folder() or tempfile.gettempdir()
    for path in glob.glob(os.path.join(glob.escape(folder), glob.escape(spill) + "*")):
        with contextlib.suppress(OSError):
            os.unlink(path)


def _received(shipped: tuple[str | None, bytes]) -> Any:
    path, data = shipped
    if path is not None:
        try:
            with open(path, "rb") as file:
                data = file.read()
        finally:
            os.unlink(path)
    return pickle.loads(data)
