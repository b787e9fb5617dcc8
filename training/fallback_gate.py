"""Experiment (nothing here is shipped): can the page model tell, before
running trafilatura, the pages where trafilatura's output would score better
than its own? If so, trafilatura could run on those pages only, as a
fallback, at a fraction of its time.

    python training/fallback_gate.py     # after train.py's cross-validation (training/out)

Protocol: cleaner's figures are its out-of-fold outputs (``training/out/
cv-wcxb.jsonl``, written by ``train.py --fold K`` x5 and ``--merge-folds``);
trafilatura's are ``trafilatura.extract()`` with its defaults on the same
HTML (cached in ``training/.cache/trafilatura-wcxb.pkl``, about 6 minutes
to build). The gate's columns are what the page model knows of a page after
its out-of-fold scores (``cv-probs.pkl``): the page-type probabilities and
the largest, the threshold, the share of the page's characters kept, the
share scored within 0.2 of the threshold, the score mass, the highest
score, the page's length and block count, the kept share of blocks, the
output's length, the longest block and whether it is kept. A LightGBM
regression of (trafilatura's F1 - cleaner's F1) on them is fitted on four
folds (by domain, wcxbscore's folds) and applied to the fifth; the cut above
which trafilatura's output is taken is chosen on the other folds.

Result (2026-12-07): cleaner 0.8697, trafilatura 0.8184, the better of the
two per page (an oracle) 0.8954; gated with the cut chosen out of fold
0.8693 (trafilatura on 0.3% of pages); at fixed cuts 0 .. 0.3: 0.8656 ..
0.8699. The pages where trafilatura wins do not look different to the page
model, so there is nothing to gate on: not shipped (training/REPORT.md).
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "training" / "out"
CACHE = ROOT / "training" / ".cache"
CUTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, float("inf"))
PARAMS = dict(objective="regression", learning_rate=0.05, num_leaves=7, min_data_in_leaf=30, feature_fraction=0.8,
              bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, verbose=-1, seed=1)


def trafilatura_outputs(pages: list[dict]) -> dict[str, str]:
    path = CACHE / "trafilatura-wcxb.pkl"
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    import trafilatura

    out = {p["id"]: trafilatura.extract(p["html"], url=p.get("url")) or "" for p in pages}
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(out, f)
    return out


def gate_columns(probs: np.ndarray, types: np.ndarray, thr: float, lengths: np.ndarray, output: str) -> list[float]:
    total = lengths.sum() + 1
    kept = probs >= thr
    longest = lengths.max() if len(lengths) else 0.0
    return [*types, types.max(), thr, lengths[kept].sum() / total,
            lengths[(probs > thr - 0.2) & (probs < thr + 0.2)].sum() / total,
            (probs * lengths).sum() / total, probs.max() if len(probs) else 0.0,
            np.log1p(total), np.log1p(len(lengths)), kept.sum() / max(1, len(lengths)),
            np.log1p(len(output)), np.log1p(longest), (lengths[kept].max() if kept.any() else 0.0) / (longest + 1)]


def main() -> int:
    if not (SHARED / "tools" / "wcxbscore.py").exists() or not (OUT / "cv-probs.pkl").exists():
        print(f"needs {SHARED}/tools/wcxbscore.py and training/out/cv-probs.pkl (train.py's CV): nothing to do")
        return 0
    import lightgbm as lgb

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import extraction as ex

    from cleaner.model.model import prepare

    wx = ex.load_tool(SHARED, "wcxbscore")
    truth = wx.load_truth()
    pages = ex.wcxb_pages(wx)
    with open(OUT / "cv-probs.pkl", "rb") as f:
        oof = pickle.load(f)["oof"]
    ours = {}
    for line in (OUT / "cv-wcxb.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        ours[str(r["id"])] = r.get("text") or ""
    traf = trafilatura_outputs(pages)
    f_ours = {r["id"]: r["f1"] for r in wx.score(truth, ours)}
    f_traf = {r["id"]: r["f1"] for r in wx.score(truth, traf)}
    ids, X = [], []
    for p in pages:
        probs, types, thr = oof["wcxb", p["id"]]
        lengths = np.array([len(b.text) for b in prepare(p["html"], p.get("url")).blocks], dtype=np.float64)
        ids.append(p["id"])
        X.append(gate_columns(np.asarray(probs), np.asarray(types), thr, lengths, ours[p["id"]]))
    X = np.array(X)
    fo = np.array([f_ours[i] for i in ids])
    ft = np.array([f_traf[i] for i in ids])
    fold = np.array([wx.fold_of(truth[i]["url"], 5) for i in ids])
    pred = np.zeros(len(ids))
    for k in range(1, 6):
        tr, te = fold != k, fold == k
        model = lgb.train(PARAMS, lgb.Dataset(X[tr], ft[tr] - fo[tr]), num_boost_round=150)
        pred[te] = model.predict(X[te])
    print(f"cleaner {fo.mean():.4f}  trafilatura {ft.mean():.4f}  the better per page (oracle) {np.maximum(fo, ft).mean():.4f}")
    for cut in CUTS[:-1]:
        g = pred > cut
        print(f"gate > {cut:.2f}: {np.where(g, ft, fo).mean():.4f}, trafilatura on {g.mean():.1%} of pages")
    gated = np.zeros(len(ids), dtype=bool)
    for k in range(1, 6):
        tr, te = fold != k, fold == k
        cut = max(CUTS, key=lambda c: np.where(pred[tr] > c, ft[tr], fo[tr]).mean())
        gated[te] = pred[te] > cut
    print(f"cut chosen on the other folds: {np.where(gated, ft, fo).mean():.4f}, trafilatura on {gated.mean():.1%} of pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
