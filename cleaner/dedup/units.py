"""Units of reuse: the folded text of a document and the passages cut from it.

A passage is a sentence or a quotation: outlets reuse wire copy and statements
with edits (a dropped clause, a new attribution, re-punctuated quotes), so whole
paragraphs share too little to pass any sensible threshold while the sentences
and the quoted words inside them still match closely.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

MAX_PASSAGES = 5000
MAX_CHARS = 1_000_000
"""Passages (and characters) indexed per document: a 200 MB one-line "document"
must not take the index (or the memory) with it; real articles have a few dozen
passages and some thousand characters."""
NORMALISATION_VERSION = 2
_SPACE = 32

# --- normalisation -----------------------------------------------------------------


def _build_table() -> np.ndarray:
    """Code point -> folded code point for the Basic Multilingual Plane.

    NFKC plus casefold per character, keeping the first character where the
    folding expands (ß -> s, ligatures): shingles only need a stable, edit-
    tolerant image of the text, not a reversible one. Quotes become ', dashes
    -, every kind of space a plain space.
    """
    table = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if folded and folded != ch:
            table[cp] = ord(folded[0])
    for ch in "\u2018\u2019\u201a\u201b\u2032\u00b4`\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a\"\u300c\u300d\u300e\u300f":
        table[ord(ch)] = ord("'")
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc":
        table[ord(ch)] = ord("-")
    for cp in range(0x10000):
        if chr(cp).isspace():
            table[cp] = _SPACE
    return table


_TABLE: np.ndarray | None = None


def _table() -> np.ndarray:
    global _TABLE
    if _TABLE is None:
        _TABLE = _build_table()
    return _TABLE


def normalise(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Folded code points of ``text`` with runs of spaces collapsed, and for each
    of them its index in ``text`` (so spans map back to exact offsets)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _table()
    bmp = cps < 0x10000
    folded = np.where(bmp, table[np.minimum(cps, 0xFFFF)], cps)
    space = folded == _SPACE
    keep = ~(space & np.concatenate(([True], space[:-1])))
    pos = np.nonzero(keep)[0].astype(np.int64)
    return folded[keep], pos


# --- passages ---------------------------------------------------------------------------

# A sentence ends at CJK full stops, at line ends, and at . ! ? (plus closing
# quotes) followed by a space and something that can start a sentence, so
# "U.S. companies" or "3.8 million" do not split.
_BOUNDARY = re.compile(r"[。！？]+[」』”’\"']*|\n|[.!?]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁ0-9\u3040-\u30ff\u4e00-\u9fff])")
_QUOTE = re.compile(r"“([^”\n]{20,})”|\"([^\"\n]{20,})\"|«([^»\n]{20,})»|„([^“”\n]{20,})[“”]|「([^」\n]{10,})」")
_TRIM = " \t\"'“”‘’«»„「」()[]-–—,;:"


def passages(text: str, min_chars: int) -> list[tuple[int, int]]:
    """Sentences and quotations of ``text`` as (start, end) offsets, trimmed,
    sorted by start then by length (longest first)."""
    out: set[tuple[int, int]] = set()
    start = 0
    for m in _BOUNDARY.finditer(text):
        s, e = _trim(text, start, m.end())
        if e - s >= min_chars:
            out.add((s, e))
        start = m.end()
    s, e = _trim(text, start, len(text))
    if e - s >= min_chars:
        out.add((s, e))
    for m in _QUOTE.finditer(text):
        s, e = _trim(text, m.start(m.lastindex), m.end(m.lastindex))
        if e - s >= min_chars:
            out.add((s, e))
    return sorted(out, key=lambda p: (p[0], -p[1]))


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    piece = text[s:e]
    left = piece.lstrip(_TRIM)
    s += len(piece) - len(left)
    return s, s + len(left.rstrip(_TRIM))

