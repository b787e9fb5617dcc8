"""Extraction quality and speed: cleaner against trafilatura and the no-cleaning
floor, side by side in one run.

    python benchmarks/extraction.py [--shared ../shared] [--sets wcxb,scrapinghub,trafilatura,textdump]

Sets: WCXB's 1,497 pages (HTML, seven page types; ``wcxbscore.py``'s metric,
per page type too), ScrapingHub's 61 and trafilatura's 256 development pages
(HTML; ``devscore.py``'s metrics), and the 61 ScrapingHub pages as text dumps.

Methods on HTML: the no-cleaning floor (every block of the page, cleaner with
``--no-strip``), trafilatura 2.x ``extract()`` default and ``favor_precision``,
cleaner with its shipped model, and cleaner's cross-validated models (the
out-of-fold outputs ``training/train.py`` wrote to ``training/out/``: each page
cleaned by models fitted without its domain's fold). The shipped model was
trained on all three HTML sets (trafilatura's through its snippets), so its
rows are marked *fitted*: they are not results, only a check that the package
runs the model the training wrote, and its speed; the cross-validated rows are
the quality figures.

Speed is pages per second on one core, measured in this process for every
method: each method first runs once on one page (imports, compiled patterns,
model loading), then the set is timed ``--rounds`` times in a row and the
fastest round counts, as timeit does; ``--blocks`` blocks take the methods in
turn, so a slow spell of the shared machine hits them all. cleaner's per-line
caches are emptied before every round. The process runs with the garbage
collector's threshold the ``cleaner`` command sets in its own processes
(``cleaner/gcpolicy.py``), for every method alike: the speed a user of the
command sees, with trafilatura given the same setting.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import re
import sys
import time
from collections import defaultdict
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner import Options  # noqa: E402
from cleaner.executors import BATCH_SIZE  # noqa: E402
from cleaner.pipeline import process, process_batch  # noqa: E402
from cleaner.records import Document, Reject  # noqa: E402

TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")


def load_tool(shared: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, shared / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def dev_pages(ds, bench: str) -> list[dict]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        ds.make_input(bench)
    return [json.loads(line) for line in buf.getvalue().split("\n") if line.strip()]


def wcxb_pages(wx) -> list[dict]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        wx.make_input("html", None)
    return [json.loads(line) for line in buf.getvalue().split("\n") if line.strip()]


_TERMINAL = re.compile(r"[.!?\"”']\s*$")


def c4_line_ok(line: str) -> bool:
    """C4's line rule (Raffel et al., 2020): terminal punctuation, at least 3 words."""
    return bool(_TERMINAL.search(line)) and len(line.split()) >= 3 and "javascript" not in line.lower()


def c4_filter(text: str) -> str:
    return "\n".join(x for x in text.split("\n") if c4_line_ok(x.strip()))


def cleaner_method(options: Options):
    """One page at a time (``process``), and ``run.many``: pages in tasks of
    BATCH_SIZE, as a worker of a run gets them (``process_batch``: a task's
    text dumps share one line-model call)."""
    def doc_of(page: dict) -> Document:
        kind = "html" if "html" in page else "text"
        return Document(ordinal=0, id=page["id"], source=page["id"], content=page.get(kind) or "", kind=kind,
                        url=page.get("url"))

    def run(page: dict) -> str:
        out = process(doc_of(page), options)
        return "" if isinstance(out, Reject) else out.text

    def many(pages: list[dict]) -> dict[str, str]:
        texts = {}
        for at in range(0, len(pages), BATCH_SIZE):
            chunk = pages[at:at + BATCH_SIZE]
            for page, out in zip(chunk, process_batch([doc_of(p) for p in chunk], options)):
                texts[page["id"]] = "" if isinstance(out, Reject) else out.text
        return texts

    run.many = many  # type: ignore[attr-defined]
    return run


def trafilatura_method(**kw):
    import trafilatura

    def run(page: dict) -> str:
        return trafilatura.extract(page["html"], url=page.get("url"), **kw) or ""
    return run


def score_line(tools, bench: str, texts: dict[str, str]) -> tuple[str, dict[str, float]]:
    """The scorer's summary line, and F1 per page type (WCXB)."""
    if bench == "wcxb":
        wx = tools["wcxbscore"]
        rows = wx.score(wx.load_truth(), texts)
        s = wx.summary(rows)
        by = defaultdict(list)
        for r in rows:
            by[r["type"]].append(r["f1"])
        return (f"F1 {s['f1']:.3f}  P {s['precision']:.3f}  R {s['recall']:.3f}",
                {t: sum(v) / len(v) for t, v in by.items()})
    ds = tools["devscore"]
    buf = io.StringIO()
    with redirect_stdout(buf):
        (ds.score_tf if bench == "trafilatura" else ds.score_sh)(texts, 0)
    return buf.getvalue().strip().splitlines()[0], {}


def oof_texts(bench: str) -> dict[str, str] | None:
    name = {"wcxb": "wcxb", "scrapinghub": "scrapinghub", "trafilatura": "trafilatura"}.get(bench)
    path = ROOT / "training" / "out" / f"cv-{name}.jsonl"
    if name is None or not path.exists():
        return None
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out[str(r["id"])] = r.get("text") or ""
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--sets", default="wcxb,scrapinghub,trafilatura,textdump")
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds in a row, per method and block")
    ap.add_argument("--blocks", type=int, default=1, help="passes over all methods in turn")
    ap.add_argument("--limit", type=int, default=0, help="first N pages of each set only (quick runs)")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "tools" / "devscore.py").exists() or not (shared / "tools" / "wcxbscore.py").exists():
        print(f"no benchmark data at {shared} (tools/devscore.py, tools/wcxbscore.py): nothing to measure")
        return 0
    from cleaner.gcpolicy import relax

    relax()
    tools = {"devscore": load_tool(shared, "devscore"), "wcxbscore": load_tool(shared, "wcxbscore")}
    opts = Options(workers=1, dedup="off")
    raw = Options(workers=1, dedup="off", strip=False)
    html_methods = {
        "no cleaning": cleaner_method(raw),
        "trafilatura default": trafilatura_method(),
        "trafilatura favor_precision": trafilatura_method(favor_precision=True),
        "cleaner (shipped model)": cleaner_method(opts),
    }
    methods = {
        "textdump": {"no cleaning": lambda p: p["text"], "C4 line filter": lambda p: c4_filter(p["text"]),
                     "cleaner": cleaner_method(opts),
                     "cleaner --no-line-model": cleaner_method(Options(workers=1, dedup="off", line_model=False))},
        "wcxb": html_methods, "scrapinghub": html_methods, "trafilatura": html_methods,
    }
    sets = args.sets.split(",")
    data = {}
    for bench in sets:
        data[bench] = wcxb_pages(tools["wcxbscore"]) if bench == "wcxb" else dev_pages(tools["devscore"], bench)
        if args.limit:
            data[bench] = data[bench][:args.limit]
    runs = [(bench, name, fn) for bench in sets for name, fn in methods[bench].items()]
    best: dict[tuple[str, str], float] = {}
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for bench, name, fn in runs:
        fn(data[bench][0])
    for _ in range(args.blocks):
        for bench, name, fn in runs:
            for _ in range(args.rounds):
                clear_caches()
                t0 = time.perf_counter()
                texts[bench, name] = (fn.many(data[bench]) if hasattr(fn, "many")
                                      else {p["id"]: fn(p) for p in data[bench]})
                best[bench, name] = min(best.get((bench, name), float("inf")), time.perf_counter() - t0)
    fitted = {"wcxb", "scrapinghub", "trafilatura"}  # the shipped model's training sets
    print(f"{'set':12} {'method':40} {'pages/s':>8}  score")
    speed: dict[tuple[str, str], float] = {}
    per_type: dict[str, dict[str, float]] = {}
    for bench, name, _ in runs:
        speed[bench, name] = len(data[bench]) / best[bench, name]
        label = name + (" [fitted]" if name.startswith("cleaner (shipped") and bench in fitted else "")
        line, types = score_line(tools, bench, texts[bench, name])
        per_type[f"{bench}: {label}"] = types
        print(f"{bench:12} {label:40} {speed[bench, name]:8.1f}  {line}", flush=True)
        if name.startswith("cleaner (shipped"):
            oof = oof_texts(bench)
            if oof is not None and not args.limit:
                line, types = score_line(tools, bench, oof)
                per_type[f"{bench}: cleaner (cross-validated)"] = types
                print(f"{bench:12} {'cleaner (cross-validated, out-of-fold)':40} {'':>8}  {line}", flush=True)
    if "wcxb" in sets:
        print()
        print(f"{'WCXB F1 per page type':52}" + "".join(f"{t[:8]:>9}" for t in TYPES))
        for label, types in per_type.items():
            if label.startswith("wcxb: "):
                print(f"{label[6:]:52}" + "".join(f"{types.get(t, float('nan')):9.3f}" for t in TYPES))
    print()
    for bench in sets:
        if bench == "textdump":
            if ("scrapinghub", "trafilatura default") in speed:
                ratio = speed["textdump", "cleaner"] / speed["scrapinghub", "trafilatura default"]
                print(f"speed ratio, text dumps (the line model) vs trafilatura on the same pages' HTML "
                      f"(target >= 10x): {ratio:.2f}x")
                ratio = speed["textdump", "cleaner --no-line-model"] / speed["scrapinghub", "trafilatura default"]
                print(f"speed ratio, text dumps with --no-line-model (the rules alone) vs trafilatura on the same "
                      f"pages' HTML: {ratio:.2f}x")
            continue
        ratio = speed[bench, "cleaner (shipped model)"] / speed[bench, "trafilatura default"]
        print(f"speed ratio, {bench} HTML, cleaner vs trafilatura extract() default (target >= 1.0x): {ratio:.2f}x")
    return 0


def clear_caches() -> None:
    from cleaner import strip
    from cleaner.model import features

    strip._fold_cached.cache_clear()
    strip._features_cached.cache_clear()
    features._rule_cache.clear()


if __name__ == "__main__":
    sys.exit(main())
