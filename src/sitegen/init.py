"""`sitegen init`: start a new site that builds at once with the packaged default theme.

The files it writes live in `starter/` beside this module, as a site author will read them; only
`{{ today }}` (the example article's date) and `{{ version }}` (the sitegen to install on Netlify)
are filled in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import __version__
from .errors import Problem, SiteError

STARTER_DIR = Path(__file__).resolve().parent / "starter"
# A dotfile would be easy to lose from the package data, so the starter keeps it without its dot.
_RENAMED = {"gitignore": ".gitignore"}


def init_site(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write a new site into `folder` (created if missing) and return the files written.

    Raises SiteError when `folder` is a file or already holds anything: nothing is overwritten.
    """
    if folder.exists() and not folder.is_dir():
        raise SiteError(Problem(folder.as_posix(), None, "已存在同名文件\uff0c不是文件夹\uff1b请换一个名字"))
    if folder.is_dir() and any(folder.iterdir()):
        raise SiteError(Problem(folder.as_posix(), None, "文件夹不是空的\uff0c未写入任何文件\uff1b请换一个新文件夹\uff0c或先清空它"))
    values = {"today": (today or dt.date.today()).isoformat(), "version": __version__}
    written = []
    for source, relative in starter_files().items():
        text = source.read_text(encoding="utf-8")
        for name, value in values.items():
            text = text.replace("{{ " + name + " }}", value)
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8", newline="\n") as file:  # "x": never overwrite
            file.write(text)
        written.append(target)
    return written


def starter_files() -> dict[Path, str]:
    """Each file of the starter site, with the path it gets in a new site."""
    files = {}
    for source in sorted(p for p in STARTER_DIR.rglob("*") if p.is_file()):
        relative = source.relative_to(STARTER_DIR).as_posix()
        files[source] = _RENAMED.get(relative, relative)
    return files
