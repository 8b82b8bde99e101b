"""What one build leaves for the next, in `.sitegen-cache/`, so a rebuild redoes only what changed.

- each article's parsed front matter and its body's facts (excerpt, links, sketch), keyed by the
  file's path and stat (no re-reading), in 32 shards by path: a build rewrites only the shards
  whose articles changed;
- each body's rendered HTML and headings (in `bodies-*/`), keyed by the file's content hash;
- the related lists, with what ranking read to make them;
- each output file's fingerprint: a digest of everything the page shows.

A cache written by another sitegen version, or one that cannot be read, is discarded with a
warning and the build starts from nothing: a cache is never trusted over a correct build. Each
file's signature covers its role and name, so a signed file moved to another's place fails too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import secrets
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import jinja2.bccache

from . import __version__
from .content import ArticleMeta, ArticleSource
from .errors import Problem, SiteError
from .markdown import RENDERER_VERSION, BodyPage, Heading, RenderedBody
from .output import stop_if_asked
from .related import RelatedRanking
from .slugs import SLUG_VERSION

CACHE_DIR = ".sitegen-cache"
KEY_ENVIRONMENT = "SITEGEN_CACHE_KEY"  # a file holding the signing key; default under ~/.cache
# The key itself, for builds whose machine keeps no files between runs (Netlify, CI): a secret
# the build's settings hold, so a cache they restore was signed by an earlier build of theirs.
SECRET_ENVIRONMENT = "SITEGEN_CACHE_SECRET"
SECRET_MINIMUM = 32  # characters
_FORMAT = 16  # bump whenever what the cache holds changes shape
# Everything whose change makes cached results wrong: the format, the renderer, the slug rules.
_VERSION = f"{__version__}/{_FORMAT}/markdown-{RENDERER_VERSION}/slugs-{SLUG_VERSION}"
_MANIFEST = "manifest.pickle"  # written last; the rest is in the files below
_SHARDS = "articles"  # per-article entries, by path
_OUTPUTS = "outputs"  # per-output-file records, by path
_SHARD_COUNT = 32  # files per kind of entry: fewer cost big sites on a rewrite, more cost small sites on a read
_RELATED = "related.pickle"
_IMAGES = "images.pickle"  # what each image is (size, digest), by its file's stat
_HOT = "hot-searches.pickle"  # which 大家都在搜 terms each body holds, by content hash (hot_searches.py)
_UNRECORDED = "unrecorded"  # in the body store: bodies were written that the manifest may not list
_LAST_BUILD = "last-build.pickle"
LOCK_FILE = "build.lock"  # held by the build running on this site, see output.build_lock
# One per output folder, present from just before a build changes it until its cache is saved:
# the cache may not describe that output (a build was killed, or built with --no-cache).
_OUTPUT_PENDING = "output-pending-"


class OutputRecord(NamedTuple):
    """An output file as the last build wrote it."""

    fingerprint: str
    size: int
    mtime_ns: int
    inode: int  # a copy with the same size and time is still not the file this build wrote
    reads: tuple[str, ...] = ()  # the facts the page was made from (views.py): its fingerprint's inputs


def signing_key() -> bytes:
    """This user's key for signing cache files, kept outside every site folder.

    The cache holds pickles and rendered HTML. A cache that arrived with the site (committed, or
    in a pull request) must never be trusted: unpickling runs code, and its HTML skipped the
    sanitiser. Only files signed with this key, which never leaves the machine, are read.
    """
    secret = os.environ.get(SECRET_ENVIRONMENT)
    if secret:
        if len(secret) < SECRET_MINIMUM:
            raise SiteError(Problem(SECRET_ENVIRONMENT, None, f"缓存签名密钥太短\uff1a至少需要 {SECRET_MINIMUM} 个字符"))
        return hashlib.sha256(b"sitegen cache key\0" + secret.encode("utf-8", "surrogateescape")).digest()
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


def _signature(key: bytes, role: str, name: str, data: bytes) -> bytes:
    signer = hmac.new(key, f"{role}\0{name}\0".encode("utf-8", "surrogateescape"), hashlib.sha256)
    signer.update(data)
    return signer.digest()


def _signed(key: bytes, role: str, name: str, data: bytes) -> bytes:
    """`data` with a signature that holds only for this role and name: a file swapped with
    another signed one fails to verify."""
    return _signature(key, role, name, data) + data


def _verified(key: bytes, role: str, name: str, blob: bytes) -> bytes | None:
    signature, data = blob[:32], blob[32:]
    return data if hmac.compare_digest(signature, _signature(key, role, name, data)) else None


class CacheMismatch(SiteError):
    """A cache file signed by this user holds what belongs under another name: the cache was
    tampered with or mixed up. build() discards the cache and builds again; a SiteError, so that
    a stage passing SiteErrors on unchanged (a template's) passes this on too."""

    def __init__(self, name: str):
        self.name = name
        self.message = f"构建缓存中的 {name} 与其位置不符\uff08被移动或替换过\uff09\uff0c已丢弃并完整重建"
        super().__init__(Problem(CACHE_DIR, None, self.message, "warning"))

    def __reduce__(self):
        return (CacheMismatch, (self.name,))


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
            data = _verified(self.key, "template", bucket.key, self._path(bucket).read_bytes())
        except OSError:
            return
        if data is not None:
            bucket.bytecode_from_string(data)  # checks the template's checksum itself

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path = self._path(bucket)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace_signed(self.key, "template", bucket.key, path, bucket.bytecode_to_string())
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
        # Its key, a line of JSON headings, then the HTML: no pickle, so nothing in it can run code.
        headings = json.dumps([list(h) for h in page.headings], ensure_ascii=False)
        # Written in place, without a temporary file and a rename (a third of the cost of 10,000
        # bodies): a file cut short by a crash fails its signature and is rendered again.
        with open(f"{folder}/{key}.html", "wb") as file:
            file.write(_signed(self.key, "body", key, f"{key}\n{headings}\n{page.html}".encode()))

    def get(self, key: str) -> BodyPage | None:
        """The body stored under `key`; None if missing or cut short. Raises CacheMismatch for a
        signed body that belongs to another key (never shown as this one)."""
        if self.folder is None:
            return self._memory.get(key)
        try:
            blob = self._path(key).read_bytes()
            data = _verified(self.key, "body", key, blob)
            if data is None:
                owner = blob[32:].partition(b"\n")[0].decode("ascii", "replace")
                if owner != key and _verified(self.key, "body", owner, blob) is not None:
                    raise CacheMismatch(f"body/{key}")
                return None
            _, headings, html = data.decode("utf-8").split("\n", 2)
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
    excerpt_length: int = 0  # the length of the excerpts in `facts`
    callouts: dict[str, str] = field(default_factory=dict)  # the callout titles of the bodies in `facts` and the store
    slugs: dict[str, str] = field(default_factory=dict)  # name → pinyin slug, see slugs.py
    images: dict[str, Any] = field(default_factory=dict)  # key → (stat, images.Measured): what each image is
    hot_hits: Any = None  # hot_searches.HitCache.saved(): the 大家都在搜 terms each body holds
    warnings: list[str] = field(default_factory=list)
    bodies: BodyStore = field(default_factory=lambda: BodyStore(None))
    _articles: _Shards = field(default_factory=lambda: _Shards("articles"), repr=False)  # as last read or written
    _stored: set[str] = field(default_factory=set, repr=False)  # bodies the store holds for the articles
    _outputs: _Shards = field(default_factory=lambda: _Shards("outputs"), repr=False)
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
    def disabled(cls) -> BuildCache:
        return cls(folder=None)

    @classmethod
    def load(cls, folder: Path, discard: bool = True) -> BuildCache:
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
            data = _read_signed(key, "manifest", manifest)
            cache = cls(
                folder=folder,
                output_dir=data["output_dir"],
                excerpt_length=data["excerpt_length"],
                callouts=data["callouts"],
                slugs=data["slugs"],
                bodies=fresh.bodies,
            )
            cache.related = cache._saved["related"] = _read_signed(key, "related", folder / _RELATED)["related"]
            if (folder / _IMAGES).exists():
                cache.images = cache._saved["images"] = _read_signed(key, "images", folder / _IMAGES)["images"]
            if (folder / _HOT).exists():
                cache.hot_hits = cache._saved["hot"] = _read_signed(key, "hot", folder / _HOT)["hot"]
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
        except _Unsigned as exc:
            fresh.warnings.append(f"构建缓存的文件 {exc} 签名不符\uff08不是本机这次安装写下的\uff0c或被移动、替换过\uff09\uff0c已丢弃并完整重建")
        except _Foreign as exc:
            fresh.warnings.append(f"构建缓存来自其他版本的 sitegen\uff08{exc}\uff09，已丢弃并完整重建")
        except Exception as exc:  # truncated or corrupt: any failure to read means start over
            fresh.warnings.append(f"构建缓存无法读取\uff08{type(exc).__name__}\uff09，已丢弃并完整重建")
        if discard:
            discard_cache(folder)
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
        stop_if_asked("save")
        self._outputs.write(key, self.folder / _OUTPUTS)
        # A whole part that most builds leave alone: written only when the build made a new one.
        if "related" not in self._saved or self._saved["related"] is not self.related:
            _write_signed(key, "related", self.folder / _RELATED, {"related": self.related})
            self._saved["related"] = self.related
        if self._saved.get("images") != self.images:
            _write_signed(key, "images", self.folder / _IMAGES, {"images": self.images})
            self._saved["images"] = self.images
        if self.hot_hits is not None and self._saved.get("hot") is not self.hot_hits:
            _write_signed(key, "hot", self.folder / _HOT, {"hot": self.hot_hits})
            self._saved["hot"] = self.hot_hits
        manifest = {"output_dir": self.output_dir, "excerpt_length": self.excerpt_length, "callouts": self.callouts, "slugs": self.slugs}
        _write_signed(key, "manifest", self.folder / _MANIFEST, manifest)
        if self.output_dir is not None:  # the cache describes this output again
            _pending_mark(self.folder, Path(self.output_dir)).unlink(missing_ok=True)
        self._stored = used


def _shard_of(path: str) -> int:
    # The search index's files have the first shard to themselves: Pagefind names most of them
    # anew on every run, which would otherwise rewrite every shard after a one-article edit.
    if path.startswith("pagefind/"):
        return 0
    return 1 + zlib.crc32(path.encode("utf-8", "surrogateescape")) % (_SHARD_COUNT - 1)


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
            self._shards[number] = _read_signed(key, self.name, folder / f"{number:02d}.pickle")[self.name]
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
            _write_signed(key, self.name, folder / f"{number:02d}.pickle", {self.name: self._shards[number]})
        self._dirty = set()


def _read_signed(key: bytes, role: str, path: Path) -> dict:
    verified = _verified(key, role, path.name, path.read_bytes())
    if verified is None:
        raise _Unsigned(f"{path.parent.name}/{path.name}")
    data = pickle.loads(verified)
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        raise _Foreign(str(data.get("version") if isinstance(data, dict) else "?"))
    return data


def _write_signed(key: bytes, role: str, path: Path, data: dict) -> None:
    _replace_signed(key, role, path.name, path, pickle.dumps({"version": _VERSION, **data}, protocol=pickle.HIGHEST_PROTOCOL))


def _replace_signed(key: bytes, role: str, name: str, path: Path, data: bytes) -> None:
    """Write `data` signed for its role and name, through a temporary file, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(_signed(key, role, name, data))
    os.replace(temporary, path)


def discard_cache(folder: Path) -> None:
    """Delete everything in the cache folder but the build lock, which the running build holds."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _pending_mark(folder: Path, out_dir: Path) -> Path:
    return folder / f"{_OUTPUT_PENDING}{_digest(str(out_dir.absolute()))[:12]}"


def mark_output_changing(folder: Path, out_dir: Path) -> None:
    """Note, before a build changes `out_dir`, that the cache will not describe it until saved."""
    try:
        folder.mkdir(exist_ok=True)
        _pending_mark(folder, out_dir).touch()
    except OSError:
        pass  # a read-only site folder: no cache there either


def output_pending(folder: Path, out_dir: Path) -> bool:
    """Whether a build changed `out_dir` since the cache was last saved (killed, or --no-cache)."""
    return _pending_mark(folder, out_dir).exists()


def last_build(folder: Path) -> tuple[str, Any] | None:
    """The inputs signature and summary of the last successful build, read without the manifest."""
    try:
        data = _verified(signing_key(), "last-build", _LAST_BUILD, (folder / _LAST_BUILD).read_bytes())
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
    _replace_signed(signing_key(), "last-build", _LAST_BUILD, folder / _LAST_BUILD, data)


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
    return (facts.excerpt, facts.links, facts.images, facts.characters, facts.sketch, facts.sanitised, facts.unlabelled_images)


def _unpack_facts(packed: tuple) -> RenderedBody:
    excerpt, links, images, characters, sketch, sanitised, unlabelled = packed
    return RenderedBody("", "", (), links, images, characters, sketch, excerpt, sanitised, unlabelled)


class _Foreign(Exception):
    pass


class _Unsigned(Exception):
    pass


def _digest(*parts: Any) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()
