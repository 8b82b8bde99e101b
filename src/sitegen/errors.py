"""Errors a site author can act on: each names a file, a line where known, and what to change."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Control characters (an ESC starts a terminal escape sequence) and the invisible format
# characters that reorder or hide text (U+202E, U+2066-2069, U+200B): a file name or value
# holding them must not rewrite the editor's terminal or disguise what it names.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def printable(text: str) -> str:
    """`text` with control and invisible format characters shown as escapes (\\x1b, \\u202e)."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


@dataclass(frozen=True)
class Problem:
    """One problem found in a site's input, printed as `file:line: message`."""

    path: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return printable(f"{where}: {self.message}")

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.path, self.line or 0, self.message)


class SiteError(Exception):
    """The site cannot be built; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted(problems, key=lambda p: p.sort_key) if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        # Raised in worker processes too: travel back with the problems, not the joined text.
        return (SiteError, (self.problems,))


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM turned into it) stopped a build; `committed`: the new output was already
    in place, and only the cache was not saved."""

    def __init__(self, committed: bool):
        self.committed = committed
        super().__init__(committed)

    def __reduce__(self):
        return (BuildInterrupted, (self.committed,))
