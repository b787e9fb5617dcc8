"""Block features: one numpy matrix per page, one row per block.

Three families, kept apart so that the text-dump model (phase 2) can reuse the
first without a DOM:

* :func:`text_features`: what a block's words say (length, punctuation,
  digits, capitals, stop-word share for the page's language, the chrome kind
  its wording names in :mod:`cleaner.rules`, a date line). DOM-free.
* :func:`dom_features`: where the block sits (role, the structural tags above
  it, depth, link density, repetition of its ancestors among their siblings,
  the share of the page's text its containers hold, position, headings before
  it, JSON-LD ``articleBody`` overlap), with neighbour and window features.
* vocabulary columns (:func:`vocab_columns`): one indicator per class/id word
  of a vocabulary chosen from the training pages by frequency (the model file
  carries it), and the page-type probabilities (:mod:`cleaner.model.pagetype`).

:data:`FEATURES` names the fixed columns, in order; the model file names every
column it was trained on, and loading it checks that they agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..extract.blocks import CONTEXT, ROLE_NAMES, Block
from ..rules import normalize_line
from ..strip import FEATURES_CACHE_CHARS, _features_cached, _features_now
from .stopwords import LANGS, STOPWORDS

WORD = re.compile(r"\w+")
RULE_KINDS = ("advertisement", "audio-player", "author-bio", "byline", "comment-widget", "cookie-notice", "copyright",
              "date", "donation-appeal", "navigation", "newsletter", "paywall", "photo-caption", "promo-widget",
              "read-more", "read-time", "related-articles", "share-buttons")
_KIND_INDEX = {k: i for i, k in enumerate(RULE_KINDS)}
_TERMINAL = frozenset(".!?。！？\"”’'»)")
_SEPARATORS = "|·•›»/"
_CURRENCY = "$€£¥₹₽"

TEXT_FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "word_len", "punct_share", "digit_share", "upper_share", "terminal", "sentences",
    "commas_per_word", "starts_upper", "stop_share", "all_caps", "separators", "date_line", "bullet", "currency",
    "ends_colon", "ends_question", "ellipsis", "rule_any", "rule_wall", "rule_strong",
) + tuple("rule:" + k for k in RULE_KINDS)

_NEIGHBOUR_BASE = ("log_chars", "link_density", "terminal", "stop_share", "cshare2", "heading", "rule_any")
_OFFSETS = (-2, -1, 1, 2)

DOM_FEATURES: tuple[str, ...] = (
    tuple("role:" + r for r in ROLE_NAMES) + tuple("in:" + c for c in CONTEXT) + (
        "depth", "depth_rel", "link_density", "links", "heading",
        "rep1", "rep2", "rep3", "rep4", "rep_max", "rep_max_dist",
        "cshare1", "cshare2", "cshare3", "cshare4", "cshare6", "cshare8", "cshare12",
        "cld1", "cld2", "cld3", "cld4", "cld6", "cblocks2", "cblocks4",
        "pos_block", "pos_chars", "pos_elem", "since_heading", "last_heading", "after_h1", "from_h1",
        "page_blocks", "page_chars", "page_link_density", "dup_count", "body_overlap", "has_body",
        "title_overlap", "rel_len", "sib_text_share",
        "win3_link_density", "win3_terminal", "win3_stop_share", "win10_log_chars", "win10_terminal",
    ) + tuple(f"nb{o:+d}:{n}" for o in _OFFSETS for n in _NEIGHBOUR_BASE)
)

VERDICT_FEATURES: tuple[str, ...] = (
    "v_kept", "v_inside", "v_context", "v_head", "vh_kept", "vh_context", "win3_v_kept", "win3_vh_kept",
    "nb-1:v_kept", "nb+1:v_kept",
)
"""The rule classifier's verdicts (:func:`cleaner.strip.judge_lines`) on the
page's blocks read as lines: ``v_*`` as for a text dump (the article region
found as the best run of prose, title, byline and date above it, chrome
wording decided in its context), ``vh_*`` as for an extracted HTML text (no
region: wording in context, sections after their openers, the short tail).
``kept``: the classifier keeps the block; ``inside``: it lies in the article
region; ``context``: removed by its place (a section, outside the region, a
repeat), not by its own wording; ``head``: the title, byline or date."""

FEATURES: tuple[str, ...] = TEXT_FEATURES + DOM_FEATURES + VERDICT_FEATURES
"""The fixed columns of the block matrix, in order. The model's columns are
these, then ``cls:<word>`` for its vocabulary, then ``type:<page type>``."""

_TI = {n: i for i, n in enumerate(TEXT_FEATURES)}


def page_language(texts: Sequence[str], declared: str | None) -> str | None:
    """The declared language when a stop-word list exists for it, else the
    language whose function words are most frequent on the page."""
    if declared in STOPWORDS:
        return declared
    counts = dict.fromkeys(LANGS, 0)
    seen = 0
    for t in texts:
        for w in WORD.findall(t.lower()):
            seen += 1
            for lang in LANGS:
                if w in STOPWORDS[lang]:
                    counts[lang] += 1
        if seen > 3000:
            break
    best = max(LANGS, key=counts.__getitem__)
    return best if counts[best] >= 5 else None


_rule_cache: dict[str, tuple[int, int, int, int, str | None]] = {}
RULE_MAX_CHARS = 1004
"""Longest block the wording rules are tried on (rules.match_rule's own limit,
STRONG_SEARCH_MAX plus a bullet)."""


def _rule_of(text: str) -> tuple[int, int, int, int, str | None]:
    """(kind index + 1 or 0, wall, strong, date line, rule name) for a block's
    text, cached: a site's chrome repeats on every page. The rule and the date
    are the line classifier's own (its per-line cache, strip._features_cached,
    which the verdict features fill for the same texts)."""
    got = _rule_cache.get(text)
    if got is None:
        if len(text) > RULE_MAX_CHARS and len(normalize_line(text)) > RULE_MAX_CHARS:
            got = (0, 0, 0, 0, None)
        else:
            f = _features_cached(text) if len(text) <= FEATURES_CACHE_CHARS else _features_now(text)
            line, rule, date = (f[0], f[2], f[3]) if f is not None else ("", None, None)
            dated = int(date is not None and len(line) <= 80)
            if rule is not None:
                got = (_KIND_INDEX[rule.kind] + 1, int(rule.wall), int(rule.strong), dated, rule.name)
            else:
                got = (0, 0, 0, dated, "date-line" if dated else None)
        if len(_rule_cache) > 100_000:
            _rule_cache.clear()
        _rule_cache[text] = got
    return got


def rule_of(text: str) -> tuple[str | None, str | None]:
    """(the chrome kind the block's wording names, the rule's name), or Nones.
    A block that is a date and nothing else is a ``date`` whatever else its
    shape suggests ("05/06/2024" also looks like a breadcrumb): its date then
    goes to the record's field."""
    kind, _, _, dated, name = _rule_of(text)
    if dated:
        return "date", name if kind and RULE_KINDS[kind - 1] == "date" else "date-line"
    if kind:
        return RULE_KINDS[kind - 1], name
    return None, None


_FLAG_ALPHA, _FLAG_UPPER, _FLAG_DIGIT, _FLAG_ASCII_DIGIT, _FLAG_PUNCT, _FLAG_COMMA, _FLAG_SPACE, _FLAG_SEP, \
    _FLAG_CURRENCY = (1 << k for k in range(9))


def _flags(ch: str) -> int:
    return ((_FLAG_ALPHA if ch.isalpha() else 0) | (_FLAG_UPPER if ch.isupper() else 0)
            | (_FLAG_DIGIT if ch.isdigit() else 0) | (_FLAG_ASCII_DIGIT if ch in "0123456789" else 0)
            | (_FLAG_PUNCT if ch in ".,;:!?" else 0) | (_FLAG_COMMA if ch == "," else 0)
            | (_FLAG_SPACE if ch == " " else 0) | (_FLAG_SEP if ch in _SEPARATORS else 0)
            | (_FLAG_CURRENCY if ch in _CURRENCY else 0))


_ASCII_FLAGS = np.array([_flags(chr(c)) for c in range(128)], dtype=np.uint16)
_BLOCK = 256


class _WideFlags:
    """``_flags`` of every code point past ASCII, by table, filled a block of
    256 code points at a time when a block is first met (about 0.08 ms a
    block). It replaced a per-batch sort of the distinct characters met,
    which on a page in Chinese (thousands of distinct characters) cost more
    than the rest of its features. The table is allocated whole at once (2 MB
    of zeros, which the system maps only where written), so threads (Dask's
    workers) never see two tables; two threads filling one block write the
    same values, and a block is marked filled only once written."""

    def __init__(self) -> None:
        self.table = np.zeros(0x110000, dtype=np.uint16)
        self.filled = np.zeros(0x110000 // _BLOCK, dtype=bool)

    def __call__(self, cp: np.ndarray) -> np.ndarray:
        met = np.zeros(len(self.filled), dtype=bool)
        met[cp // _BLOCK] = True
        for block in np.flatnonzero(met & ~self.filled).tolist():
            start = block * _BLOCK
            self.table[start:start + _BLOCK] = [_flags(chr(c)) for c in range(start, start + _BLOCK)]
            self.filled[block] = True
        return self.table[cp]


_wide_flags = _WideFlags()


def _char_flags(cp: np.ndarray) -> np.ndarray:
    """The character classes of code points (``_flags``), by table."""
    out = _ASCII_FLAGS[np.minimum(cp, 127)]
    wide = cp >= 128
    if wide.any():
        out[wide] = _wide_flags(cp[wide])
    return out


SHORT_BLOCK = 400
"""Blocks shorter than this get exact counts of letters, capitals and digits
(labels, headings, prices: where they tell); longer ones are prose or dumps
either way, and get estimates (letters 80% of characters, no capitals, ASCII
digits)."""


def words_of_texts(texts: Sequence[str]) -> list[list[str]]:
    """Each text's lower-cased words (what :func:`text_features` counts)."""
    return [WORD.findall(t.lower()) for t in texts]


def text_features(texts: Sequence[str], lang: str | None,
                  words_of: list[list[str]] | None = None, *,
                  stop_share: bool = True) -> tuple[np.ndarray, list[list[str]]]:
    """The DOM-free columns for a page's blocks (or a dump's lines, none of them
    empty), and each block's lower-cased words (``words_of``, when the caller
    has them already: :func:`words_of_texts`). Every column but the stop-word
    share is the block's own; that share counts the words of ``lang``'s list
    (``stop_share=False`` leaves it 0: for lines of several pages at once,
    :mod:`cleaner.model.linebatch` sets each page's own)."""
    stops = STOPWORDS.get(lang or "", STOPWORDS["en"])
    n = len(texts)
    out = np.zeros((n, len(TEXT_FEATURES)), dtype=np.float32)
    if n == 0:
        return out, []
    # Character classes for the whole page at once, summed per block.
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    flags = _char_flags(np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32))
    starts = np.concatenate(([0], np.cumsum(lens)[:-1]))

    def count(flag: int) -> np.ndarray:
        return np.add.reduceat((flags & flag).astype(bool).astype(np.int64), starts)

    short = lens < SHORT_BLOCK
    letters = np.where(short, count(_FLAG_ALPHA), np.maximum(1, (lens * 0.8).astype(np.int64)))
    upper = np.where(short, count(_FLAG_UPPER), 0)
    digits = np.where(short, count(_FLAG_DIGIT), count(_FLAG_ASCII_DIGIT))
    if words_of is None:
        words_of = words_of_texts(texts)
    nw = np.fromiter(map(len, words_of), dtype=np.int64, count=n)
    safe_nw = np.maximum(nw, 1)
    lasts = [t[-1] for t in texts]
    chars = lens.astype(np.float64)
    out[:, 0] = np.log1p(chars)
    out[:, 1] = np.log1p(nw)
    out[:, 2] = np.where(nw > 0, (lens - count(_FLAG_SPACE)) / safe_nw, 0.0)
    out[:, 3] = count(_FLAG_PUNCT) / chars
    out[:, 4] = digits / chars
    out[:, 5] = np.where(letters > 0, upper / np.maximum(letters, 1), 0.0)
    out[:, 6] = [c in _TERMINAL for c in lasts]
    out[:, 7] = np.log1p([t.count(". ") + t.count("! ") + t.count("? ") + (c in ".!?") for t, c in zip(texts, lasts)])
    out[:, 8] = np.where(nw > 0, count(_FLAG_COMMA) / safe_nw, 0.0)
    out[:, 9] = [t[0].isupper() for t in texts]
    if stop_share:
        hits = (sum(map(stops.__contains__, w)) for w in words_of)
        out[:, 10] = np.where(nw > 0, np.fromiter(hits, dtype=np.float64, count=n) / safe_nw, 0.0)
    out[:, 11] = np.array([t.isupper() for t in texts]) & (letters > 3)
    out[:, 12] = count(_FLAG_SEP)
    out[:, 14] = [t[0] in "-–—•·*▪►0123456789" for t in texts]
    out[:, 15] = count(_FLAG_CURRENCY) > 0
    out[:, 16] = [c == ":" for c in lasts]
    out[:, 17] = [c == "?" for c in lasts]
    out[:, 18] = [t.endswith(("...", "…")) for t in texts]
    rule_base = _TI["rule:" + RULE_KINDS[0]]
    for i, text in enumerate(texts):
        if len(text) <= RULE_MAX_CHARS:
            kind, wall, strong, dated, _ = _rule_of(text)
            if dated:
                out[i, 13] = 1.0
            if kind:
                row = out[i]
                row[19] = 1.0
                row[20] = wall
                row[21] = strong
                row[rule_base + kind - 1] = 1.0
    return out, words_of


def _log(x):
    return np.log1p(np.asarray(x, dtype=np.float32))


def dom_features(blocks: Sequence[Block], text: np.ndarray, words_of: list[list[str]], *, elements: int,
                 title: str | None, article_body: str | None) -> np.ndarray:
    """The DOM columns (see :data:`DOM_FEATURES`) for a page's blocks, given
    their text columns."""
    n = len(blocks)
    nr, nc = len(ROLE_NAMES), len(CONTEXT)
    out = np.zeros((n, len(DOM_FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    role_index = {r: i for i, r in enumerate(ROLE_NAMES)}
    chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float32, count=n)
    total = float(chars.sum()) or 1.0
    link = np.fromiter((b.link_chars for b in blocks), dtype=np.float32, count=n)
    depth = np.fromiter((b.depth for b in blocks), dtype=np.float32, count=n)
    ctx = np.array([b.context for b in blocks], dtype=np.float32).reshape(n, nc)
    roles = np.fromiter((role_index[b.role] for b in blocks), dtype=np.int64, count=n)
    out[np.arange(n), roles] = 1.0
    out[:, nr:nr + nc] = np.minimum(ctx, 3.0)
    c = nr + nc
    out[:, c] = depth
    out[:, c + 1] = depth - float(np.median(depth))
    ld = link / np.maximum(chars, 1.0)
    out[:, c + 2] = ld
    out[:, c + 3] = _log([b.links for b in blocks])
    heading = ((roles >= 1) & (roles <= 6)).astype(np.float32)
    out[:, c + 4] = heading
    # Ancestors: repetition among siblings, share of the page's text held.
    reps = np.ones((n, 4), dtype=np.float32)
    rep_max = np.ones(n, dtype=np.float32)
    rep_dist = np.zeros(n, dtype=np.float32)
    levels = (1, 2, 3, 4, 6, 8, 12)
    cshare = np.zeros((n, len(levels)), dtype=np.float32)
    cld = np.zeros((n, 5), dtype=np.float32)
    cblocks = np.zeros((n, 2), dtype=np.float32)
    sib_share = np.zeros(n, dtype=np.float32)
    for i, b in enumerate(blocks):
        fr = b.frames
        m = len(fr)
        best, bestd = 1, 0
        for d in range(1, m + 1):
            f = fr[m - d]
            r = f.siblings.get(f.sig, 1)
            if d <= 4:
                reps[i, d - 1] = r
            if r > best:
                best, bestd = r, d
        rep_max[i] = best
        rep_dist[i] = bestd
        if bestd:
            f = fr[m - bestd]
            sib_share[i] = f.chars / total
        for j, d in enumerate(levels):
            if d <= m:
                f = fr[m - d]
                cshare[i, j] = f.chars / total
                if j < 5:
                    cld[i, j] = f.link_chars / max(f.chars, 1)
                if d == 2:
                    cblocks[i, 0] = f.blocks
                elif d == 4:
                    cblocks[i, 1] = f.blocks
    out[:, c + 5:c + 9] = np.log(reps)
    out[:, c + 9] = np.log(rep_max)
    out[:, c + 10] = rep_dist
    out[:, c + 11:c + 18] = cshare
    out[:, c + 18:c + 23] = cld
    out[:, c + 23:c + 25] = np.log1p(cblocks)
    c += 25
    idx = np.arange(n, dtype=np.float32)
    out[:, c] = idx / max(n - 1, 1)
    out[:, c + 1] = (np.cumsum(chars) - chars) / total
    out[:, c + 2] = np.fromiter((b.element for b in blocks), dtype=np.float32, count=n) / max(elements, 1)
    # Headings before the block.
    since = np.zeros(n, dtype=np.float32)
    last_level = np.zeros(n, dtype=np.float32)
    after_h1 = np.zeros(n, dtype=np.float32)
    from_h1 = np.zeros(n, dtype=np.float32)
    last, lvl, h1 = -1, 0, -1
    for i in range(n):
        since[i] = i - last if last >= 0 else 999
        last_level[i] = lvl
        after_h1[i] = h1 >= 0
        from_h1[i] = i - h1 if h1 >= 0 else -1
        r = roles[i]
        if 1 <= r <= 6:
            last, lvl = i, r
            if r == 1 and h1 < 0:
                h1 = i
    if h1 >= 0:
        from_h1[:h1 + 1] = np.arange(-h1, 1, dtype=np.float32)
    out[:, c + 3] = np.log1p(np.minimum(since, 999))
    out[:, c + 4] = last_level
    out[:, c + 5] = after_h1
    out[:, c + 6] = np.sign(from_h1) * np.log1p(np.abs(from_h1))
    out[:, c + 7] = np.log1p(n)
    out[:, c + 8] = np.log1p(total)
    out[:, c + 9] = float(link.sum()) / total
    counts: dict[str, int] = {}
    for b in blocks:
        counts[b.text] = counts.get(b.text, 0) + 1
    out[:, c + 10] = _log([counts[b.text] - 1 for b in blocks])
    if article_body:
        body_words = set(WORD.findall(article_body.lower()))
        out[:, c + 11] = [sum(1 for w in ws if w in body_words) / len(ws) if ws else 0.0 for ws in words_of]
        out[:, c + 12] = 1.0
    if title:
        title_words = set(WORD.findall(title.lower()))
        out[:, c + 13] = [sum(1 for w in ws if w in title_words) / len(ws) if ws and len(ws) < 40 else 0.0
                          for ws in words_of]
    out[:, c + 14] = chars / float(chars.max())
    out[:, c + 15] = sib_share
    c += 16
    # Windows, weighted by characters: prose runs, menus run.
    w = chars
    for k, (col, radius) in enumerate(((ld, 3), (text[:, _TI["terminal"]], 3), (text[:, _TI["stop_share"]], 3),
                                       (text[:, _TI["log_chars"]], 10), (text[:, _TI["terminal"]], 10))):
        out[:, c + k] = _window(col, w, radius)
    c += 5
    base = {"log_chars": text[:, _TI["log_chars"]], "link_density": ld, "terminal": text[:, _TI["terminal"]],
            "stop_share": text[:, _TI["stop_share"]], "cshare2": cshare[:, 1], "heading": heading,
            "rule_any": text[:, _TI["rule_any"]]}
    for o in _OFFSETS:
        for name in _NEIGHBOUR_BASE:
            out[:, c] = _shift(base[name], o)
            c += 1
    assert c == len(DOM_FEATURES)
    return out


_HEAD_KINDS = frozenset(("title", "byline", "date"))


def verdict_features(texts: Sequence[str], title: str | None, url: str | None) -> np.ndarray:
    """The :data:`VERDICT_FEATURES` columns for a page's blocks."""
    from ..strip import judge_lines

    n = len(texts)
    out = np.zeros((n, len(VERDICT_FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    raws = list(texts)
    for is_html, kept_col, context_col in ((False, 0, 2), (True, 4, 5)):
        judged = judge_lines(raws, is_html=is_html, title=title, url=url)
        if not judged.lines:
            continue
        lines, start, end = judged.lines, judged.start, judged.end
        for k, line in enumerate(lines):
            i = line.index
            kind = line.kind
            if kind is None:
                out[i, kept_col] = 1.0
            elif kind in _HEAD_KINDS:
                if not is_html:
                    out[i, 3] = 1.0
            elif line.rule is None or line.why != line.rule.name:
                out[i, context_col] = 1.0
            if not is_html and start <= k < end:
                out[i, 1] = 1.0
    w = np.fromiter(map(len, texts), dtype=np.float32, count=n)
    out[:, 6] = _window(out[:, 0], w, 3)
    out[:, 7] = _window(out[:, 4], w, 3)
    out[:, 8] = _shift(out[:, 0], -1)
    out[:, 9] = _shift(out[:, 0], 1)
    return out


def _shift(col: np.ndarray, offset: int) -> np.ndarray:
    """col[i + offset], -1 past the page's ends."""
    out = np.full_like(col, -1.0)
    if offset > 0:
        out[:-offset] = col[offset:]
    else:
        out[-offset:] = col[:offset]
    return out


def _window(col: np.ndarray, weight: np.ndarray, radius: int) -> np.ndarray:
    """Weighted mean of ``col`` over blocks i-radius..i+radius."""
    cw = np.concatenate(([0.0], np.cumsum(col * weight, dtype=np.float64)))
    cs = np.concatenate(([0.0], np.cumsum(weight, dtype=np.float64)))
    n = len(col)
    lo = np.clip(np.arange(n) - radius, 0, n)
    hi = np.clip(np.arange(n) + radius + 1, 0, n)
    return ((cw[hi] - cw[lo]) / np.maximum(cs[hi] - cs[lo], 1.0)).astype(np.float32)


def near_words(blocks: Sequence[Block]) -> list[set[str]]:
    """The class/id words of each block's nearest ancestors."""
    out = []
    for b in blocks:
        s: set[str] = set()
        for f in b.frames:
            s.update(f.words)
        out.append(s)
    return out


def vocab_columns(words: list[set[str]], vocab: Sequence[str]) -> np.ndarray:
    """One indicator column per vocabulary word: the word is in the block's
    nearest ancestors' class or id."""
    index = {w: i for i, w in enumerate(vocab)}
    out = np.zeros((len(words), len(vocab)), dtype=np.float32)
    for i, ws in enumerate(words):
        for w in ws:
            j = index.get(w)
            if j is not None:
                out[i, j] = 1.0
    return out
