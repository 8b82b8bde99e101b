"""What one build leaves for the next, in `.sitegen-cache/`, so a rebuild redoes only what changed.

- each article's parsed front matter, keyed by the file's path and stat (no re-reading);
- each body's rendered HTML (in `bodies/`) and its facts, keyed by the file's content hash;
- the related lists, keyed by a digest of everything ranking reads;
- each output file's fingerprint: a digest of everything the page shows.

A cache written by another sitegen version, or one that cannot be read, is discarded with a
warning and the build starts from nothing: a cache is never trusted over a correct build.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import __version__
from .content import ArticleMeta, ArticleSource
from .markdown import RENDERER_VERSION, Heading, RenderedBody
from .related import RelatedRanking
from .slugs import SLUG_VERSION

CACHE_DIR = ".sitegen-cache"
KEY_ENVIRONMENT = "SITEGEN_CACHE_KEY"  # a file holding the signing key; default under ~/.cache
_FORMAT = 6  # bump whenever what the cache holds changes shape
# Everything whose change makes cached results wrong: the format, the renderer, the slug rules.
_VERSION = f"{__version__}/{_FORMAT}/markdown-{RENDERER_VERSION}/slugs-{SLUG_VERSION}"
_MANIFEST = "manifest.pickle"
_LAST_BUILD = "last-build.pickle"


class OutputRecord(NamedTuple):
    """An output file as the last build wrote it."""

    fingerprint: str
    size: int
    mtime_ns: int


def signing_key() -> bytes:
    """This user's key for signing cache files, kept outside every site folder.

    The cache holds pickles and rendered HTML. A cache that arrived with the site (committed, or
    in a pull request) must never be trusted: unpickling runs code, and its HTML skipped the
    sanitiser. Only files signed with this key, which never leaves the machine, are read.
    """
    location = os.environ.get(KEY_ENVIRONMENT)
    path = Path(location) if location else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sitegen" / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(key)
    os.replace(temporary, path)
    return key


def _signed(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest() + data


def _verified(key: bytes, blob: bytes) -> bytes | None:
    signature, data = blob[:32], blob[32:]
    return data if hmac.compare_digest(signature, hmac.new(key, data, hashlib.sha256).digest()) else None


class BodyStore:
    """Rendered article bodies by content hash: on disk when caching, in memory otherwise."""

    def __init__(self, folder: Path | None, key: bytes = b""):
        self.folder = folder
        self.key = key
        self._memory: dict[str, str] = {}

    @property
    def persistent(self) -> bool:
        """Whether worker processes can write to the store directly (it is on disk)."""
        return self.folder is not None

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.html"

    def put(self, key: str, html: str) -> None:
        if self.folder is None:
            self._memory[key] = html
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(_signed(self.key, html.encode("utf-8")))
        os.replace(temporary, path)

    def get(self, key: str) -> str | None:
        if self.folder is None:
            return self._memory.get(key)
        try:
            data = _verified(self.key, self._path(key).read_bytes())
            return None if data is None else data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def discard_except(self, keep: set[str], stored: set[str]) -> None:
        for key in stored - keep:
            if self.folder is None:
                self._memory.pop(key, None)
            else:
                self._path(key).unlink(missing_ok=True)


@dataclass
class BuildCache:
    """The state one build hands to the next. `folder` is None when caching is off."""

    folder: Path | None
    sources: dict[str, tuple[tuple[int, int, int, int], ArticleSource]] = field(default_factory=dict)
    facts: dict[str, RenderedBody] = field(default_factory=dict)  # bodies without their HTML
    related: RelatedRanking | None = None
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    output_dir: str | None = None
    spare_files: list[str] | None = None  # what the spare output tree holds, see output.py
    text_limit: int = 0  # how much of each body's text the facts keep (excerpts need only the start)
    slugs: dict[str, str] = field(default_factory=dict)  # name → pinyin slug, see slugs.py
    warnings: list[str] = field(default_factory=list)
    bodies: BodyStore = field(default_factory=lambda: BodyStore(None))

    @property
    def spare(self) -> Path | None:
        """Where the output tree retired by the last build waits to be reused as staging."""
        return self.folder / "spare-output" if self.folder is not None else None

    @classmethod
    def disabled(cls) -> "BuildCache":
        return cls(folder=None)

    @classmethod
    def load(cls, folder: Path, discard: bool = True) -> "BuildCache":
        """The cache in `folder`; a fresh one, with a warning, if it is missing parts or foreign.

        A foreign or unreadable cache is deleted unless `discard` is false (for readers such as
        `sitegen check`, which never write the cache).
        """
        key = signing_key()
        fresh = cls(folder=folder, bodies=BodyStore(folder / f"bodies-{_digest(_VERSION)[:8]}", key))
        manifest = folder / _MANIFEST
        if not manifest.exists():
            return fresh
        try:
            verified = _verified(key, manifest.read_bytes())
            if verified is None:
                raise _Unsigned()
            data = pickle.loads(verified)
            if not isinstance(data, dict) or data.get("version") != _VERSION:
                raise _Foreign(str(data.get("version") if isinstance(data, dict) else "?"))
            facts = {key: _unpack_facts(packed) for key, packed in data["facts"].items()}
            cache = cls(
                folder=folder,
                # Sources are kept without their body text: one whose facts are gone is read again.
                sources={p: (stat, _unpack_source(p, packed)) for p, (stat, packed) in data["sources"].items() if packed[0] in facts},
                facts=facts,
                related=data["related"],
                outputs=data["outputs"],
                output_dir=data["output_dir"],
                spare_files=data["spare_files"],
                text_limit=data["text_limit"],
                slugs=data["slugs"],
                bodies=fresh.bodies,
            )
            cache._stored = set(data["stored"])
            return cache
        except _Unsigned:
            fresh.warnings.append("构建缓存不是本机这次安装写下的(签名不符)，已丢弃并完整重建")
        except _Foreign as exc:
            fresh.warnings.append(f"构建缓存来自其他版本的 sitegen({exc})，已丢弃并完整重建")
        except Exception as exc:  # truncated or corrupt: any failure to read means start over
            fresh.warnings.append(f"构建缓存无法读取({type(exc).__name__})，已丢弃并完整重建")
        if discard:
            shutil.rmtree(folder, ignore_errors=True)
        return fresh

    def save(self) -> None:
        """Write the manifest atomically and drop bodies no article uses any more."""
        if self.folder is None:
            return
        used = {source.content_hash for _, source in self.sources.values()}
        self.facts = {key: facts for key, facts in self.facts.items() if key in used}
        self.bodies.discard_except(used, getattr(self, "_stored", set()))
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "version": _VERSION,
            "sources": {path: (stat, _pack_source(source)) for path, (stat, source) in self.sources.items()},
            "facts": {key: _pack_facts(facts) for key, facts in self.facts.items()},
            "related": self.related,
            "outputs": self.outputs,
            "output_dir": self.output_dir,
            "spare_files": self.spare_files,
            "text_limit": self.text_limit,
            "slugs": self.slugs,
            "stored": sorted(used),
        }
        temporary = self.folder / f".{_MANIFEST}.{os.getpid()}"
        temporary.write_bytes(_signed(self.bodies.key, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)))
        os.replace(temporary, self.folder / _MANIFEST)
        self._stored = used


def last_build(folder: Path) -> tuple[str, Any] | None:
    """The inputs signature and summary of the last successful build, read without the manifest."""
    try:
        data = _verified(signing_key(), (folder / _LAST_BUILD).read_bytes())
        if data is None:
            return None
        version, signature, summary = pickle.loads(data)
    except Exception:  # missing, truncated, unsigned or foreign: simply no shortcut
        return None
    return (signature, summary) if version == _VERSION else None


def remember_build(folder: Path, signature: str, summary: Any) -> None:
    """Record what the build just finished was made from, for `last_build()`."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{_LAST_BUILD}.{os.getpid()}"
    data = pickle.dumps((_VERSION, signature, summary), protocol=pickle.HIGHEST_PROTOCOL)
    temporary.write_bytes(_signed(signing_key(), data))
    os.replace(temporary, folder / _LAST_BUILD)


def forget_build(folder: Path) -> None:
    (folder / _LAST_BUILD).unlink(missing_ok=True)


# The cache stores sources and facts as plain tuples: pickling 100,000 dataclass instances costs
# seconds, tuples of strings and numbers a fraction of that.


def _pack_source(source: ArticleSource) -> tuple:
    meta = source.front_matter
    return (source.content_hash, source.slug, tuple(getattr(meta, f) for f in ArticleMeta.__slots__), source.body_line, source.params)


def _unpack_source(path: str, packed: tuple) -> ArticleSource:
    content_hash, slug, meta, body_line, params = packed
    return ArticleSource(path, slug, ArticleMeta(*meta), "", body_line, params, content_hash)


def _pack_facts(facts: RenderedBody) -> tuple:
    return (facts.text, tuple(tuple(h) for h in facts.headings), facts.links, facts.images, facts.characters, facts.sketch)


def _unpack_facts(packed: tuple) -> RenderedBody:
    text, headings, links, images, characters, sketch = packed
    return RenderedBody("", text, tuple(Heading(*h) for h in headings), links, images, characters, sketch)


class _Foreign(Exception):
    pass


class _Unsigned(Exception):
    pass


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
