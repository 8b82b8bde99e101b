"""`sitegen` and `python -m sitegen`: the command line, with Ctrl-C answered in Chinese from the first instant."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C


def main() -> None:
    """Run the `sitegen` command; an interrupt while it is still loading exits quietly too."""
    import gc

    # A command runs for seconds and makes next to no reference cycles: the cycle collector would
    # only walk the heap (a build pauses it anyway, and on resuming it walked everything the build
    # made: 0.2 s after a 30,000-article edit). `sitegen serve`, which runs for hours, turns it on.
    gc.disable()
    try:
        # Imported inside the try: loading click, Jinja and the rest takes a noticeable moment,
        # and a Ctrl-C during it would otherwise print a traceback of the import machinery.
        from .cli import main as command

        command()
    except KeyboardInterrupt:
        sys.stderr.write("已中断\uff1b上一次的输出保持不变\u3002\n")
        _leave(INTERRUPTED)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            _leave(done.code or 0)
        raise  # a message: Python prints it


def _leave(status: int) -> None:
    import os
    import signal

    # Every output file was closed and every worker ended before this point, so the process
    # leaves at once: Python's own shutdown would free the whole site model object by object
    # (0.3 s after a 30,000-article edit), and after an interrupt it can be interrupted again (a
    # second Ctrl-C, a half-made multiprocessing lock) and print a traceback or die by the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
