"""WARC and WET files, record by record: what each record becomes.

A crawl is a WARC file: one ``response`` record per fetched URL (the HTTP
headers, then the payload), plus ``request``, ``metadata``, ``revisit`` and
``warcinfo`` records that hold no page. A WET file (Common Crawl's extracted
text) holds one ``conversion`` record per page. So:

* a ``response`` (or ``resource``) record with an HTML payload is one HTML
  document: ``WARC-Target-URI`` is its url, ``WARC-Record-ID`` its id, and
  ``WARC-Date`` and the HTTP status go under metadata; the charset of the HTTP
  ``Content-Type`` is used in decoding, before the page's ``<meta>``;
* a response that is not a page is rejected with its reason: ``http-status``
  for anything but 2xx (redirects, 404 pages, server errors: their HTML is the
  server's, not an article), ``not-html`` for images, PDFs, scripts, feeds;
* a ``conversion`` record is one text document;
* every other record type is skipped and counted (``Summary.skipped``).

Records are read one at a time by fastwarc, from the stream the reader has
already decompressed (gzip per record, zstd, or none; any name, also stdin),
so memory does not grow with the file; a payload above ``max_bytes`` is
rejected ``too-large`` without being held. fastwarc rather than warcio: it
parses in compiled code (Rust) at several times warcio's speed, streams from
any object with ``read`` and ``tell``, and parses the HTTP headers and charset
itself. A record cut off by the end of the file (a truncated download) is
rejected ``truncated`` and every record before it is kept; bytes that are not a
WARC record are one ``invalid-warc`` reject, and reading goes on at the next
record's version line.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .errors import InputError

WARC_MAGIC = (b"WARC/1.0\r", b"WARC/1.1\r", b"WARC/0.", b"WARC/1.0\n", b"WARC/1.1\n")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S)


def is_warc(head: bytes) -> bool:
    """A WARC file starts with its version line, whatever it is called."""
    return head.lstrip(b"\r\n").startswith(WARC_MAGIC)


@dataclass
class Unit:
    """What one WARC record gives: a payload to decode as a document, a reject
    (``reason``, ``message``), or a skipped record (``skipped``, its type)."""

    number: int
    """1-based position of the record in the file (every record counts)."""
    kind: str | None = None  # "html" or "text" for a document
    payload: bytes = b""
    record_id: str | None = None
    url: str | None = None
    charset: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    message: str = ""
    skipped: str | None = None
    last: bool = False
    """No record follows (the file is cut off or broken here)."""


class _Kept:
    """The decompressed stream, with the bytes read since the start of the
    last whole record kept: after a corrupt record, reading starts again at
    the next record's version line, from those bytes and the rest of the
    stream (``read_units``). What is kept is one record and fastwarc's
    read-ahead at the most (``trim`` drops the rest as records pass)."""

    SCAN = 1 << 20
    HOLD = 16 << 20
    """At most this much is kept (a payload fastwarc skips, a video or one
    over ``max_bytes``, passes through here whole): past it, the oldest bytes
    go, and a corrupt record after such a one is searched past from the
    oldest byte still kept instead of from the end of the record before."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.buf = bytearray()
        self.base = 0
        """Stream position of ``buf[0]``."""
        self.eof = False

    def fill(self, n: int) -> bool:
        """Read up to ``n`` more bytes into the buffer; False at the end."""
        if self.eof:
            return False
        chunk = self._raw.read(n)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def trim(self, pos: int) -> None:
        if pos > self.base:
            del self.buf[:pos - self.base]
            self.base = pos

    def find_version_line(self, start: int) -> int | None:
        """Position of the first version line at or after ``start`` (at a
        line's start) in what is kept, without reading on or trimming."""
        m = _VERSION_LINE.search(self.buf, max(start - self.base, 0))
        while m is not None and m.start() > 0 and self.buf[m.start() - 1:m.start()] != b"\n":
            m = _VERSION_LINE.search(self.buf, m.start() + 1)
        return None if m is None else self.base + m.start()

    def next_record(self, start: int) -> int | None:
        """Position of the first version line at or after ``start`` (at a
        line's start), reading on as needed; None at the end of the stream."""
        while True:
            at = self.find_version_line(start)
            if at is not None:
                return at
            # Keep what a version line cut by this read may have begun with
            # (never trimming past what was read: positions must stay true).
            end = self.base + len(self.buf)
            self.trim(min(max(end - 16, start), end))
            if not self.fill(self.SCAN):
                return None


_VERSION_LINE = re.compile(rb"WARC/(?:1\.0|1\.1|0\.\d+)\r?\n")


class _View(io.RawIOBase):
    """The stream from position ``start`` on, for fastwarc: the kept bytes
    first, then the rest of the stream (kept too). fastwarc needs ``tell``
    on a Python stream (and stops the process with a panic without it); a
    decompressing stream has no position, so count it (from the stream's
    start, so that records' ``stream_pos`` are positions in the stream)."""

    def __init__(self, kept: _Kept, start: int):
        self._kept, self.pos = kept, start

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        kept = self._kept
        off = self.pos - kept.base
        if off >= len(kept.buf) and not kept.fill(max(len(b), 1 << 16)):
            return 0
        n = min(len(b), len(kept.buf) - off)
        b[:n] = kept.buf[off:off + n]
        self.pos += n
        if len(kept.buf) > kept.HOLD:
            kept.trim(min(self.pos, kept.base + len(kept.buf) - kept.HOLD // 2))
        return n

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return False


def read_units(stream: BinaryIO, max_bytes: int) -> Iterator[Unit]:
    """One :class:`Unit` per WARC record of ``stream`` (decompressed bytes).

    Bytes that are not a record (a corrupt header, garbage) are one
    ``invalid-warc`` unit, and reading goes on at the next record's version
    line: one bad record does not take the records after it down. A record
    whose Content-Length does not end it (early: its content cut short, the
    rest left as garbage; late: running into the next record) is itself the
    ``invalid-warc`` unit, under its own number, and reading goes on at the
    next version line after its start."""
    from fastwarc.warc import ArchiveIterator

    kept = _Kept(stream)
    start, last = 0, None
    records = iter(ArchiveIterator(_View(kept, start), parse_http=True, stream_detect=False, auto_decode="none"))
    number = 0
    while True:
        number += 1
        try:
            record = next(records)
        except StopIteration:
            # fastwarc ends quietly at a record torn inside its header block:
            # what follows the last whole record must be nothing but padding.
            tail = _tail(kept, last, start)
            if tail:
                torn = _VERSION_LINE.match(tail) is not None
                yield Unit(number, reason="truncated" if torn else "invalid-warc", last=True,
                           message=(f"WARC record is cut off inside its header ({len(tail)} bytes)" if torn else
                                    f"{len(tail)} bytes after the last record are not a WARC record") +
                                   f"; the {number - 1} records before it were read")
            return
        except BaseException as exc:
            # fastwarc reports its own bugs as pyo3's PanicException, a
            # BaseException: one file's, not the batch's end.
            if not isinstance(exc, (OSError, ValueError)) and type(exc).__name__ != "PanicException":
                raise
            what = "not a WARC record" if isinstance(exc, (OSError, ValueError)) else "the WARC reader failed here"
            # Search from the end of the last whole record (its header block and
            # Content-Length), or one byte past where this reading began.
            after = max(start + 1, _end_of(kept, last))
            resume = kept.next_record(after)
            if resume is None:
                yield Unit(number, reason="invalid-warc", last=True,
                           message=f"{what} ({exc}); no WARC record follows, the {number - 1} records before it "
                                   f"were read")
                return
            yield Unit(number, reason="invalid-warc",
                       message=f"{what} ({exc}); reading goes on at the next record, {resume - after} bytes on")
            kept.trim(resume)
            start, last = resume, None
            records = iter(ArchiveIterator(_View(kept, start), parse_http=True, stream_detect=False,
                                           auto_decode="none"))
            continue
        kept.trim(record.stream_pos)
        if kept.buf.find(b"\r\n\r\n") < 0 and not kept.fill(1 << 16) and kept.buf.find(b"\r\n\r\n") < 0:
            # fastwarc hands out a record whose header block the file ends in.
            yield Unit(number, reason="truncated", last=True,
                       message=f"WARC record is cut off inside its header ({len(kept.buf)} bytes); the "
                               f"{number - 1} records before it were read")
            return
        last = (record.stream_pos, _block_length(record))
        unit = _unit(record, number, max_bytes)
        there = _misframed(kept, last) if unit.reason != "too-large" else None
        if there == b"" and kept.find_version_line(record.stream_pos + 1) is None:
            there = None  # the file ends inside the record: cut off (a truncated download), as _unit says
        if there is not None:
            # The Content-Length ends the record inside its content, or runs it
            # into the next record (past the end of the file, too): what was
            # read as its block is not the record, and what follows it is not
            # a record either. The record is the one reject, and reading goes
            # on at the next version line after its start (a record it ran
            # into included).
            resume = kept.next_record(record.stream_pos + 1)
            message = f"the WARC record's Content-Length ({last[1]}) does not end it: " + (
                f"{there!r} follows where it says the record ends" if there else
                "it runs past the end of the file, over the next record")
            if resume is None:
                yield Unit(number, reason="invalid-warc", last=True,
                           message=f"{message}; no WARC record follows, the {number - 1} records before it "
                                   f"were read")
                return
            yield Unit(number, reason="invalid-warc", message=f"{message}; reading goes on at the next record")
            kept.trim(resume)
            start, last = resume, None
            records = iter(ArchiveIterator(_View(kept, start), parse_http=True, stream_detect=False,
                                           auto_decode="none"))
            continue
        yield unit


def _block_length(record) -> int:
    """The record's block length as its header gives it (``content_length``
    is the payload's, after the HTTP headers fastwarc has parsed)."""
    try:
        return max(int(record.headers.get("Content-Length") or 0), 0)
    except ValueError:
        return 0


FRAME_LOOK = 1 << 20
"""How far past what has been read the end of a record is looked for
(``_misframed``): a record fastwarc skipped (a video, a payload over
``max_bytes``) ends further on, and is not read into memory to be checked."""


def _misframed(kept: _Kept, last: tuple[int, int]) -> bytes | None:
    """What follows the block of the record at ``last`` (``(stream_pos,
    block length)``) when that is not how a record ends (the blank line
    after the block, a version line, or padding to the end of the stream),
    else None; ``b""`` when the stream ends before the record does; None
    too where the end is not known or lies more than FRAME_LOOK past what
    was read. Only the record's own end is looked at: a broken record after
    a good one is the next reading's reject."""
    if last[0] < kept.base:
        return None
    head_end = kept.buf.find(b"\r\n\r\n", last[0] - kept.base)
    if head_end < 0:
        return None
    end = kept.base + head_end + 4 + last[1]
    want = end + 64
    while kept.base + len(kept.buf) < want:
        if want - (kept.base + len(kept.buf)) > FRAME_LOOK or not kept.fill(1 << 16):
            break
    if end > kept.base + len(kept.buf):
        return b"" if kept.eof else None  # b"": the stream ends before the record
    after = bytes(kept.buf[end - kept.base:want - kept.base])
    if after.startswith((b"\r\n\r\n", b"\n\n")):
        return None  # the blank line after a block: whatever follows is the next reading's
    rest = after.lstrip(_PAD)
    if not rest or _VERSION_LINE.match(rest) or (len(after) < 64 and b"WARC/".startswith(rest[:5])):
        return None  # padding, the end, or the next version line (a writer that leaves no blank line)
    return after[:32]


def _end_of(kept: _Kept, last: tuple[int, int] | None) -> int:
    """Stream position just past the last whole record (``(stream_pos,
    content_length)``: its header block, then its block), or the oldest byte
    kept when that is not known."""
    if last is not None and last[0] >= kept.base:
        end = kept.buf.find(b"\r\n\r\n", last[0] - kept.base)
        if end >= 0:
            return kept.base + end + 4 + last[1]
    return kept.base


def _tail(kept: _Kept, last: tuple[int, int] | None, start: int) -> bytes:
    """The start (up to 4 KiB) of what follows the last whole record, without
    the blank lines and zero padding that may end a file; empty if nothing
    else does. The rest of the stream is read through, not kept."""
    target = max(_end_of(kept, last) if last is not None else start, kept.base)
    while kept.base + len(kept.buf) < target and kept.fill(1 << 16):  # a block longer than what was read
        kept.trim(min(target, kept.base + len(kept.buf)))
    found = bytes(kept.buf[max(target - kept.base, 0):]).strip(_PAD)[:4096]
    kept.trim(kept.base + len(kept.buf))
    while kept.fill(1 << 16):
        if not found:
            found = bytes(kept.buf).strip(_PAD)[:4096]
        kept.trim(kept.base + len(kept.buf))
    return found


_PAD = b"\r\n\0 \t"


def _unit(record, number: int, max_bytes: int) -> Unit:
    rtype = str(record.record_type)
    headers = record.headers
    unit = Unit(number, record_id=_clean(headers.get("WARC-Record-ID")), url=_clean(headers.get("WARC-Target-URI")))
    date = _clean(headers.get("WARC-Date"))
    if date:
        unit.metadata["warc_date"] = date
    if rtype not in ("response", "resource", "conversion"):
        unit.skipped = rtype
        return unit
    expected = record.content_length
    payload = record.reader.read(max_bytes + 1)
    if len(payload) > max_bytes:
        unit.reason, unit.message = "too-large", f"WARC record payload exceeds the size limit of {max_bytes} bytes"
        return unit
    if len(payload) < expected:
        unit.reason, unit.last = "truncated", True
        unit.message = (f"WARC record is cut off: the file ends after {len(payload)} of its {expected} bytes; the "
                        f"{number - 1} records before it were read")
        return unit
    if rtype == "conversion":
        unit.kind, unit.payload = "text", payload
        return unit
    http = rtype == "response" and record.is_http
    if http:
        status = record.http_headers.status_code
        unit.metadata["http_status"] = status
        if status is None or not 200 <= status < 300:
            unit.reason = "http-status"
            unit.message = f"HTTP status {status if status is not None else 'missing'}" + \
                (" (a redirect)" if status is not None and 300 <= status < 400 else "") + ", not a page"
            return unit
        ctype = record.http_content_type
        unit.charset = record.http_charset
        try:
            payload = _decode_http(payload, record.http_headers, max_bytes)
        except InputError as exc:
            unit.reason, unit.message = exc.reason, str(exc)
            return unit
    else:
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower() or None
    ctype = (ctype or headers.get("WARC-Identified-Payload-Type") or "").lower().strip()
    if ctype in HTML_TYPES or (not ctype or ctype in ("application/octet-stream", "text/plain")) \
            and _HTML_START.match(payload[:4096]):
        unit.kind, unit.payload = "html", payload
        return unit
    unit.reason = "not-html"
    unit.message = f"{rtype} record is {ctype or 'of no stated type'}, not an HTML page"
    return unit


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _decode_http(payload: bytes, headers, limit: int) -> bytes:
    """Undo the HTTP transfer and content encodings a crawler may have stored
    as they came over the wire (Common Crawl stores them decoded; wget and
    others do not). A body that does not start as its stated encoding does is
    taken as already decoded."""
    te = (headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        payload = _unchunk(payload)
    ce = (headers.get("Content-Encoding") or "").lower().strip()
    if ce in ("gzip", "x-gzip") and payload.startswith(b"\x1f\x8b") or ce == "deflate":
        return _inflate(payload, limit, gzip=ce != "deflate")
    if ce == "br":
        try:
            import brotli  # installed with fastwarc
        except ImportError as exc:
            raise InputError("HTTP body is brotli-compressed and the brotli package is missing", "unreadable") \
                from exc
        try:
            try:
                out = brotli.Decompressor().process(payload, output_buffer_limit=limit + 1)
            except TypeError:  # a brotli without the limit: the record's own size bounds it less tightly
                out = brotli.Decompressor().process(payload)
        except Exception as exc:  # noqa: BLE001 - brotli's error type
            raise InputError(f"HTTP body is not valid brotli: {exc}", "corrupt-compression") from exc
    elif ce == "zstd" and payload.startswith(b"\x28\xb5\x2f\xfd"):
        import zstandard

        try:
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(payload)) as reader:
                out = reader.read(limit + 1)  # read at most this much: a bomb stops here
        except zstandard.ZstdError as exc:
            raise InputError(f"HTTP body is not valid zstd: {exc}", "corrupt-compression") from exc
    else:
        return payload
    if len(out) > limit:
        raise InputError(f"decompressed HTTP body exceeds the size limit of {limit} bytes", "too-large")
    return out


def _inflate(payload: bytes, limit: int, *, gzip: bool) -> bytes:
    """A gzip or deflate body, every gzip member of it (a body of several
    members kept the first one only); a gzip body cut off inside a member is
    ``truncated``, as a cut-off ``.gz`` file is, not a page cut short."""
    for wbits in ((31,) if gzip else (15, -15)):
        dec = zlib.decompressobj(wbits=wbits)
        try:
            out = dec.decompress(payload, limit + 1)
        except zlib.error:
            continue
        while gzip and dec.eof and dec.unused_data[:2] == b"\x1f\x8b" and len(out) <= limit:
            rest = dec.unused_data
            dec = zlib.decompressobj(wbits=wbits)
            try:
                out += dec.decompress(rest, limit + 1 - len(out))
            except zlib.error as exc:
                raise InputError(f"HTTP body is not valid gzip after its first member ({exc})",
                                 "corrupt-compression") from exc
        if len(out) > limit or dec.unconsumed_tail:
            raise InputError(f"decompressed HTTP body exceeds the size limit of {limit} bytes", "too-large")
        if gzip and not dec.eof:
            raise InputError("HTTP body's gzip stream is cut off", "truncated")
        return out
    if not gzip:
        return payload  # "deflate" that is not: stored as is
    raise InputError("HTTP body is not valid gzip", "corrupt-compression")


_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


def _unchunk(body: bytes) -> bytes:
    """HTTP/1.1 chunked transfer coding; a body that does not parse as chunks
    is taken as already decoded."""
    out, pos = [], 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return body
        field = body[pos:end].split(b";")[0].strip()
        if not _CHUNK_SIZE.fullmatch(field):
            # Hex digits only: int() also takes "-6" (which sent the reading
            # back to where it started, for ever), "+6", "0x6" and "6_0".
            return body
        size = int(field, 16)
        if size == 0:
            return b"".join(out)
        out.append(body[end + 2: end + 2 + size])
        pos = end + 2 + size + 2
        if pos > len(body):
            return b"".join(out)
