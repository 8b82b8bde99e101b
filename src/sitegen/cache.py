"""What one build leaves for the next, in `.sitegen-cache/`, so a rebuild redoes only what changed.

- each article's parsed front matter and its body's facts (excerpt, links, sketch), keyed by the
  file's path and stat (no re-reading), in 32 shards by path: a build rewrites only the shards
  whose articles changed;
- each body's rendered HTML and headings (in `bodies-*/`), keyed by the file's content hash;
- the related lists, with what ranking read to make them;
- each output file's fingerprint: a digest of everything the page shows.

A cache written by another sitegen version, or one that cannot be read, is discarded with a
warning and the build starts from nothing: a cache is never trusted over a correct build.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import zlib
import secrets
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import jinja2.bccache

from . import __version__
from .content import ArticleMeta, ArticleSource
from .markdown import RENDERER_VERSION, BodyPage, Heading, RenderedBody
from .related import RelatedRanking
from .slugs import SLUG_VERSION

CACHE_DIR = ".sitegen-cache"
KEY_ENVIRONMENT = "SITEGEN_CACHE_KEY"  # a file holding the signing key; default under ~/.cache
_FORMAT = 11  # bump whenever what the cache holds changes shape
# Everything whose change makes cached results wrong: the format, the renderer, the slug rules.
_VERSION = f"{__version__}/{_FORMAT}/markdown-{RENDERER_VERSION}/slugs-{SLUG_VERSION}"
_MANIFEST = "manifest.pickle"  # written last; the rest is in the files below
_SHARDS = "articles"  # per-article entries, by path
_OUTPUTS = "outputs"  # per-output-file records, by path
_SHARD_COUNT = 32  # files per kind of entry: fewer cost big sites on a rewrite, more cost small sites on a read
_RELATED = "related.pickle"
_UNRECORDED = "unrecorded"  # in the body store: bodies were written that the manifest may not list
_SPARE = "spare-files.pickle"
_LAST_BUILD = "last-build.pickle"


class OutputRecord(NamedTuple):
    """An output file as the last build wrote it."""

    fingerprint: str
    size: int
    mtime_ns: int
    inode: int  # a copy with the same size and time is still not the file this build wrote


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


class SignedTemplateCache(jinja2.BytecodeCache):
    """Compiled layouts, so an edit does not compile every template again (about 60 ms).

    Jinja's own file cache would load whatever bytecode it finds; like every cache file here,
    these are signed with this user's key and ignored when the signature fails.
    """

    def __init__(self, folder: Path, key: bytes):
        self.folder = folder
        self.key = key

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        return self.folder / f"{bucket.key}.bytecode"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = _verified(self.key, self._path(bucket).read_bytes())
        except OSError:
            return
        if data is not None:
            bucket.bytecode_from_string(data)  # checks the template's checksum itself

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path = self._path(bucket)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace_signed(self.key, path, bucket.bytecode_to_string())
        except OSError:
            pass  # the next build compiles the template again


class BodyStore:
    """What each article's own page shows of its body (HTML and headings), by content hash: on
    disk when caching, in memory otherwise."""

    def __init__(self, folder: Path | None, key: bytes = b""):
        self.folder = folder
        self.key = key
        self._memory: dict[str, BodyPage] = {}
        self._folders: set[str] = set()  # made already, by this process
        # Bodies no manifest lists, from a build that failed or was stopped: swept on the next save.
        self._left_unrecorded = folder is not None and (folder / _UNRECORDED).exists()

    @property
    def persistent(self) -> bool:
        """Whether worker processes can write to the store directly (it is on disk)."""
        return self.folder is not None

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[:2] / f"{key}.html"

    def put(self, key: str, page: BodyPage) -> None:
        if self.folder is None:
            self._memory[key] = page
            return
        folder = f"{self.folder}/{key[:2]}"
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            if not self._folders:
                # Until the cache records these bodies, the store holds files no manifest lists.
                (self.folder / _UNRECORDED).touch()
            self._folders.add(folder)
        # One line of JSON headings, then the HTML: no pickle, so nothing in it can run code.
        headings = json.dumps([list(h) for h in page.headings], ensure_ascii=False)
        # Written in place, without a temporary file and a rename (a third of the cost of 10,000
        # bodies): a file cut short by a crash fails its signature and is rendered again.
        with open(f"{folder}/{key}.html", "wb") as file:
            file.write(_signed(self.key, f"{headings}\n{page.html}".encode("utf-8")))

    def get(self, key: str) -> BodyPage | None:
        if self.folder is None:
            return self._memory.get(key)
        try:
            data = _verified(self.key, self._path(key).read_bytes())
            if data is None:
                return None
            headings, _, html = data.decode("utf-8").partition("\n")
            return BodyPage(html, tuple(Heading(int(level), anchor, text) for level, anchor, text in json.loads(headings)))
        except (OSError, ValueError, TypeError):
            return None

    def discard_except(self, keep: set[str], stored: set[str]) -> None:
        """Delete the bodies in `stored` that are not in `keep`, and any a failed build left."""
        if self.folder is None:
            for key in stored - keep:
                self._memory.pop(key, None)
            return
        if self._left_unrecorded:  # an earlier build wrote bodies and never saved the cache
            stored = {name[:-5] for folder in self._subfolders() for name in os.listdir(folder) if name.endswith(".html")}
            self._left_unrecorded = False
        for key in stored - keep:
            self._path(key).unlink(missing_ok=True)
        (self.folder / _UNRECORDED).unlink(missing_ok=True)

    def _subfolders(self) -> list[str]:
        assert self.folder is not None
        try:
            return [entry.path for entry in os.scandir(self.folder) if entry.is_dir(follow_symlinks=False)]
        except OSError:
            return []


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
    excerpt_length: int = 0  # the length of the excerpts in `facts`
    slugs: dict[str, str] = field(default_factory=dict)  # name → pinyin slug, see slugs.py
    warnings: list[str] = field(default_factory=list)
    bodies: BodyStore = field(default_factory=lambda: BodyStore(None))
    _articles: "_Shards" = field(default_factory=lambda: _Shards("articles"), repr=False)  # as last read or written
    _stored: set[str] = field(default_factory=set, repr=False)  # bodies the store holds for the articles
    _outputs: "_Shards" = field(default_factory=lambda: _Shards("outputs"), repr=False)
    _saved: dict[str, Any] = field(default_factory=dict, repr=False)  # whole parts, as last read or written

    @property
    def spare(self) -> Path | None:
        """Where the output tree retired by the last build waits to be reused as staging."""
        return self.folder / "spare-output" if self.folder is not None else None

    def forget_articles(self) -> None:
        """Drop every article's cached front matter and facts: they are read and rendered again."""
        self.sources, self.facts, self._articles = {}, {}, _Shards("articles")

    @property
    def templates(self) -> SignedTemplateCache | None:
        """Where compiled layouts are kept, signed like every other cache file."""
        if self.folder is None:
            return None
        return SignedTemplateCache(self.folder / f"templates-{_digest(_VERSION, jinja2.__version__)[:8]}", self.bodies.key)

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
            data = _read_signed(key, manifest)
            cache = cls(
                folder=folder,
                output_dir=data["output_dir"],
                excerpt_length=data["excerpt_length"],
                slugs=data["slugs"],
                bodies=fresh.bodies,
            )
            cache.related = cache._saved["related"] = _read_signed(key, folder / _RELATED)["related"]
            cache.spare_files = cache._saved["spare_files"] = _read_signed(key, folder / _SPARE)["spare_files"]
            cache._outputs.read(key, folder / _OUTPUTS)
            cache.outputs = dict(cache._outputs.entries)
            cache._articles.read(key, folder / _SHARDS)
            for path, (stat, packed_source, packed_facts) in cache._articles.entries.items():
                if packed_facts is None:
                    continue  # never rendered (a draft): sources carry no body, so it is read again
                source = _unpack_source(path, packed_source)
                cache.sources[path] = (stat, source)
                cache.facts[source.content_hash] = _unpack_facts(packed_facts)
            cache._stored = set(cache.facts)
            return cache
        except _Unsigned:
            fresh.warnings.append("构建缓存不是本机这次安装写下的\uff08签名不符\uff09，已丢弃并完整重建")
        except _Foreign as exc:
            fresh.warnings.append(f"构建缓存来自其他版本的 sitegen\uff08{exc}\uff09，已丢弃并完整重建")
        except Exception as exc:  # truncated or corrupt: any failure to read means start over
            fresh.warnings.append(f"构建缓存无法读取\uff08{type(exc).__name__}\uff09，已丢弃并完整重建")
        if discard:
            shutil.rmtree(folder, ignore_errors=True)
        return fresh

    def save(self) -> None:
        """Write what changed, each file atomically, and drop bodies no article uses any more.

        The manifest is written last. A build stopped before it leaves parts that may be newer
        than others, which is harmless: each stage checks what it reuses against its inputs (every
        article entry carries its file's stat, every output record its file's stat, the related
        ranking what it was ranked from).
        """
        if self.folder is None:
            return
        key = self.bodies.key
        used = {source.content_hash for _, source in self.sources.values()}
        self.facts = {hash_: facts for hash_, facts in self.facts.items() if hash_ in used}
        self.bodies.discard_except(used, self._stored)
        # Only the entries that changed are packed again, and only their shards written: the
        # stat (and whether the body was rendered) tells an article entry that is still right.
        for path, (stat, source) in self.sources.items():
            old = self._articles.entries.get(path)
            rendered = source.content_hash in self.facts
            if old is None or old[0] != stat or old[1][0] != source.content_hash or (old[2] is not None) != rendered:
                facts = _pack_facts(self.facts[source.content_hash]) if rendered else None
                self._articles.put(path, (stat, _pack_source(source), facts))
        self._articles.keep_only(self.sources.keys())
        for path, record in self.outputs.items():
            if self._outputs.entries.get(path) != record:
                self._outputs.put(path, record)
        self._outputs.keep_only(self.outputs.keys())
        self._articles.write(key, self.folder / _SHARDS)
        self._outputs.write(key, self.folder / _OUTPUTS)
        # Whole parts that most builds leave alone: written only when the build made new ones.
        for name, path, value in (("related", _RELATED, self.related), ("spare_files", _SPARE, self.spare_files)):
            if name not in self._saved or self._saved[name] is not value:
                _write_signed(key, self.folder / path, {name: value})
                self._saved[name] = value
        manifest = {"output_dir": self.output_dir, "excerpt_length": self.excerpt_length, "slugs": self.slugs}
        _write_signed(key, self.folder / _MANIFEST, manifest)
        self._stored = used


def _shard_of(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % _SHARD_COUNT


class _Shards:
    """Entries by path, kept in _SHARD_COUNT signed files by a hash of the path.

    Remembers which shards an entry was put into or removed from since the last write, and
    writes only those; a shard set that was never read from disk is written whole.
    """

    def __init__(self, name: str):
        self.name = name
        self.entries: dict[str, Any] = {}
        self._shards: list[dict[str, Any]] = [{} for _ in range(_SHARD_COUNT)]
        self._dirty: set[int] = set(range(_SHARD_COUNT))

    def read(self, key: bytes, folder: Path) -> None:
        for number in range(_SHARD_COUNT):
            self._shards[number] = _read_signed(key, folder / f"{number:02d}.pickle")[self.name]
            self.entries.update(self._shards[number])
        self._dirty = set()

    def put(self, path: str, entry: Any) -> None:
        number = _shard_of(path)
        self._shards[number][path] = self.entries[path] = entry
        self._dirty.add(number)

    def keep_only(self, paths) -> None:
        for path in self.entries.keys() - paths:
            number = _shard_of(path)
            del self._shards[number][path], self.entries[path]
            self._dirty.add(number)

    def write(self, key: bytes, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for number in sorted(self._dirty):
            _write_signed(key, folder / f"{number:02d}.pickle", {self.name: self._shards[number]})
        self._dirty = set()


def _read_signed(key: bytes, path: Path) -> dict:
    verified = _verified(key, path.read_bytes())
    if verified is None:
        raise _Unsigned()
    data = pickle.loads(verified)
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        raise _Foreign(str(data.get("version") if isinstance(data, dict) else "?"))
    return data


def _write_signed(key: bytes, path: Path, data: dict) -> None:
    _replace_signed(key, path, pickle.dumps({"version": _VERSION, **data}, protocol=pickle.HIGHEST_PROTOCOL))


def _replace_signed(key: bytes, path: Path, data: bytes) -> None:
    """Write `data` signed, through a temporary file, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(_signed(key, data))
    os.replace(temporary, path)


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
    data = pickle.dumps((_VERSION, signature, summary), protocol=pickle.HIGHEST_PROTOCOL)
    _replace_signed(signing_key(), folder / _LAST_BUILD, data)


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
    return (facts.excerpt, facts.links, facts.images, facts.characters, facts.sketch, facts.sanitised)


def _unpack_facts(packed: tuple) -> RenderedBody:
    excerpt, links, images, characters, sketch, sanitised = packed
    return RenderedBody("", "", (), links, images, characters, sketch, excerpt, sanitised)


class _Foreign(Exception):
    pass


class _Unsigned(Exception):
    pass


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
