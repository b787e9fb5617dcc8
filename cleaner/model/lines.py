"""The line model: what is main content in a plain-text dump, line by line.

A text dump (a ``.txt`` file, a JSONL ``text`` record: a person's copy of a
page, chrome included, one block per line) has no markup to read, only its
lines. The rule classifier of :mod:`cleaner.strip` judges them first
(:func:`cleaner.strip.judge_lines`), and its verdicts become evidence, not
decisions: one row per non-empty line of

* the words and shape of the line (:func:`cleaner.model.features.text_features`:
  length, punctuation, digits, capitals, stop-word share, the chrome kind its
  wording names in the rule table), whether the rules read it as prose or as a
  headline, and whether blank lines set it apart;
* the rules' verdict: kept or removed, the kind they gave it and why (outside
  the article region they found, in a section behind a wall, a teaser run, a
  repeat);
* its place: relative position, distance to the page's headline line, repeats
  of the same line on the page;
* its neighbours: the same evidence for the lines ±1..±3, and means over
  windows of 2, 5 and 10 lines each side (content is contiguous);
* the page as a whole (how much of it is prose, kept by the rules, priced,
  listed) and the shape of its URL (depth, digits, query, length): what kind
  of page it is, cheaply, without a DOM.

One model call per task (a worker's batch of pages, their matrices stacked:
:mod:`cleaner.model.linebatch`) gives each line a probability of being content; a
two-state smoothing pass (:func:`smooth`, a Viterbi path whose switching cost
is chosen by cross-validation with the threshold; it chose none, the
neighbour columns carrying the context) can make the decision contiguous, and
wording vetoes chosen the same way remove chrome labels the model keeps
between paragraphs. ``training/train_lines.py`` fits the model on WCXB's and
ScrapingHub's text dumps and writes ``cleaner/data/linemodel.txt.gz`` and
``linemodel.json`` (its columns, threshold, switching cost and vetoes).

Removed lines go to ``removed[]`` with the chrome kind their wording rule
names, else the kind the rules gave them (navigation outside the article,
a related-links run), else ``boilerplate``, and the rule ``model+<rule>``,
``model+<why the rules removed it>`` or ``model``; the
title, byline and date lines the rules found move to their fields as before.

The pipeline uses it for text dumps by default (``Options.line_model``;
``--no-line-model`` runs the rules alone; ``docs/extraction.md`` has the
cross-validated figures and why).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from ..records import Removal
from ..strip import Judged, Line, Stripped, assemble, judge_lines, title_shaped, whole_lines
from .features import RULE_KINDS, TEXT_FEATURES, WORD, text_features, words_of_texts
from .pagetype import url_shape
from .stopwords import LANGS, STOPWORDS

DATA = Path(__file__).resolve().parent.parent / "data"

OLD_KINDS: tuple[str, ...] = RULE_KINDS + ("title", "footer", "repeated-block")
"""Kinds the rules give a removed line (the rule table's, and the structural ones)."""
WHY_GROUPS: tuple[str, ...] = ("outside", "section", "context", "teaser", "repeated", "caption", "between",
                               "head")
"""Why the rules removed a line, grouped (see :func:`_why_group`)."""
_NB_BASE = ("log_chars", "terminal", "stop_share", "rule_any", "old_keep", "prose", "title_shaped")
_NB_OFFSETS = (-3, -2, -1, 1, 2, 3)
_WIN_BASE = ("old_keep", "prose", "stop_share", "terminal", "log_chars")
_WIN_RADII = (2, 5, 10)
OWN_FEATURES: tuple[str, ...] = (
    "old_keep", "old_in_region", "prose", "title_shaped", "glued", "blank_before", "blank_after",
    "pos", "pos_chars", "region_dist", "rep_count", "rep_first", "has_anchor", "anchor_dist", "after_anchor",
    "is_title", "date_parsed", "run_lines", "run_chars",
) + tuple("old:" + k for k in OLD_KINDS) + tuple("why:" + w for w in WHY_GROUPS)
PAGE_FEATURES: tuple[str, ...] = (
    "page_lines", "page_chars", "page_old_keep", "page_prose", "page_stop", "page_currency", "page_bullet",
    "page_short", "page_digits", "page_region", "url_depth", "url_digits", "url_query", "url_len",
)
LINE_FEATURES: tuple[str, ...] = (
    TEXT_FEATURES + OWN_FEATURES
    + tuple(f"nb{o:+d}:{n}" for o in _NB_OFFSETS for n in _NB_BASE)
    + tuple(f"win{r}:{n}" for r in _WIN_RADII for n in _WIN_BASE)
    + PAGE_FEATURES
)
"""The columns of the line matrix, in order; the model file names the columns
it was trained on, and loading it checks that they agree."""

_TF = {n: i for i, n in enumerate(TEXT_FEATURES)}
_OK = {k: i for i, k in enumerate(OLD_KINDS)}
_WG = {w: i for i, w in enumerate(WHY_GROUPS)}
ANCHOR_CLIP = 50


def _why_group(why: str | None) -> str | None:
    if not why:
        return None
    if why == "outside-article":
        return "outside"
    if why.endswith("-section"):
        return "section"
    if why.endswith("+context"):
        return "context"
    if why == "teaser-run":
        return "teaser"
    if why == "repeated-line":
        return "repeated"
    if why == "caption-above-credit":
        return "caption"
    if why == "between-article-parts":
        return "between"
    if why in ("title-line", "date-line", "date-label", "byline", "bare-name-byline", "page-headline", "standfirst"):
        return "head"
    return None


def dump_language(texts: list[str], words_of: list[list[str]]) -> str | None:
    """The language whose function words are most frequent in the first
    LANG_CHARS characters of the page (:func:`cleaner.model.features.page_language`'s
    rule, counted once over the words instead of per language and word)."""
    counts = head_words(texts, words_of)
    keys = counts.keys()
    best, best_n = None, 0
    for lang in LANGS:
        got = sum(counts[w] for w in STOPWORDS[lang] & keys)
        if got > best_n:
            best, best_n = lang, got
    return best if best_n >= 5 else None


LANG_CHARS = 20_000


def head_words(texts: list[str], words_of: list[list[str]]) -> Counter:
    """The lower-cased words of ``"\n".join(texts)[:LANG_CHARS]``, counted.

    From ``words_of`` (each line's lower-cased words, :func:`words_of_texts`),
    not by reading the words again: they are those of the lines wholly inside
    the head plus those of the cut line's beginning (no word spans a line
    break; lower-casing after the cut, as on the joined text)."""
    head: list[list[str]] = []
    at = 0
    for t, words in zip(texts, words_of):
        if at >= LANG_CHARS:
            break
        end = at + len(t)
        head.append(words if end <= LANG_CHARS else WORD.findall(t[:LANG_CHARS - at].lower()))
        at = end + 1  # the line break
    return Counter(chain.from_iterable(head))


def _shifts(base: np.ndarray, offsets: tuple[int, ...]) -> np.ndarray:
    """Columns base[i + o] for each offset (-1 past the page's ends), offset-major."""
    n, k = base.shape
    pad = max(abs(o) for o in offsets)
    padded = np.full((n + 2 * pad, k), -1.0, dtype=np.float32)
    padded[pad:pad + n] = base
    return np.hstack([padded[pad + o:pad + o + n] for o in offsets])


def _windows(base: np.ndarray, weight: np.ndarray, radii: tuple[int, ...]) -> np.ndarray:
    """Weighted means of each column over lines i-r..i+r, radius-major."""
    n = len(base)
    cw = np.vstack([np.zeros((1, base.shape[1])), np.cumsum(base * weight[:, None], axis=0, dtype=np.float64)])
    cs = np.concatenate(([0.0], np.cumsum(weight, dtype=np.float64)))
    idx = np.arange(n)
    out = []
    for r in radii:
        lo, hi = np.clip(idx - r, 0, n), np.clip(idx + r + 1, 0, n)
        out.append((cw[hi] - cw[lo]) / np.maximum(cs[hi] - cs[lo], 1.0)[:, None])
    return np.hstack(out).astype(np.float32)


def mark_verdicts(own: np.ndarray, lines: list[Line]) -> None:
    """Set the ``old:<kind>`` and ``why:<group>`` columns of ``own`` (OWN_FEATURES)
    for the lines the rules removed."""
    rows: list[int] = []
    cols: list[int] = []
    for i, x in enumerate(lines):
        if x.kind is not None:
            got = _VERDICT_COLUMNS.get((x.kind, x.why))
            if got is None:
                got = _verdict_columns(x.kind, x.why)
            for c in got:
                rows.append(i)
                cols.append(c)
    own[rows, cols] = 1.0


_VERDICT_COLUMNS: dict[tuple[str, str | None], tuple[int, ...]] = {}
"""The columns a removed line's (kind, why) sets, remembered: the pairs are
the rules' own names, a few hundred at most."""


def _verdict_columns(kind: str, why: str | None) -> tuple[int, ...]:
    cols = []
    k = _OK.get(kind)
    if k is not None:
        cols.append(len(OWN_FEATURES) - len(OLD_KINDS) - len(WHY_GROUPS) + k)
    g = _why_group(why)
    if g is not None:
        cols.append(len(OWN_FEATURES) - len(WHY_GROUPS) + _WG[g])
    if len(_VERDICT_COLUMNS) > 10_000:
        _VERDICT_COLUMNS.clear()
    got = _VERDICT_COLUMNS[kind, why] = tuple(cols)
    return got


def line_matrix(judged: Judged, url: str | None = None) -> np.ndarray:
    """LINE_FEATURES for every line of a judged page, one row each; ``url``
    the page's address, if known (the shape of its path:
    :func:`cleaner.model.pagetype.url_shape`)."""
    lines = judged.lines
    n = len(lines)
    if n == 0:
        return np.zeros((0, len(LINE_FEATURES)), dtype=np.float32)
    texts = [x.text for x in lines]
    words_of = words_of_texts(texts)
    text, _ = text_features(texts, dump_language(texts, words_of), words_of)
    own = np.zeros((n, len(OWN_FEATURES)), dtype=np.float32)
    chars = np.fromiter(map(len, texts), dtype=np.float64, count=n)
    index = np.fromiter((x.index for x in lines), dtype=np.int64, count=n)
    folded = [x.folded for x in lines]
    counts: dict[str, int] = {}
    first = np.zeros(n, dtype=np.float32)
    for i, f in enumerate(folded):
        c = counts.get(f, 0)
        counts[f] = c + 1
        if not c:
            first[i] = 1.0
    kinds = [x.kind for x in lines]
    own[:, 0] = [k is None for k in kinds]
    own[:, 2] = [bool(x.prose) for x in lines]
    own[:, 3] = [title_shaped(x) for x in lines]
    own[:, 4] = [x.glued is not None for x in lines]
    own[:, 10] = np.log([counts[f] for f in folded])
    own[:, 11] = first
    folded_title = folded[judged.anchor] if judged.anchor is not None else None
    own[:, 15] = [k == "title" or f == folded_title for k, f in zip(kinds, folded)]
    own[:, 16] = [x.date is not None for x in lines]
    mark_verdicts(own, lines)
    # The run of lines with the rules' same verdict the line is in: the
    # article is one long kept run, chrome islands are short.
    run = np.concatenate(([0], np.cumsum(own[1:, 0] != own[:-1, 0])))
    own[:, 17] = np.log1p(np.bincount(run)[run])
    own[:, 18] = np.log1p(np.bincount(run, weights=chars)[run])
    pos = np.arange(n, dtype=np.float64)
    start, end = judged.start, judged.end
    own[:, 1] = (pos >= start) & (pos < end)
    gap = np.diff(index) > 1
    own[:, 5] = np.concatenate(([True], gap))
    own[:, 6] = np.concatenate((gap, [True]))
    own[:, 7] = pos / max(n - 1, 1)
    total = float(chars.sum()) or 1.0
    own[:, 8] = (np.cumsum(chars) - chars) / total
    own[:, 9] = np.where(pos < start, start - pos, np.where(pos >= end, pos - end + 1, 0)) / n
    if judged.anchor is not None:
        own[:, 12] = 1.0
        d = pos - judged.anchor
        own[:, 13] = np.clip(d, -ANCHOR_CLIP, ANCHOR_CLIP)
        own[:, 14] = d > 0
    else:
        own[:, 13] = ANCHOR_CLIP + 1
    cols = {"log_chars": text[:, _TF["log_chars"]], "terminal": text[:, _TF["terminal"]],
            "stop_share": text[:, _TF["stop_share"]], "rule_any": text[:, _TF["rule_any"]],
            "old_keep": own[:, 0], "prose": own[:, 2], "title_shaped": own[:, 3]}
    nb = _shifts(np.column_stack([cols[c] for c in _NB_BASE]), _NB_OFFSETS)
    win = _windows(np.column_stack([cols[c] for c in _WIN_BASE]), np.log1p(chars), _WIN_RADII)
    page = np.array([
        np.log1p(n), np.log1p(total), chars[own[:, 0] > 0].sum() / total, chars[own[:, 2] > 0].sum() / total,
        float((text[:, _TF["stop_share"]] * chars).sum() / total), float(text[:, _TF["currency"]].mean()),
        float(text[:, _TF["bullet"]].mean()), float((chars < 30).mean()), float(text[:, _TF["digit_share"]].mean()),
        (end - start) / n, *url_shape(url),
    ], dtype=np.float32)
    return np.hstack([text, own, nb, win, np.broadcast_to(page, (n, len(PAGE_FEATURES)))]).astype(np.float32,
                                                                                                  copy=False)


def smooth(probs: np.ndarray, threshold: float, switch: float) -> np.ndarray:
    """The kept lines: the two-state path (content, not) that best fits the
    lines' log-odds against the threshold, paying ``switch`` (in log-odds) for
    every change of state. ``switch`` 0 is the plain threshold. Deterministic:
    ties keep the previous state."""
    n = len(probs)
    if n == 0:
        return np.zeros(0, dtype=bool)
    p = np.clip(probs.astype(np.float64), 1e-6, 1 - 1e-6)
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    gain = (np.log(p / (1 - p)) - np.log(t / (1 - t))).tolist()  # > 0: content is the better state here
    if switch <= 0:
        return np.asarray(gain) >= 0
    # Scores of the best paths ending in "out" (0) and "in" (1).
    out_s, in_s = 0.0, gain[0]
    back = bytearray(n * 2)
    for i in range(1, n):
        g = gain[i]
        from_out_to_in = out_s - switch
        if in_s >= from_out_to_in:
            new_in, b_in = in_s + g, 1
        else:
            new_in, b_in = from_out_to_in + g, 0
        from_in_to_out = in_s - switch
        if out_s >= from_in_to_out:
            new_out, b_out = out_s, 0
        else:
            new_out, b_out = from_in_to_out, 1
        back[2 * i], back[2 * i + 1] = b_out, b_in
        out_s, in_s = new_out, new_in
    keep = np.zeros(n, dtype=bool)
    state = 1 if in_s >= out_s else 0
    for i in range(n - 1, -1, -1):
        keep[i] = state == 1
        if i:
            state = back[2 * i + state]
    return keep


def decide_keep(judged: Judged, probs: np.ndarray, threshold: float, switch: float,
                veto: frozenset[str] | set[str] = frozenset()) -> list[bool]:
    """Which lines stay: the smoothed path, less the lines the rules moved to
    the title, author or date fields in the article's head (they are metadata,
    not text, and so are date lines), less the lines of a vetoing kind (below), and never nothing when
    the page had a line: its best line stays (as for HTML,
    :func:`cleaner.model.keep_mask`).

    Vetoes: the model judges a line much by its neighbours and keeps a short
    "Advertisement" or "READ MORE" label between two paragraphs. A line whose
    wording rule names a kind in ``veto``, or that the rules removed for a
    reason in ``veto`` (``why:section``), and that the rules removed goes
    anyway; the kinds and reasons are those whose removal, on the cross-validation's
    out-of-fold outputs, lowers neither WCXB's nor ScrapingHub's F1 and raises
    their sum (``training/train_lines.py``, ``veto`` in ``linemodel.json``)."""
    keep = smooth(probs, threshold, switch)
    if len(probs) and not keep.any():
        keep = probs >= probs.max()
    return whole_lines(judged, [bool(k) and not _metadata(x) and not _always_vetoed(x)
                                and not (veto and x.kind is not None and _vetoed(x, veto))
                                for k, x in zip(keep, judged.lines)])


ALWAYS_VETOED: frozenset[tuple[str, str]] = frozenset({
    ("donation-appeal", "outside-article"),
    ("promo-widget", "glued-widget-heading"),
})
"""(kind, why) of the rules' removals that stand whatever the model says,
not chosen by cross-validation because the training pages hardly hold them:
the prose of a donation appeal behind its opener ("Dear readers, ... we need
your help"), well-written and among the article's paragraphs, is the case
the brief names hardest; the training pages' articles have few appeals, and
their out-of-fold outputs keep it (on WCXB's service pages, where a charity's
appeal is the page, the veto costs 0.0004 of mean F1; ScrapingHub gains).
A widget heading glued onto a paragraph and cut off it ("Impact Shorts")
never occurs in the training pages' kept lines."""


ALWAYS_VETOED_KINDS: frozenset[str] = frozenset({"paywall", "cookie-notice"})
"""Wording kinds whose lines, when the rules removed them, go whatever the
model says: a paywall's or a cookie banner's sentences ("Subscribe to
continue reading", "We use cookies to improve your experience") are whole
sentences, and on a paywalled stub they are most of what is left, so the
model, which reads a stub's few lines as its article, kept them; the brief
names both as chrome. On ``devdata/dedup`` the model kept them on stubs
(and they were then reported as copies across outlets). On the
cross-validation's out-of-fold outputs, measured when it was added, WCXB's
and ScrapingHub's F1 were the same with and without it at three decimals
(0.808 and 0.912 both ways). Not chosen by cross-validation: its pages hold
few paywall stubs."""


def _always_vetoed(line: Line) -> bool:
    return line.kind is not None and ((line.kind, line.why) in ALWAYS_VETOED
                                      or (line.rule is not None and line.rule.kind in ALWAYS_VETOED_KINDS))


def _vetoed(line: Line, veto: frozenset[str] | set[str]) -> bool:
    """A line the rules removed goes anyway when its wording rule names a
    vetoing kind, or when why the rules removed it is a vetoing reason
    (``why:<group>``, :data:`WHY_GROUPS`: a prose line inside a donation
    section behind its wall names no chrome kind itself)."""
    if line.rule is not None and line.rule.kind in veto:
        return True
    group = _why_group(line.why)
    return group is not None and "why:" + group in veto


_METADATA_WHY = frozenset(("title-line", "page-headline", "standfirst", "byline", "bare-name-byline"))


def _metadata(line: Line) -> bool:
    """Title and byline lines the rules found, and a line that is a date and
    nothing else (its date is the record's, as for HTML blocks)."""
    return line.kind == "title" or line.why in _METADATA_WHY or line.date is not None


def _removal(line: Line, text: str) -> Removal:
    if line.date is not None:
        return Removal("date", text, line.why if line.kind == "date" else "model+date-line")
    if _metadata(line):
        return Removal(line.kind or "title", text, line.why or "title-line")
    if _always_vetoed(line):
        # The rules' verdict stood over the model's (ALWAYS_VETOED, ALWAYS_VETOED_KINDS).
        return Removal(line.kind, text, "veto+" + (line.why or line.rule.name))
    if line.rule is not None:
        return Removal(line.rule.kind, text, "model+" + line.rule.name)
    if line.kind is not None and line.why:
        # The rules removed it too, for its place (outside the article, in a
        # related-links run): their kind names it better than "boilerplate".
        return Removal(line.kind, text, "model+" + line.why)
    return Removal("boilerplate", text, "model")


@dataclass
class LineModel:
    """The booster (LightGBM's text model format) and what it needs, from
    ``linemodel.json``."""

    model_text: str
    threshold: float
    switch: float
    spec: dict
    veto: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # The same predictions, bit for bit, without LightGBM's per-call
        # overhead (a page's call was a tenth of the path's time) or its
        # import (a second per worker process): cleaner.model.trees, tested
        # against LightGBM in tests/test_trees.py.
        from .trees import text_predictor

        self._predict, self.feature_names, self.num_feature = text_predictor(self.model_text)

    @cached_property
    def booster(self):
        """LightGBM's booster of the same model (for tests and training)."""
        import lightgbm

        return lightgbm.Booster(model_str=self.model_text)

    @classmethod
    def load(cls, directory: Path = DATA) -> LineModel:
        spec = json.loads((directory / "linemodel.json").read_text(encoding="utf-8"))
        with gzip.open(directory / "linemodel.txt.gz", "rt", encoding="utf-8") as f:
            text = f.read()
        model = cls(text, float(spec["threshold"]), float(spec["switch"]), spec, frozenset(spec.get("veto", ())))
        model.check()
        return model

    def check(self) -> None:
        from .model import _safe

        if self.feature_names != [_safe(c) for c in LINE_FEATURES]:
            raise RuntimeError("the line model was trained on other columns than this code computes: "
                               "retrain it (training/train_lines.py)")

    def predict(self, judged: Judged, url: str | None = None) -> np.ndarray:
        if not judged.lines:
            return np.zeros(0)
        return self._predict(line_matrix(judged, url))

    def predict_rows(self, X: np.ndarray) -> np.ndarray:
        """Probabilities for rows of line matrices (of any pages: each row's is its own)."""
        return self._predict(X) if len(X) else np.zeros(0)


@lru_cache(maxsize=1)
def shipped_lines() -> LineModel:
    """The line model shipped in ``cleaner/data``, loaded once per process,
    its tree walker compiled (one prediction made): a process's one-time cost,
    which must not count against the first document's time limit."""
    model = LineModel.load()
    model._predict(np.zeros((1, len(LINE_FEATURES)), dtype=np.float32))
    return model


def clean_text(raw: str, *, title: str | None = None, author: str | None = None, date: str | None = None,
               url: str | None = None, headings: tuple[str, ...] = (), standfirst: str | None = None,
               model: LineModel | None = None) -> Stripped:
    """A text dump cleaned by the line model: the same result type as
    :func:`cleaner.strip.strip_chrome`."""
    judged = judge_text(raw, title=title, author=author, date=date, url=url, headings=headings,
                        standfirst=standfirst)
    return finish_text(judged, None, model, url)


def judge_text(raw: str, *, title: str | None = None, author: str | None = None, date: str | None = None,
               url: str | None = None, headings: tuple[str, ...] = (), standfirst: str | None = None) -> Judged:
    """The first half of :func:`clean_text`: the rules' verdicts, the line
    model's evidence. The model's probabilities for the lines (``predict``,
    or one call for many pages, :mod:`cleaner.model.linebatch`) finish it."""
    return judge_lines(raw, is_html=False, title=title, author=author, date=date, url=url, headings=headings,
                       standfirst=standfirst)


def finish_text(judged: Judged, probs: np.ndarray | None = None, model: LineModel | None = None,
                url: str | None = None) -> Stripped:
    """The second half of :func:`clean_text`: the lines kept given the model's
    probabilities for them (None: the model's call for this page alone)."""
    if not judged.lines:
        return Stripped("", [], judged.title, judged.author, judged.date)
    model = model or shipped_lines()
    if probs is None:
        probs = model.predict(judged, url)
    keep = decide_keep(judged, probs, model.threshold, model.switch, model.veto)
    return assemble(judged.lines, keep, judged.title, judged.author, judged.date, removal=_removal)


__all__ = ["LINE_FEATURES", "LineModel", "clean_text", "decide_keep", "finish_text", "judge_text", "line_matrix",
           "shipped_lines", "smooth"]
