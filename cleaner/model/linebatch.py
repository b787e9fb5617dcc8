"""The line matrices of many pages at once: :func:`cleaner.model.lines.line_matrix`
for a batch of text dumps, stacked, with the same values bit for bit.

Why: a dump has some 40 lines, and the per-page matrix is some 150 small
numpy operations whose fixed cost (a microsecond or two each) was most of the
line model's time, more than the rules' own judgement of the lines. Here
each operation runs once over all the lines of a batch (a worker's task holds
hundreds of pages) and the one model call predicts them all. What must stay
per page is done per page: the page's language, its repeated lines, and the
page-wide sums (taken over the page's own slice, so that numpy adds the same
numbers in the same order as on the page alone). Every other column is a
function of the line and of its page-local position only.

``tests/test_linebatch.py`` checks the result against ``line_matrix`` page by
page, on the fixtures and on generated pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np

from ..strip import Judged, Line, ascii_words, title_shaped
from .features import WORD, text_features
from .lines import (ANCHOR_CLIP, LANG_CHARS, LINE_FEATURES, OWN_FEATURES, PAGE_FEATURES, _NB_BASE, _NB_OFFSETS, _TF,
                    _WIN_BASE, _WIN_RADII, dump_language, mark_verdicts)
from .pagetype import url_shape
from .stopwords import ALL_STOPWORDS, LANGS, STOPWORDS


def line_matrices(pages: Sequence[tuple[Judged, str | None]]) -> tuple[np.ndarray, np.ndarray]:
    """``(X, bounds)``: the rows of every page's line matrix, page after page,
    and the pages' row ranges (page ``k`` is ``X[bounds[k]:bounds[k + 1]]``;
    a page without lines has none)."""
    sizes = [len(j.lines) for j, _ in pages]
    bounds = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))
    total_n = int(bounds[-1])
    if total_n == 0:
        return np.zeros((0, len(LINE_FEATURES)), dtype=np.float32), bounds
    lines = [x for j, _ in pages for x in j.lines]
    texts = [x.text for x in lines]
    text = _text_columns(lines, texts, sizes)

    # Per line, with its page's position, size, region and headline.
    live = [(j, url, n) for (j, url), n in zip(pages, sizes) if n]
    page_of = np.repeat(np.arange(len(live)), [n for _, _, n in live])
    first_row = bounds[:-1][np.asarray(sizes) > 0]
    pos = (np.arange(total_n) - first_row[page_of]).astype(np.float64)
    n_of = np.array([n for _, _, n in live], dtype=np.float64)[page_of]
    start = np.array([j.start for j, _, _ in live], dtype=np.float64)[page_of]
    end = np.array([j.end for j, _, _ in live], dtype=np.float64)[page_of]
    has_anchor = np.array([j.anchor is not None for j, _, _ in live])[page_of]
    anchor = np.array([j.anchor if j.anchor is not None else 0 for j, _, _ in live], dtype=np.float64)[page_of]

    own = np.zeros((total_n, len(OWN_FEATURES)), dtype=np.float32)
    chars = np.fromiter(map(len, texts), dtype=np.float64, count=total_n)
    index = np.fromiter((x.index for x in lines), dtype=np.int64, count=total_n)
    rep = np.zeros(total_n, dtype=np.float64)
    first = np.zeros(total_n, dtype=np.float32)
    is_title = np.zeros(total_n, dtype=np.float32)
    row = 0
    for j, _, n in live:
        folded = [x.folded for x in j.lines]
        counts: dict[str, int] = {}
        for i, f in enumerate(folded):
            c = counts.get(f, 0)
            counts[f] = c + 1
            if not c:
                first[row + i] = 1.0
        rep[row:row + n] = [counts[f] for f in folded]
        folded_title = folded[j.anchor] if j.anchor is not None else None
        is_title[row:row + n] = [x.kind == "title" or f == folded_title for x, f in zip(j.lines, folded)]
        row += n
    own[:, 0] = [x.kind is None for x in lines]
    own[:, 2] = [bool(x.prose) for x in lines]
    own[:, 3] = [title_shaped(x) for x in lines]
    own[:, 4] = [x.glued is not None for x in lines]
    own[:, 10] = np.log(rep)
    own[:, 11] = first
    own[:, 15] = is_title
    own[:, 16] = [x.date is not None for x in lines]
    mark_verdicts(own, lines)
    # Runs of the rules' same verdict, a page's first line starting one.
    new_run = np.ones(total_n, dtype=bool)
    new_run[1:] = own[1:, 0] != own[:-1, 0]
    new_run[first_row] = True
    run = np.cumsum(new_run) - 1
    own[:, 17] = np.log1p(np.bincount(run)[run])
    own[:, 18] = np.log1p(np.bincount(run, weights=chars)[run])
    own[:, 1] = (pos >= start) & (pos < end)
    gap = np.ones(total_n + 1, dtype=bool)  # a page's first line has a gap before, its last one after
    gap[1:-1] = np.diff(index) > 1
    page_start = np.zeros(total_n + 1, dtype=bool)
    page_start[first_row] = True
    page_start[-1] = True
    gap |= page_start
    own[:, 5] = gap[:-1]
    own[:, 6] = gap[1:]
    own[:, 7] = pos / np.maximum(n_of - 1, 1)
    totals = np.array([float(chars[a:a + n].sum()) or 1.0 for a, n in zip(first_row.tolist(), (n for *_, n in live))])
    cum = np.cumsum(chars)
    before = np.concatenate(([0.0], cum))[first_row]
    own[:, 8] = (cum - before[page_of] - chars) / totals[page_of]
    own[:, 9] = np.where(pos < start, start - pos, np.where(pos >= end, pos - end + 1, 0)) / n_of
    d = pos - anchor
    own[:, 12] = has_anchor
    own[:, 13] = np.where(has_anchor, np.clip(d, -ANCHOR_CLIP, ANCHOR_CLIP), ANCHOR_CLIP + 1)
    own[:, 14] = has_anchor & (d > 0)

    cols = {"log_chars": text[:, _TF["log_chars"]], "terminal": text[:, _TF["terminal"]],
            "stop_share": text[:, _TF["stop_share"]], "rule_any": text[:, _TF["rule_any"]],
            "old_keep": own[:, 0], "prose": own[:, 2], "title_shaped": own[:, 3]}
    nb = _shifts(np.column_stack([cols[c] for c in _NB_BASE]), pos, n_of)
    win = _windows(np.column_stack([cols[c] for c in _WIN_BASE]), np.log1p(chars), pos, n_of, first_row, page_of)
    page = np.zeros((len(live), len(PAGE_FEATURES)), dtype=np.float32)
    stop, cur, bullet, digit = (text[:, _TF[c]] for c in ("stop_share", "currency", "bullet", "digit_share"))
    for k, ((j, url, n), a) in enumerate(zip(live, first_row.tolist())):
        c = chars[a:a + n]
        total = totals[k]
        page[k] = (np.log1p(n), np.log1p(total), c[own[a:a + n, 0] > 0].sum() / total,
                   c[own[a:a + n, 2] > 0].sum() / total, float((stop[a:a + n] * c).sum() / total),
                   float(cur[a:a + n].mean()), float(bullet[a:a + n].mean()), float((c < 30).mean()),
                   float(digit[a:a + n].mean()), (j.end - j.start) / n, *url_shape(url))
    return np.hstack([text, own, nb, win, page[page_of]]).astype(np.float32, copy=False), bounds


def _text_columns(lines: list[Line], texts: list[str], sizes: list[int]) -> np.ndarray:
    """``text_features`` of every line of the batch (page after page, ``sizes``
    lines each), each page's lines with its own language's stop words.

    The columns are computed once per distinct line: all but the stop-word
    share are functions of the line's text alone, and a batch's lines repeat
    (a site's menus, share bars and footers on each of its pages: of
    ScrapingHub's 10,003 dump lines, 5,993 are distinct). Each distinct
    line's count of every language's stop words (:data:`_STOP_LANGS`) gives
    both the page's language (:func:`dump_language`: the counts summed over
    the page's lines) and the line's stop-word share for it."""
    ids: dict[str, int] = {}
    line_id = np.fromiter((ids.setdefault(t, len(ids)) for t in texts), dtype=np.int64, count=len(texts))
    distinct = list(ids)
    first = dict(zip(line_id.tolist(), lines))  # a line of each distinct text (any: all are alike)
    distinct_words = [_words(first[k]) for k in range(len(distinct))]
    columns, _ = text_features(distinct, None, distinct_words, stop_share=False)
    out = columns[line_id]
    # Stop words of each language per distinct line, then per line.
    n_words = np.fromiter(map(len, distinct_words), dtype=np.int64, count=len(distinct))
    flat = np.fromiter(map(_STOP_ROW.get, chain.from_iterable(distinct_words), repeat(0)), dtype=np.int64,
                       count=int(n_words.sum()))
    # Summed over the stop words alone (fewer than half the words): per
    # distinct line, the difference of running sums at its last stop word.
    hit = np.flatnonzero(flat)
    per_line = np.bincount(np.repeat(np.arange(len(distinct)), n_words)[hit], minlength=len(distinct))
    cum = np.zeros((len(hit) + 1, len(LANGS)), dtype=np.int64)
    np.cumsum(_STOP_LANGS[flat[hit]], axis=0, out=cum[1:])
    ends = np.cumsum(per_line)
    stops = (cum[ends] - cum[ends - per_line])[line_id]
    lang = np.empty(len(texts), dtype=np.int64)
    at = 0
    for n in sizes:
        if n:
            lang[at:at + n] = _page_language(texts, at, n, stops, line_id, distinct_words)
        at += n
    nw = n_words[line_id]
    hits = stops[np.arange(len(texts)), lang].astype(np.float64)
    out[:, _TF["stop_share"]] = np.where(nw > 0, hits / np.maximum(nw, 1), 0.0)  # as text_features computes it
    return out


_STOP_ROW = {w: k + 1 for k, w in enumerate(sorted(ALL_STOPWORDS))}
"""Every stop word's row of :data:`_STOP_LANGS` (other words: row 0)."""
_STOP_LANGS = np.zeros((len(_STOP_ROW) + 1, len(LANGS)), dtype=np.int64)
for _w, _row in _STOP_ROW.items():
    _STOP_LANGS[_row] = [_w in STOPWORDS[lang] for lang in LANGS]
"""Which languages' lists hold each stop word (one row a word, one column a
language, LANGS' order)."""
_ENGLISH = LANGS.index("en")


def _page_language(texts: list[str], at: int, n: int, stops: np.ndarray, line_id: np.ndarray,
                   distinct_words: list[list[str]]) -> int:
    """The column of the page's language in :data:`_STOP_LANGS` (English's
    when it has none), as :func:`dump_language` finds it: the language with
    the most stop words in the page's first LANG_CHARS characters (the
    first in LANGS' order on a tie), if it has five."""
    if sum(map(len, texts[at:at + n])) + n - 1 > LANG_CHARS:
        # A page longer than the head: dump_language itself (the cut line).
        lang = dump_language(texts[at:at + n], [distinct_words[k] for k in line_id[at:at + n].tolist()])
        return LANGS.index(lang) if lang is not None else _ENGLISH
    counts = stops[at:at + n].sum(axis=0)
    best = int(np.argmax(counts))
    return best if counts[best] >= 5 else _ENGLISH


def _words(line: Line) -> list[str]:
    """``words_of_texts([line.text])[0]``, the ``\\w+`` runs of the lower-cased
    text, read off the line's folded form where that is the same list
    (``strip.ascii_words``: a line of ASCII and word-break symbols such as
    curly quotes and dashes, without "_"), and splitting that is faster than
    the regular expression (ScrapingHub's 5,993 distinct dump
    lines, 1,061 of them not ASCII, 663 of those ASCII but for such symbols:
    10.2 against 21.5 ms)."""
    t = line.text
    return line.folded.split() if ascii_words(t) else WORD.findall(t.lower())


def _shifts(base: np.ndarray, pos: np.ndarray, n_of: np.ndarray) -> np.ndarray:
    """Columns base[i + o] for each offset (-1 past the line's page's ends), offset-major."""
    rows = np.arange(len(base))
    out = []
    for o in _NB_OFFSETS:
        inside = (pos + o >= 0) & (pos + o < n_of)
        out.append(np.where(inside[:, None], base[np.clip(rows + o, 0, len(base) - 1)], np.float32(-1.0)))
    return np.hstack(out)


def _windows(base: np.ndarray, weight: np.ndarray, pos: np.ndarray, n_of: np.ndarray, first_row: np.ndarray,
             page_of: np.ndarray) -> np.ndarray:
    """Weighted means of each column over the lines i-r..i+r of the line's
    page, radius-major: the page's own running sums, as ``line_matrix`` takes
    them (a running sum over the whole batch would round differently)."""
    n, pages = len(base), len(first_row)
    # Page k's running sums start with a 0 at first_row[k] + k: line i of the
    # batch is at i + k + 1.
    cw = np.empty((n + pages, base.shape[1]), dtype=np.float64)
    cs = np.empty(n + pages, dtype=np.float64)
    prod = base * weight[:, None]
    ends = [*first_row.tolist()[1:], n]
    for k, (a, b) in enumerate(zip(first_row.tolist(), ends)):
        cw[a + k] = 0.0
        cw[a + k + 1:b + k + 1] = np.cumsum(prod[a:b], axis=0, dtype=np.float64)
        cs[a + k] = 0.0
        cs[a + k + 1:b + k + 1] = np.cumsum(weight[a:b], dtype=np.float64)
    base_at = first_row[page_of] + page_of
    out = []
    for r in _WIN_RADII:
        lo = base_at + np.clip(pos - r, 0, n_of).astype(np.int64)
        hi = base_at + np.clip(pos + r + 1, 0, n_of).astype(np.int64)
        out.append((cw[hi] - cw[lo]) / np.maximum(cs[hi] - cs[lo], 1.0)[:, None])
    return np.hstack(out).astype(np.float32)


def predict_pages(model, pages: Sequence[tuple[Judged, str | None]]) -> list[np.ndarray]:
    """Each page's line probabilities from ``model`` (a
    :class:`cleaner.model.lines.LineModel`), the batch in one matrix and one
    call: the same numbers as ``model.predict`` page by page (the tree walk is
    row by row)."""
    X, bounds = line_matrices(pages)
    probs = model.predict_rows(X)
    return [probs[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


__all__ = ["line_matrices", "predict_pages"]
