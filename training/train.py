"""Train the page model, cross-validated by domain, and the shipped model.

    python training/dataset.py            # pages -> training/.cache/pages.pkl (once, ~1 min)
    python training/train.py              # 5-fold CV report + the shipped model in cleaner/data/
    python training/train.py --cv-only    # the report only
    python training/train.py --ship-only  # the shipped model only
    python training/train.py --report-only  # the report again, from the saved out-of-fold probabilities

The same, side by side in separate processes (on a busy machine; set
``OMP_WAIT_POLICY=PASSIVE`` so that LightGBM's threads do not spin while
waiting for a core):

    for k in 1 2 3 4 5; do python training/train.py --fold $k & done
    python training/train.py --fit-ship-only &
    wait
    python training/train.py --merge-folds      # the report, from the five folds
    python training/train.py --write-ship-only  # the shipped model, with the CV's choices

Training pages: WCXB's 1,497 (``main_content``) and ScrapingHub's 61
(``articleBody``); trafilatura's 256 (snippets only) are scored, not trained on.
Folds: wcxbscore's ``fold_of`` (domain hash mod 5) for every set.

For each outer fold K, everything is fitted on the other four folds only:

1. the vocabularies (class/id words, URL words, schema types: the most
   frequent across the training domains);
2. the page-type model; its probabilities on the training pages, which the
   block model learns from, are out-of-fold within the training folds (inner
   CV), as they will be on unseen pages;
3. the block model (stage 1): its out-of-fold scores on the training pages
   (inner CV over the four training folds, two models each fitted on half of
   them), and the block model fitted on all four training folds;
4. the smoothing model (stage 2) on the out-of-fold scores, with its own inner
   out-of-fold predictions, on which the threshold is chosen (the one that
   maximises the training pages' mean WCXB F1);

then fold K's pages are cleaned by the models of 1-4 fitted on all four
training folds (thresholds per predicted page type, the dropping of kept
blocks far from the main run and of kept blocks repeating one above, and the
wording vetoes for fold K are chosen on the other folds' out-of-fold outputs), written to ``training/out/cv-<set>.jsonl`` and scored with the
shared scorers (``wcxbscore.py score --fold K/5 --per-type`` and devscore).
The shipped model is the same procedure with all five folds as training data.

LightGBM runs deterministic (fixed seeds, ``deterministic=True``,
``force_col_wise=True``), so retraining gives the same models.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import pickle
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "training"))
from dataset import LABEL_SHARE, domain  # noqa: E402
from cleaner.model.features import FEATURES, vocab_columns  # noqa: E402
from cleaner.model.model import SMOOTH_FEATURES, _safe, smooth_matrix  # noqa: E402
from cleaner.model.pagetype import PAGE_FEATURES, PAGE_TYPES, indicator  # noqa: E402

FOLDS = 5
TRAIN_SETS = ("wcxb", "scrapinghub", "trafilatura")
"""All three sets are trained on; trafilatura's pages only through the blocks
that hold one of their snippets (the others are unlabelled), and every figure
on them is out-of-fold like the others."""
SEED = 20250915
CLS_VOCAB, CLS_MIN_DOMAINS = 400, 8
URL_VOCAB, URL_MIN_DOMAINS = 150, 4
SCHEMA_VOCAB, SCHEMA_MIN_DOMAINS = 60, 3
WEIGHT_CAP = 100
"""A block weighs its word count, capped here: the metric is a bag of words, so
long blocks matter more, but one 5,000-word block must not outweigh a page."""

PAGETYPE_PARAMS = dict(objective="multiclass", num_class=len(PAGE_TYPES), learning_rate=0.05, num_leaves=15,
                       min_data_in_leaf=10, feature_fraction=0.3, bagging_fraction=0.8, bagging_freq=1,
                       lambda_l2=1.0, max_bin=63, verbose=-1)
PAGETYPE_ROUNDS = 150
BLOCK_PARAMS = dict(objective="binary", learning_rate=0.06, num_leaves=63, min_data_in_leaf=50,
                    feature_fraction=0.5, bagging_fraction=0.7, bagging_freq=1, lambda_l2=1.0, max_bin=63,
                    verbose=-1)
BLOCK_ROUNDS = 300
SMOOTH_PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=31, min_data_in_leaf=100,
                     feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, max_bin=63,
                     verbose=-1)
SMOOTH_ROUNDS = 200
COMMON = dict(seed=SEED, deterministic=True, force_col_wise=True, num_threads=2)
THRESHOLDS = np.round(np.arange(0.20, 0.81, 0.025), 3)
TOKEN = re.compile(r"\w+")  # wcxbscore's tokens


def load_tool(shared: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, shared / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


# --- vocabularies -------------------------------------------------------------

def _vocab(pages, words_of, top: int, min_domains: int) -> list[str]:
    df: Counter = Counter()
    by_domain: dict[str, set] = {}
    for p in pages:
        dom = domain(p["url"]) or p["id"]
        by_domain.setdefault(dom, set()).update(words_of(p))
    for ws in by_domain.values():
        df.update(ws)
    ranked = sorted((w for w, c in df.items() if c >= min_domains), key=lambda w: (-df[w], w))
    return ranked[:top]


def vocabularies(pages) -> dict[str, list[str]]:
    return {
        "cls_vocab": _vocab(pages, lambda p: {w for ws in p["words"] for w in ws}, CLS_VOCAB, CLS_MIN_DOMAINS),
        "url_vocab": _vocab(pages, lambda p: set(p["url_words"]), URL_VOCAB, URL_MIN_DOMAINS),
        "schema_vocab": _vocab(pages, lambda p: set(p["types"]), SCHEMA_VOCAB, SCHEMA_MIN_DOMAINS),
    }


# --- matrices -----------------------------------------------------------------

def page_X(pages, voc) -> np.ndarray:
    return np.vstack([np.concatenate([p["page_fixed"], indicator(p["url_words"], voc["url_vocab"]),
                                      indicator(p["types"], voc["schema_vocab"])]) for p in pages])


def page_y(pages) -> np.ndarray:
    return np.array([PAGE_TYPES.index(p["type"]) for p in pages])


def block_X(p, voc, probs) -> np.ndarray:
    n = len(p["texts"])
    return np.hstack([p["fixed"], vocab_columns(p["words"], voc["cls_vocab"]),
                      np.broadcast_to(probs.astype(np.float32), (n, len(PAGE_TYPES)))])


def labels(p) -> np.ndarray:
    """1 content, 0 not, -1 unlabelled (a snippet page's blocks that hold no
    snippet)."""
    share = np.asarray(p["share"], dtype=np.float32)
    if p["truth"] is None:
        return share
    return (share >= LABEL_SHARE).astype(np.float32)


def weights(p) -> np.ndarray:
    """Word counts capped at WEIGHT_CAP, scaled so that every page's labelled
    blocks weigh the same in all (the metric is a mean over pages)."""
    w = np.minimum(np.maximum(np.asarray(p["ntok"], dtype=np.float64), 1.0), WEIGHT_CAP)
    w[labels(p) < 0] = 0.0
    return w * (100.0 / w.sum()) if w.sum() else w


class _Prep:
    """What smooth_matrix reads of a page, from the cache."""

    def __init__(self, p):
        self.fixed, self.parent, self.group = p["fixed"], p["parent"], p["group"]


# --- fitting ------------------------------------------------------------------

def _train(params, rounds, X, y, w=None, names=None):
    import lightgbm as lgb

    ds = lgb.Dataset(X, label=y, weight=w, feature_name=[_safe(n) for n in names] if names else "auto",
                     free_raw_data=True, params={"max_bin": params.get("max_bin", 255), "verbose": -1})
    return lgb.train({**params, **COMMON}, ds, num_boost_round=rounds)


def pagetype_names(voc):
    return list(PAGE_FEATURES) + ["url:" + w for w in voc["url_vocab"]] + ["schema:" + t for t in voc["schema_vocab"]]


def block_names(voc):
    return list(FEATURES) + ["cls:" + w for w in voc["cls_vocab"]] + ["type:" + t for t in PAGE_TYPES]


def fit_pagetype(pages, voc):
    """On the pages whose type is known (WCXB's; ScrapingHub's are articles;
    trafilatura's set has no type and is only scored by this model)."""
    pages = [p for p in pages if p["type"] is not None]
    return _train(PAGETYPE_PARAMS, PAGETYPE_ROUNDS, page_X(pages, voc), page_y(pages), names=pagetype_names(voc))


def _rows(pages, matrices):
    """Stacked matrices, labels and weights, without unlabelled rows."""
    X = np.vstack(matrices)
    y = np.concatenate([labels(p) for p in pages])
    w = np.concatenate([weights(p) for p in pages])
    ok = y >= 0
    return X[ok], y[ok], w[ok]


def fit_blocks(pages, voc, probs):
    X, y, w = _rows(pages, [block_X(p, voc, probs[i]) for i, p in enumerate(pages)])
    return _train(BLOCK_PARAMS, BLOCK_ROUNDS, X, y, w, block_names(voc))


def smooth_X(p, s, probs):
    return smooth_matrix(s, _Prep(p), probs)


def fit_smooth(pages, scores, probs):
    X, y, w = _rows(pages, [smooth_X(p, scores[i], probs[i]) for i, p in enumerate(pages)])
    return _train(SMOOTH_PARAMS, SMOOTH_ROUNDS, X, y, w, list(SMOOTH_FEATURES))


def inner_folds(pages):
    """Each training fold on its own (page type: small, cheap models)."""
    return [(k,) for k in sorted({p["fold"] for p in pages})]


INNER_GROUPS = 2
"""The stacking's inner cross-validation splits the training folds into this
many groups of whole folds (two groups of two): each inner block model then
learns from half the training pages. Four groups (each inner model on three
of the four training folds, scores closer to the all-pages model's that
stage 2 reads) were measured with that model: WCXB 0.872, ScrapingHub 0.955,
trafilatura's pages 0.940 out-of-fold against 0.870 / 0.960 / 0.953, for
three times the inner models' fitting time (training/REPORT.md)."""


def inner_groups(pages):
    folds = sorted({p["fold"] for p in pages})
    return [tuple(folds[i::INNER_GROUPS]) for i in range(INNER_GROUPS)]


def oof_pagetype(pages, voc):
    """Page-type probabilities of each training page from a model that did
    not see its fold."""
    probs = np.zeros((len(pages), len(PAGE_TYPES)))
    for g in inner_folds(pages):
        tr = [p for p in pages if p["fold"] not in g]
        idx = [i for i, p in enumerate(pages) if p["fold"] in g]
        m = fit_pagetype(tr, voc)
        probs[idx] = m.predict(page_X([pages[i] for i in idx], voc))
    return probs


# --- one full fit (stages 1-4) -----------------------------------------------

def _scorer(p):
    """The page's blocks (or lines) and truth as token-id arrays, so that the
    WCXB F1 of any set of kept ones is a few numpy operations
    (wcxbscore.word_prf's bag-of-words F1, computed the same way). Cached on
    the page."""
    sc = p.get("_scorer")
    if sc is None:
        ids: dict[str, int] = {}
        truth = np.array([ids.setdefault(t, len(ids)) for t in TOKEN.findall(p["truth"].lower())], dtype=np.int64)
        blocks = [np.array([ids.setdefault(t, len(ids)) for t in TOKEN.findall(x.lower())], dtype=np.int64)
                  for x in p["texts"]]
        sc = p["_scorer"] = (len(ids), np.bincount(truth, minlength=len(ids)), blocks)
    return sc


def kept_f1(p, keep) -> float:
    """wcxbscore's bag-of-words F1 of the page's kept texts (``keep`` a mask);
    the line model's training scores its lines with it too."""
    size, truth, blocks = _scorer(p)
    kept = [b for b, k in zip(blocks, keep) if k]
    n_true = int(truth.sum())
    pred = np.bincount(np.concatenate(kept), minlength=size) if kept else np.zeros(size, dtype=np.int64)
    n_pred = int(pred.sum())
    if n_true == 0:
        return 1.0 if n_pred == 0 else 0.0
    if n_pred == 0:
        return 0.0
    overlap = int(np.minimum(pred, truth).sum())
    prec, rec = overlap / n_pred, overlap / n_true
    return 2 * prec * rec / (prec + rec) if prec + rec else 0.0


def page_f1(p, keep, repeat_words: int | None = None) -> float:
    """``kept_f1`` of the blocks kept, the headline block and a dateline
    aside (they go to ``title`` and ``date``, not to the text), and the
    repeats of kept blocks of at least ``repeat_words`` words
    (cleaner.model.decide.repeated)."""
    from cleaner.model.decide import text_mask

    return kept_f1(p, text_mask(p["texts"], p["roles"], keep, p["title"], repeat_words))


def choose_threshold(pages, probs_by_page) -> float:
    """The threshold that maximises the mean WCXB F1 of ``pages`` (the training
    pages' out-of-fold probabilities: never the scored fold's)."""
    best, best_t = -1.0, 0.5
    for t in THRESHOLDS:
        f = np.mean([page_f1(p, pr >= t) for p, pr in zip(pages, probs_by_page) if p["truth"] is not None])
        if f > best:
            best, best_t = f, float(t)
    return best_t


STAGE1_CACHE = ROOT / "training" / ".cache" / "stage1"
"""Where :func:`fit_all` keeps what it fitted before the second stage (the
vocabularies, the page-type model and its inner out-of-fold probabilities,
the block models and their out-of-fold scores), under a digest of everything
they are fitted from. A change to the second stage, the thresholds or the
decisions then re-runs the cross-validation in minutes instead of the
stage-1 fits' hour and a half; any change to the pages' block columns, their
labels or these parameters gives another digest, and a full refit."""


def _stage1_key(train) -> str:
    h = hashlib.sha256(json.dumps([list(FEATURES), list(PAGE_FEATURES), list(PAGE_TYPES), BLOCK_PARAMS, BLOCK_ROUNDS,
                                   PAGETYPE_PARAMS, PAGETYPE_ROUNDS, COMMON, CLS_VOCAB, CLS_MIN_DOMAINS, URL_VOCAB,
                                   URL_MIN_DOMAINS, SCHEMA_VOCAB, SCHEMA_MIN_DOMAINS, WEIGHT_CAP, LABEL_SHARE,
                                   INNER_GROUPS], sort_keys=True).encode())
    for p in train:
        h.update(json.dumps([p["set"], p["id"], p["url"], p["fold"], p["type"], p["words"], p["url_words"],
                             p["types"], list(map(float, p["share"])), p["ntok"]]).encode())
        h.update(np.ascontiguousarray(p["fixed"]).tobytes())
        h.update(np.ascontiguousarray(p["page_fixed"]).tobytes())
    return h.hexdigest()[:24]


def _stage1_load(key: str):
    import lightgbm as lgb

    path = STAGE1_CACHE / f"{key}.pkl"
    if not path.exists():
        return None
    with open(path, "rb") as f:
        got = pickle.load(f)
    return (got["voc"], got["tp_oof"], lgb.Booster(model_str=got["pagetype"]),
            [lgb.Booster(model_str=m) for m in got["blocks"]], got["s_oof"])


def _stage1_save(key: str, voc, tp_oof, tp_model, block_models, s_oof) -> None:
    STAGE1_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = STAGE1_CACHE / f"{key}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump({"voc": voc, "tp_oof": tp_oof, "pagetype": tp_model.model_to_string(),
                     "blocks": [m.model_to_string() for m in block_models], "s_oof": s_oof}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(STAGE1_CACHE / f"{key}.pkl")


def _full_load(key: str):
    """The block model fitted on all of a training set (stage 1's key), if cached."""
    import lightgbm as lgb

    path = STAGE1_CACHE / f"{key}-full.txt"
    return lgb.Booster(model_str=path.read_text(encoding="utf-8")) if path.exists() else None


def _full_save(key: str, model) -> None:
    STAGE1_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = STAGE1_CACHE / f"{key}-full.tmp"
    tmp.write_text(model.model_to_string(), encoding="utf-8")
    tmp.replace(STAGE1_CACHE / f"{key}-full.txt")


def fit_all(train, log=print):
    """Fit vocabularies, page type, stage 1 and 2, and the threshold on
    ``train`` only. Returns the fitted parts.

    Stage 1 is INNER_GROUPS block models, each fitted on the other groups'
    folds, whose scores on their own group are the out-of-fold scores stage 2
    learns from; and one block model fitted on all the training pages, whose
    scores stage 2 reads on a new page (stacking as usual: the final
    first-stage model sees all the data). Until this release stage 2 read the
    mean of the inner models' scores instead, on the argument that a model
    that saw all the pages scores more confidently than what stage 2 learned
    from; measured out-of-fold side by side on the same fitted models
    (variant ``inner``), the full model gave WCXB 0.870 against 0.871,
    ScrapingHub 0.960 against 0.954 and trafilatura's pages 0.953 against
    0.945, and a page costs one block model's trees instead of two.
    ``inner_blocks`` keeps the inner models for that comparison."""
    t0 = time.time()
    key = _stage1_key(train)
    cached = _stage1_load(key)
    if cached is not None:
        voc, tp_oof, tp_model, block_models, s_oof = cached
        log(f"    page type and block models from {STAGE1_CACHE / key}.pkl")
    else:
        voc = vocabularies(train)
        tp_oof = oof_pagetype(train, voc)
        tp_model = fit_pagetype(train, voc)
        log(f"    page type fitted ({time.time() - t0:.0f} s)")
        s_oof = [None] * len(train)
        block_models = []
        for g in inner_groups(train):
            tr_idx = [i for i, p in enumerate(train) if p["fold"] not in g]
            m = fit_blocks([train[i] for i in tr_idx], voc, tp_oof[tr_idx])
            block_models.append(m)
            for i, p in enumerate(train):
                if p["fold"] in g:
                    s_oof[i] = m.predict(block_X(p, voc, tp_oof[i])) if p["texts"] else np.zeros(0)
            log(f"    block model without folds {g} ({time.time() - t0:.0f} s)")
        _stage1_save(key, voc, tp_oof, tp_model, block_models, s_oof)
    block_full = _full_load(key)
    if block_full is None:
        block_full = fit_blocks(train, voc, tp_oof)
        _full_save(key, block_full)
        log(f"    block model on all training pages ({time.time() - t0:.0f} s)")
    # Stage 2: its own inner out-of-fold predictions choose the threshold.
    p_oof = [None] * len(train)
    for g in inner_groups(train):
        tr_idx = [i for i, p in enumerate(train) if p["fold"] not in g]
        m = fit_smooth([train[i] for i in tr_idx], [s_oof[i] for i in tr_idx], tp_oof[tr_idx])
        for i, p in enumerate(train):
            if p["fold"] in g:
                p_oof[i] = m.predict(smooth_X(p, s_oof[i], tp_oof[i])) if p["texts"] else np.zeros(0)
    threshold = choose_threshold(train, p_oof)
    smoother = fit_smooth(train, s_oof, tp_oof)
    log(f"    smoothing fitted, threshold {threshold} ({time.time() - t0:.0f} s)")
    return dict(voc=voc, pagetype=tp_model, blocks=[block_full], inner_blocks=block_models, smooth=smoother,
                threshold=threshold)


def predict(fitted, p):
    voc = fitted["voc"]
    probs = fitted["pagetype"].predict(page_X([p], voc))[0]
    if not p["texts"]:
        return np.zeros(0), probs
    X = block_X(p, voc, probs)
    s = np.mean([m.predict(X) for m in fitted["blocks"]], axis=0)
    return fitted["smooth"].predict(smooth_X(p, s, probs)), probs


VARIANTS = {"inner": ("inner_blocks", None, None), "inner-first": ("inner_blocks", 1, None),
            "first200": ("blocks", 1, 200)}
"""Other ways to run the same fitted models on a page (which block models,
how many of them, their first trees), scored out-of-fold beside the shipped
one: the mean of the inner block models (the inference shipped until this
release), the first of them alone, and the full block model's first 200
trees. Stage 2 is the same fitted model."""


SHIP_VARIANT: str | None = None
"""The inference the report scores and the shipped model runs: None for the
block model fitted on all the training pages, with all its trees, else a name
of VARIANTS (chosen on the cross-validation's out-of-fold outputs)."""


def predict_variants(fitted, p) -> dict[str, np.ndarray]:
    voc = fitted["voc"]
    probs = fitted["pagetype"].predict(page_X([p], voc))[0]
    if not p["texts"]:
        return {v: np.zeros(0) for v in VARIANTS}
    X = block_X(p, voc, probs)
    out = {}
    for name, (source, models, trees) in VARIANTS.items():
        s = np.mean([m.predict(X, num_iteration=trees) for m in fitted[source][:models]], axis=0)
        out[name] = fitted["smooth"].predict(smooth_X(p, s, probs))
    return out


# --- output and scoring ---------------------------------------------------------

def keep_of(p, entry, islands=None) -> np.ndarray:
    """The blocks kept on the page, as the package keeps them
    (cleaner.model.clean_page): ``entry`` is (block probabilities, page-type
    probabilities, threshold); ``islands`` maps page types to
    (gap, min_words) of cleaner.model.drop_islands."""
    from cleaner.model import drop_islands, keep_mask
    from cleaner.model.model import words_per_block

    prob, tprobs, thr = entry
    keep = keep_mask(prob, thr)
    got = islands.get(PAGE_TYPES[int(np.argmax(tprobs))]) if islands else None
    if got and len(prob):
        keep = drop_islands(keep, words_per_block(p["fixed"]), *got)
    return keep


def _repeat_words(entry, repeats) -> int | None:
    """The page's min_words of cleaner.model.decide.repeated, for its predicted
    type (as PageModel.repeats_for)."""
    return repeats.get(PAGE_TYPES[int(np.argmax(entry[1]))]) if repeats else None


def output_text(p, entry, veto=frozenset(), islands=None, repeats=None) -> str:
    """The text cleaner outputs for the page: cleaner.model.decide on the
    cached blocks."""
    from cleaner.model.decide import kept_text

    return kept_text(p["texts"], p["roles"], keep_of(p, entry, islands), p["title"], veto,
                     _repeat_words(entry, repeats))


def choose_veto(pages, oof, islands=None, repeats=None) -> list[str]:
    """The wording rules that override the model: each rule whose removal of
    kept blocks lowers the mean F1 of ``pages`` (their out-of-fold
    probabilities) neither on WCXB nor on ScrapingHub, and raises it on one."""
    from cleaner.model.decide import VETO_EXEMPT_ROLES
    from cleaner.model.features import rule_of
    from cleaner.rules import LINE_RULES

    base = {}
    kinds = {}
    for p in pages:
        base[p["set"], p["id"]] = keep_of(p, oof[p["set"], p["id"]], islands)
        if "_rules" not in p:
            p["_rules"] = [rule_of(t)[1] for t in p["texts"]]
        kinds[p["set"], p["id"]] = p["_rules"]
    chosen = []
    for kind in dict.fromkeys(r.name for r in LINE_RULES):
        gains = {"wcxb": [], "scrapinghub": []}
        for p in pages:
            if p["set"] not in gains:
                continue
            keep = base[p["set"], p["id"]]
            drop = np.array([k == kind and role not in VETO_EXEMPT_ROLES
                             for k, role in zip(kinds[p["set"], p["id"]], p["roles"])], dtype=bool)
            if not (keep & drop).any():
                gains[p["set"]].append(0.0)
                continue
            rw = _repeat_words(oof[p["set"], p["id"]], repeats)
            gains[p["set"]].append(page_f1(p, keep & ~drop, rw) - page_f1(p, keep, rw))
        # Neither set loses and together they gain: a rule that fires on
        # WCXB's pages only (a consent dialog) may veto as well as one both
        # sets agree on; each fold's choice is made on the other folds.
        wcxb, sh = np.sum(gains["wcxb"]), np.sum(gains["scrapinghub"])
        if wcxb >= 0 and sh >= 0 and wcxb + sh > 0:
            chosen.append(kind)
    return chosen


ISLANDS = True
"""Whether the runs of kept blocks far from the main one may be dropped
(cleaner.model.drop_islands), per page type as cross-validation chooses."""
REPEATS = True
"""Whether kept blocks that repeat an earlier kept block may be dropped
(cleaner.model.decide.repeated), per page type as cross-validation chooses."""
TYPE_MIN_PAGES = 30
"""A page type gets a threshold of its own only when at least this many
training pages are predicted to be of it."""
TYPE_MIN_GAIN = 0.002
"""... and only when it raises their mean F1 by at least this much over the
model's own threshold (smaller gains are noise of the choice)."""


def _f1_table(pages, oof) -> dict:
    """(set, id) -> {threshold: the page's F1 at it}, for every page with a
    truth: computed once, read by every fold's choice."""
    from cleaner.model import keep_mask

    grid = sorted({float(t) for t in THRESHOLDS} | {float(v[2]) for v in oof.values()})
    return {(p["set"], p["id"]): {t: page_f1(p, keep_mask(oof[p["set"], p["id"]][0], t)) for t in grid}
            for p in pages if p["truth"] is not None}


def choose_type_thresholds(pages, oof, table) -> dict[str, float]:
    """A threshold per predicted page type: the one that maximises the mean
    F1 of ``pages`` (their out-of-fold probabilities) predicted to be of that
    type, where it beats the model's own threshold by TYPE_MIN_GAIN."""
    by_type: dict[str, list] = {}
    for p in pages:
        key = p["set"], p["id"]
        if key in table:
            by_type.setdefault(PAGE_TYPES[int(np.argmax(oof[key][1]))], []).append(key)
    out = {}
    for t in PAGE_TYPES:
        keys = by_type.get(t, [])
        if len(keys) < TYPE_MIN_PAGES:
            continue
        base = np.mean([table[k][float(oof[k][2])] for k in keys])
        best, best_t = base + TYPE_MIN_GAIN, None
        for c in THRESHOLDS:
            f = np.mean([table[k][float(c)] for k in keys])
            if f > best:
                best, best_t = f, float(c)
        if best_t is not None:
            out[t] = best_t
    return out


ISLAND_GRID = [(g, w) for g in (1, 2, 4, 8) for w in (3, 8, 15, 30, 60)]
"""(gap, min_words) tried for cleaner.model.drop_islands."""


_ISLAND_F1: dict = {}


def _island_f1(p, entry, ptype, gw) -> float:
    """page_f1 of the page's blocks kept with drop_islands(gw), memoised: every
    fold's choice reads the same pages at mostly the same thresholds."""
    key = p["set"], p["id"], float(entry[2]), gw
    got = _ISLAND_F1.get(key)
    if got is None:
        got = _ISLAND_F1[key] = page_f1(p, keep_of(p, entry, {ptype: gw} if gw else None))
    return got


def _choose_per_type(pages, oof, grid, f1_of) -> dict:
    """Per predicted page type with at least TYPE_MIN_PAGES of ``pages`` (their
    out-of-fold outputs), the option of ``grid`` that maximises their mean
    ``f1_of(page, type, option)``, where it beats the decision off (option
    None) by TYPE_MIN_GAIN."""
    by_type: dict[str, list] = {}
    for p in pages:
        if p["truth"] is not None:
            by_type.setdefault(PAGE_TYPES[int(np.argmax(oof[p["set"], p["id"]][1]))], []).append(p)
    out = {}
    for t in PAGE_TYPES:
        ps = by_type.get(t, [])
        if len(ps) < TYPE_MIN_PAGES:
            continue
        f = np.array([[f1_of(p, t, option) for option in (None, *grid)] for p in ps]).mean(axis=0)
        j = int(np.argmax(f))
        if j and f[j] > f[0] + TYPE_MIN_GAIN:
            out[t] = grid[j - 1]
    return out


def choose_islands(pages, oof) -> dict[str, tuple[int, float]]:
    """Per predicted page type, the (gap, min_words) of drop_islands that
    maximises the mean F1 of ``pages`` (their out-of-fold outputs at their
    thresholds), where it beats dropping nothing by TYPE_MIN_GAIN."""
    return _choose_per_type(pages, oof, ISLAND_GRID, lambda p, t, gw: _island_f1(p, oof[p["set"], p["id"]], t, gw))


REPEAT_GRID = (1, 2, 3, 5, 8, 12, 20)
"""min_words tried for cleaner.model.decide.repeated."""


def choose_repeats(pages, oof, islands=None) -> dict[str, int]:
    """Per predicted page type, the min_words of cleaner.model.decide.repeated
    that maximises the mean F1 of ``pages`` (their out-of-fold outputs, with
    the islands dropped), where it beats dropping no repeat by
    TYPE_MIN_GAIN."""
    keeps: dict = {}

    def f1_of(p, t, words):
        key = p["set"], p["id"]
        if key not in keeps:
            keeps[key] = keep_of(p, oof[key], islands)
        return page_f1(p, keeps[key], words)

    return _choose_per_type(pages, oof, REPEAT_GRID, f1_of)


def with_type_thresholds(oof, by_type) -> dict:
    """The out-of-fold entries with each page's threshold for its predicted type."""
    from cleaner.model.model import type_thresholds_for

    return {k: (prob, tprobs, type_thresholds_for(thr, by_type, tprobs)) for k, (prob, tprobs, thr) in oof.items()}


def write_outputs(out_dir: Path, tag: str, pages, texts) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in ("wcxb", "scrapinghub", "trafilatura"):
        path = out_dir / f"{tag}-{kind}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for p in pages:
                if p["set"] == kind:
                    f.write(json.dumps({"id": p["id"], "text": texts[p["set"], p["id"]]}, ensure_ascii=False) + "\n")
        paths[kind] = path
    return paths


def run_tool(args) -> str:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True).stdout


def cross_validate_fold(pages, k: int) -> dict:
    """Fit on every fold but K, predict fold K's pages: their out-of-fold
    entries (block probabilities, type probabilities, threshold), the same
    for each of VARIANTS, and the fold's (K, threshold, seconds)."""
    t0 = time.time()
    train = [p for p in pages if p["fold"] != k and p["set"] in TRAIN_SETS]
    test = [p for p in pages if p["fold"] == k]
    print(f"fold {k}/{FOLDS}: {len(train)} training pages, {len(test)} scored", flush=True)
    fitted = fit_all(train, log=lambda m: print(m, flush=True))
    oof: dict = {}
    variants: dict = {}
    for p in test:
        prob, tprobs = predict(fitted, p)
        oof[p["set"], p["id"]] = (prob, tprobs, fitted["threshold"])
        for name, vp in predict_variants(fitted, p).items():
            variants.setdefault(name, {})[p["set"], p["id"]] = (vp, tprobs, fitted["threshold"])
    return {"oof": oof, "variants": variants, "fold": (k, fitted["threshold"], time.time() - t0)}


def cross_validate(pages, shared: Path, out_dir: Path, folds=None) -> str:
    """Fit and predict every fold (or take the folds already fitted by
    ``--fold K`` runs, ``out/cv-fold-K.pkl``); the out-of-fold probabilities go
    to ``out/cv-probs.pkl``, the report is made from them (:func:`make_report`)."""
    oof: dict = {}
    variants: dict = {}
    folds_info = []
    for k in range(1, FOLDS + 1):
        got = folds[k] if folds else cross_validate_fold(pages, k)
        oof.update(got["oof"])
        for name, entries in got["variants"].items():
            variants.setdefault(name, {}).update(entries)
        folds_info.append(got["fold"])
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "cv-probs.pkl", "wb") as f:  # (set, id) -> (block probs, type probs, threshold)
        pickle.dump({"oof": oof, "folds": folds_info}, f)
    with open(out_dir / "cv-variants.pkl", "wb") as f:  # name -> the same, for VARIANTS
        pickle.dump(variants, f)
    return make_report(pages, shared, out_dir)


def make_report(pages, shared: Path, out_dir: Path, variant: str | None = SHIP_VARIANT) -> str:
    """Clean every page with its out-of-fold probabilities (the package's own
    decisions, cleaner.model.decide), write the outputs and score them with the
    shared scorers."""
    with open(out_dir / "cv-probs.pkl", "rb") as f:
        saved = pickle.load(f)
    if "oof" in saved:
        oof, folds_info = saved["oof"], saved["folds"]
    else:  # saved by an earlier version of this script: probabilities only
        oof = saved
        by_fold = {p["fold"]: oof[p["set"], p["id"]][2] for p in pages}
        folds_info = [(k, by_fold[k], float("nan")) for k in sorted(by_fold)]
    if variant is not None:
        oof = load_oof(out_dir, variant)
    texts: dict[tuple[str, str], str] = {}
    type_hits = Counter()
    # Thresholds per page type, then veto kinds, for fold K are chosen on the
    # other folds' out-of-fold outputs.
    table = _f1_table(pages, oof)
    type_thr, islands, repeats, vetoes, oof_k = {}, {}, {}, {}, {}
    for k in range(1, FOLDS + 1):
        others = [p for p in pages if p["fold"] != k]
        type_thr[k] = choose_type_thresholds(others, oof, table)
        oof_k[k] = with_type_thresholds(oof, type_thr[k])
        islands[k] = choose_islands(others, oof_k[k]) if ISLANDS else {}
        repeats[k] = choose_repeats(others, oof_k[k], islands[k]) if REPEATS else {}
        vetoes[k] = frozenset(choose_veto(others, oof_k[k], islands[k], repeats[k]))
    for p in pages:
        entry = oof_k[p["fold"]][p["set"], p["id"]]
        texts[p["set"], p["id"]] = output_text(p, entry, vetoes[p["fold"]], islands[p["fold"]], repeats[p["fold"]])
        tprobs = entry[1]
        if p["set"] == "wcxb":
            type_hits[PAGE_TYPES[int(np.argmax(tprobs))] == p["type"]] += 1
    paths = write_outputs(out_dir, "cv", pages, texts)
    tools = shared / "tools"
    report = io.StringIO()
    print("# Cross-validation report", file=report)
    print(file=report)
    print("Written by `python training/train.py` (5-fold CV by domain, wcxbscore's folds): every figure is "
          "out-of-fold, each page cleaned by models (vocabularies, page type, block models, smoothing, threshold) "
          "fitted without its fold's domains; the thresholds per page type, the islands and repeats dropped "
          "and the wording vetoes of fold K are chosen on the other folds' out-of-fold outputs. Trained on WCXB, ScrapingHub and trafilatura's "
          "snippets (training/train.py's docstring).", file=report)
    if variant is not None:
        source, models, trees = VARIANTS[variant]
        which = "the inner block models" if source == "inner_blocks" else "the block model"
        print(f"\nInference as shipped: {f'the first of {which}' if models == 1 else which}"
              f"{f', its first {trees} trees' if trees else ''} (variant `{variant}`).", file=report)
    print(file=report)
    print("## WCXB (HTML), all folds", file=report)
    print("\n```\n" + run_tool([str(tools / "wcxbscore.py"), "score", str(paths["wcxb"]), "--per-type"]) + "```",
          file=report)
    print("## WCXB per fold", file=report)
    for k, thr, took in folds_info:
        out = run_tool([str(tools / "wcxbscore.py"), "score", str(paths["wcxb"]), "--fold", f"{k}/{FOLDS}",
                        "--per-type"])
        fit = f"fitted in {took:.0f} s; " if took == took else ""
        per_type = ", ".join(f"{t} {v}" for t, v in type_thr[k].items()) or "none"
        isl = ", ".join(f"{t} {g}/{w}" for t, (g, w) in islands[k].items()) or "none"
        rep = ", ".join(f"{t} {w}" for t, w in repeats[k].items()) or "none"
        print(f"\n### fold {k}/{FOLDS} (threshold {thr}, per page type: {per_type}; islands dropped (gap/words): "
              f"{isl}; repeats dropped (min words): {rep}; {fit}wording vetoes: "
              f"{', '.join(sorted(vetoes[k])) or 'none'})\n\n```\n{out}```", file=report)
    print("\n## ScrapingHub dev (61 pages), out-of-fold\n", file=report)
    print("```\n" + run_tool([str(tools / "devscore.py"), "score", "scrapinghub", str(paths["scrapinghub"])])
          + "```", file=report)
    print("\n## trafilatura dev (256 pages), out-of-fold\n", file=report)
    print("```\n" + run_tool([str(tools / "devscore.py"), "score", "trafilatura", str(paths["trafilatura"])])
          + "```", file=report)
    acc = type_hits[True] / max(1, sum(type_hits.values()))
    print(f"\n## Page type\n\nOut-of-fold accuracy of the page-type model on WCXB: {acc:.3f}\n", file=report)
    return report.getvalue()


LINES_REPORT_START = "<!-- text dumps: training/train_lines.py -->"
LINES_REPORT_END = "<!-- end of text dumps -->"
"""The text dumps' section of REPORT.md, which train_lines.py writes and
replaces; this script's report leaves it, and what follows it (the
experiments' notes), as they are."""


def write_report(report: str) -> None:
    """Write the page model's report into training/REPORT.md, in front of the
    text dumps' section (train_lines.py's) and what follows it."""
    path = ROOT / "training" / "REPORT.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    a = old.find(LINES_REPORT_START)
    path.write_text(report + ("\n" + old[a:] if a >= 0 else ""), encoding="utf-8")


def load_oof(out_dir: Path, variant: str | None = SHIP_VARIANT) -> dict | None:
    path = out_dir / ("cv-probs.pkl" if variant is None else "cv-variants.pkl")
    if not path.exists():
        return None
    with open(path, "rb") as f:
        saved = pickle.load(f)
    if variant is not None:
        return saved[variant]
    return saved["oof"] if "oof" in saved else saved


def set_veto(pages, out_dir: Path, dest: Path) -> list[str]:
    """The shipped model's thresholds per page type, then its veto rules,
    chosen on every page's out-of-fold outputs (the cross-validation's),
    written into its pagemodel.json."""
    oof = load_oof(out_dir)
    by_type: dict[str, float] = {}
    islands: dict[str, tuple[int, float]] = {}
    repeats: dict[str, int] = {}
    veto: list[str] = []
    if oof is not None:
        by_type = choose_type_thresholds(pages, oof, _f1_table(pages, oof))
        oof_t = with_type_thresholds(oof, by_type)
        islands = choose_islands(pages, oof_t) if ISLANDS else {}
        repeats = choose_repeats(pages, oof_t, islands) if REPEATS else {}
        veto = choose_veto(pages, oof_t, islands, repeats)
    spec_path = dest / "pagemodel.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["type_thresholds"] = by_type
    spec["islands"] = islands
    spec["repeats"] = repeats
    spec.pop("veto_kinds", None)
    spec["veto_rules"] = veto
    spec_path.write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return veto


def fit_ship(pages):
    train = [p for p in pages if p["set"] in TRAIN_SETS]
    return fit_all(train, log=lambda m: print(m, flush=True))


def ship(pages, dest: Path, out_dir: Path, fitted=None) -> None:
    """Write the shipped model (fitted on every training page) to ``dest``,
    with its thresholds per page type and vetoes chosen on the
    cross-validation's out-of-fold outputs in ``out_dir``."""
    train = [p for p in pages if p["set"] in TRAIN_SETS]
    fitted = dict(fitted or fit_ship(pages))
    dest.mkdir(parents=True, exist_ok=True)
    source, models, trees = VARIANTS[SHIP_VARIANT] if SHIP_VARIANT else ("blocks", None, None)
    fitted["blocks"] = fitted[source][:models]
    spec = {"version": 1, "threshold": fitted["threshold"], "block_models": len(fitted["blocks"]),
            **fitted["voc"], "trained_on": {k: sum(p["set"] == k for p in train) for k in TRAIN_SETS},
            "seed": SEED}
    (dest / "pagemodel.json").write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    boosters = {"pagetype": fitted["pagetype"], "smooth": fitted["smooth"]}
    boosters.update({f"blocks{k + 1}": m for k, m in enumerate(fitted["blocks"])})
    # The page model's own files only: the line model (train_lines.py) ships beside them.
    for old in [*dest.glob("blocks*.txt.gz"), dest / "pagetype.txt.gz", dest / "smooth.txt.gz"]:
        old.unlink(missing_ok=True)
    for name, booster in boosters.items():
        # mtime 0: the same model gives the same bytes.
        with open(dest / f"{name}.txt.gz", "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
            f.write(booster.model_to_string(num_iteration=trees if name.startswith("blocks") else None)
                    .encode("utf-8"))
    veto = set_veto(pages, out_dir, dest)
    print(f"shipped model -> {dest} (threshold {fitted['threshold']}, wording vetoes {veto})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--cache", default=str(ROOT / "training" / ".cache"))
    ap.add_argument("--out", default=str(ROOT / "training" / "out"))
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--ship-only", action="store_true")
    ap.add_argument("--fold", type=int, default=0,
                    help="cross-validate fold K only, into training/out/cv-fold-K.pkl (folds run side by side)")
    ap.add_argument("--merge-folds", action="store_true",
                    help="the report from the five cv-fold-K.pkl of --fold runs")
    ap.add_argument("--fit-ship-only", action="store_true",
                    help="fit the shipped model and keep it in training/out/ship-fitted.pkl (while the CV runs)")
    ap.add_argument("--write-ship-only", action="store_true",
                    help="write the shipped model from training/out/ship-fitted.pkl and the CV's outputs")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from the saved out-of-fold probabilities (training/out/cv-probs.pkl)")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "traindata" / "wcxb" / "ground-truth.json").exists():
        print(f"no training data at {shared}: nothing to train")
        return 0
    cache = Path(args.cache) / "pages.pkl"
    if not cache.exists():
        print(f"no page cache at {cache}: run training/dataset.py first")
        return 0
    with open(cache, "rb") as f:
        pages = pickle.load(f)
    fitted_path = Path(args.out) / "ship-fitted.pkl"
    if args.fold:
        got = cross_validate_fold(pages, args.fold)
        Path(args.out).mkdir(parents=True, exist_ok=True)
        with open(Path(args.out) / f"cv-fold-{args.fold}.pkl", "wb") as f:
            pickle.dump({**got, "features": list(FEATURES) + list(SMOOTH_FEATURES)}, f)
        return 0
    if args.merge_folds:
        folds = {}
        for k in range(1, FOLDS + 1):
            with open(Path(args.out) / f"cv-fold-{k}.pkl", "rb") as f:
                folds[k] = pickle.load(f)
            if folds[k]["features"] != list(FEATURES) + list(SMOOTH_FEATURES):
                print(f"fold {k} was fitted on other features: run --fold {k} again")
                return 1
        report = cross_validate(pages, shared, Path(args.out), folds)
        write_report(report)
        print(report)
        return 0
    if args.fit_ship_only:
        fitted = fit_ship(pages)
        Path(args.out).mkdir(parents=True, exist_ok=True)
        with open(fitted_path, "wb") as f:
            pickle.dump({"fitted": fitted, "features": list(FEATURES) + list(SMOOTH_FEATURES)}, f)
        print(f"fitted -> {fitted_path}")
        return 0
    if args.write_ship_only:
        with open(fitted_path, "rb") as f:
            saved = pickle.load(f)
        if saved["features"] != list(FEATURES) + list(SMOOTH_FEATURES):
            print(f"{fitted_path} was fitted on other features: run --fit-ship-only again")
            return 1
        ship(pages, ROOT / "cleaner" / "data", Path(args.out), saved["fitted"])
        return 0
    if args.report_only:
        report = make_report(pages, shared, Path(args.out))
        write_report(report)
        print(report)
        print("wording vetoes of the shipped model:", set_veto(pages, Path(args.out), ROOT / "cleaner" / "data"))
        return 0
    if not args.ship_only:
        report = cross_validate(pages, shared, Path(args.out))
        write_report(report)
        print(report)
    if not args.cv_only:
        ship(pages, ROOT / "cleaner" / "data", Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
