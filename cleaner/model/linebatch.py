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

import numpy as np

from ..strip import Judged, title_shaped
from .features import text_features, words_of_texts
from .lines import (ANCHOR_CLIP, LINE_FEATURES, OWN_FEATURES, PAGE_FEATURES, _NB_BASE, _NB_OFFSETS, _TF, _WIN_BASE,
                    _WIN_RADII, dump_language, mark_verdicts)
from .pagetype import url_shape
from .stopwords import STOPWORDS


def line_matrices(pages: Sequence[tuple[Judged, str | None]]) -> tuple[np.ndarray, np.ndarray]:
    """``(X, bounds)``: the rows of every page's line matrix, page after page,
    and the pages' row ranges (page ``k`` is ``X[bounds[k]:bounds[k + 1]]``;
    a page without lines has none)."""
    sizes = [len(j.lines) for j, _ in pages]
    bounds = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))
    total_n = int(bounds[-1])
    if total_n == 0:
        return np.zeros((0, len(LINE_FEATURES)), dtype=np.float32), bounds
    texts: list[str] = []
    words_of: list[list[str]] = []
    stop_sets: list[frozenset[str]] = []
    for judged, _ in pages:
        t = [x.text for x in judged.lines]
        w = words_of_texts(t)
        stops = STOPWORDS.get(dump_language(t, w) or "", STOPWORDS["en"])
        texts += t
        words_of += w
        stop_sets += [stops] * len(t)
    text, _ = text_features(texts, None, words_of, stop_sets=stop_sets)

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

    lines = [x for j, _, _ in live for x in j.lines]
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
