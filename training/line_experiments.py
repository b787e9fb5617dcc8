"""Experiments (nothing here is shipped): where is the line model's remaining
gap on WCXB's text dumps? Out-of-fold, 5-fold CV by domain.

    python training/line_experiments.py      # after train_lines.py has built its cache; about 10 minutes

The shipped line model scores 0.811 on WCXB's dumps out-of-fold (the issue's
target is 0.83), far below what its own training labels reach (0.926). Each
experiment below changes one thing and is scored the same way:

* the model's **knowledge of the page type**: the true type as seven indicator
  columns (an oracle no deployed model has: the most any page-type predictor
  could add);
* its **capacity**: 300 trees of 31 leaves instead of 120 of 15;
* **more columns**: line-shape groups (how many lines of the page share the
  line's shape, length band, end punctuation, digits, capital, bullet,
  currency and wording rule, and how the rules judged them), the share of
  the line's words in the URL's path and in the headline line, windows of
  20 and 40 lines, the distance to the nearest prose line above and below and
  the share of prose before the line; and, apart, the section openers above
  the line (walls, comment, related, share and newsletter labels);
* the **decision** from the same probabilities: a threshold that moves with
  the page's mean probability (weighted by words), a threshold relative to the
  page's highest probability, and a threshold per page chosen by a
  regression model of the page's F1 at each threshold (from the page's
  probability quantiles, mean, maximum, kept shares and page columns).

Protocol: for fold K a model is fitted on the other folds' pages (as
``train_lines.py`` fits, every page with and without its URL) and gives fold
K's pages their probabilities; fold K's threshold (and the decision's
parameters) are those that maximise the mean WCXB F1 of the other folds'
out-of-fold outputs. Scored with ``train.kept_f1`` (wcxbscore's bag-of-words
F1, computed in-process) on the kept lines, with neither the switching cost
nor the wording vetoes (the same for every row, so the rows compare; the
shared scorer and the vetoes give the report's 0.811 for the first row's
0.818). ScrapingHub's 61 dumps are scored the same way, with their own
articleBody.

Result (2026-12-06), WCXB (ScrapingHub):

| | WCXB | ScrapingHub |
|---|---|---|
| the line model as shipped, refitted here | 0.8185 | 0.904 |
| + the true page type (oracle) | 0.8205 | 0.915 |
| 300 trees of 31 leaves | 0.8190 | 0.899 |
| + shape groups, overlaps, wide windows, prose distance | 0.8192 | 0.912 |
| + section openers above | 0.8171 | 0.900 |
| threshold moving with the page's mean probability | 0.8215 | 0.903 |
| threshold relative to the page's highest probability | 0.8211 | 0.916 |
| threshold per page from a regression of F1 | 0.8177 | 0.936 |
| (the best threshold per page, chosen on the page's truth) | (0.8698) | (0.969) |

(539 s on 2 cores.) Read: neither the page type (+0.002 with the true one, which no deployed
model has), nor capacity, nor these columns move WCXB by more than the noise
between refits (the shipped model's own out-of-fold probabilities give
0.8180 here); the per-page decision has room on the page's truth (0.870)
but no rule or model of it found more than 0.003 of it. ScrapingHub's 61
pages move by up to 0.03 between variants that leave WCXB as it is, which
is what 61 pages allow: not a result either way. The gap to the labels'
0.926 is in the non-article pages (product 0.55 against the labels' 0.84,
collection 0.59 against 0.87), whose dumps lose the structure that tells a
listed item from a menu entry; closing it needs evidence these columns do
not carry.
"""

from __future__ import annotations

import pickle
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

import train_lines as T  # noqa: E402
from stack_lines import _CacheReader  # noqa: E402
from train import kept_f1  # noqa: E402
from cleaner.model.lines import LINE_FEATURES, PAGE_FEATURES  # noqa: E402
from cleaner.model.pagetype import PAGE_TYPES  # noqa: E402

_I = {n: i for i, n in enumerate(LINE_FEATURES)}
_RULE_COLS = [_I[n] for n in LINE_FEATURES if n.startswith("rule:")]
_WORD = re.compile(r"\w+")
TS = np.round(np.arange(0.1, 0.81, 0.05), 3)
"""Thresholds the per-page decisions choose among."""


# --- extra columns -------------------------------------------------------------

def true_type(p) -> np.ndarray:
    out = np.zeros((len(p["texts"]), len(PAGE_TYPES)))
    out[:, PAGE_TYPES.index(p["type"])] = 1.0
    return out


def shape_groups(p) -> np.ndarray:
    X = p["X"]
    kind = np.argmax(X[:, _RULE_COLS], axis=1) * (X[:, _I["rule_any"]] > 0)
    key = np.stack([np.round(X[:, _I["log_chars"]] * 2), X[:, _I["terminal"]], X[:, _I["digit_share"]] > 0,
                    X[:, _I["starts_upper"]], X[:, _I["bullet"]], X[:, _I["currency"]], kind], axis=1)
    _, inv, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    kept = np.bincount(inv, weights=X[:, _I["old_keep"]]) / count
    stop = np.bincount(inv, weights=X[:, _I["stop_share"]]) / count
    return np.stack([np.log(count[inv]), kept[inv], stop[inv]], axis=1)


def overlaps(p) -> np.ndarray:
    path = re.sub(r"^https?://[^/]+", "", (p["url"] or "").lower())
    slug = {w for w in re.split(r"[^a-z0-9]+", path) if len(w) > 2 and not w.isdigit()}
    heads = np.flatnonzero(p["X"][:, _I["is_title"]] > 0)
    title = set(_WORD.findall(p["texts"][heads[0]].lower())) if len(heads) else set()
    out = np.full((len(p["texts"]), 2), -1.0)
    for i, t in enumerate(p["texts"]):
        w = set(_WORD.findall(t.lower()))
        if w and slug:
            out[i, 0] = len(w & slug) / len(w)
        if w and title:
            out[i, 1] = len(w & title) / len(w)
    return out


def wide_windows(p) -> np.ndarray:
    X = p["X"]
    n = len(X)
    base = X[:, [_I["old_keep"], _I["prose"], _I["log_chars"], _I["stop_share"]]].astype(np.float64)
    cs = np.vstack([np.zeros((1, base.shape[1])), np.cumsum(base, axis=0)])
    idx = np.arange(n)
    out = []
    for r in (20, 40):
        lo, hi = np.clip(idx - r, 0, n), np.clip(idx + r + 1, 0, n)
        out.append((cs[hi] - cs[lo]) / (hi - lo)[:, None])
    return np.hstack(out)


def _since(flags: np.ndarray, cap: float, reverse: bool = False) -> np.ndarray:
    """Lines since the nearest flagged line before (after, ``reverse``), at most ``cap``."""
    n = len(flags)
    out = np.full(n, cap)
    last = None
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        if last is not None:
            out[i] = min(abs(i - last), cap)
        if flags[i]:
            last = i
    return out


def prose_distance(p) -> np.ndarray:
    X = p["X"]
    prose = X[:, _I["prose"]] > 0
    chars = np.expm1(X[:, _I["log_chars"]]) * prose
    before = (np.cumsum(chars) - chars) / (chars.sum() or 1.0)
    return np.stack([np.log1p(_since(prose, 50.0)), np.log1p(_since(prose, 50.0, reverse=True)), before], axis=1)


def openers_above(p) -> np.ndarray:
    X = p["X"]
    wall = X[:, _I["rule_wall"]] > 0
    chrome = X[:, [_I["rule:" + k] for k in ("comment-widget", "related-articles", "share-buttons", "newsletter",
                                             "read-more")]].sum(axis=1) > 0
    return np.stack([np.log1p(np.cumsum(wall) - wall), np.log1p(_since(wall, 60.0)),
                     np.log1p(np.cumsum(chrome) - chrome), np.full(len(X), float(wall.any()))], axis=1)


# --- fitting and scoring ---------------------------------------------------------

def out_of_fold(pages, extra=None, params=None, rounds=None) -> dict:
    """Each page's probabilities from a model fitted without its fold (the
    columns ``extra(p)`` added to the line matrix)."""
    import lightgbm as lgb

    Xs = [np.hstack([p["X"], extra(p).astype(np.float32)]) if extra else p["X"] for p in pages]
    oof = {}
    for k in range(1, T.FOLDS + 1):
        train = [i for i, p in enumerate(pages) if p["fold"] != k]
        X = np.vstack([Xs[i] for i in train])
        y = np.concatenate([(pages[i]["share"] >= T.LABEL_SHARE).astype(np.float32) for i in train])
        w = np.concatenate([T.weights(pages[i]) for i in train])
        no_url = X.copy()
        no_url[:, T.URL_COLS] = 0.0  # every page with and without its URL, as train_lines fits
        data = lgb.Dataset(np.vstack([X, no_url]), label=np.concatenate([y, y]), weight=np.concatenate([w, w]) / 2,
                           params={"max_bin": T.PARAMS["max_bin"], "verbose": -1, **T.COMMON})
        model = lgb.train({**T.PARAMS, **(params or {}), **T.COMMON}, data, num_boost_round=rounds or T.ROUNDS)
        for i, p in enumerate(pages):
            if p["fold"] == k:
                oof[p["set"], p["id"]] = model.predict(Xs[i], num_threads=2)
    return oof


def f1_at(p, probs, threshold) -> float:
    return kept_f1(p, T.keep_of(p, probs, float(threshold), 0.0))


def scored(pages, results: dict) -> tuple[float, float]:
    """(mean WCXB F1, mean ScrapingHub F1) of per-page F1s."""
    wcxb = [results[p["set"], p["id"]] for p in pages if p["set"] == "wcxb"]
    sh = [results[p["set"], p["id"]] for p in pages if p["set"] == "scrapinghub"]
    return float(np.mean(wcxb)), float(np.mean(sh))


def decide(pages, table: dict, n_choices: int) -> dict:
    """Per page, the F1 of the choice (one of ``n_choices`` columns of
    ``table[page]``) that maximises the mean WCXB F1 of the other folds."""
    out = {}
    for k in range(1, T.FOLDS + 1):
        others = [table[p["set"], p["id"]] for p in pages if p["fold"] != k and p["set"] == "wcxb"]
        best = int(np.argmax(np.mean(others, axis=0))) if others else 0
        for p in pages:
            if p["fold"] == k:
                out[p["set"], p["id"]] = table[p["set"], p["id"]][best]
    assert all(len(v) == n_choices for v in table.values())
    return out


def fixed_threshold(pages, oof) -> dict:
    table = {(p["set"], p["id"]): [f1_at(p, oof[p["set"], p["id"]], t) for t in T.THRESHOLDS] for p in pages}
    return decide(pages, table, len(T.THRESHOLDS))


def _weighted_mean(p, probs) -> float:
    w = np.minimum(np.maximum(p["ntok"], 1.0), T.WEIGHT_CAP)
    return float((probs * w).sum() / w.sum())


def moving_thresholds(pages, oof) -> tuple[dict, dict]:
    """Thresholds ``t + a (page mean - 0.5)`` and ``max(t, a * page max)``."""
    grid_mean = [(a, t) for a in (-0.6, -0.4, -0.2, 0.0, 0.2, 0.4) for t in (0.25, 0.3, 0.35, 0.4, 0.45)]
    grid_rel = [(a, t) for a in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7) for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45)]
    mean_table, rel_table = {}, {}
    for p in pages:
        probs = oof[p["set"], p["id"]]
        m, top = _weighted_mean(p, probs), float(probs.max())
        mean_table[p["set"], p["id"]] = [f1_at(p, probs, t + a * (m - 0.5)) for a, t in grid_mean]
        rel_table[p["set"], p["id"]] = [f1_at(p, probs, max(t, a * top)) for a, t in grid_rel]
    return decide(pages, mean_table, len(grid_mean)), decide(pages, rel_table, len(grid_rel))


def page_columns(p, probs) -> np.ndarray:
    w = np.minimum(np.maximum(p["ntok"], 1.0), T.WEIGHT_CAP)
    shares = [float(w[probs >= t].sum() / w.sum()) for t in (0.2, 0.35, 0.5, 0.65)]
    page = p["X"][0, [LINE_FEATURES.index(n) for n in PAGE_FEATURES]]
    return np.concatenate([np.quantile(probs, [0.1, 0.25, 0.5, 0.75, 0.9]),
                           [_weighted_mean(p, probs), probs.max(), probs.mean()], shares, page])


def regressed_thresholds(pages, oof) -> tuple[dict, dict]:
    """The threshold a regression of the page's F1 on (page columns,
    threshold), fitted on the other folds, expects best; and the best
    threshold per page chosen on its own truth (a ceiling, not a result)."""
    import lightgbm as lgb

    cols = {(p["set"], p["id"]): page_columns(p, oof[p["set"], p["id"]]) for p in pages}
    f1s = {(p["set"], p["id"]): np.array([f1_at(p, oof[p["set"], p["id"]], t) for t in TS]) for p in pages}
    rows = lambda key: np.vstack([np.concatenate([cols[key], [t]]) for t in TS])  # noqa: E731
    chosen = {}
    for k in range(1, T.FOLDS + 1):
        train = [(p["set"], p["id"]) for p in pages if p["fold"] != k]
        model = lgb.train(dict(objective="regression", learning_rate=0.05, num_leaves=15, min_data_in_leaf=40,
                               feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, verbose=-1, **T.COMMON),
                          lgb.Dataset(np.vstack([rows(key) for key in train]),
                                      np.concatenate([f1s[key] for key in train]),
                                      weight=np.concatenate([np.full(len(TS), T.SET_WEIGHT[key[0]]) for key in train])),
                          300)
        for p in pages:
            if p["fold"] == k:
                key = p["set"], p["id"]
                chosen[key] = f1s[key][int(np.argmax(model.predict(rows(key))))]
    return chosen, {key: float(v.max()) for key, v in f1s.items()}


def main() -> int:
    cache = ROOT / "training" / ".cache" / "lines.pkl"
    if not cache.exists() or not (ROOT.parent / "shared" / "traindata" / "wcxb").exists():
        print(f"no line cache at {cache} (run training/train_lines.py) or no ../shared: nothing to try")
        return 0
    with open(cache, "rb") as f:
        pages = [p for p in _CacheReader(f).load() if len(p["texts"])]
    rows = []

    def row(name, results):
        rows.append((name, *scored(pages, results)))
        print(f"{name}: WCXB {rows[-1][1]:.4f}  ScrapingHub {rows[-1][2]:.4f}", flush=True)

    t0 = time.time()
    base = out_of_fold(pages)
    row("the line model as shipped, refitted here", fixed_threshold(pages, base))
    row("+ the true page type (oracle)", fixed_threshold(pages, out_of_fold(pages, true_type)))
    row("300 trees of 31 leaves", fixed_threshold(pages, out_of_fold(pages, params={"num_leaves": 31}, rounds=300)))
    more = lambda p: np.hstack([shape_groups(p), overlaps(p), wide_windows(p), prose_distance(p)])  # noqa: E731
    row("+ shape groups, overlaps, wide windows, prose distance", fixed_threshold(pages, out_of_fold(pages, more)))
    row("+ section openers above", fixed_threshold(pages, out_of_fold(pages, openers_above)))
    by_mean, by_top = moving_thresholds(pages, base)
    row("threshold moving with the page's mean probability", by_mean)
    row("threshold relative to the page's highest probability", by_top)
    regressed, ceiling = regressed_thresholds(pages, base)
    row("threshold per page from a regression of F1", regressed)
    row("(the best threshold per page, chosen on the page's truth)", ceiling)
    print(f"\n{time.time() - t0:.0f} s\n")
    print("| | WCXB | ScrapingHub |\n|---|---|---|")
    for name, wcxb, sh in rows:
        print(f"| {name} | {wcxb:.4f} | {sh:.3f} |")
    with open(ROOT / "training" / "out" / "line-experiments.pkl", "wb") as f:
        pickle.dump(rows, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
