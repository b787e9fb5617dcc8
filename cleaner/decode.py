"""Bytes to text, the way browsers and careful crawlers do it.

Order matters: a byte-order mark is the strongest evidence, then what the page
declares (``<meta charset>`` / HTTP-equiv), then UTF-8 if the bytes are valid
UTF-8 (most of the web; many pages that declare Latin-1 are really UTF-8), then
statistical detection. A declared charset is only trusted when the bytes decode
cleanly under it and do not look like UTF-8 read as a single-byte charset, so a
wrong declaration falls through to detection instead of producing mojibake.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

from .errors import InputError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-:.]+)""", re.I)
FEW_STRAY_BYTES = 3
"""Broken sequences that count as stray bytes in UTF-8 text holding at least one
valid multi-byte character, however few those are."""
MAX_REPLACED = 0.01
"""Share of characters that may be broken for bytes to still count as UTF-8."""
# File signatures of binary formats that sometimes arrive with a text suffix.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"\x7fELF", "ELF binary"),
)


_ASCII_PROBE = b"<meta charset=x>\n"


@lru_cache(maxsize=256)
def _codec(name: str) -> str | None:
    """The codec a declared name stands for, if it can be a page's charset:
    one Python knows that decodes bytes to text and reads ASCII as ASCII
    (what the declaration itself was written in). Python's codec registry
    also holds bytes-to-bytes transforms (base64, hex, zlib, rot13: a
    LookupError at decode time), ones that fail on any input (undefined),
    punycode, and EBCDIC or UTF-16 families that read the ASCII of the page's
    own ``<meta>`` as other letters: a page declaring any of those is read
    as if it declared nothing (WHATWG treats a declared UTF-16 so too)."""
    try:
        info = codecs.lookup(name.strip().lower())
        if _ASCII_PROBE.decode(info.name) != _ASCII_PROBE.decode("ascii"):
            return None
        return info.name
    except (LookupError, ValueError, TypeError):  # unknown, not even a name (a NUL, a lone surrogate), no text codec
        return None


@lru_cache(maxsize=256)
def _single_byte(codec: str) -> bool:
    """Whether each byte is one character under ``codec`` (Latin, Cyrillic,
    Greek... code pages), unlike the CJK multi-byte ones."""
    try:
        return len(bytes(range(256)).decode(codec, "replace")) == 256
    except (LookupError, ValueError, TypeError):
        return False


def declared_charset(data: bytes) -> str | None:
    head = data[:8192]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        m = pattern.search(head)
        if m:
            name = _declared(m.group(1).decode("ascii", "replace"))
            if name:
                return name
    return None


def _declared(label: str) -> str | None:
    name = _codec(label)
    # WHATWG: a declared Latin-1 or ASCII means windows-1252 in practice.
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _looks_binary(data: bytes) -> str | None:
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    sample = data[:8192]
    if not sample:
        return None
    # Control bytes other than tab/newline/CR/formfeed/escape almost never occur in text.
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    if controls / len(sample) > 0.05:
        return "binary data"
    return None


def _valid_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, *, html: bool = False, charset: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise InputError for binary or undecodable bytes.

    ``charset`` is what the transport declared (the HTTP ``Content-Type`` of a
    WARC response): tried before the page's own ``<meta>``, as browsers do,
    under the same test (it must decode cleanly and not be UTF-8 in disguise);
    a declaration that fails it gives way to the next evidence."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name
            except UnicodeDecodeError as exc:
                raise InputError(f"bytes are not valid {name} despite a {name} byte-order mark: {exc}",
                                 "undecodable") from exc
    wide = _utf16_without_bom(data)
    if wide is not None:
        return wide
    what = _looks_binary(data)
    if what:
        raise InputError(f"content is {what}, not text", "binary")
    candidates = [_declared(charset)] if charset else []
    if html:
        candidates.append(declared_charset(data))
    for declared in dict.fromkeys(c for c in candidates if c):
        if declared == "utf-8":
            if _valid_utf8(data) is not None:
                break  # taken below
            continue
        # UTF-8 in disguise: bytes in a legacy charset almost never form valid
        # UTF-8 sequences, so text that is UTF-8 with non-ASCII letters is
        # UTF-8 whatever the page declares (a single-byte declaration decodes
        # any bytes, into mojibake); with a few stray bytes too where the
        # declaration is single-byte.
        utf8 = _valid_utf8(data)
        if utf8 is None and _single_byte(declared):
            utf8 = _mostly_utf8(data)
        if utf8 is not None and any(ord(c) > 127 for c in utf8):
            return utf8, "utf-8"
        try:
            text = data.decode(declared)
        except UnicodeError:  # broken bytes for it, or a codec that fails on anything
            text = None
        if text is not None and not _mojibake_prone(declared, data):
            return text, declared
    text = _valid_utf8(data)
    if text is not None:
        return text, "utf-8"
    lossy = _mostly_utf8(data)
    if lossy is not None:
        return lossy, "utf-8"
    best = from_bytes(data[: 1 << 20]).best()
    if best is None or best.encoding is None:
        # UTF-8 with a few broken sequences (a truncated multi-byte character, a
        # stray byte) is still UTF-8: keep the text, mark the damage with U+FFFD.
        lossy = data.decode("utf-8", "replace")
        if lossy.count("\ufffd") <= MAX_REPLACED * len(lossy):
            return lossy, "utf-8"
        raise InputError("could not determine the character encoding (no BOM, no valid declaration, "
                         "not UTF-8, detection failed)", "undecodable")
    try:
        return data.decode(best.encoding), best.encoding
    except (UnicodeError, LookupError) as exc:
        raise InputError(f"bytes do not decode as detected {best.encoding}: {exc}", "undecodable") from exc


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few stray bytes (a Latin-1 character pasted into a UTF-8
    page) is UTF-8: decoding all of it as a single-byte charset would turn every
    correct multi-byte character into mojibake to save the few broken ones.

    The test is that the valid multi-byte sequences are at least as many as the
    broken ones (or the broken ones are a few, FEW_STRAY_BYTES, beside at least
    one valid sequence): text in a single-byte charset (Latin or Cyrillic) almost never
    holds a valid UTF-8 sequence (a letter byte followed by exactly the right
    number of bytes from the 0x80-0xBF range), while each of its non-ASCII
    letters is a broken one. Pure ASCII with a stray byte is left to detection
    (the byte is most likely windows-1252 punctuation)."""
    lossy = data.decode("utf-8", "replace")
    broken = lossy.count("\ufffd")
    multibyte = sum(1 for ch in lossy if ord(ch) > 127) - broken
    if multibyte >= 1 and broken <= max(multibyte, FEW_STRAY_BYTES):
        return lossy
    return None


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a byte-order mark: mostly-Latin UTF-16 has a NUL in every
    other byte (odd positions: little endian), which would otherwise read as
    binary. Taken only when the bytes decode and the text has no control
    characters to speak of."""
    sample = data[:8192]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.3 and zeros_even < 0.02:
        codec = "utf-16-le"
    elif zeros_even > 0.3 and zeros_odd < 0.02:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) // 2 * 2].decode(codec)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\t\n\r\x0c")
    if controls > 0.01 * max(1, len(text[:4096])):
        return None
    return text, codec


def _mojibake_prone(declared: str, data: bytes) -> bool:
    """A single-byte declaration that every byte string satisfies (e.g. cp1251 for a
    cp1252 page) is checked against detection: if detection is confident about a
    different single-byte charset, the declaration is wrong."""
    if declared not in ("cp1251", "koi8-r", "cp1252", "iso8859-5", "cp1250"):
        return False
    best = from_bytes(data[: 1 << 18]).best()
    if best is None or best.encoding is None:
        return False
    found = _codec(best.encoding)
    return found is not None and found != declared and found != "utf-8" and best.chaos < 0.05 \
        and _cyrillic(declared) != _cyrillic(found)


def _cyrillic(codec: str) -> bool:
    return codec in ("cp1251", "koi8-r", "iso8859-5", "mac-cyrillic", "cp866", "koi8-u")
