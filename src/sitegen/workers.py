"""Run the expensive stages on every core: forked worker processes over chunks of work.

Workers are forked, so they inherit the stage's inputs (the site model, the templates) instead of
receiving pickled copies, and only small results travel back. Where fork is not available, or
the work is small, everything runs in this process: the results are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from functools import partial
from typing import Any, Callable, Iterator, Sequence, TypeVar

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
) -> Iterator[Result]:
    """Yield `function(chunk)` for each chunk of `items`, in order, on up to `jobs` processes.

    `shared` is what `state()` returns inside `function`. `on_chunk(n)` is told how many items
    each finished chunk held, for progress bars.
    """
    global _STATE
    parts = chunks(items, jobs, smallest)
    _STATE = shared
    try:
        if jobs <= 1 or len(items) < minimum or "fork" not in multiprocessing.get_all_start_methods():
            for part in parts:
                result = function(part)
                if on_chunk:
                    on_chunk(len(part))
                yield result
            return
        # This process takes every `jobs`-th chunk itself and forks jobs - 1 workers for the rest:
        # one process fewer holds a copy of everything (memory is summed over the process tree).
        mine = set(range(0, len(parts), jobs))
        with multiprocessing.get_context("fork").Pool(jobs - 1) as pool:
            shipped = pool.imap(partial(_shipped, function), [part for n, part in enumerate(parts) if n not in mine])
            theirs = map(_received, shipped)
            done: dict[int, Result] = {}
            for number in sorted(mine):
                done[number] = function(parts[number])
                if on_chunk:
                    on_chunk(len(parts[number]))
            for number, part in enumerate(parts):
                if number in mine:
                    yield done.pop(number)
                    continue
                result = next(theirs)
                if on_chunk:
                    on_chunk(len(part))
                yield result
    finally:
        _STATE = None


# A big result sent back through the pool's pipe arrives in 64 KiB pieces, and the thread that
# reads them needs the GIL for each piece while this process is busy with its own chunk: 55 MB
# took seconds (a GIL convoy). Big results go through a file instead: one write, one read.
_PIPE_LIMIT = 64 * 1024
_SHARED_MEMORY = "/dev/shm"


def _shipped(function: Callable[[Sequence[Item]], Result], part: Sequence[Item]) -> tuple[str | None, bytes]:
    data = pickle.dumps(function(part), protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) <= _PIPE_LIMIT:
        return None, data
    folder = _SHARED_MEMORY if os.access(_SHARED_MEMORY, os.W_OK) else None
    handle, path = tempfile.mkstemp(prefix="sitegen-chunk-", dir=folder)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return path, b""


def _received(shipped: tuple[str | None, bytes]) -> Any:
    path, data = shipped
    if path is not None:
        try:
            with open(path, "rb") as file:
                data = file.read()
        finally:
            os.unlink(path)
    return pickle.loads(data)
