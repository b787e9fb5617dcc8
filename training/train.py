"""Train the page model, cross-validated by domain, and the shipped model.

    python training/dataset.py            # pages -> training/.cache/pages.pkl (once, ~1 min)
    python training/train.py              # 5-fold CV report + the shipped model in cleaner/data/
    python training/train.py --cv-only    # the report only
    python training/train.py --ship-only  # the shipped model only

Training pages: WCXB's 1,497 (``main_content``) and ScrapingHub's 61
(``articleBody``); trafilatura's 256 (snippets only) are scored, not trained on.
Folds: wcxbscore's ``fold_of`` (domain hash mod 5) for every set.

For each outer fold K, everything is fitted on the other four folds only:

1. the vocabularies (class/id words, URL words, schema types: the most
   frequent across the training domains);
2. the page-type model; its probabilities on the training pages, which the
   block model learns from, are out-of-fold within the training folds (inner
   CV), as they will be on unseen pages;
3. the block model (stage 1), and its out-of-fold scores on the training pages
   (inner CV over the four training folds);
4. the smoothing model (stage 2) on those scores, with its own inner
   out-of-fold predictions, on which the threshold is chosen (the one that
   maximises the training pages' mean WCXB F1);

then fold K's pages are cleaned by the models of 1-4 refitted on all four
training folds, written to ``training/out/cv-<set>.jsonl`` and scored with the
shared scorers (``wcxbscore.py score --fold K/5 --per-type`` and devscore).
The shipped model is the same procedure with all five folds as training data.

LightGBM runs deterministic (fixed seeds, ``deterministic=True``,
``force_col_wise=True``), so retraining gives the same models.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import pickle
import subprocess
import sys
import time
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "training"))
from dataset import domain  # noqa: E402
from cleaner.model.features import FEATURES, vocab_columns  # noqa: E402
from cleaner.model.model import SMOOTH_FEATURES, _safe, smooth_matrix  # noqa: E402
from cleaner.model.pagetype import PAGE_FEATURES, PAGE_TYPES, indicator  # noqa: E402

FOLDS = 5
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
PAGETYPE_ROUNDS = 250
BLOCK_PARAMS = dict(objective="binary", learning_rate=0.06, num_leaves=63, min_data_in_leaf=50,
                    feature_fraction=0.5, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, max_bin=63,
                    verbose=-1)
BLOCK_ROUNDS = 300
SMOOTH_PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=31, min_data_in_leaf=100,
                     feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, max_bin=63,
                     verbose=-1)
SMOOTH_ROUNDS = 200
COMMON = dict(seed=SEED, deterministic=True, force_col_wise=True, num_threads=2)
THRESHOLDS = np.round(np.arange(0.20, 0.81, 0.025), 3)


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
    return (np.asarray(p["share"]) >= 0.5).astype(np.float32)


def weights(p) -> np.ndarray:
    """Word counts capped at WEIGHT_CAP, scaled so that every page weighs the
    same in all (the metric is a mean over pages)."""
    w = np.minimum(np.maximum(np.asarray(p["ntok"], dtype=np.float64), 1.0), WEIGHT_CAP)
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
    return _train(PAGETYPE_PARAMS, PAGETYPE_ROUNDS, page_X(pages, voc), page_y(pages), names=pagetype_names(voc))


def fit_blocks(pages, voc, probs):
    X = np.vstack([block_X(p, voc, probs[i]) for i, p in enumerate(pages)])
    y = np.concatenate([labels(p) for p in pages])
    w = np.concatenate([weights(p) for p in pages])
    return _train(BLOCK_PARAMS, BLOCK_ROUNDS, X, y, w, block_names(voc))


def smooth_X(p, s, probs):
    return smooth_matrix(s, _Prep(p), probs)


def fit_smooth(pages, scores, probs):
    X = np.vstack([smooth_X(p, scores[i], probs[i]) for i, p in enumerate(pages)])
    y = np.concatenate([labels(p) for p in pages])
    w = np.concatenate([weights(p) for p in pages])
    return _train(SMOOTH_PARAMS, SMOOTH_ROUNDS, X, y, w, list(SMOOTH_FEATURES))


def inner_folds(pages):
    return sorted({p["fold"] for p in pages})


def oof_pagetype(pages, voc):
    """Page-type probabilities of each training page from a model that did
    not see its fold."""
    probs = np.zeros((len(pages), len(PAGE_TYPES)))
    for k in inner_folds(pages):
        tr = [p for p in pages if p["fold"] != k]
        idx = [i for i, p in enumerate(pages) if p["fold"] == k]
        m = fit_pagetype(tr, voc)
        probs[idx] = m.predict(page_X([pages[i] for i in idx], voc))
    return probs


# --- one full fit (stages 1-4) -----------------------------------------------

def page_f1(word_prf, p, keep) -> float:
    text = "\n".join(t for t, k in zip(p["texts"], keep) if k)
    return word_prf(text, p["truth"])[2]


def choose_threshold(word_prf, pages, probs_by_page) -> float:
    best, best_t = -1.0, 0.5
    for t in THRESHOLDS:
        f = np.mean([page_f1(word_prf, p, pr >= t) for p, pr in zip(pages, probs_by_page) if p["truth"] is not None])
        if f > best:
            best, best_t = f, float(t)
    return best_t


def fit_all(train, word_prf, log=print, smooth=True):
    """Fit vocabularies, page type, stage 1 and 2, and the threshold on
    ``train`` only. Returns the fitted parts."""
    t0 = time.time()
    voc = vocabularies(train)
    tp_oof = oof_pagetype(train, voc)
    tp_model = fit_pagetype(train, voc)
    log(f"    page type fitted ({time.time() - t0:.0f} s)")
    if not smooth:
        blocks = fit_blocks(train, voc, tp_oof)
        s_tr = [blocks.predict(block_X(p, voc, tp_oof[i])) for i, p in enumerate(train)]
        return dict(voc=voc, pagetype=tp_model, blocks=blocks, smooth=None,
                    threshold=choose_threshold(word_prf, train, s_tr))
    s_oof = [None] * len(train)
    for k in inner_folds(train):
        tr_idx = [i for i, p in enumerate(train) if p["fold"] != k]
        m = fit_blocks([train[i] for i in tr_idx], voc, tp_oof[tr_idx])
        for i, p in enumerate(train):
            if p["fold"] == k:
                s_oof[i] = m.predict(block_X(p, voc, tp_oof[i]))
        log(f"    inner block fold {k} ({time.time() - t0:.0f} s)")
    blocks = fit_blocks(train, voc, tp_oof)
    log(f"    block model fitted ({time.time() - t0:.0f} s)")
    # Stage 2: its own inner out-of-fold predictions choose the threshold.
    p_oof = [None] * len(train)
    for k in inner_folds(train):
        tr_idx = [i for i, p in enumerate(train) if p["fold"] != k]
        m = fit_smooth([train[i] for i in tr_idx], [s_oof[i] for i in tr_idx], tp_oof[tr_idx])
        for i, p in enumerate(train):
            if p["fold"] == k:
                p_oof[i] = m.predict(smooth_X(p, s_oof[i], tp_oof[i]))
    threshold = choose_threshold(word_prf, train, p_oof)
    smoother = fit_smooth(train, s_oof, tp_oof)
    log(f"    smoothing fitted, threshold {threshold} ({time.time() - t0:.0f} s)")
    return dict(voc=voc, pagetype=tp_model, blocks=blocks, smooth=smoother, threshold=threshold)


def predict(fitted, p):
    voc = fitted["voc"]
    probs = fitted["pagetype"].predict(page_X([p], voc))[0]
    s = fitted["blocks"].predict(block_X(p, voc, probs)) if p["texts"] else np.zeros(0)
    if fitted["smooth"] is not None and len(s):
        s = fitted["smooth"].predict(smooth_X(p, s, probs))
    return s, probs


# --- output and scoring ---------------------------------------------------------

def output_text(p, prob, threshold) -> str:
    """The text cleaner outputs for the page: cleaner.model.decide on the
    cached blocks."""
    from cleaner.model.decide import kept_text

    return kept_text(p["texts"], p["roles"], prob >= threshold, p["title"])


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


def cross_validate(pages, shared: Path, out_dir: Path, smooth=True) -> str:
    wcxb = load_tool(shared, "wcxbscore")
    train_sets = ("wcxb", "scrapinghub")
    texts: dict[tuple[str, str], str] = {}
    type_hits = Counter()
    report = io.StringIO()
    folds_info = []
    for k in range(1, FOLDS + 1):
        t0 = time.time()
        train = [p for p in pages if p["fold"] != k and p["set"] in train_sets]
        test = [p for p in pages if p["fold"] == k]
        print(f"fold {k}/{FOLDS}: {len(train)} training pages, {len(test)} scored", flush=True)
        fitted = fit_all(train, wcxb.word_prf, log=lambda m: print(m, flush=True), smooth=smooth)
        for p in test:
            prob, tprobs = predict(fitted, p)
            texts[p["set"], p["id"]] = output_text(p, prob, fitted["threshold"])
            if p["set"] == "wcxb":
                type_hits[PAGE_TYPES[int(np.argmax(tprobs))] == p["type"]] += 1
        folds_info.append((k, fitted["threshold"], time.time() - t0))
    paths = write_outputs(out_dir, "cv", pages, texts)
    tools = shared / "tools"
    print("# Cross-validation report", file=report)
    print(file=report)
    print("Written by `python training/train.py` (5-fold CV by domain, wcxbscore's folds); every figure is "
          "out-of-fold: each page is cleaned by models fitted without its fold's domains.", file=report)
    print(file=report)
    print("## WCXB (HTML), all folds", file=report)
    print("\n```\n" + run_tool([str(tools / "wcxbscore.py"), "score", str(paths["wcxb"]), "--per-type"]) + "```",
          file=report)
    print("## WCXB per fold", file=report)
    for k, thr, took in folds_info:
        out = run_tool([str(tools / "wcxbscore.py"), "score", str(paths["wcxb"]), "--fold", f"{k}/{FOLDS}",
                        "--per-type"])
        print(f"\n### fold {k}/{FOLDS} (threshold {thr}, fitted in {took:.0f} s)\n\n```\n{out}```", file=report)
    print("\n## ScrapingHub dev (61 pages), out-of-fold\n", file=report)
    print("```\n" + run_tool([str(tools / "devscore.py"), "score", "scrapinghub", str(paths["scrapinghub"])])
          + "```", file=report)
    print("\n## trafilatura dev (256 pages; not trained on)\n", file=report)
    print("```\n" + run_tool([str(tools / "devscore.py"), "score", "trafilatura", str(paths["trafilatura"])])
          + "```", file=report)
    acc = type_hits[True] / max(1, sum(type_hits.values()))
    print(f"\n## Page type\n\nOut-of-fold accuracy of the page-type model on WCXB: {acc:.3f}\n", file=report)
    return report.getvalue()


def ship(pages, shared: Path, dest: Path, smooth=True) -> None:
    wcxb = load_tool(shared, "wcxbscore")
    train = [p for p in pages if p["set"] in ("wcxb", "scrapinghub")]
    fitted = fit_all(train, wcxb.word_prf, log=lambda m: print(m, flush=True), smooth=smooth)
    dest.mkdir(parents=True, exist_ok=True)
    spec = {"version": 1, "threshold": fitted["threshold"], **fitted["voc"],
            "trained_on": {"wcxb": sum(p["set"] == "wcxb" for p in train),
                           "scrapinghub": sum(p["set"] == "scrapinghub" for p in train)},
            "seed": SEED}
    (dest / "pagemodel.json").write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("pagetype", "blocks", "smooth"):
        booster = fitted[name]
        # mtime 0: the same model gives the same bytes.
        with open(dest / f"{name}.txt.gz", "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
            f.write(booster.model_to_string().encode("utf-8"))
    print(f"shipped model -> {dest} (threshold {fitted['threshold']})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--cache", default=str(ROOT / "training" / ".cache"))
    ap.add_argument("--out", default=str(ROOT / "training" / "out"))
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--ship-only", action="store_true")
    ap.add_argument("--no-smooth", action="store_true", help="stage 1 only (for comparison)")
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
    smooth = not args.no_smooth
    if not args.ship_only:
        report = cross_validate(pages, shared, Path(args.out), smooth=smooth)
        (ROOT / "training" / "REPORT.md").write_text(report, encoding="utf-8")
        print(report)
    if not args.cv_only:
        ship(pages, shared, ROOT / "cleaner" / "data", smooth=smooth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
