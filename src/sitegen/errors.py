"""Errors a site author can act on: each names a file, a line where known, and what to change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a site's input, printed as `file:line: message`."""

    path: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"

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
