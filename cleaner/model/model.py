"""The page model: loading, and one prediction per page.

Three LightGBM models, each called once per page on one matrix:

1. **page type** (multiclass, WCXB's seven types) from page-level features
   (:mod:`cleaner.model.pagetype`);
2. **blocks** (binary: main content or not) from the block features
   (:mod:`cleaner.model.features`) plus the page-type probabilities, so what
   counts as content can change with the type (posts on a forum, items on a
   listing, code on a documentation page); one model fitted on all the
   training pages (``block_models`` in ``pagemodel.json``: the mean of
   several is read where a model directory holds more, as earlier releases'
   did);
3. **smoothing** (binary), a second stage over the first stage's scores of the
   block and its neighbours, its container and the page (content is
   contiguous), trained on out-of-fold first-stage scores (stacking: two
   block models, each fitted on half of the training sites, scored the other
   half's pages).

A block is kept when the second stage's probability reaches the threshold
chosen by cross-validation on the training folds (``training/train.py``), one
per predicted page type where the cross-validation found one better.

The model files are LightGBM text dumps (``cleaner/data/*.txt.gz``), loaded
with ``model_str``: they hold numbers only and run no code when loaded,
unlike pickles; ``pagemodel.json`` holds the vocabularies, the column names
of each model and the threshold.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..extract.blocks import Block, Page, blocks_of, parse
from ..extract.metadata import PageMeta, page_metadata
from .features import (FEATURES, dom_features, near_words, page_language, text_features, verdict_features,
                       vocab_columns)
from .pagetype import PAGE_FEATURES, PAGE_TYPES, indicator, page_stats, url_words
from .trees import text_predictor

DATA = Path(__file__).resolve().parent.parent / "data"

SMOOTH_FEATURES: tuple[str, ...] = (
    "s", "s-1", "s+1", "s-2", "s+2", "s-3", "s+3", "win2", "win5", "win10", "win25", "page_max", "page_mean",
    "page_share_kept", "rank", "parent_mean", "parent_n", "group_mean", "group_n", "prev5_max", "next5_max",
    "log_chars", "heading", "link_density", "pos_chars", "rep_max", "cshare2", "cshare4", "v_kept", "v_inside",
    "vh_kept", "win3_v_kept",
) + tuple("type:" + t for t in PAGE_TYPES)
"""The second stage's columns."""
_SMOOTH_FIXED = ("log_chars", "heading", "link_density", "pos_chars", "rep_max", "cshare2", "cshare4", "v_kept",
                 "v_inside", "vh_kept", "win3_v_kept")
"""The block-matrix columns the second stage reads as they are."""


@dataclass(slots=True)
class Prepared:
    """A page made ready for the models: its blocks and every feature that
    does not depend on a model."""

    meta: PageMeta
    page: Page
    lang: str | None
    fixed: np.ndarray  # (blocks, len(FEATURES))
    words: list[set[str]]  # class/id words near each block
    url_words: set[str]
    page_fixed: np.ndarray  # (len(PAGE_FEATURES),)
    parent: np.ndarray  # group id of each block's parent element
    group: np.ndarray  # group id of each block's nearest repeated ancestor (-1: none)

    @property
    def blocks(self) -> list[Block]:
        return self.page.blocks

    def words_per_block(self) -> np.ndarray:
        return words_per_block(self.fixed)


def words_per_block(fixed: np.ndarray) -> np.ndarray:
    """Each block's word count, from its block-matrix row."""
    return np.rint(np.expm1(fixed[:, _LOG_WORDS])) if len(fixed) else np.zeros(0)


_LOG_WORDS = FEATURES.index("log_words")


def prepare(html: str, url: str | None) -> Prepared:
    return prepare_tree(parse(html), url)


def prepare_tree(tree, url: str | None) -> Prepared:
    meta = page_metadata(tree, url)
    root = tree.body if tree.body is not None else tree.root
    page = blocks_of(root)
    blocks = page.blocks
    texts = [b.text for b in blocks]
    lang = page_language(texts, meta.lang)
    text, words_of = text_features(texts, lang)
    dom = dom_features(blocks, text, words_of, elements=page.elements, title=meta.title,
                       article_body=meta.article_body)
    verdicts = verdict_features(texts, meta.title, meta.url or url)
    fixed = np.hstack([text, dom, verdicts]) if blocks else np.zeros((0, len(FEATURES)), dtype=np.float32)
    parent, group = _groups(blocks)
    return Prepared(meta, page, lang, fixed, near_words(blocks), url_words(meta.url),
                    page_stats(fixed, meta.url, meta.article_body is not None), parent, group)


def _groups(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray]:
    ids: dict[int, int] = {}
    parent = np.zeros(len(blocks), dtype=np.int64)
    group = np.full(len(blocks), -1, dtype=np.int64)
    for i, b in enumerate(blocks):
        fr = b.frames
        if not fr:
            continue
        p = fr[-2] if len(fr) > 1 else fr[-1]
        parent[i] = ids.setdefault(id(p), len(ids))
        for f in reversed(fr):
            if f.siblings.get(f.sig, 1) >= 3:
                group[i] = ids.setdefault(id(f), len(ids))
                break
    return parent, group


def page_matrix(prep: Prepared, url_vocab: Sequence[str], schema_vocab: Sequence[str]) -> np.ndarray:
    return np.concatenate([prep.page_fixed, indicator(prep.url_words, url_vocab),
                           indicator(prep.meta.types, schema_vocab)])[None, :]


def block_matrix(prep: Prepared, cls_vocab: Sequence[str], type_probs: np.ndarray) -> np.ndarray:
    n = len(prep.blocks)
    return np.hstack([prep.fixed, vocab_columns(prep.words, cls_vocab),
                      np.broadcast_to(type_probs.astype(np.float32), (n, len(PAGE_TYPES)))])


def _group_mean(s: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = g >= 0
    mean = s.copy()
    count = np.zeros_like(s)
    if ok.any():
        gg = g[ok]
        size = int(gg.max()) + 1
        sw = np.bincount(gg, weights=(s * w)[ok], minlength=size)
        ws = np.bincount(gg, weights=w[ok], minlength=size)
        cn = np.bincount(gg, minlength=size)
        mean[ok] = sw[gg] / np.maximum(ws[gg], 1e-9)
        count[ok] = np.log(cn[gg])
    return mean, count


def smooth_matrix(s: np.ndarray, prep: Prepared, type_probs: np.ndarray) -> np.ndarray:
    from .features import _shift, _window

    fixed = prep.fixed
    fi = {n: i for i, n in enumerate(FEATURES)}
    n = len(s)
    s = s.astype(np.float32)
    chars = np.expm1(fixed[:, fi["log_chars"]]).astype(np.float32)
    total = float(chars.sum()) or 1.0
    cols = [s]
    for o in (-1, 1, -2, 2, -3, 3):
        cols.append(_shift(s, o))
    for r in (2, 5, 10, 25):
        cols.append(_window(s, chars, r))
    cols.append(np.full(n, s.max() if n else 0, dtype=np.float32))
    cols.append(np.full(n, float((s * chars).sum()) / total, dtype=np.float32))
    cols.append(np.full(n, float(chars[s >= 0.5].sum()) / total, dtype=np.float32))
    order = np.argsort(np.argsort(s, kind="stable"), kind="stable")
    cols.append((order / max(n - 1, 1)).astype(np.float32))
    pm, pn = _group_mean(s, chars, prep.parent)
    gm, gn = _group_mean(s, chars, prep.group)
    cols += [pm, pn, gm, gn]
    prev5 = np.full(n, -1.0, dtype=np.float32)
    next5 = np.full(n, -1.0, dtype=np.float32)
    for k in range(1, 6):
        prev5 = np.maximum(prev5, _shift(s, -k))
        next5 = np.maximum(next5, _shift(s, k))
    cols += [prev5, next5]
    for name in _SMOOTH_FIXED:
        cols.append(fixed[:, fi[name]])
    out = np.column_stack(cols).astype(np.float32) if n else np.zeros((0, len(SMOOTH_FEATURES) - len(PAGE_TYPES)),
                                                                     np.float32)
    return np.hstack([out, np.broadcast_to(type_probs.astype(np.float32), (n, len(PAGE_TYPES)))])


class PageModel:
    """The boosters (page type, block models, smoothing; LightGBM's text model
    format) and what they need, from a model directory."""

    def __init__(self, spec: dict, texts: dict[str, str]):
        self.spec = spec
        self.cls_vocab = tuple(spec["cls_vocab"])
        self.url_vocab = tuple(spec["url_vocab"])
        self.schema_vocab = tuple(spec["schema_vocab"])
        self.threshold = float(spec["threshold"])
        self.type_thresholds = {t: float(v) for t, v in spec.get("type_thresholds", {}).items()}
        self.islands = {t: (int(g), float(w)) for t, (g, w) in spec.get("islands", {}).items()}
        self.veto_rules = frozenset(spec.get("veto_rules", ()))
        self.repeats = {t: int(w) for t, w in spec.get("repeats", {}).items()}
        self.texts = texts
        self.block_names = [f"blocks{k + 1}" for k in range(int(spec["block_models"]))]
        # LightGBM's predictions, bit for bit, from the compiled tree walk
        # (cleaner.model.trees), which also spares each process LightGBM's
        # import; a booster it cannot compile is LightGBM's own.
        self._compiled = {name: text_predictor(text) for name, text in texts.items()}
        self._type_predictor = self._compiled["pagetype"][0]
        self._block_predictors = [self._compiled[name][0] for name in self.block_names]
        self._smooth_predictor = self._compiled["smooth"][0]
        self._lightgbm: dict[str, object] = {}

    @classmethod
    def load(cls, directory: Path = DATA) -> PageModel:
        spec = json.loads((directory / "pagemodel.json").read_text(encoding="utf-8"))
        texts = {}
        names = ["pagetype", "smooth"] + [f"blocks{k + 1}" for k in range(int(spec["block_models"]))]
        for name in names:
            with gzip.open(directory / f"{name}.txt.gz", "rt", encoding="utf-8") as f:
                texts[name] = f.read()
        model = cls(spec, texts)
        model.check()
        return model

    def booster(self, name: str):
        """LightGBM's booster of one of the models (``pagetype``, ``smooth``,
        ``blocks1``...), for tests and training."""
        got = self._lightgbm.get(name)
        if got is None:
            import lightgbm

            got = self._lightgbm[name] = lightgbm.Booster(model_str=self.texts[name])
        return got

    def columns(self) -> dict[str, list[str]]:
        """The column names each model must have been trained on, by this code."""
        return {
            "pagetype": list(PAGE_FEATURES) + ["url:" + w for w in self.url_vocab]
            + ["schema:" + t for t in self.schema_vocab],
            "blocks": list(FEATURES) + ["cls:" + w for w in self.cls_vocab] + ["type:" + t for t in PAGE_TYPES],
            "smooth": list(SMOOTH_FEATURES),
        }

    def feature_names(self) -> list[tuple[str, list[str]]]:
        """(kind of model, the column names its file says it was trained on), for each model."""
        kinds = [("pagetype", "pagetype"), ("smooth", "smooth")] + [("blocks", n) for n in self.block_names]
        return [(kind, self._compiled[name][1]) for kind, name in kinds]

    def check(self) -> None:
        columns = self.columns()
        for kind, names in self.feature_names():
            if names != [_safe(c) for c in columns[kind]]:
                raise RuntimeError(f"the {kind} model was trained on other columns than this code computes: "
                                   f"retrain it (training/train.py)")

    def threshold_for(self, type_probs: np.ndarray) -> float:
        """The threshold for a page of the most probable type (chosen by
        cross-validation per type), else the model's one."""
        return type_thresholds_for(self.threshold, self.type_thresholds, type_probs)

    def islands_for(self, type_probs: np.ndarray) -> tuple[int, float] | None:
        """(gap, min_words) of :func:`cleaner.model.drop_islands` for a page of
        the most probable type, or None."""
        if not self.islands or not len(type_probs):
            return None
        return self.islands.get(PAGE_TYPES[int(np.argmax(type_probs))])

    def repeats_for(self, type_probs: np.ndarray) -> int | None:
        """The ``min_words`` of :func:`cleaner.model.decide.repeated` for a page
        of the most probable type (chosen by cross-validation per type), or
        None: no repeat dropped."""
        if not self.repeats or not len(type_probs):
            return None
        return self.repeats.get(PAGE_TYPES[int(np.argmax(type_probs))])

    def predict(self, prep: Prepared) -> tuple[np.ndarray, np.ndarray]:
        """(probability that each block is main content, page-type probabilities)."""
        types = self._type_predictor(page_matrix(prep, self.url_vocab, self.schema_vocab))[0]
        if not prep.blocks:
            return np.zeros(0, dtype=np.float32), types
        X = block_matrix(prep, self.cls_vocab, types)
        s = self._block_predictors[0](X)
        for block_predictor in self._block_predictors[1:]:
            s = s + block_predictor(X)
        s = s / len(self._block_predictors)
        p = self._smooth_predictor(smooth_matrix(s, prep, types))
        return p, types


def type_thresholds_for(threshold: float, by_type: dict[str, float], type_probs: np.ndarray) -> float:
    if not by_type or not len(type_probs):
        return threshold
    return by_type.get(PAGE_TYPES[int(np.argmax(type_probs))], threshold)


def _safe(name: str) -> str:
    """LightGBM's form of a column name (it replaces JSON's special characters)."""
    out = []
    for ch in name:
        out.append("_" if ch in '[]{}",:' else ch)
    return "".join(out)


@lru_cache(maxsize=1)
def shipped() -> PageModel:
    """The model shipped in ``cleaner/data``, loaded once per process, and
    run once on a one-paragraph page (compiling the tree walker, loading the
    parser): a process's one-time cost, which must not count against the
    first page's time limit (``pipeline._load_models``)."""
    model = PageModel.load()
    model.predict(prepare("<html><body><p>A paragraph of text.</p></body></html>", None))
    return model
