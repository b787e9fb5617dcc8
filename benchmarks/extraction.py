"""Chrome-stripping quality and speed: cleaner against trafilatura and simple
baselines, on the development pages, side by side in one run.

    python benchmarks/extraction.py [--devdata ../shared/devdata] [--sets textdump,scrapinghub,trafilatura]

Scores use the shared scorer (``../shared/tools/devscore.py``) unchanged, so the
figures are comparable with the table in ``devdata/README.md``. Speed is pages
per second on one core, measured in this process for every method: each method
first runs once on one page (imports, compiled patterns), then the set is timed
``--rounds`` times in a row and the fastest round counts, as timeit does. That
is done in ``--blocks`` blocks that take the methods in turn, so a slow spell
of the shared machine hits them all. Rounds run in a row because a method's
first round after another's runs cold (CPU caches, allocator): cleaner's
text-dump rounds, a fifth of a second each, ran 10-47% slower right after
trafilatura's than in a run of rounds (one measurement on this machine), while
trafilatura's rounds last seconds and hardly notice. cleaner's per-line caches are emptied before every
round, so a round sees the set as a fresh batch would and repeats do not answer
from the previous round.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import re
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaner import Options  # noqa: E402
from cleaner.pipeline import process  # noqa: E402
from cleaner.records import Document, Reject  # noqa: E402


def load_devscore(shared: Path):
    spec = importlib.util.spec_from_file_location("devscore", shared / "tools" / "devscore.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def pages(ds, bench: str) -> list[dict]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        ds.make_input(bench)
    return [json.loads(line) for line in buf.getvalue().split("\n") if line.strip()]


_TERMINAL = re.compile(r"[.!?\"”']\s*$")


def c4_line_ok(line: str) -> bool:
    """C4's line rule (Raffel et al., 2020): terminal punctuation, at least 3 words."""
    return bool(_TERMINAL.search(line)) and len(line.split()) >= 3 and "javascript" not in line.lower()


def c4_filter(text: str) -> str:
    return "\n".join(x for x in text.split("\n") if c4_line_ok(x.strip()))


def c4_longest_block(text: str) -> str:
    best: list[str] = []
    cur: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if c4_line_ok(line):
            cur.append(line)
            if sum(map(len, cur)) > sum(map(len, best)):
                best = list(cur)
        else:
            cur = []
    return "\n".join(best)


def cleaner_method(options: Options):
    def run(page: dict) -> str:
        kind = "html" if "html" in page else "text"
        doc = Document(ordinal=0, id=page["id"], source=page["id"], content=page.get(kind) or "", kind=kind,
                       url=page.get("url"))
        out = process(doc, options)
        return "" if isinstance(out, Reject) else out.text
    return run


def trafilatura_method(**kw):
    import trafilatura

    def run(page: dict) -> str:
        return trafilatura.extract(page["html"], url=page.get("url"), **kw) or ""
    return run


def score(ds, bench: str, texts: dict[str, str]) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        (ds.score_tf if bench == "trafilatura" else ds.score_sh)(texts, 0)
    return buf.getvalue().strip().splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--sets", default="textdump,scrapinghub,trafilatura")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds in a row, per method and block")
    ap.add_argument("--blocks", type=int, default=2, help="passes over all methods in turn")
    args = ap.parse_args()
    ds = load_devscore(Path(args.shared))
    opts = Options(workers=1, dedup="off")
    methods = {
        "textdump": {
            "no cleaning": lambda p: p["text"],
            "C4 line filter": lambda p: c4_filter(p["text"]),
            "longest C4 block": lambda p: c4_longest_block(p["text"]),
            "cleaner": cleaner_method(opts),
        },
        "scrapinghub": {
            "trafilatura default": trafilatura_method(),
            "trafilatura favor_precision": trafilatura_method(favor_precision=True),
            "cleaner": cleaner_method(opts),
        },
        "trafilatura": {
            "trafilatura default": trafilatura_method(),
            "trafilatura favor_precision": trafilatura_method(favor_precision=True),
            "cleaner": cleaner_method(opts),
        },
    }
    sets = args.sets.split(",")
    data = {bench: pages(ds, bench) for bench in sets}
    runs = [(bench, name, fn) for bench in sets for name, fn in methods[bench].items()]
    best: dict[tuple[str, str], float] = {}
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for bench, name, fn in runs:
        fn(data[bench][0])
    # Blocks go over every method in turn, so that a slow spell of a shared
    # machine slows all of them alike instead of one method's rounds.
    for _ in range(args.blocks):
        for bench, name, fn in runs:
            for _ in range(args.rounds):
                clear_caches()
                t0 = time.perf_counter()
                texts[bench, name] = {p["id"]: fn(p) for p in data[bench]}
                best[bench, name] = min(best.get((bench, name), float("inf")), time.perf_counter() - t0)
    print(f"{'set':12} {'method':30} {'pages/s':>8}  score")
    speed: dict[tuple[str, str], float] = {}
    for bench, name, _ in runs:
        speed[bench, name] = len(data[bench]) / best[bench, name]
        print(f"{bench:12} {name:30} {speed[bench, name]:8.1f}  {score(ds, bench, texts[bench, name])}", flush=True)
    print()
    pairs = [("textdump", "scrapinghub", "text dumps vs trafilatura on the same pages' HTML (target >= 10x)"),
             ("scrapinghub", "scrapinghub", "ScrapingHub HTML vs trafilatura (target >= 1.0x)"),
             ("trafilatura", "trafilatura", "multilingual HTML vs trafilatura (target >= 1.0x)")]
    for ours, theirs, what in pairs:
        if (ours, "cleaner") in speed and (theirs, "trafilatura default") in speed:
            ratio = speed[ours, "cleaner"] / speed[theirs, "trafilatura default"]
            print(f"speed ratio, {what}: {ratio:.2f}x")


def clear_caches() -> None:
    from cleaner import strip

    strip._fold_cached.cache_clear()
    strip._features_cached.cache_clear()


if __name__ == "__main__":
    main()
