"""Inputs to documents: walking, decompressing, decoding, JSONL parsing.

Every input unit ends up as exactly one :class:`Document` or one :class:`Reject`,
so nothing is ever silently lost. Directories are walked recursively in sorted
order and every document gets a global ordinal at read time: that ordinal, not
file-system or scheduling order, decides "earliest" everywhere downstream.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson

from .decode import decode_bytes
from .errors import InputError
from .options import Options
from .records import Document, Reject

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
COMPRESSED = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_GLOB_CHARS = set("*?[")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Source:
    """One file (or stdin) to read. ``name`` is what appears in ``source``."""

    path: str | None  # None: stdin
    name: str


def expand_inputs(inputs: Iterable[str]) -> Iterator[Source | Reject]:
    """Paths, directories (recursive, sorted), globs and '-' for stdin."""
    for given in inputs:
        if given == "-":
            yield Source(None, "-")
            continue
        if os.path.isdir(given):
            yield from _walk(given)
            continue
        if os.path.exists(given) or os.path.islink(given):
            yield Source(given, _display(given))
            continue
        if _GLOB_CHARS & set(given):
            matches = sorted(glob.glob(given, recursive=True))
            if matches:
                for path in matches:
                    if os.path.isdir(path):
                        yield from _walk(path)
                    else:
                        yield Source(path, _display(path))
                continue
        yield Reject(source=_display(given), reason="not-found", message=f"no such file or directory: {given}")


def _display(path: str | bytes) -> str:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    # File names that are not valid UTF-8 surface as surrogate escapes; keep them
    # printable (and JSON-encodable) with the usual backslash escapes.
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _walk(root: str) -> Iterator[Source | Reject]:
    """Sorted recursive walk that neither follows directory symlinks (loops) nor
    stops on an unreadable directory."""
    errors: list[OSError] = []
    entries: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        dirnames.sort()
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in sorted(filenames):
            if not name.startswith("."):
                entries.append(os.path.join(dirpath, name))
    for err in errors:
        yield Reject(source=_display(err.filename or root), reason="unreadable",
                     message=f"cannot list directory: {err.strerror}")
    for path in sorted(entries):
        name = _display(os.path.relpath(path, root))
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = stat.S_IFREG  # dangling link or vanished file: opening it reports why
        if not stat.S_ISREG(mode):
            # A named pipe would block the batch until something writes to it; a
            # device can be endless. Named on the command line they are read.
            yield Reject(source=name, reason="unreadable", message="not a regular file (pipe, socket or device)")
            continue
        yield Source(path, name)


def split_suffix(name: str) -> tuple[str, str | None]:
    """Return (content suffix, compression) for ``page.html.gz`` -> ('.html', 'gzip')."""
    base, ext = os.path.splitext(name.lower())
    compression = COMPRESSED.get(ext)
    if compression:
        ext = os.path.splitext(base)[1]
    return ext, compression


def _format_for(suffix: str) -> str | None:
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
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

    def lift(self) -> None:
        self._left = sys.maxsize

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(memoryview(b)[: max(1, min(len(b), self._left + 1))])
        if n and n > self._left:
            raise InputError(f"{self._what} exceeds the size limit of {self._limit} bytes (max_bytes)", "too-large")
        self._left -= n or 0
        return n or 0


def _open(src: Source, compression: str | None, limit: int) -> BinaryIO:
    raw: BinaryIO = sys.stdin.buffer if src.path is None else open(src.path, "rb")
    if compression == "gzip":
        raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif compression == "zstd":
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[assignment]
    return io.BufferedReader(_Limited(raw, limit, "decompressed input" if compression else "input"),
                             buffer_size=1 << 16)


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
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)) or "zstd" in type(exc).__name__.lower() \
            or "zstd" in text.lower() or "frame" in text.lower():
        return InputError(f"compressed stream is corrupt: {text}", "corrupt-compression")
    if isinstance(exc, PermissionError):
        return InputError(f"permission denied: {text}", "unreadable")
    if isinstance(exc, OSError):
        return InputError(f"cannot read: {text}", "unreadable")
    return InputError(text, "unreadable")


class Reader:
    """Turns inputs into Documents and Rejects, numbering documents in order."""

    def __init__(self, options: Options):
        self.options = options
        self._ordinal = 0
        self._ids: set[str] = set()

    def read(self, inputs: Iterable[str]) -> Iterator[Document | Reject]:
        for src in expand_inputs(inputs):
            if isinstance(src, Reject):
                yield src
                continue
            yield from self._read_source(src)

    def _next(self) -> int:
        self._ordinal += 1
        return self._ordinal - 1

    def _read_source(self, src: Source) -> Iterator[Document | Reject]:
        suffix, compression = split_suffix(src.name)
        fmt = self.options.format if self.options.format != "auto" else _format_for(suffix)
        stream = None
        try:
            if src.path is not None and os.path.isdir(src.path):
                raise InputError("is a directory", "unreadable")
            stream = _open(src, compression, self.options.max_bytes)
            if fmt is None:
                fmt = _sniff(stream.peek(2048)[:2048])
            if fmt == "jsonl":
                stream.raw.lift()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
            yield Reject(source=src.name, reason=_stream_error(exc).reason, message=str(_stream_error(exc)))
            self._close(src, stream)
            return
        try:
            if fmt == "jsonl":
                yield from self._read_jsonl(src, stream)
            else:
                yield self._read_whole(src, stream, fmt)
        finally:
            self._close(src, stream)

    @staticmethod
    def _close(src: Source, stream) -> None:
        if src.path is not None and stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - a failing close must not lose the batch
                pass

    def _read_whole(self, src: Source, stream: BinaryIO, fmt: str) -> Document | Reject:
        doc_id = self._unique_id(src.name)
        try:
            data = stream.read()
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
        doc_id, n = name, 1
        while doc_id in self._ids:
            n += 1
            doc_id = f"{name}#{n}"
        return doc_id

    def _read_jsonl(self, src: Source, stream: BinaryIO) -> Iterator[Document | Reject]:
        lineno = 0
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
                return
            lineno += 1
            if len(line) > limit and not line.endswith(b"\n"):
                # Skip the rest of an oversized line without holding it in memory.
                while True:
                    more = stream.readline(1 << 20)
                    if not more or more.endswith(b"\n"):
                        break
                yield Reject(source=f"{src.name}:{lineno}", line=lineno, reason="too-large",
                             message=f"line exceeds the size limit of {limit} bytes")
                continue
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            yield self._parse_record(src, lineno, line)

    def _parse_record(self, src: Source, lineno: int, line: bytes) -> Document | Reject:
        where = f"{src.name}:{lineno}"
        opts = self.options
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            obj = _lenient_json(line)
            if obj is None:
                truncated = not line.endswith(b"\n")
                return Reject(source=where, line=lineno, reason="truncated-json" if truncated else "invalid-json",
                              message="line is not valid JSON" + (" (truncated last line)" if truncated else ""))
        if not isinstance(obj, dict):
            return Reject(source=where, line=lineno, reason="not-an-object",
                          message=f"JSON value is {type(obj).__name__}, not an object")
        raw_id = obj.get(opts.id_field)
        doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) \
            and str(raw_id).strip() else where
        doc_id = _scrub(doc_id)
        if len(doc_id) > 1024:
            return Reject(source=where, line=lineno, reason="invalid-id",
                          message=f"id is {len(doc_id)} characters long (limit 1024)")
        if doc_id in self._ids:
            return Reject(source=where, line=lineno, id=doc_id, reason="duplicate-id",
                          message=f"id {doc_id!r} was already used by an earlier record")
        html, text = obj.get(opts.html_field), obj.get(opts.text_field)
        if isinstance(html, str) and html.strip():
            kind, content = "html", html
        elif isinstance(text, str) and text.strip():
            kind, content = "text", text
        else:
            present = [f for f in (opts.html_field, opts.text_field) if f in obj]
            why = (f"field {present[0]!r} is {_describe(obj[present[0]])}" if present
                   else f"record has neither {opts.html_field!r} nor {opts.text_field!r}")
            return Reject(source=where, line=lineno, id=doc_id, reason="no-content", message=why)
        url = obj.get(opts.url_field)
        metadata = {k: v for k, v in obj.items()
                    if k not in (opts.html_field, opts.text_field, opts.id_field, opts.url_field)}
        self._ids.add(doc_id)
        return Document(ordinal=self._next(), id=doc_id, source=where, content=_clean_text(_scrub(content)),
                        kind=kind, url=_scrub(url) if isinstance(url, str) and url.strip() else None,
                        metadata=_scrub_tree(metadata))


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "empty"
    return f"a {type(value).__name__}, not a string"


def _lenient_json(line: bytes):
    """orjson rejects lone surrogate escapes and invalid UTF-8 inside strings;
    the standard library accepts them, and _scrub repairs the result."""
    import json

    try:
        return json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return None


def _scrub(text: str) -> str:
    """Replace lone surrogates (unencodable in UTF-8 output) with U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def _scrub_tree(value):
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {_scrub(str(k)): _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_tree(v) for v in value]
    return value


def _clean_text(text: str) -> str:
    """Normalise line endings and drop NUL bytes: nothing downstream should see them."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text
