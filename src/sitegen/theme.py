"""The default theme that ships inside sitegen, and a site's own files that override it file by file.

A site's `layouts/partials/footer.html` replaces only the theme's footer; every other template
and static file still comes from the theme, so the site keeps getting the theme's updates.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .content import find_source_files
from .errors import SiteError

THEME_DIR = Path(__file__).resolve().parent / "theme"
LAYOUTS_DIR = "layouts"
STATIC_DIR = "static"
# What Jinja is asked to load. Anything else in layouts/ (a README.md, an editor's backup) is
# never loaded, so it must not re-render every page when it changes either.
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt")


def layout_folders(site_dir: Path) -> list[Path]:
    """Where templates are looked up, first match wins: the site's layouts/ if it has one, then the theme's."""
    own = site_dir / LAYOUTS_DIR
    return [own, THEME_DIR / LAYOUTS_DIR] if own.is_dir() else [THEME_DIR / LAYOUTS_DIR]


def layout_templates(site_dir: Path) -> dict[str, Path]:
    """Every template the loader can use, by its name (`partials/footer.html`), from the folder that wins."""
    templates: dict[str, Path] = {}
    for folder in layout_folders(site_dir):
        for path in folder.rglob("*"):
            name = path.relative_to(folder).as_posix()
            if _is_template(name) and name not in templates and path.is_file():
                templates[name] = path
    return dict(sorted(templates.items()))


def layouts_digest(site_dir: Path) -> str:
    """A digest of every usable template with its name and the folder it comes from: any change re-renders every page."""
    digest = hashlib.blake2b(digest_size=16)
    own = site_dir / LAYOUTS_DIR
    for name, path in layout_templates(site_dir).items():
        origin = b"site" if path.is_relative_to(own) else b"theme"
        digest.update(name.encode("utf-8") + b"\0" + origin + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def static_files(site_dir: Path) -> dict[str, Path]:
    """Every file to copy into the output, by its path there: the theme's static/, overridden by the site's.

    Raises SiteError for a symlink in the site's static/ that points outside the site folder.
    """
    files: dict[str, Path] = {}
    for root, boundary in ((THEME_DIR / STATIC_DIR, THEME_DIR), (site_dir / STATIC_DIR, site_dir)):
        # Dot folders are published (.well-known/ must be); dotfiles (.DS_Store, .gitkeep) are not.
        sources, problems = find_source_files(root, boundary, lambda name, is_dir: not is_dir and name.startswith("."))
        if problems:
            raise SiteError(problems)
        files.update((source.relative_to(root).as_posix(), source) for source in sources)
    return dict(sorted(files.items()))


def _is_template(name: str) -> bool:
    return name.endswith(TEMPLATE_SUFFIXES) and not any(part.startswith(".") for part in name.split("/"))
