"""Experiment (nothing here is shipped): does a second stage over the line
model's probabilities help? Nested cross-validation by domain.

    python training/stack_lines.py      # after train_lines.py has built its cache

The issue asks for content to be smoothed along the page "by a two-state
Viterbi, a CRF or a second-stage model over neighbour scores". The shipped
line model has the Viterbi pass (cross-validation chose no smoothing: the
neighbour and window columns carry the context). Here the second stage reads
every line column plus columns of the first stage's probabilities: the
line's, its neighbours' (±1..±3), means over windows of 2, 5 and 10 lines,
the page's mean, maximum and share above one half, the run of lines on the
same side of one half (lines, characters, whether it is the page's largest
kept run), the distance to the nearest line above one half and the share of
such text before the line.

Protocol, so that no figure is on pages a model saw: for each outer fold K,
the second stage is fitted on the other folds' pages with *inner*
out-of-fold probabilities (four first-stage models, each without one of
those folds), and fold K's pages get the first stage fitted on all four
folds, then the second stage. Thresholds, switching cost and vetoes are
chosen on the other folds' outputs as in ``train_lines.py``. About 8 minutes
on 2 cores.

Result (2026-12-06): WCXB text dumps 0.811 -> 0.813 (collection 0.592 ->
0.607, the other types within ±0.004), ScrapingHub's 61 dumps 0.923 -> 0.937.
Not shipped yet: the WCXB gain (0.002) is far from what the 0.83 target
needs, and the second model costs a second call per task; ScrapingHub's gain
is the case for shipping it once trained with the URL-free copies (the first stage's training doubles every
page without its URL; this experiment's second stage sees the pages with it).
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

import train_lines as T  # noqa: E402


def prob_columns(probs: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Columns of one page's first-stage probabilities (see the module's docstring)."""
    n = len(probs)
    p = probs.astype(np.float64)
    pad = np.full(n + 6, -1.0)
    pad[3:3 + n] = p
    near = [pad[3 + o:3 + o + n] for o in (-3, -2, -1, 1, 2, 3)]
    cs = np.concatenate(([0.0], np.cumsum(p)))
    idx = np.arange(n)
    windows = []
    for r in (2, 5, 10):
        lo, hi = np.clip(idx - r, 0, n), np.clip(idx + r + 1, 0, n)
        windows.append((cs[hi] - cs[lo]) / (hi - lo))
    high = p >= 0.5
    run = np.concatenate(([0], np.cumsum(high[1:] != high[:-1])))
    chars = np.expm1(X[:, 0].astype(np.float64))  # log_chars is the first column
    largest = np.zeros(n)
    if high.any():
        largest = (run == np.argmax(np.bincount(run, weights=chars * high))).astype(np.float64)
    at = np.nonzero(high)[0]
    dist = (np.abs(idx[:, None] - at[None, :]).min(axis=1) if len(at) else np.full(n, 50.0))
    kept_chars = chars * high
    before = (np.cumsum(kept_chars) - kept_chars) / (chars.sum() or 1.0)
    return np.column_stack([p, *near, *windows, np.full(n, p.mean()), np.full(n, p.max()), np.full(n, high.mean()),
                            np.log1p(np.bincount(run)[run]), np.log1p(np.bincount(run, weights=chars)[run]),
                            largest, np.minimum(dist, 50.0), before]).astype(np.float32)


def stacked(p, probs) -> np.ndarray:
    return np.hstack([p["X"], prob_columns(probs, p["X"])])


def fit_second(pages, probs):
    import lightgbm as lgb

    pages = [p for p in pages if len(p["texts"])]
    X = np.vstack([stacked(p, probs[p["set"], p["id"]]) for p in pages])
    y = np.concatenate([(p["share"] >= T.LABEL_SHARE).astype(np.float32) for p in pages])
    w = np.concatenate([T.weights(p) for p in pages])
    data = lgb.Dataset(X, label=y, weight=w, params={"max_bin": T.PARAMS["max_bin"], "verbose": -1, **T.COMMON})
    return lgb.train({**T.PARAMS, **T.COMMON}, data, num_boost_round=T.ROUNDS)


class _CacheReader(pickle.Unpickler):
    """train_lines.py's cache, written when it ran as ``__main__``: its
    classes are train_lines' own (a cache this repo's training wrote)."""

    def find_class(self, module, name):
        return super().find_class("train_lines" if module == "__main__" else module, name)


def main() -> int:
    cache = ROOT / "training" / ".cache" / "lines.pkl"
    shared = ROOT.parent / "shared"
    if not cache.exists() or not (shared / "tools" / "wcxbscore.py").exists():
        print(f"no line cache at {cache} (run training/train_lines.py) or no {shared}: nothing to try")
        return 0
    with open(cache, "rb") as f:
        pages = _CacheReader(f).load()
    first, second, took = {}, {}, {}
    for k in range(1, T.FOLDS + 1):
        t0 = time.time()
        train = [p for p in pages if p["fold"] != k]
        inner = {}
        for j in sorted({p["fold"] for p in train}):
            model = T.fit_on([p for p in train if p["fold"] != j])
            inner.update({(p["set"], p["id"]): T.predict(model, p) for p in train if p["fold"] == j})
        one = T.fit_on(train)
        two = fit_second(train, inner)
        for p in pages:
            if p["fold"] == k:
                key = p["set"], p["id"]
                first[key] = T.predict(one, p)
                second[key] = (two.predict(stacked(p, first[key]), num_threads=2) if len(p["texts"])
                               else np.zeros(0))
        took[k] = time.time() - t0
        print(f"fold {k}/{T.FOLDS}: {took[k]:.0f} s", flush=True)
    for name, oof in (("first stage", first), ("two stages", second)):
        out = ROOT / "training" / "out" / ("stack-" + name.replace(" ", "-"))
        report = T.cross_validate(pages, shared, out, {"oof": oof, "took": took})
        for line in report.splitlines():
            if line.startswith(("cv-lines-", "line model, out-of-fold:")):
                print(f"{name}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
