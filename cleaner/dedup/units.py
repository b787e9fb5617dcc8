"""Units of reuse: the folded text of a document and the passages cut from it.

A passage is a sentence or a quotation: outlets reuse wire copy and statements
with edits (a dropped clause, a new attribution, re-punctuated quotes), so whole
paragraphs share too little to pass any sensible threshold while the sentences
and the quoted words inside them still match closely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numba
import numpy as np

MAX_PASSAGES = 5000
MAX_CHARS = 1_000_000
"""Passages (and characters) indexed per document: a 200 MB one-line "document"
must not take the index (or the memory) with it; real articles have a few dozen
passages and some thousand characters."""
NORMALISATION_VERSION = 3
"""What an index's word hashes and spans were made with (an index of another
version is refused): 3 since combining marks belong to the word before them."""
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


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def normalise(text: str, cps: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Folded code points of ``text`` with runs of spaces collapsed, and for each
    of them its index in ``text`` (so spans map back to exact offsets).
    ``cps``: ``code_points(text)`` when the caller has them already."""
    cps = code_points(text) if cps is None else cps
    table = _table()
    bmp = cps < 0x10000
    folded = np.where(bmp, table[np.minimum(cps, 0xFFFF)], cps)
    space = folded == _SPACE
    keep = ~(space & np.concatenate(([True], space[:-1])))
    pos = np.nonzero(keep)[0].astype(np.int64)
    return folded[keep], pos


# --- passages ---------------------------------------------------------------------------

# A sentence ends at a line end; at the full stops of scripts that have their
# own (CJK 。！？, Devanagari ।, Arabic ؟ and ۔, Armenian ։, Ethiopic ።); and at
# . ! ? (plus closing quotes) followed by a space and anything but a lower-case
# letter, so "U.S. companies" or "3.8 million" do not split while Arabic,
# Hebrew or Thai sentences, whose scripts have no case, do. (The lookahead in
# front names every character a boundary can start with: the regex engine
# then skips to those instead of trying each alternative everywhere, three
# times as fast.)
_BOUNDARY = re.compile(r"(?=[.!?。！？।॥؟۔։።\n])(?:[。！？]+[」』”’\"']*|[।॥؟۔։።]+|\n"
                       r"|[.!?]+[\"'”’»)\]]*(?=\s+(?![a-zß-öø-ÿ\u0100-\u024f\u03ac-\u03ce\u0430-\u045f])\S))")
_QUOTE = re.compile(r"“([^”\n]{20,})”|\"([^\"\n]{20,})\"|«([^»\n]{20,})»|„([^“”\n]{20,})[“”]|「([^」\n]{10,})」")
_TRIM = " \t\n\r\f\v\u00a0\"'“”‘’«»„「」()[]-–—,;:"
WINDOW = 300
"""A unit longer than 2 x WINDOW characters (text without sentence
punctuation: Thai, lists, some CJK pages, run-on lines) is cut into windows
of about WINDOW characters, at a space where there is one near the cut, so a
copy of part of it is still a copy of some of its windows. 300 characters is
two or three sentences of prose."""


LIST_ITEM_CHARS = 40
"""A line shorter than this is a list item, a menu entry or a table cell."""
_LIST = re.compile(r"^(?:[^\n]{1,%d}\n){2,}[^\n]{1,%d}$" % (LIST_ITEM_CHARS - 1, LIST_ITEM_CHARS - 1), re.M)
"""Three short lines and more in a row: a list, which is one unit beside its
items (an ingredient list, a sort menu, a table copied to another site is a
copy though no item alone is long enough to be one)."""
LIST_MIN_WORDS = 10
"""Words a list needs to be a unit: as many as a run of equal words that is a
copy on its own (``verify.RUN``). A few lines of chrome ("Read more /
WASHINGTON (AP) — / Share this article") are not a copy together either."""


def passages(text: str, min_chars: int) -> list[tuple[int, int]]:
    """Sentences and quotations of ``text`` as (start, end) offsets, trimmed,
    sorted by start then by length (longest first); over-long ones in
    windows."""
    return [(s, e) for s, e, _ in quoted_passages(text, min_chars)]


def code_blocks(text: str, roles: Sequence[str] | None) -> list[tuple[int, int]]:
    """The character ranges of ``text`` that are code: each run of consecutive
    lines whose role (``roles``, one a line of ``text``, as a record has them)
    is ``code``. Empty when the roles do not fit the text."""
    if not roles or "code" not in roles:
        return []
    lines = text.split("\n")
    if len(lines) != len(roles):
        return []
    out: list[tuple[int, int]] = []
    at = 0
    for line, role in zip(lines, roles):
        end = at + len(line)
        if role == "code":
            if out and out[-1][1] == at - 1:
                out[-1] = (out[-1][0], end)
            else:
                out.append((at, end))
        at = end + 1
    return out


def quoted_passages(text: str, min_chars: int, lead: int = 0,
                    blocks: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, bool]]:
    """``passages`` with, for each, whether it is the words inside quotation
    marks (a quotation is somebody's words: reused with edits, it is still
    theirs; see ``verify.verdict``). ``lead``: the first ``lead`` characters
    are a title and its newline; no passage runs from it into the text (a
    short title would otherwise open the list below it).

    ``blocks``: ranges of ``text`` that are one unit whatever their lines and
    punctuation say (code blocks, ``code_blocks``): a code block is copied
    whole or not at all, and its lines alone ("}", "import numpy as np",
    "return result;") are shared by any two pages about the same library
    without one copying the other. A block is cut in windows like any long
    passage; no sentence, quotation or list reaches into it."""
    out: dict[tuple[int, int], bool] = {}
    pieces = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        pieces.append((start, m.end(), False))
        start = m.end()
    pieces.append((start, len(text), False))
    if "“" in text or '"' in text or "«" in text or "„" in text or "「" in text:
        pieces.extend((m.start(m.lastindex), m.end(m.lastindex), True) for m in _QUOTE.finditer(text))
    if "\n" in text:
        found = _LIST.finditer(text, lead) if not lead else \
            [*_LIST.finditer(text, 0, lead - 1), *_LIST.finditer(text, lead)]
        pieces.extend((m.start(), m.end(), False) for m in found if len(m.group().split()) >= LIST_MIN_WORDS)
    if blocks:
        pieces = [p for p in pieces if not any(p[0] < be and bs < p[1] for bs, be in blocks)]
        pieces.extend((bs, be, False) for bs, be in blocks)
    while pieces:
        s, e, quoted = pieces.pop()
        piece = text[s:e]
        left = piece.lstrip(_TRIM)
        s += len(piece) - len(left)
        e = s + len(left.rstrip(_TRIM))
        if e - s > 2 * WINDOW:
            pieces.extend((ws, we, quoted) for ws, we in _windows(text, s, e))
        elif e - s >= min_chars:
            out[(s, e)] = out.get((s, e), False) or quoted
    return sorted(((s, e, q) for (s, e), q in out.items()), key=lambda p: (p[0], -p[1]))


def _windows(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """[s, e) cut into pieces of about WINDOW characters: at the last space in
    the final third of each piece, else right at WINDOW."""
    out = []
    while e - s > WINDOW * 3 // 2:
        cut = text.rfind(" ", s + WINDOW * 2 // 3, s + WINDOW)
        cut = cut if cut > s else s + WINDOW
        out.append((s, cut))
        s = cut
    out.append((s, e))
    return out



# --- words ------------------------------------------------------------------------------

SEPARATOR, WORD, SINGLE, JOINER, MARK = 0, 1, 2, 3, 4
_SINGLE_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF),
                  (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
"""Thai, Lao, Myanmar, Khmer, kana and CJK ideographs: scripts written without
spaces between words, where each character is a word of its own (a copy is
then a long run of equal characters, as it is a run of equal words elsewhere)."""


def _build_classes() -> np.ndarray:
    """Class of every folded BMP code point: word characters as ``\\w`` has
    them (underscore excepted), characters of scripts without spaces, the
    joiners (apostrophe and hyphen, after folding) that bind a word when they
    stand inside it ("don't", "cloud-based"), the combining marks (accents
    written apart, Indic vowel signs and viramas, Thai vowels and tones) that
    belong to the letter before them, and separators. ``\\w`` leaves the
    marks out: "गयी" was two words and a separator, "cafe\\u0301" ended a
    copy's span before its accent."""
    import re as _re

    word = _re.compile(r"[^\W_]")
    classes = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if word.match(ch):
            classes[cp] = WORD
        elif unicodedata.category(ch)[0] == "M":
            classes[cp] = MARK
    for lo, hi in _SINGLE_RANGES:
        classes[lo:hi + 1] = np.where(classes[lo:hi + 1] == WORD, SINGLE, classes[lo:hi + 1])
    classes[0x30FC] = SINGLE  # the prolonged sound mark is part of katakana words
    classes[ord("'")] = JOINER
    classes[ord("-")] = JOINER
    return classes


_CLASSES: np.ndarray | None = None


def _classes() -> np.ndarray:
    global _CLASSES
    if _CLASSES is None:
        _CLASSES = _build_classes()
    return _CLASSES


@numba.njit(cache=True, nogil=True)
def _class_of(classes, c):
    if c < 0x10000:
        return classes[c]
    if 0x20000 <= c < 0x40000:  # CJK ideograph extensions
        return SINGLE
    return SEPARATOR


@numba.njit(cache=True, nogil=True)
def _words(cps, classes, out_hash, out_start, out_end, out_digit):  # pragma: no cover - compiled
    """Words of folded code points: FNV-1a hash of each word's characters (its
    joiners skipped, so "cloud-based" and "cloudbased" are one word), where it
    starts and ends (indices into ``cps``), and whether it holds a digit."""
    n = 0
    i = 0
    size = cps.shape[0]
    while i < size:
        c = cps[i]
        k = _class_of(classes, c)
        if k == SINGLE:
            h = ((np.uint32(0x811C9DC5) ^ np.uint32(c)) * np.uint32(0x01000193)) & np.uint32(0xFFFFFFFF)
            out_start[n] = i
            i += 1
            while i < size and _class_of(classes, cps[i]) == MARK:  # a Thai vowel or tone mark on it
                h = ((h ^ np.uint32(cps[i])) * np.uint32(0x01000193)) & np.uint32(0xFFFFFFFF)
                i += 1
            out_hash[n] = h
            out_end[n] = i
            out_digit[n] = False
            n += 1
            continue
        if k != WORD:
            i += 1
            continue
        start = i
        h = np.uint32(0x811C9DC5)
        digit = False
        while i < size:
            c = cps[i]
            k = _class_of(classes, c)
            if k == WORD or k == MARK:
                h = ((h ^ np.uint32(c)) * np.uint32(0x01000193)) & np.uint32(0xFFFFFFFF)
                if 48 <= c <= 57:
                    digit = True
                i += 1
            elif k == JOINER and i + 1 < size and _class_of(classes, cps[i + 1]) == WORD and i > start:
                i += 1
            else:
                break
        out_hash[n] = h
        out_start[n] = start
        out_end[n] = i
        out_digit[n] = digit
        n += 1
    return n


def words(cps: np.ndarray, pos: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The words of a normalised text (``normalise``'s ``cps`` and ``pos``):
    their hashes, start and end offsets in the original text (Python string
    indices), and which hold a digit."""
    size = len(cps)
    h = np.empty(size, dtype=np.uint32)
    s = np.empty(size, dtype=np.int64)
    e = np.empty(size, dtype=np.int64)
    d = np.empty(size, dtype=np.bool_)
    n = _words(cps, _classes(), h, s, e, d)
    ends = np.append(pos, length)
    return h[:n], pos[s[:n]], ends[e[:n] - 1] + 1 if n else e[:0], d[:n]


_UPPER: np.ndarray | None = None


def capitalised(cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Whether the character at each of ``starts`` (indexes into the text's
    unfolded ``code_points``) is a capital letter."""
    global _UPPER
    if _UPPER is None:
        _UPPER = np.array([chr(c).isupper() if not 0xD800 <= c <= 0xDFFF else False for c in range(0x10000)],
                          dtype=np.bool_)
    at = cps[starts]
    return np.where(at < 0x10000, _UPPER[np.minimum(at, 0xFFFF)], False)
