"""`sitegen` and `python -m sitegen`: the command line, with Ctrl-C answered in Chinese from the first instant."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C


def main() -> None:
    """Run the `sitegen` command; an interrupt while it is still loading exits quietly too."""
    try:
        # Imported inside the try: loading click, Jinja and the rest takes a noticeable moment,
        # and a Ctrl-C during it would otherwise print a traceback of the import machinery.
        from .cli import main as command

        command()
    except KeyboardInterrupt:
        sys.stderr.write("已中断\uff1b上一次的输出保持不变\u3002\n")
        _leave(INTERRUPTED)
    except SystemExit as done:
        if done.code == INTERRUPTED:
            _leave(INTERRUPTED)
        raise


def _leave(status: int) -> None:
    import os
    import signal

    # After an interrupt, Python's own shutdown can be interrupted again (a second Ctrl-C, a
    # half-made multiprocessing lock) and print a traceback or die by the signal. Every output
    # file was closed and every worker ended before this point, so the process leaves at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
