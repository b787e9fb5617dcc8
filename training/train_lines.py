"""Train the line model for text dumps, cross-validated by domain, and ship it.

    python training/train_lines.py            # cache, 5-fold CV report, shipped model
    python training/train_lines.py --cv-only  # the report only
    python training/train_lines.py --ship-only
    python training/train_lines.py --report-only  # report, threshold, vetoes from the saved probabilities

Pages: WCXB's 1,497 text dumps (``../shared/traindata/wcxb/textdump``, truth
``main_content``) and ScrapingHub's 61 (``../shared/devdata/scrapinghub/textdump``,
truth ``articleBody``), each read as ``wcxbscore.py input textdump`` and
``devscore.py input textdump`` give it, judged by the rules
(:func:`cleaner.strip.judge_lines`, as the package does) and turned into the
line matrix (:func:`cleaner.model.lines.line_matrix`). A line is content when
at least half its word 3-grams are in the truth (``training/dataset.py``'s
labels); a line weighs its word count, capped, scaled so that every page
weighs the same (the metrics are means over pages), a ScrapingHub page ten
times as much (``SET_WEIGHT``). Every page is in the fit twice, at half
weight each: with its URL's shape and without (``URL_COLS`` zero, as for a
``.txt`` file, which has no URL), so the model serves both.

Folds: wcxbscore's (domain hash mod 5) for both sets. For each fold K a
model is fitted on the other four folds (bins included) and gives fold K's
pages their out-of-fold probabilities. Fold K's pages are then cleaned (the
package's own decision, :func:`cleaner.model.lines.decide_keep`) with the
threshold and switching cost that maximise the mean WCXB F1 of the *other*
folds' out-of-fold outputs, as ``train.py`` chooses its wording vetoes. The
outputs go to ``training/out/cv-lines-<set>.jsonl`` and are scored with the
shared scorers (``wcxbscore.py score --fold K/5 --per-type``, ``devscore.py
score textdump``); the report is written into ``training/REPORT.md`` (its
"Text dumps" section, replaced on every run). The shipped model is fitted on
every page, its threshold and switching cost chosen on every page's
out-of-fold outputs. LightGBM runs deterministic (fixed seed,
``deterministic=True``, ``force_col_wise=True``).
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import pickle
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from dataset import LABEL_SHARE, TOKEN, fold_of, labels_from_truth  # noqa: E402
from train import (LINES_REPORT_END as REPORT_END, LINES_REPORT_START as REPORT_START,  # noqa: E402
                   kept_f1 as page_f1, load_tool)
from cleaner.model.features import RULE_KINDS  # noqa: E402
from cleaner.model.lines import LINE_FEATURES, WHY_GROUPS, _vetoed, decide_keep, line_matrix  # noqa: E402
from cleaner.model.model import _safe  # noqa: E402
from cleaner.strip import judge_lines  # noqa: E402

FOLDS = 5
SEED = 20251206
WEIGHT_CAP = 60
PARAMS = dict(objective="binary", learning_rate=0.08, num_leaves=15, min_data_in_leaf=80, feature_fraction=0.5,
              bagging_fraction=0.5, bagging_freq=1, lambda_l2=1.0, max_bin=63, verbose=-1)
ROUNDS = 120
"""Few small trees: the text path must stay ten times as fast as trafilatura on
the same pages' HTML, and one predict call costs rows x trees."""
COMMON = dict(seed=SEED, deterministic=True, force_col_wise=True, num_threads=2)
THRESHOLDS = np.round(np.arange(0.25, 0.61, 0.05), 3)
SWITCHES = (0.0, 1.0, 3.0)


class _Rule:
    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind


_DATE_COL = LINE_FEATURES.index("date_parsed")
URL_COLS = [LINE_FEATURES.index(n) for n in ("url_depth", "url_digits", "url_query", "url_len")]
"""The URL's shape (:func:`cleaner.model.pagetype.url_shape`), all 0 for a page without a URL."""
_RULE_COLS = [(LINE_FEATURES.index("rule:" + k), _Rule(k)) for k in RULE_KINDS]


class _Line:
    """What decide_keep reads of a line: the rules' kind and why, the kind
    its wording rule names (the matrix's rule:<kind> column) and whether it
    is a date line (date_parsed)."""

    __slots__ = ("kind", "why", "rule", "date")

    def __init__(self, meta, row):
        self.kind, self.why = meta.kind, meta.why
        self.date = "" if row[_DATE_COL] > 0 else None
        self.rule = next((r for j, r in _RULE_COLS if row[j] > 0), None)


class _Judged:
    """What decide_keep reads of a judged page, from the cache."""

    def __init__(self, p):
        lines = p.get("_lines")
        if lines is None:
            lines = p["_lines"] = [_Line(m, row) for m, row in zip(p["meta"], p["X"])]
        self.lines = lines
        self.cut: dict[int, int] = {}  # lines over MAX_LINE_CHARS are not in the training pages

    def __len__(self):
        return len(self.lines)


class _MetaLine:
    __slots__ = ("kind", "why")

    def __init__(self, kind, why):
        self.kind, self.why = kind, why


def read_pages(shared: Path):
    """(set, id, url, text, truth, page type) as the scorers' inputs give them."""
    wx, ds = load_tool(shared, "wcxbscore"), load_tool(shared, "devscore")
    truth = wx.load_truth()
    for bench, tool, make in (("wcxb", wx, lambda: wx.make_input("textdump", None)),
                              ("scrapinghub", ds, lambda: ds.make_input("textdump"))):
        buf = io.StringIO()
        with redirect_stdout(buf):
            make()
        sh = ds.sh_truth() if bench == "scrapinghub" else None
        for line in buf.getvalue().split("\n"):
            if not line.strip():
                continue
            r = json.loads(line)
            if bench == "wcxb":
                gt = truth[r["id"]]
                yield bench, r["id"], r["url"], r["text"], gt["main_content"], gt.get("page_type", "article")
            else:
                yield bench, r["id"], r["url"], r["text"], sh[r["id"]]["articleBody"], "article"


def build(shared: Path, cache: Path) -> list[dict]:
    pages = []
    t0 = time.time()
    for k, (bench, pid, url, text, truth, ptype) in enumerate(read_pages(shared)):
        judged = judge_lines(text, is_html=False, url=url)
        texts = [x.text for x in judged.lines]
        share = np.asarray(labels_from_truth(texts, truth), dtype=np.float32)
        pages.append({"set": bench, "id": pid, "url": url, "fold": fold_of(url), "type": ptype, "truth": truth,
                      "X": line_matrix(judged, url), "texts": texts, "share": share,
                      "old": np.array([x.kind is None for x in judged.lines], dtype=bool),
                      "meta": [_MetaLine(x.kind, x.why) for x in judged.lines],
                      "ntok": np.array([len(TOKEN.findall(t)) for t in texts], dtype=np.float64)})
        if k % 300 == 0:
            print(f"{k} pages, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as f:
        pickle.dump(pages, f, protocol=pickle.HIGHEST_PROTOCOL)
    return pages


SET_WEIGHT = {"wcxb": 1.0, "scrapinghub": 10.0}
"""How much a page of each set weighs in the fit. ScrapingHub's 61 news
articles stand for the news sites users feed most, of which WCXB holds few
per kind of site; weighing them tenfold left WCXB's out-of-fold F1 as it was
(0.810) and raised ScrapingHub's from 0.896 to 0.910 (thirtyfold: 0.807 and
0.916). Chosen among 1, 10 and 30 on those out-of-fold figures."""


def weights(p) -> np.ndarray:
    w = np.minimum(np.maximum(p["ntok"], 1.0), WEIGHT_CAP)
    return w * (100.0 * SET_WEIGHT[p["set"]] / w.sum()) if w.sum() else w


class Rows:
    """The training pages' rows, binned once (a LightGBM Dataset); each model
    is fitted on the rows of a subset of the pages (``Dataset.subset`` keeps
    the bins). The bins are the training pages' only."""

    def __init__(self, pages):
        import lightgbm as lgb

        self.pages = [p for p in pages if len(p["texts"])]
        sizes = [len(p["texts"]) for p in self.pages]
        self.offsets = np.concatenate(([0], np.cumsum(sizes)))
        X = np.vstack([p["X"] for p in self.pages])
        y = np.concatenate([(p["share"] >= LABEL_SHARE).astype(np.float32) for p in self.pages])
        w = np.concatenate([weights(p) for p in self.pages])
        # Every page twice: with its URL's shape and without (a .txt file has
        # no URL), each copy at half the weight, so the model knows both cases.
        self.n = len(X)
        no_url = X.copy()
        no_url[:, URL_COLS] = 0.0
        X, y, w = np.vstack([X, no_url]), np.concatenate([y, y]), np.concatenate([w, w]) / 2
        self.data = lgb.Dataset(X, label=y, weight=w, feature_name=[_safe(n) for n in LINE_FEATURES],
                                free_raw_data=True, params={"max_bin": PARAMS["max_bin"], "verbose": -1,
                                                             **COMMON}).construct()

    def fit(self, keep=lambda p: True):
        import lightgbm as lgb

        idx = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1])
                              for i, p in enumerate(self.pages) if keep(p)])
        data = self.data if len(idx) == self.n else self.data.subset(np.concatenate([idx, idx + self.n]).tolist())
        return lgb.train({**PARAMS, **COMMON}, data, num_boost_round=ROUNDS)


def predict(model, p) -> np.ndarray:
    return model.predict(p["X"], num_threads=2) if len(p["texts"]) else np.zeros(0)


# --- scoring ------------------------------------------------------------------

def keep_of(p, probs, threshold, switch, veto=frozenset()):
    return decide_keep(_Judged(p), probs, threshold, switch, veto) if len(p["texts"]) else []


def choose_veto(pages, oof, threshold, switch) -> list[str]:
    """The wording kinds whose removal from the kept lines (those the rules
    removed too) lowers neither set's summed F1 on ``pages`` (their out-of-fold
    outputs) and raises the total."""
    chosen = []
    base = {(p["set"], p["id"]): np.array(keep_of(p, oof[p["set"], p["id"]], threshold, switch), dtype=bool)
            for p in pages}
    for kind in RULE_KINDS + tuple("why:" + g for g in WHY_GROUPS):
        gain = {"wcxb": 0.0, "scrapinghub": 0.0}
        for p in pages:
            keep = base[p["set"], p["id"]]
            if not keep.any():
                continue
            drop = np.array([x.kind is not None and _vetoed(x, {kind}) for x in _Judged(p).lines], dtype=bool)
            if (keep & drop).any():
                gain[p["set"]] += page_f1(p, keep & ~drop) - page_f1(p, keep)
        if min(gain.values()) >= 0 and sum(gain.values()) > 0:
            chosen.append(kind)
    return chosen


def choose(pages, probs) -> tuple[float, float, float]:
    """(threshold, switch, mean F1) maximising the mean WCXB F1 of ``pages``
    from their out-of-fold probabilities."""
    best = (-1.0, 0.5, 0.0)
    for s in SWITCHES:
        for t in THRESHOLDS:
            f = float(np.mean([page_f1(p, keep_of(p, pr, float(t), s)) for p, pr in zip(pages, probs)]))
            if f > best[0]:
                best = (f, float(t), s)
    return best[1], best[2], best[0]


def fit_on(pages):
    return Rows(pages).fit()


def choose_for(pages, oof, exclude) -> tuple[float, float, list[str]]:
    """(threshold, switch, vetoes) chosen on the out-of-fold probabilities of
    the pages outside fold ``exclude`` (None: every page)."""
    chosen = [p for p in pages if p["fold"] != exclude]
    threshold, switch, _ = choose(chosen, [oof[p["set"], p["id"]] for p in chosen])
    return threshold, switch, choose_veto(chosen, oof, threshold, switch)


def text_of(p, keep) -> str:
    return "\n".join(t for t, k in zip(p["texts"], keep) if k)


def write(out_dir: Path, tag: str, pages, texts) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for bench in ("wcxb", "scrapinghub"):
        path = paths[bench] = out_dir / f"{tag}-{bench}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for p in pages:
                if p["set"] == bench:
                    f.write(json.dumps({"id": p["id"], "text": texts[p["set"], p["id"]]}, ensure_ascii=False) + "\n")
    return paths


def run_tool(args) -> str:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True).stdout


def out_of_fold(pages, out_dir: Path) -> dict:
    """Each page's probabilities from the model fitted without its fold;
    saved to ``out/cv-lines-probs.pkl`` (the shipped model's threshold and
    switching cost are chosen on them)."""
    oof = {}
    info = {}
    for k in range(1, FOLDS + 1):
        t0 = time.time()
        train = [p for p in pages if p["fold"] != k]
        test = [p for p in pages if p["fold"] == k]
        print(f"fold {k}/{FOLDS}: {len(train)} training pages, {len(test)} scored", flush=True)
        model = fit_on(train)
        for p in test:
            oof[p["set"], p["id"]] = predict(model, p)
        info[k] = time.time() - t0
        print(f"    fitted in {info[k]:.0f} s", flush=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "cv-lines-probs.pkl", "wb") as f:
        pickle.dump({"oof": oof, "took": info}, f)
    return {"oof": oof, "took": info}


def cross_validate(pages, shared: Path, out_dir: Path, saved=None) -> str:
    """Fold K's pages are cleaned with fold K's model's probabilities and the
    threshold and switching cost that maximise the mean WCXB F1 of the other
    folds' out-of-fold outputs (as training/train.py chooses its vetoes):
    nothing about fold K's pages is fitted on them."""
    saved = saved or out_of_fold(pages, out_dir)
    oof, took = saved["oof"], saved["took"]
    texts, old = {}, {}
    info = []
    for k in range(1, FOLDS + 1):
        threshold, switch, veto = choose_for(pages, oof, k)
        for p in pages:
            if p["fold"] == k:
                texts[p["set"], p["id"]] = text_of(p, keep_of(p, oof[p["set"], p["id"]], threshold, switch,
                                                              frozenset(veto)))
        info.append((k, threshold, switch, veto, took[k]))
    for p in pages:
        old[p["set"], p["id"]] = text_of(p, p["old"])
    paths = write(out_dir, "cv-lines", pages, texts)
    old_paths = write(out_dir, "rules-lines", pages, old)
    tools = shared / "tools"
    wx, dev = str(tools / "wcxbscore.py"), str(tools / "devscore.py")
    r = io.StringIO()
    print(REPORT_START, file=r)
    print("## Text dumps: the line model (training/train_lines.py)\n", file=r)
    print("Every figure out-of-fold: each page cleaned by a line model fitted without its fold's domains, with "
          "the threshold, switching cost and wording vetoes chosen on the other folds' out-of-fold outputs "
          "(5-fold CV by domain, wcxbscore's folds). Trained on WCXB's and "
          "ScrapingHub's text dumps; the rules row is the old classifier (`cleaner.strip.strip_chrome`) on the "
          "same pages (its rules were tuned on the 61 ScrapingHub pages, so its figure there is fitted).\n",
          file=r)
    print("### WCXB text dumps, all folds, line model\n", file=r)
    print("```\n" + run_tool([wx, "score", str(paths["wcxb"]), "--per-type"]) + "```\n", file=r)
    print("### WCXB text dumps, the rules alone\n", file=r)
    print("```\n" + run_tool([wx, "score", str(old_paths["wcxb"]), "--per-type"]) + "```\n", file=r)
    print("### ScrapingHub text dumps (61 pages)\n", file=r)
    print("```\nline model, out-of-fold: " + run_tool([dev, "score", "textdump", str(paths["scrapinghub"])])
          + "rules (fitted):          " + run_tool([dev, "score", "textdump", str(old_paths["scrapinghub"])])
          + "```\n", file=r)
    print("### WCXB text dumps per fold\n", file=r)
    for k, thr, sw, veto, took in info:
        out = run_tool([wx, "score", str(paths["wcxb"]), "--fold", f"{k}/{FOLDS}", "--per-type"])
        print(f"#### fold {k}/{FOLDS} (threshold {thr}, switch {sw}, wording vetoes: {', '.join(veto) or 'none'}; "
              f"fitted in {took:.0f} s)\n\n```\n{out}```\n", file=r)
    print(REPORT_END, file=r)
    return r.getvalue()


def put_report(section: str) -> None:
    path = ROOT / "training" / "REPORT.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if REPORT_START in text and REPORT_END in text:
        a = text.index(REPORT_START)
        b = text.index(REPORT_END) + len(REPORT_END) + 1
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def ship(pages, dest: Path, out_dir: Path, refit: bool = True) -> None:
    """Fitted on every page; threshold and switching cost chosen on every
    page's out-of-fold probabilities (the cross-validation's)."""
    path = out_dir / "cv-lines-probs.pkl"
    if not path.exists():
        print(f"no out-of-fold probabilities at {path}: run the cross-validation first")
        return
    with open(path, "rb") as f:
        oof = pickle.load(f)["oof"]
    threshold, switch, veto = choose_for(pages, oof, None)
    if refit:
        t0 = time.time()
        model = fit_on(pages)
        with open(dest / "linemodel.txt.gz", "wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
            f.write(model.model_to_string().encode("utf-8"))
        print(f"    fitted in {time.time() - t0:.0f} s")
    spec = {"version": 1, "threshold": threshold, "switch": switch, "veto": veto, "features": list(LINE_FEATURES),
            "trained_on": {b: sum(p["set"] == b for p in pages) for b in ("wcxb", "scrapinghub")}, "seed": SEED,
            "rounds": ROUNDS}
    (dest / "linemodel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    print(f"shipped line model -> {dest} (threshold {threshold}, switch {switch}, wording vetoes {veto})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--cache", default=str(ROOT / "training" / ".cache" / "lines.pkl"))
    ap.add_argument("--out", default=str(ROOT / "training" / "out"))
    ap.add_argument("--rebuild", action="store_true", help="judge the pages again (after a change of features)")
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--ship-only", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="report, threshold, switch and vetoes again from the saved out-of-fold probabilities "
                         "(training/out/cv-lines-probs.pkl), without refitting")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "traindata" / "wcxb" / "ground-truth.json").exists():
        print(f"no training data at {shared}: nothing to train")
        return 0
    cache = Path(args.cache)
    if cache.exists() and not args.rebuild:
        with open(cache, "rb") as f:
            pages = pickle.load(f)
        if pages and pages[0]["X"].shape[1] != len(LINE_FEATURES):
            pages = build(shared, cache)
    else:
        pages = build(shared, cache)
    if args.report_only:
        with open(Path(args.out) / "cv-lines-probs.pkl", "rb") as f:
            saved = pickle.load(f)
        put_report(cross_validate(pages, shared, Path(args.out), saved))
        ship(pages, ROOT / "cleaner" / "data", Path(args.out), refit=False)
        return 0
    if not args.ship_only:
        section = cross_validate(pages, shared, Path(args.out))
        put_report(section)
        print(section)
    if not args.cv_only:
        ship(pages, ROOT / "cleaner" / "data", Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
