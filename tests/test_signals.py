"""Ctrl-C and SIGTERM at any moment of a build: one Chinese line, no traceback, no hang, nothing left behind."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO
from sitegen import workers
from sitegen.errors import Problem, SiteError

sys.path.insert(0, str(REPO / "benchmarks"))
from make_corpus import make_corpus


def _spilled() -> set[str]:
    return set(glob.glob("/dev/shm/sitegen-chunk-*")) | set(glob.glob("/tmp/sitegen-chunk-*"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    # Enough articles that bodies and pages go to forked workers (run_chunks' minimum).
    return make_corpus(400, tmp_path_factory.mktemp("signals") / "site")


def _sitegen(site: Path, *arguments: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(site), "--no-search", "--jobs", "2", *arguments]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment_stops_the_build_cleanly(corpus: Path, signum: int) -> None:
    first = _sitegen(corpus, "--no-cache")
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    before = _tree(corpus / "public")
    spilled = _spilled()
    interrupted = 0
    # From just after start to late in the build: every stage gets its turn at being interrupted.
    for delay in (0.05, 0.3, 0.6, 0.9, 1.2, 1.6, 2.2):
        process = _sitegen(corpus, "--no-cache")
        time.sleep(delay)
        # The whole process group, as a terminal's Ctrl-C or a CI runner's timeout does it.
        os.killpg(process.pid, signum)
        try:
            _, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the build hung after the signal at {delay} s")
        if process.returncode in (1, -signal.SIGINT, -signal.SIGTERM) and ", in main" not in stderr:
            continue  # the signal came while Python itself was starting, before sitegen's code ran
        assert "Traceback" not in stderr, stderr
        if process.returncode == 0:
            continue  # it finished before the signal came
        assert process.returncode == 130, (delay, process.returncode, stderr)
        interrupted += 1
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "已中断" in lines[0], stderr
        assert _tree(corpus / "public") == before, f"the output changed after an interrupted build ({delay} s)"
        # Only this build's files: other builds on the machine may have theirs in /dev/shm right now.
        assert not {p for p in _spilled() - spilled if f"sitegen-chunk-{process.pid}-" in p}, "result files left in /dev/shm"
        leftovers = [p.name for p in corpus.iterdir() if p.name.startswith(".sitegen-staging-")]
        assert leftovers == [], leftovers
    assert interrupted, "no build was stopped by the signal: was it ignored?"


def test_a_build_started_in_the_background_by_a_script_leaves_ctrl_c_to_the_script(corpus: Path) -> None:
    # `sitegen build &` in a shell script: the shell ignores SIGINT for it, so that a Ctrl-C
    # meant for the script does not stop the build; sitegen keeps it ignored. SIGTERM still stops it.
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(corpus), "--no-search", "--jobs", "2", "--no-cache"]
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the shell does; kept through exec
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    for delay in (0.3, 0.6, 0.6):  # while loading, then in the middle of the build
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "已中断" not in stderr


def _exit_in_worker(parent, part):
    if os.getpid() != parent:
        os._exit(3)  # a worker killed by the OOM killer looks like this to its parent
    time.sleep(0.05)  # leaves the worker chunks to take
    return len(part)


def test_a_worker_that_dies_fails_the_stage_instead_of_hanging() -> None:
    started = time.monotonic()
    with pytest.raises(workers.WorkerLost):
        list(workers.run_chunks(_exit_in_worker, list(range(1000)), shared=os.getpid(), jobs=2, minimum=1, smallest=10))
    assert time.monotonic() - started < 30


_chunks_here = []  # chunks this process computed (a forked worker counts in its own copy)


def _big_result_or_error(parent, part):
    if os.getpid() == parent:
        _chunks_here.append(part[0])
        if len(_chunks_here) == 2:
            time.sleep(0.5)
            raise ValueError("stop")  # this process fails late, after the workers spilled their results
    else:
        time.sleep(0.05)  # slower than this process: it always gets its second chunk
    return b"x" * (200 * 1024)  # over the pipe limit: travels through a file


def test_a_stage_that_fails_leaves_no_result_files() -> None:
    before = _spilled()
    with pytest.raises(ValueError):
        workers.run_chunks(_big_result_or_error, list(range(400)), shared=os.getpid(), jobs=2, minimum=1, smallest=10)
    assert len(_chunks_here) == 2
    assert not {p for p in _spilled() - before if f"sitegen-chunk-{os.getpid()}-" in p}


def _as_list(shared, part):
    return list(part)


def test_results_come_back_in_order_and_complete() -> None:
    parts = list(workers.run_chunks(_as_list, list(range(5000)), shared=None, jobs=2, minimum=1, smallest=7))
    assert [n for part in parts for n in part] == list(range(5000))


def _fail_in_worker(parent, part):
    if os.getpid() != parent:
        raise SiteError(Problem("content/x.md", 3, "坏的文章"))
    time.sleep(0.05)  # leaves the worker chunks to take
    return len(part)


def test_an_error_in_a_worker_reaches_the_stage_with_its_problems() -> None:
    with pytest.raises(SiteError) as raised:
        workers.run_chunks(_fail_in_worker, list(range(400)), shared=os.getpid(), jobs=2, minimum=1, smallest=10)
    assert [(p.path, p.line, p.message) for p in raised.value.problems] == [("content/x.md", 3, "坏的文章")]


def _call_shared(shared, part):
    return [shared(n) for n in part]


def test_the_shared_input_reaches_workers_without_being_pickled() -> None:
    offset = 7
    shared = lambda n: n + offset  # noqa: E731 (a lambda cannot be pickled: only fork can hand it over)
    parts = workers.run_chunks(_call_shared, list(range(1000)), shared=shared, jobs=2, minimum=1, smallest=10)
    assert [n for part in parts for n in part] == [n + 7 for n in range(1000)]


def test_result_files_of_a_killed_build_are_removed_by_the_next_one(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that no longer runs, as a build killed with kill -9 leaves
    folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
    orphan = Path(folder) / f"sitegen-chunk-{dead.pid}-00000000-leftover"
    orphan.write_bytes(b"x")
    workers.run_chunks(_as_list, list(range(100)), shared=None, jobs=2, minimum=1, smallest=10)
    assert not orphan.exists()


def _slow_in_parent(parent, part):
    if os.getpid() == parent:
        time.sleep(0.05)  # one core busy with something else: the other takes more chunks
    return [(os.getpid(), item * 2) for item in part]


def test_free_workers_take_the_chunks_a_busy_one_has_not_started() -> None:
    results = workers.run_chunks(_slow_in_parent, list(range(400)), shared=os.getpid(), jobs=2, minimum=1, smallest=10)
    pairs = [pair for chunk in results for pair in chunk]
    assert [value for _, value in pairs] == [item * 2 for item in range(400)]  # in order, whoever made them
    by_parent = sum(1 for pid, _ in pairs if pid == os.getpid())
    assert by_parent < 200  # a fixed half each would have kept the worker idle


def _pid_and_double(parent, part):
    time.sleep(0.002 * len(part))  # 0.1 s a chunk of 50: the worker alone would take 0.8 s
    return [(os.getpid(), item * 2) for item in part]


def test_held_back_this_process_takes_chunks_only_once_free() -> None:
    # While Pagefind runs beside the pages stage, the stage leaves it this process's core.
    seen: list[int] = []
    free_after = time.monotonic() + 0.3
    results = workers.run_chunks(
        _pid_and_double, list(range(400)), shared=os.getpid(), jobs=2, minimum=1, smallest=10,
        on_chunk=seen.append, hold_back=lambda: time.monotonic() < free_after,
    )  # fmt: skip
    pairs = [pair for chunk in results for pair in chunk]
    assert [value for _, value in pairs] == [item * 2 for item in range(400)]
    assert sum(seen) == 400  # progress told of every chunk, the worker's as they came
    by_parent = [pid for pid, _ in pairs if pid == os.getpid()]
    assert 0 < len(by_parent) < 200  # it joined in once free, later than the worker
    held = workers.run_chunks(_pid_and_double, list(range(400)), shared=os.getpid(), jobs=2, minimum=1, smallest=10, hold_back=lambda: True)
    assert all(pid != os.getpid() for chunk in held for pid, _ in chunk)  # held back throughout: the worker did it all


def test_a_worker_that_dies_while_this_process_is_held_back_fails_the_stage() -> None:
    with pytest.raises(workers.WorkerLost):
        workers.run_chunks(_exit_in_worker, list(range(1000)), shared=os.getpid(), jobs=2, minimum=1, smallest=10, hold_back=lambda: True)


def test_ctrl_c_inside_the_sanitisers_attribute_filter_is_not_lost(monkeypatch, capsys) -> None:
    # nh3 calls the filter from Rust and hands what it raises to sys.unraisablehook, then goes
    # on: a Ctrl-C landing there, even on the filter's first instruction (where a try inside it
    # cannot catch it), once left `sitegen serve` running after it (a fresh-clone test run).
    import sys

    import nh3
    import pytest

    from sitegen import markdown

    def interrupted(element: str, attribute: str, value: str):
        raise KeyboardInterrupt  # as a signal handler raises it: at the first instruction

    monkeypatch.setattr(markdown, "_cleaner", lambda: nh3.Cleaner(attribute_filter=interrupted))
    with pytest.raises(KeyboardInterrupt):
        markdown.sanitize_html('<p><a href="https://example.cn/">链接</a></p>')
    assert "Exception ignored" not in capsys.readouterr().err

    shown = []  # any other exception of the filter (a bug) is still shown, not held

    def broken(element: str, attribute: str, value: str):
        raise ValueError("a bug")

    monkeypatch.setattr(sys, "unraisablehook", shown.append)
    monkeypatch.setattr(markdown, "_cleaner", lambda: nh3.Cleaner(attribute_filter=broken))
    markdown.sanitize_html('<a href="https://example.cn/">链接</a>')
    assert shown and isinstance(shown[0].exc_value, ValueError)
    assert sys.unraisablehook == shown.append  # put back as it was
    monkeypatch.undo()
    assert markdown.sanitize_html('<a href="https://example.cn/">链接</a>') == '<a href="https://example.cn/">链接</a>'
