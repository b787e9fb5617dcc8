"""Inputs to documents: walking, decompressing, decoding, parsing JSONL, WARC
and Parquet, and taking in-memory records from library callers.

Every input unit ends up as exactly one :class:`Document` or one :class:`Reject`
(or, for a WARC record that holds no page, a count in ``Summary.skipped``), so
nothing is ever silently lost. Directories are walked recursively in sorted
order and every document gets a global ordinal at read time: that ordinal, not
file-system or scheduling order, decides "earliest" everywhere downstream.
"""

from __future__ import annotations

import errno
import fnmatch
import glob
import io
import math
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

from .decode import decode_bytes
from .errors import InputError
from .options import Options
from .records import Document, Reject

if TYPE_CHECKING:
    from .pipeline import Summary

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
WARC_SUFFIXES = {".warc", ".wet"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
MEMORY = "<records>"
"""``source`` of an in-memory record given to ``cleaner.clean``, before ``:N``."""
COMPRESSED = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bzip2", ".xz": "xz"}
_GLOB_CHARS = set("*?[")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Source:
    """One file (or stdin) to read. ``name`` is what appears in ``source``;
    ``follow`` is false for a file found as a regular file, which is then
    opened without following a link (one swapped in since the walk is not read)."""

    path: str | None  # None: stdin
    name: str
    follow: bool = True


def expand_inputs(inputs: Iterable[str], *, follow_symlinks: bool = False,
                  exclude: Callable[[str], bool] | None = None) -> Iterator[Source | Reject]:
    """Paths, directories (recursive, sorted), globs and '-' for stdin.

    What the user named is read, links included; what is found inside a named
    directory (or through a glob) stays inside what the user named: a symbolic
    link whose target resolves outside every named input is reported
    ``outside-input`` and not followed unless ``follow_symlinks``, since a
    folder others can write to would otherwise publish whatever its links point
    at. Each file is read once, however many links or names lead to it (a link
    inside the tree is left to the file it points at). ``exclude`` (real path
    -> bool, given a path as found) names files not to read, such as this run's
    own outputs."""
    inputs = list(inputs)
    walker = _Walker(inputs, follow_symlinks, exclude or (lambda _: False))
    for given in inputs:
        if given == "-":
            yield Source(None, "-")
            continue
        if os.path.isdir(given):
            yield from walker.walk(given)
            continue
        if os.path.exists(given) or os.path.islink(given):
            yield from walker.named(given)
            continue
        if _GLOB_CHARS & set(given):
            matches = sorted(expand_glob(given, follow_symlinks))
            if matches:
                walked: list[str] = []
                for path in matches:
                    # A directory the glob matched is walked whole: what the
                    # glob also matched inside it (``d/**`` gives ``d/`` and
                    # all below) was read once, but rejected twice.
                    here = os.path.abspath(path)
                    if any(here.startswith(w) for w in walked):
                        continue
                    if os.path.isdir(path) and not os.path.islink(path):
                        walked.append(here.rstrip(os.sep) + os.sep)
                        yield from walker.walk(path)
                    else:
                        yield from walker.found(path, _display(path))
                continue
        yield Reject(source=_display(given), reason="not-found", message=f"no such file or directory: {given}")


def expand_glob(pattern: str, follow_symlinks: bool = False) -> list[str]:
    """The paths a glob names, as ``glob.glob(pattern, recursive=True)`` gives
    them, except that ``**`` does not enter directory links (unless
    ``follow_symlinks``, and then each real directory once): the standard
    library follows them, so a link to ``.`` made ``dir/**`` grow without end
    (two such links: minutes for a three-file folder). A link met by a
    component without ``**`` is followed as the standard library does; what
    lies outside the input behind it is refused by the walker."""
    if "**" not in pattern.split(os.sep):
        return glob.glob(pattern)
    parts = pattern.split(os.sep)
    first = next(i for i, p in enumerate(parts) if _GLOB_CHARS & set(p))
    base = os.sep.join(parts[:first]) or (os.sep if pattern.startswith(os.sep) else "")
    pats = [p for p in parts[first:] if p]
    hidden = any(p.startswith(".") for p in pats)
    out = []
    if base and _glob_match(pats, []):
        out.append(os.path.join(base, ""))
    visited = set()
    for dirpath, dirnames, filenames in os.walk(base or ".", followlinks=follow_symlinks):
        if follow_symlinks:
            ident = _identity(dirpath)
            if ident in visited:
                dirnames[:] = []
                continue
            visited.add(ident)
        dirnames[:] = sorted(d for d in dirnames if hidden or not d.startswith("."))
        rel = os.path.relpath(dirpath, base or ".")
        names = [] if rel == os.curdir else rel.split(os.sep)
        for name in (*dirnames, *filenames):
            if _glob_match(pats, [*names, name]):
                out.append(os.path.join(base, *names, name))
    return out


def _glob_match(pats: list[str], names: list[str]) -> bool:
    """Whether path components ``names`` match glob components ``pats``
    (``**`` spans any number of components; a name starting with a dot is
    matched only by a component that does, as in ``glob``)."""
    if not pats:
        return not names
    p = pats[0]
    if p == "**":
        for k in range(len(names) + 1):
            if _glob_match(pats[1:], names[k:]):
                return True
            if k < len(names) and names[k].startswith("."):
                return False
        return False
    if not names or (names[0].startswith(".") and not p.startswith(".")):
        return False
    return fnmatch.fnmatchcase(names[0], p) and _glob_match(pats[1:], names[1:])


def _glob_base(pattern: str) -> str:
    """The directory part of a glob before its first wildcard: what it names."""
    parts = pattern.split(os.sep)
    fixed = []
    for p in parts:
        if _GLOB_CHARS & set(p):
            break
        fixed.append(p)
    return os.sep.join(fixed) or "."


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Walker:
    """Walks the inputs, remembering which files were read (by device and inode)
    and where the user's inputs lie (their real paths)."""

    def __init__(self, inputs: list[str], follow: bool, exclude: Callable[[str], bool]):
        self.follow, self.exclude = follow, exclude
        self.roots: list[str] = []
        for given in inputs:
            if given == "-":
                continue
            base = given if os.path.exists(given) or os.path.islink(given) or not _GLOB_CHARS & set(given) \
                else _glob_base(given)
            self.roots.append(os.path.realpath(base))
        self.seen: set[tuple[int, int]] = set()

    def allowed(self, real: str) -> bool:
        return self.follow or any(_inside(real, root) for root in self.roots)

    def named(self, given: str) -> Iterator[Source | Reject]:
        """A file the user named: read, through a link too."""
        if self.exclude(os.path.realpath(given)):
            return  # an output of this run (refused earlier when it is an input)
        ident = _identity(given)
        if ident is not None:
            if ident in self.seen:
                return
            self.seen.add(ident)
        yield Source(given, _display(given))

    def found(self, path: str, name: str, taken: set[tuple[int, int]] = frozenset()) -> Iterator[Source | Reject]:
        """A file found by a walk or a glob. ``taken``: files of this walk that
        are read under their own name, so a link to one of them is not read."""
        try:
            lst = os.lstat(path)
        except OSError:
            yield Source(path, name, follow=False)  # vanished: opening it reports why
            return
        link = stat.S_ISLNK(lst.st_mode)
        real = os.path.realpath(path)
        # Not only a link named by the last component: a glob's match may pass
        # through a directory link (g/*/*, g/link/secret) on the way.
        if not self.allowed(real):
            yield Reject(source=name, reason="outside-input",
                         message="symbolic link to a file outside the input; not followed (--follow-symlinks "
                                 "reads it)")
            return
        real = real if link else None
        if self.exclude(real or path):
            return
        try:
            st = os.stat(path) if link else lst
        except OSError:
            yield Source(path, name)  # dangling link or vanished file: opening it reports why
            return
        if stat.S_ISDIR(st.st_mode) and link:
            return  # a link to a directory: its files are read where they are (or walked when following)
        if not stat.S_ISREG(st.st_mode):
            # A named pipe would block the batch until something writes to it; a
            # device can be endless. Named on the command line they are read.
            yield Reject(source=name, reason="unreadable", message="not a regular file (pipe, socket or device)")
            return
        ident = (st.st_dev, st.st_ino)
        if ident in self.seen or (link and ident in taken):
            return
        self.seen.add(ident)
        yield Source(path, name, follow=link)

    def walk(self, root: str) -> Iterator[Source | Reject]:
        """Sorted recursive walk that neither loops through directory links nor
        stops on an unreadable directory. Without ``follow``, directory links
        are not entered (their files are read where they lie, or are outside
        the input); with it, each real directory is entered once."""
        errors: list[OSError] = []
        entries: list[str] = []
        outside: list[str] = []
        visited = {_identity(root)}
        for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=self.follow):
            dirnames.sort()
            keep = []
            for d in dirnames:
                if d.startswith("."):
                    continue
                full = os.path.join(dirpath, d)
                if os.path.islink(full):
                    if not self.allowed(os.path.realpath(full)):
                        outside.append(full)
                        continue
                    if not self.follow:
                        continue
                ident = _identity(full)
                if ident is not None and ident in visited:
                    continue  # a loop, or a second way to the same directory
                if ident is not None:
                    visited.add(ident)
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.startswith("."):
                    entries.append(os.path.join(dirpath, name))
        for err in errors:
            yield Reject(source=_display(err.filename or root), reason="unreadable",
                         message=f"cannot list directory: {err.strerror}")
        for path in sorted(outside):
            yield Reject(source=_display(_named(root, path)), reason="outside-input",
                         message="symbolic link to a directory outside the input; not followed "
                                 "(--follow-symlinks reads it)")
        entries.sort()
        taken = set()
        for path in entries:
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                taken.add((st.st_dev, st.st_ino))
        for path in entries:
            yield from self.found(path, _display(_named(root, path)), taken)


def _named(root: str, path: str) -> str:
    """A walked file's name: its path from the directory the user named,
    that directory's own name first (``day2/story.html`` for ``day2/`` or
    ``/crawls/day2``), so two days' ``story.html`` are two documents, and no
    absolute path of the user's machine ends up in the output."""
    top = os.path.basename(os.path.normpath(root))
    rel = os.path.relpath(path, root)
    return rel if top in ("", ".", "..", os.sep) else os.path.join(top, rel)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _display(path: str | bytes) -> str:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    # File names that are not valid UTF-8 surface as surrogate escapes; keep them
    # printable (and JSON-encodable) with the usual backslash escapes.
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def split_suffix(name: str) -> tuple[str, str | None]:
    """Return (content suffix, compression the name claims) for ``page.html.gz``
    -> ('.html', 'gzip'). What is read is decided by the bytes (``_magic``)."""
    base, ext = os.path.splitext(name.lower())
    compression = COMPRESSED.get(ext)
    if compression:
        ext = os.path.splitext(base)[1]
    return ext, compression


_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\xfd7zXZ\x00", "xz"))
_BZIP2 = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")  # a first block, or the end of an empty stream


def _magic(head: bytes) -> str | None:
    """Compression is a property of the bytes, not of the name: a plain file
    named ``.gz`` is read as it is, a zstd stream named ``.jsonl`` is
    decompressed."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if _BZIP2.match(head):
        return "bzip2"
    return None


class _Decompressing(io.RawIOBase):
    """A compressed stream, decompressed as it is read, member after member
    (concatenated gzip members and zstd frames are one stream).

    Where the stream breaks off or turns to garbage, reading ends as at the end
    of a file and ``error`` says why: what came out before the break is kept
    (the whole records of a JSONL file before a torn tail). Output per call is
    bounded (zlib, bz2 and lzma by ``max_length``; zstd by feeding it small
    pieces, since a zstd block may expand 30,000-fold), so a bomb is stopped by
    the size limit above without the memory to hold it."""

    ZSTD_FEED = 512

    def __init__(self, raw: BinaryIO, kind: str):
        self._raw, self._kind = raw, kind
        self._dec = self._new()
        self._in = b""
        self._out = memoryview(b"")
        self._input_done = False
        self.error: InputError | None = None
        self.produced = 0

    def _new(self):
        if self._kind == "gzip":
            return zlib.decompressobj(wbits=31)
        if self._kind == "zstd":
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj()
        if self._kind == "bzip2":
            import bz2

            return bz2.BZ2Decompressor()
        import lzma

        return lzma.LZMADecompressor()

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        if not self._in and not self._input_done:
            self._in = self._raw.read(self.ZSTD_FEED if self._kind == "zstd" else 1 << 16)
            self._input_done = not self._in
        return bool(self._in)

    def readinto(self, b) -> int:
        while not self._out:
            if self.error is not None:
                return 0
            if self._dec is not None and self._dec.eof:
                self._in = self._dec.unused_data + self._in
                self._dec = None  # between members
            if self._dec is None:
                if len(self._in) < 16 and not self._input_done:
                    more = self._raw.read(1 << 16)
                    self._input_done = not more
                    self._in += more
                    continue
                if not self._in:
                    return 0  # the end, after a whole member
                if not self._in.strip(b"\0"):  # zero padding after the last member, as gzip tolerates
                    self._in = b""
                    continue
                if _magic(self._in[:16]) != self._kind:
                    self.error = InputError(f"compressed stream is corrupt: data after the end of the {self._kind} "
                                            f"stream ({self.produced} bytes read before it)", "corrupt-compression")
                    return 0
                self._dec = self._new()
            try:
                out = self._step(len(b))
            except InputError as exc:
                self.error = exc
                return 0
            except (zlib.error, OSError, EOFError, ValueError) as exc:
                self.error = InputError(f"compressed stream is corrupt: {exc} ({self.produced} bytes read before "
                                        f"it)", "corrupt-compression")
                return 0
            except Exception as exc:  # noqa: BLE001 - zstandard's error type
                self.error = _stream_error(exc)
                return 0
            self._out = memoryview(out)
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        self.produced += n
        return n

    def _step(self, size: int) -> bytes:
        """One call of the decompressor: at most ``size`` bytes out (zstd: what
        ZSTD_FEED bytes of input give)."""
        dec = self._dec
        if self._kind in ("bzip2", "xz") and not dec.needs_input:
            return dec.decompress(b"", size)  # output still waiting inside
        if not self._fill():
            out = dec.flush() if self._kind == "gzip" else b""
            if out:
                return out
            raise InputError(f"compressed stream is truncated: it ends inside a {self._kind} member "
                             f"({self.produced} bytes read before the break)", "truncated")
        if self._kind == "zstd":
            data, self._in = self._in[:self.ZSTD_FEED], self._in[self.ZSTD_FEED:]
            return dec.decompress(data)
        data, self._in = self._in, b""
        out = dec.decompress(data, size)
        if self._kind == "gzip":
            # At a member's end CPython's zlib may leave the rest of the input
            # in unconsumed_tail as well as in unused_data (when the call
            # before stopped at max_length): the next member starts from
            # unused_data alone (readinto), or its bytes would be read twice.
            self._in = b"" if dec.eof else dec.unconsumed_tail
        return out

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def _format_for(suffix: str) -> str | None:
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in WARC_SUFFIXES:
        return "warc"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return None


def _sniff(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "jsonl"
    low = stripped[:512].lower()
    if low.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<!--")) or b"<html" in low:
        return "html"
    return "text"


class _Limited(io.RawIOBase):
    """Reads at most ``limit`` bytes from a (decompressing) stream and raises
    once more would follow: the guard against decompression bombs, for a file
    that is one document. A JSONL file is many documents, limited line by line
    instead (``Reader._read_jsonl``), so the guard is lifted for it."""

    def __init__(self, raw: BinaryIO, limit: int, what: str):
        self._raw, self._left, self._limit, self._what = raw, limit, limit, what
        self._read = 0

    def lift(self) -> None:
        self._left = sys.maxsize

    def restore(self) -> None:
        """The limit again after ``lift``, counting what was read meanwhile
        (the format's sniffing fills a 64 KiB buffer: a limit below that must
        not reject a JSONL file whole before it is known to be one)."""
        self._left = self._limit - self._read
        if self._left < 0:
            raise InputError(f"{self._what} exceeds the size limit of {self._limit} bytes (max_bytes)", "too-large")

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(memoryview(b)[: max(1, min(len(b), self._left + 1))])
        if n and n > self._left:
            raise InputError(f"{self._what} exceeds the size limit of {self._limit} bytes (max_bytes)", "too-large")
        self._left -= n or 0
        self._read += n or 0
        return n or 0


def _open(src: Source, limit: int) -> tuple[BinaryIO, _Decompressing | None, BinaryIO]:
    """The source's bytes, decompressed when they are compressed, behind the
    size limit; the decompressor (whose ``error`` tells a clean end of the
    stream from a break); and the file as opened (its position is the progress
    through it, and Parquet reads it directly)."""
    if src.path is None:
        raw: BinaryIO = sys.stdin.buffer
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)  # type: ignore[arg-type]
    else:
        flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | (0 if src.follow else getattr(os, "O_NOFOLLOW", 0))
        raw = os.fdopen(os.open(src.path, flags), "rb", buffering=1 << 16)
    file = raw
    try:
        kind = _magic(raw.peek(16)[:16])  # type: ignore[attr-defined]
    except OSError:
        if src.path is not None:
            raw.close()
        raise
    dec = None
    if kind is not None:
        dec = _Decompressing(raw, kind)
        raw = dec  # type: ignore[assignment]
    return io.BufferedReader(_Limited(raw, limit, "decompressed input" if dec else "input"),
                             buffer_size=1 << 16), dec, file


_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, ValueError)
try:  # zstandard's error type does not derive from OSError
    import zstandard as _zstd

    _READ_ERRORS += (_zstd.ZstdError,)
except ImportError:  # pragma: no cover - zstandard is a dependency
    pass


def _stream_error(exc: BaseException) -> InputError:
    if isinstance(exc, InputError):
        return exc
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, EOFError):
        return InputError(f"compressed stream is truncated: {text}", "truncated")
    if isinstance(exc, zlib.error) or "zstd" in type(exc).__name__.lower() \
            or "zstd" in text.lower() or "frame" in text.lower():
        return InputError(f"compressed stream is corrupt: {text}", "corrupt-compression")
    if isinstance(exc, PermissionError):
        return InputError(f"permission denied: {text}", "unreadable")
    if isinstance(exc, OSError):
        if exc.errno == errno.ELOOP:
            return InputError("became a symbolic link after the walk; not followed", "unreadable")
        return InputError(f"cannot read: {exc.strerror or text}", "unreadable")
    return InputError(text, "unreadable")


MAX_JSON_DEPTH = 200
"""Nesting depth of a JSONL record above which it is rejected (``too-deep``):
no real record comes near it, and the record's other fields are written out
under ``metadata``, which orjson cannot write below depth 254."""
MAX_ID_CHARS = 1024


class Reader:
    """Turns inputs into Documents and Rejects, numbering documents in order.

    ``summary`` (optional) receives what the reader alone knows: WARC records
    skipped by type, and the bytes of input files read so far (progress).
    ``taken``: ids no document may get (those of a loaded dedup index: a
    record must never be confused with one it can be linked to)."""

    def __init__(self, options: Options, exclude: Callable[[str], bool] | None = None,
                 summary: Summary | None = None, *, taken: Iterable[str] = ()):
        self.options = options
        self.exclude = exclude
        self.summary = summary
        self._ordinal = 0
        self._ids: set[str] = set(taken)
        self._bytes_done = 0

    def read(self, inputs: Iterable[Any]) -> Iterator[Document | Reject]:
        """Paths (files, directories, globs, '-'), or in-memory records (dicts
        and Documents): one kind per call, told by the first item, so a
        generator of records is never drawn into a list."""
        items = iter(inputs)
        first = next(items, _END)
        if first is _END:
            return
        if isinstance(first, (dict, Document)):
            yield from self._read_memory(chain([first], items))
            return
        paths = []
        for n, item in enumerate(chain([first], items), 1):
            if not isinstance(item, (str, os.PathLike)):
                if n == 1:
                    raise TypeError(f"an input is a path (str or os.PathLike), a dict or a Document, not a "
                                    f"{type(item).__name__} ({item!r:.80})")
                raise TypeError(f"inputs are paths (the first is {first!r}), but input {n} is a "
                                f"{type(item).__name__}: pass paths and in-memory records in separate calls")
            paths.append(os.fspath(item))
        for src in expand_inputs(paths, follow_symlinks=self.options.follow_symlinks, exclude=self.exclude):
            if isinstance(src, Reject):
                yield src
                continue
            yield from self._read_source(src)

    def _read_memory(self, items: Iterator[Any]) -> Iterator[Document | Reject]:
        for n, item in enumerate(items, 1):
            where = f"{MEMORY}:{n}"
            if isinstance(item, dict):
                yield self._from_object(item, where, n)
            elif isinstance(item, Document):
                yield self._from_document(item, where, n)
            else:
                raise TypeError(f"inputs are in-memory records, but input {n} is a {type(item).__name__}: "
                                f"pass dicts or cleaner.Document objects (paths in a separate call)")

    def _from_document(self, doc: Document, where: str, n: int) -> Document | Reject:
        if doc.kind not in ("html", "text"):
            raise TypeError(f"input {n}: Document.kind must be 'html' or 'text', not {doc.kind!r}")
        if not isinstance(doc.content, str):
            raise TypeError(f"input {n}: Document.content must be a str, not {type(doc.content).__name__} "
                            f"(decode bytes first, or pass a dict with the bytes under 'html')")
        if not isinstance(doc.metadata, dict):
            raise TypeError(f"input {n}: Document.metadata must be a dict, not {type(doc.metadata).__name__}")
        if doc.url is not None and not isinstance(doc.url, str):
            raise TypeError(f"input {n}: Document.url must be a str or None, not {type(doc.url).__name__}")
        source = doc.source or where
        given = scrub(str(doc.id)) if isinstance(doc.id, (str, int)) and not isinstance(doc.id, bool) \
            and str(doc.id).strip() else None
        if not doc.content.strip():
            return Reject(source=source, line=n, id=given, reason="no-content", message="Document.content is empty")
        doc_id = self._unique_id(given if given is not None else source)
        metadata = dict(doc.metadata)
        if doc.id is not None and (given is None or doc_id != given):
            metadata[_free_key(metadata, "original_id")] = doc.id
        self._ids.add(doc_id)
        return Document(ordinal=self._next(), id=doc_id, source=source, content=_clean_text(scrub(doc.content)),
                        kind=doc.kind, url=scrub(doc.url) if doc.url and doc.url.strip() else None,
                        metadata=scrub_tree(_jsonable(metadata)), line=n)

    def _progress(self, file: BinaryIO | None) -> None:
        """Input bytes read so far (files done plus the position in this one)."""
        if self.summary is not None and file is not None:
            try:
                self.summary.bytes_read = self._bytes_done + file.tell()
            except (OSError, ValueError):
                pass

    def _next(self) -> int:
        self._ordinal += 1
        return self._ordinal - 1

    def _read_source(self, src: Source) -> Iterator[Document | Reject]:
        suffix, _ = split_suffix(src.name)
        auto = self.options.format == "auto"
        fmt = _format_for(suffix) if auto else self.options.format
        stream = dec = file = None
        try:
            if src.path is not None and os.path.isdir(src.path):
                raise InputError("is a directory", "unreadable")
            stream, dec, file = _open(src, self.options.max_bytes)
            if auto:
                # WARC and Parquet are told by their first bytes whatever the
                # name: a crawl named .txt is still records, not one text.
                from .warc import is_warc

                stream.raw.lift()  # type: ignore[attr-defined]  # restored below for a one-document format
                head = stream.peek(2048)[:2048]
                if is_warc(head):
                    fmt = "warc"
                elif head.startswith(b"PAR1"):
                    fmt = "parquet"
                elif fmt is None:
                    fmt = _sniff(head)
            if fmt in ("jsonl", "warc", "parquet"):
                stream.raw.lift()  # type: ignore[attr-defined]  # many documents: limited one by one
            elif auto:
                stream.raw.restore()  # type: ignore[attr-defined]  # one document: limited as a whole
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
            err = _stream_error(exc)
            yield Reject(source=src.name, reason=err.reason, message=str(err))
            self._close(src, stream)
            return
        try:
            if fmt == "jsonl":
                items: Iterable[Document | Reject] = self._read_jsonl(src, stream, dec)
            elif fmt == "warc":
                items = self._read_warc(src, stream, dec)
            elif fmt == "parquet":
                items = self._read_parquet(src, stream, dec, file)
            else:
                items = [self._read_whole(src, stream, fmt, dec)]
            for item in items:
                self._progress(file)
                yield item
        finally:
            if src.path is not None and file is not None:
                try:
                    self._bytes_done += os.fstat(file.fileno()).st_size
                except (OSError, ValueError):
                    pass
                if self.summary is not None:
                    self.summary.bytes_read = self._bytes_done
            self._close(src, stream)

    @staticmethod
    def _close(src: Source, stream) -> None:
        if src.path is not None and stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - a failing close must not lose the batch
                pass

    def _read_whole(self, src: Source, stream: BinaryIO, fmt: str, dec: _Decompressing | None) -> Document | Reject:
        doc_id = self._unique_id(src.name)
        try:
            data = stream.read()
            if dec is not None and dec.error is not None:
                raise dec.error
            if not data.strip():
                raise InputError("file is empty", "empty")
            text, _ = decode_bytes(data, html=fmt == "html")
        except (InputError, *_READ_ERRORS) as exc:
            err = _stream_error(exc)
            return Reject(source=src.name, reason=err.reason, message=str(err), id=doc_id)
        if not text.strip():
            return Reject(source=src.name, reason="empty", message="file holds only whitespace", id=doc_id)
        self._ids.add(doc_id)
        return Document(ordinal=self._next(), id=doc_id, source=src.name, content=_clean_text(text),
                        kind="html" if fmt == "html" else "text")

    def _unique_id(self, name: str) -> str:
        """``name``, or ``name#2``, ``name#3``... when it is taken: ids are unique
        within a run and never those of a loaded dedup index."""
        doc_id, n = name, 1
        while doc_id in self._ids:
            n += 1
            doc_id = f"{name}#{n}"
        return doc_id

    def _read_jsonl(self, src: Source, stream: BinaryIO, dec: _Decompressing | None) -> Iterator[Document | Reject]:
        lineno = records = 0
        limit = self.options.max_bytes
        while True:
            try:
                line = stream.readline(limit + 1)
            except (InputError, *_READ_ERRORS) as exc:
                err = _stream_error(exc)
                yield Reject(source=f"{src.name}:{lineno + 1}", line=lineno + 1, reason=err.reason,
                             message=f"{err} (reading stopped here)")
                return
            if not line:
                if dec is not None and dec.error is not None:
                    # The stream broke off right after a whole line.
                    yield Reject(source=f"{src.name}:{lineno + 1}", line=lineno + 1, reason=dec.error.reason,
                                 message=f"{dec.error}; the {lineno} lines before it were read")
                elif not records:
                    # A file with no records is reported like an empty text file.
                    yield Reject(source=src.name, reason="empty", message="file holds no records")
                return
            lineno += 1
            if len(line) > limit and not line.endswith(b"\n"):
                # Skip the rest of an oversized line without holding it in memory.
                while True:
                    more = stream.readline(1 << 20)
                    if not more or more.endswith(b"\n"):
                        break
                records += 1
                yield Reject(source=f"{src.name}:{lineno}", line=lineno, reason="too-large",
                             message=f"line exceeds the size limit of {limit} bytes")
                continue
            if not line.endswith(b"\n") and dec is not None and dec.error is not None:
                # The torn tail of a broken compressed stream: the record is cut, not invalid.
                yield Reject(source=f"{src.name}:{lineno}", line=lineno, reason=dec.error.reason,
                             message=f"{dec.error}; line {lineno} is cut off, the {lineno - 1} lines before it "
                                     f"were read")
                return
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]  # a BOM: first line, or files joined with cat
            if not line.strip():
                continue
            records += 1
            yield self._parse_record(src, lineno, line)

    def _parse_record(self, src: Source, lineno: int, line: bytes) -> Document | Reject:
        where = f"{src.name}:{lineno}"
        opts = self.options
        try:
            obj = orjson.loads(line)
            if _holds_huge_number(obj):
                try:
                    obj = _lenient_json(line) or obj
                except RecursionError:
                    pass  # orjson's reading stands
        except orjson.JSONDecodeError:
            try:
                obj = _lenient_json(line)
            except RecursionError:
                obj = _TOO_DEEP
            if obj is None:
                truncated = not line.endswith(b"\n")
                return Reject(source=where, line=lineno, reason="truncated-json" if truncated else "invalid-json",
                              message="line is not valid JSON" + (" (truncated last line)" if truncated else ""))
        if obj is _TOO_DEEP:
            return Reject(source=where, line=lineno, reason="too-deep",
                          message=f"record is nested more than {MAX_JSON_DEPTH} levels deep")
        if not isinstance(obj, dict):
            return Reject(source=where, line=lineno, reason="not-an-object",
                          message=f"JSON value is {type(obj).__name__}, not an object")
        return self._from_object(obj, where, lineno)

    def _from_object(self, obj: dict[str, Any], where: str, lineno: int) -> Document | Reject:
        """One record as an object (a JSONL line, a Parquet row, a dict given to
        ``clean``): its fields by the field options, dotted names reaching into
        nested objects; the rest becomes metadata, the record's own ``metadata``
        object merged in rather than nested."""
        opts = self.options
        if _depth(obj) > MAX_JSON_DEPTH:
            return Reject(source=where, line=lineno, reason="too-deep",
                          message=f"record is nested more than {MAX_JSON_DEPTH} levels deep")
        fields = {name: _lookup(obj, name) for name in (opts.id_field, opts.html_field, opts.text_field,
                                                           opts.url_field)}
        raw_id = fields[opts.id_field][1]
        given = scrub(str(raw_id)) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) \
            and str(raw_id).strip() else None
        if given is not None and len(given) > MAX_ID_CHARS:
            return Reject(source=where, line=lineno, reason="invalid-id",
                          message=f"id is {len(given)} characters long (limit {MAX_ID_CHARS})")
        html, text = fields[opts.html_field][1], fields[opts.text_field][1]
        try:
            if isinstance(html, (bytes, bytearray)) and html.strip():
                html = decode_bytes(bytes(html), html=True)[0]  # a binary column, decoded as a file is
            if isinstance(text, (bytes, bytearray)) and text.strip():
                text = decode_bytes(bytes(text))[0]
        except InputError as exc:
            return Reject(source=where, line=lineno, id=given, reason=exc.reason, message=str(exc))
        if isinstance(html, str) and html.strip():
            kind, content = "html", html
        elif isinstance(text, str) and text.strip():
            kind, content = "text", text
        else:
            present = [f for f in (opts.html_field, opts.text_field) if fields[f][0]]
            why = (f"field {present[0]!r} is {_describe(fields[present[0]][1])}" if present
                   else f"record has neither {opts.html_field!r} nor {opts.text_field!r}")
            return Reject(source=where, line=lineno, id=given, reason="no-content", message=why)
        url = fields[opts.url_field][1]
        metadata = _metadata(obj, [path for found, _, path in fields.values() if found])
        # Record policy: a repeated id keeps its record under a made-unique id
        # ("a42#2", as paths get), and an id field that cannot serve as an id (an
        # object, a bool, a float) gives way to the position in the file; either
        # way the value given is kept under metadata.original_id.
        doc_id = self._unique_id(given if given is not None else where)
        if raw_id is not None and (given is None or doc_id != given):
            metadata[_free_key(metadata, "original_id")] = raw_id
        if url is not None and not isinstance(url, str):
            # A url that is no string (a number, a list, an object) is no
            # address, but it is the record's: kept beside its metadata.
            metadata[_free_key(metadata, "original_url")] = url
        self._ids.add(doc_id)
        return Document(ordinal=self._next(), id=doc_id, source=where, content=_clean_text(scrub(content)),
                        kind=kind, url=scrub(url) if isinstance(url, str) and url.strip() else None,
                        metadata=scrub_tree(_jsonable(metadata)), line=lineno)

    def _read_warc(self, src: Source, stream: BinaryIO, dec: _Decompressing | None) -> Iterator[Document | Reject]:
        """One document per page record of a WARC or WET file (see cleaner.warc)."""
        from .warc import read_units

        count = 0
        units = read_units(stream, self.options.max_bytes)
        while True:
            try:
                unit = next(units)
            except StopIteration:
                break
            except (InputError, *_READ_ERRORS) as exc:  # the decompressor or the file failed under fastwarc
                err = dec.error if dec is not None and dec.error is not None else _stream_error(exc)
                yield Reject(source=f"{src.name}:{count + 1}", line=count + 1, reason=err.reason,
                             message=f"{err} (reading stopped here; the {count} records before it were read)")
                return
            count = unit.number
            where = f"{src.name}:{unit.number}"
            if unit.skipped is not None:
                if self.summary is not None:
                    self.summary.skipped[unit.skipped] = self.summary.skipped.get(unit.skipped, 0) + 1
                continue
            given = scrub(unit.record_id) if unit.record_id else None
            if given is not None and len(given) > MAX_ID_CHARS:
                given = None
            if unit.reason is not None:
                reason, message = unit.reason, unit.message
                if unit.last and dec is not None and dec.error is not None:
                    reason, message = dec.error.reason, f"{dec.error}; {unit.message}"
                yield Reject(source=where, line=unit.number, id=given, reason=reason, message=message)
                if unit.last:
                    return
                continue
            try:
                content, _ = decode_bytes(unit.payload, html=unit.kind == "html", charset=unit.charset)
            except InputError as exc:
                yield Reject(source=where, line=unit.number, id=given, reason=exc.reason, message=str(exc))
                continue
            if not content.strip():
                yield Reject(source=where, line=unit.number, id=given, reason="no-content",
                             message="the record's payload is empty")
                continue
            doc_id = self._unique_id(given if given is not None else where)
            metadata = dict(unit.metadata)
            if given is not None and doc_id != given:
                metadata["original_id"] = given
            self._ids.add(doc_id)
            yield Document(ordinal=self._next(), id=doc_id, source=where, content=_clean_text(content),
                           kind=unit.kind or "text", url=scrub(unit.url) if unit.url else None,
                           metadata=scrub_tree(metadata), line=unit.number)
        if dec is not None and dec.error is not None:
            # The compressed stream broke off right after a whole record.
            yield Reject(source=f"{src.name}:{count + 1}", line=count + 1, reason=dec.error.reason,
                         message=f"{dec.error}; the {count} records before it were read")
        elif count == 0:
            yield Reject(source=src.name, reason="empty", message="file holds no WARC records")

    def _read_parquet(self, src: Source, stream: BinaryIO, dec: _Decompressing | None,
                      file: BinaryIO | None) -> Iterator[Document | Reject]:
        """One document per row of a Parquet file, its columns read as a JSONL
        record's fields. Parquet keeps its index at the end, so a file is read
        in place (a row group at a time); from stdin or a compressed file it is
        read into memory first, up to ``max_bytes``."""
        from .parquet import ParquetMissing, RowError, rows

        try:
            if src.path is not None and dec is None:
                source: Any = file
            else:
                data = stream.read(self.options.max_bytes + 1)
                if dec is not None and dec.error is not None:
                    raise dec.error
                if len(data) > self.options.max_bytes:
                    raise InputError(f"Parquet from standard input or a compressed file is read whole, and this "
                                     f"one exceeds the size limit of {self.options.max_bytes} bytes (max_bytes); "
                                     f"give it as an uncompressed file", "too-large")
                source = io.BytesIO(data)
            row_iter = rows(source, self.options.max_bytes)
            n = 0
            for n, row in enumerate(row_iter, 1):
                if isinstance(row, RowError):  # this row alone cannot be taken (too large, a value unreadable)
                    yield Reject(source=f"{src.name}:{n}", line=n, reason=row.reason, message=str(row))
                    continue
                if isinstance(row, InputError):  # the file broke off at this row
                    yield Reject(source=f"{src.name}:{n}", line=n, reason=row.reason,
                                 message=f"{row} (reading stopped here; the {n - 1} rows before it were read)")
                    return
                yield self._from_object(row, f"{src.name}:{n}", n)
            if n == 0:
                yield Reject(source=src.name, reason="empty", message="Parquet file holds no rows")
        except ParquetMissing as exc:
            yield Reject(source=src.name, reason="unreadable", message=str(exc))
        except (InputError, *_READ_ERRORS) as exc:
            err = _stream_error(exc)
            yield Reject(source=src.name, reason=err.reason, message=str(err))


_TOO_DEEP = object()
_END = object()


def _lookup(obj: dict[str, Any], name: str) -> tuple[bool, Any, tuple[str, ...]]:
    """(found, value, path) of a field: the key ``name`` itself, else, for a
    dotted name, the path through nested objects (``metadata.url``)."""
    if name in obj:
        return True, obj[name], (name,)
    if "." in name:
        value: Any = obj
        path = tuple(name.split("."))
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return False, None, ()
            value = value[part]
        return True, value, path
    return False, None, ()


def _without(obj: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``obj`` without the field at ``path`` (and without objects that
    only held it); the caller's dict is left as it was."""
    head, rest = path[0], path[1:]
    if head not in obj:
        return obj
    out = dict(obj)
    if not rest:
        del out[head]
    elif isinstance(out[head], dict):
        inner = _without(out[head], rest)
        if inner:
            out[head] = inner
        else:
            del out[head]
    return out


def _metadata(obj: dict[str, Any], used: list[tuple[str, ...]]) -> dict[str, Any]:
    """The record's fields other than those read as id, content and url. A
    ``metadata`` object of the record's own (datatrove's shape) is merged in,
    not nested as ``metadata.metadata``: its entries come first, and a
    top-level field of the same name is kept as ``name#2``."""
    rest = obj
    for path in used:
        rest = _without(rest, path)
    own = rest.get("metadata")
    if not isinstance(own, dict):
        return dict(rest)
    merged = dict(own)
    for key, value in rest.items():
        if key != "metadata":
            merged[_free_key(merged, key)] = value
    return merged


def _jsonable(value: Any) -> Any:
    """Values of Parquet columns and of dicts passed to ``clean`` as JSON can
    write them: dates and times as ISO 8601, decimals and integers beyond 64
    bits as their digits, bytes as UTF-8 text (invalid bytes as U+FFFD), sets
    and tuples as lists."""
    if value is None or isinstance(value, (str, float, bool)):
        return value
    if isinstance(value, int):
        # Beyond 64 bits JSON readers lose digits (and orjson will not write
        # them): kept as their digits, as the JSONL reader keeps them.
        return value if -(1 << 63) <= value < (1 << 64) else str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=repr)  # a set's order changes from run to run
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _depth(value) -> int:
    """Nesting depth of a parsed JSON value (1 for a flat object), without recursion."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > deepest:
            deepest = d
            if d > MAX_JSON_DEPTH:
                return d
        for child in (v.values() if isinstance(v, dict) else v):
            if isinstance(child, (dict, list)):
                stack.append((child, d + 1))
    return deepest


def _free_key(metadata: dict, key: str) -> str:
    """``key``, or ``key#2``... when the record already has a field of that name."""
    name, n = key, 1
    while name in metadata:
        n += 1
        name = f"{key}#{n}"
    return name


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "empty"
    return f"a {type(value).__name__}, not a string"


def _lenient_json(line: bytes):
    """orjson rejects lone surrogate escapes, invalid UTF-8 inside strings and
    (before 3.10; later ones read them as floats) integers beyond 64 bits; the
    standard library accepts them, and scrub repairs the result. Integers
    orjson could not write back are kept as their digits (a string), so
    nothing of the record is lost. So are the values JSON has no number for
    and the standard library reads anyway: ``NaN``, ``Infinity`` and numbers
    beyond a float's range (``1e400``), which orjson would write as null."""
    import json

    try:
        return json.loads(line.decode("utf-8", "replace"), parse_int=_json_int, parse_float=_json_float,
                          parse_constant=str)
    except ValueError:
        return None


def _json_float(digits: str) -> float | str:
    value = float(digits)
    return value if math.isfinite(value) else digits


def _holds_huge_number(obj) -> bool:
    """Whether orjson read a number as a float that may have been an integer
    beyond 64 bits (orjson 3.10 and later do that instead of refusing it):
    such a record is read again by ``_lenient_json``, which keeps the digits.
    An integral float at least 2**63 in size is the sign; a float written
    so in the input reads the same either way."""
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, float) and abs(value) >= 9.223372036854775808e18 and value == value:
            return True
    return False


def _json_int(digits: str):
    if len(digits) > 20:
        return digits
    value = int(digits)
    return value if -(1 << 63) <= value < (1 << 64) else digits


def scrub(text: str) -> str:
    """Replace lone surrogates (unencodable in UTF-8 output) with U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def scrub_tree(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_tree(v) for v in value]
    return value


def prepared_content(text: str) -> str:
    """A document's content as every reader hands it on (lone surrogates
    replaced, line endings normalised, NUL dropped), for content that did not
    come through a reader (``cleaner.clean_text``, ``cleaner.clean_html``)."""
    return _clean_text(scrub(text))


def _clean_text(text: str) -> str:
    """Normalise line endings and drop NUL bytes: nothing downstream should see them."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


@dataclass(frozen=True)
class InputFile:
    """A file a run would read, as ``survey`` finds it (``path`` None: stdin)."""

    name: str
    path: str | None
    size: int | None
    mtime_ns: int | None


def survey(inputs: Iterable[Any], options: Options,
           exclude: Callable[[str], bool] | None = None) -> list[InputFile]:
    """The files a run over ``inputs`` reads, in order, with their sizes and
    modification times, found by the same walk the reader makes (stat only,
    nothing is opened): the total of the progress bar, and the inputs' part of
    the fingerprint that ``--resume`` checks. In-memory records give nothing."""
    paths = [os.fspath(p) for p in inputs if isinstance(p, (str, os.PathLike))]
    out = []
    for src in expand_inputs(paths, follow_symlinks=options.follow_symlinks, exclude=exclude):
        if isinstance(src, Reject):
            continue
        if src.path is None:
            out.append(InputFile("-", None, None, None))
            continue
        try:
            st = os.stat(src.path) if src.follow else os.lstat(src.path)
        except OSError:
            out.append(InputFile(src.name, src.path, None, None))
            continue
        out.append(InputFile(src.name, src.path, st.st_size, st.st_mtime_ns))
    return out
