"""The chunk table of the index Pagefind wrote, rewritten so that a word on much of the site is
looked up in a chunk of its own.

Pagefind 1.5 cuts its sorted words into chunks of about 20,000 postings and closes a chunk with
the word that fills it, so a word on a third of the site ends a chunk of small words: a reader
looking up any of those downloaded its postings too (at 10,000 articles 断缴 cost 94 KiB, 66 of
them for 新规). The format is described in DEVELOPERS.md ("Pagefind's index, as its files show").
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from pathlib import Path

MARK = b"pagefind_dcd"  # what each of Pagefind's files starts with, once unzipped
# Chunks smaller than this (gzipped) are left as they are: a neighbour's word costs a reader at
# most this much more, and reading every chunk back would cost the build more than it saves.
SPLIT_FROM = 32768


def unpacked(data: bytes) -> bytes:
    """A file of Pagefind's (gzip of MARK and the content) as its content; ValueError if it is
    not one (zlib.error if it is no gzip)."""
    data = zlib.decompress(data, wbits=31)
    if not data.startswith(MARK):
        raise ValueError("not a Pagefind file")
    return data[len(MARK) :]


def _packed(data: bytes) -> bytes:
    return gzip.compress(MARK + data, compresslevel=6, mtime=0)  # Pagefind's own level (flate2's default)


def _array_header(data: bytes, at: int) -> tuple[int, int]:
    """The length of the CBOR array whose header is at `at`, and where its first item starts."""
    major, info = data[at] >> 5, data[at] & 31
    if major != 4 or info > 27:
        raise ValueError("not a definite CBOR array")
    if info < 24:
        return info, at + 1
    size = 1 << (info - 24)
    return int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def _array_start(length: int) -> bytes:
    if length < 24:
        return bytes([0x80 + length])
    for info, size in ((24, 1), (25, 2), (26, 4)):
        if length < 1 << (8 * size):
            return bytes([0x80 + info]) + length.to_bytes(size, "big")
    raise ValueError("too long")


def split_chunk(data: bytes) -> tuple[bytes, str, str] | None:
    """A chunk (unzipped CBOR) without its last word, the last word it keeps and that word,
    when that word's postings outweigh all the others'; None otherwise."""
    import cbor2

    if data[:1] != b"\x81":  # the chunk: [words]
        raise ValueError("not a Pagefind index chunk")
    count, start = _array_header(data, 1)
    if count < 2:
        return None
    # The words before the last are read one by one (small, by Pagefind's chunking); the last,
    # often most of the chunk, only as far as its name.
    stream = io.BytesIO(data)
    stream.seek(start)
    decoder = cbor2.CBORDecoder(stream)
    kept = ""
    for _ in range(count - 1):
        kept = decoder.decode()[0]
    end = stream.tell()
    if len(data) - end <= end - start:
        return None
    length, at = _array_header(data, end)  # the last word: [word, pages, metadata]
    stream.seek(at)
    word = decoder.decode()
    if length != 3 or not isinstance(word, str) or not isinstance(kept, str) or not kept < word:
        raise ValueError("not a Pagefind word")
    return b"\x81" + _array_start(count - 1) + data[start:end], kept, word


def _bounds(before: str, after: str) -> tuple[str, str]:
    # Pagefind's get_prefixes: the two words cut to one character past what they share.
    shared = 0
    for a, b in zip(before, after, strict=False):
        if a != b:
            break
        shared += 1
    return before[: shared + 1], after[: shared + 1]


def _file_name(language: str, data: bytes, taken: set[str]) -> str:
    # As Pagefind names them: the language, then seven hex digits of a hash of the content,
    # one more while that name is taken.
    digest = hashlib.sha1(data).hexdigest()
    for size in range(7, len(digest) + 1):
        name = f"{language}_{digest[:size]}"
        if name not in taken:
            return name
    raise ValueError("hash collision")


def split_heavy_chunks(index_dir: Path, language: str, smallest: int = SPLIT_FROM) -> int:
    """Give each word that outweighs the rest of its chunk a chunk of its own in the index in
    `index_dir`; returns how many it split. Raises ValueError (or OSError) for an index in
    another shape, having changed nothing that its entry reaches."""
    import cbor2

    entry_path = index_dir / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    old_hash = entry["languages"][language]["hash"]
    meta_path = index_dir / f"pagefind.{old_hash}.pf_meta"
    meta = cbor2.loads(unpacked(meta_path.read_bytes()))
    chunks = meta[2]
    taken = {name for _, _, name in chunks}
    rewritten: list[list[str]] = []
    for first, last, name in chunks:
        path = index_dir / "index" / f"{name}.pf_index"
        parts = split_chunk(unpacked(path.read_bytes())) if path.stat().st_size >= smallest else None
        if parts is None:
            rewritten.append([first, last, name])
            continue
        head, kept, word = parts
        if first > kept:  # a word's own chunk already: the others are looked up elsewhere
            rewritten.append([first, last, name])
            continue
        # The word's chunk stays the file it was, its bounds now holding that word alone; the
        # words before it are looked up in the new file. Where both are loaded, the worker
        # reads the same postings twice for those words, and keeps one.
        head_name = _file_name(language, head, taken)
        taken.add(head_name)
        (index_dir / "index" / f"{head_name}.pf_index").write_bytes(_packed(head))
        head_last, word_first = _bounds(kept, word)
        rewritten += [[first, head_last, head_name], [word_first, last, name]]
    if len(rewritten) == len(chunks):
        return 0
    meta[2] = rewritten
    encoded = cbor2.dumps(meta)
    new_hash = f"{language}_{hashlib.sha1(encoded).hexdigest()[:10]}"
    (index_dir / f"pagefind.{new_hash}.pf_meta").write_bytes(_packed(encoded))
    entry["languages"][language]["hash"] = new_hash
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    meta_path.unlink()
    return len(rewritten) - len(chunks)
