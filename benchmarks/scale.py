"""Throughput and memory of whole `cleaner clean` runs on generated text dumps:
worker scaling, the Dask engine against the local one, and the million-document
run, each measured side by side in one invocation.

    python benchmarks/scale.py workers --docs 20000        # 1 vs 2 worker processes
    python benchmarks/scale.py dask --docs 100000          # local engine vs Dask LocalCluster
    python benchmarks/scale.py million --docs 1000000      # one big run, 2 workers
    python benchmarks/scale.py scripts --docs 2000         # the same dumps in English and in Chinese, 1 worker
    ... --corpus /big/disk/corpus-1m.jsonl                 # keep the generated corpus there, reuse it next time

Documents are text dumps as a person's copy of a page gives them: the article
(from ``syndicate.py``, so a fifth are syndicated copies and a fifth reuse
passages) wrapped in its outlet's chrome (navigation, share buttons, byline,
date, newsletter box, related links, footer), from 200 outlets. Every run
goes through the CLI in a child process; peak memory is the largest sum of the
resident set sizes of that process and its children (workers included),
sampled every 0.2 s from /proc.

``scripts``: the same documents with every word written as one or two CJK
ideographs (a fixed one per word, so reused passages stay reused) and
Chinese punctuation, against the English ones: a script without spaces must
not be much slower per document than English. Every line of a Chinese page
opens with one of thousands of characters, and each new first character
once cost the rule matcher 0.8 ms (remembered for 4,096 characters only):
``--docs 2000`` gave 0.35x English's docs/s before the matcher remembered
classes of characters, 1.03x after.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from syndicate import records, stream  # noqa: E402

NAV = ["Home", "News", "World", "Business", "Politics", "Tech", "Science", "Opinion", "Sport", "Culture", "Video"]
SHARE = ["Share", "Facebook", "Twitter", "Email", "Print", "Copy link"]


def dump(rec: dict, k: int) -> dict:
    rng = random.Random(k)
    outlet = int(rec["id"][3:]) % 200
    site = f"outlet{outlet}.example"
    nav = NAV[: 5 + outlet % 6]
    lines = [f"Outlet {outlet} Daily", *nav, "Subscribe", "Sign in", rec["title"],
             f"By {rng.choice(['Anna', 'Boris', 'Carla', 'David'])} {rng.choice(['Novak', 'Silva', 'Weber'])}",
             f"March {1 + k % 28}, 2025", f"{2 + k % 9} min read", *SHARE]
    lines += rec["text"].split("\n")
    lines += ["Advertisement" if outlet % 2 else "Read more",
              f"Sign up for the Outlet {outlet} newsletter to get the top stories in your inbox every morning.",
              "Related stories",
              *[f"Related headline number {rng.randint(1, 500)} about the harbour" for _ in range(3)],
              f"© 2025 Outlet {outlet} Media. All rights reserved.", "Privacy Policy", "Terms of Use"]
    return {"id": rec["id"], "url": f"https://{site}/2025/{rec['id']}", "text": "\n".join(lines)}


_WORD = re.compile(r"[A-Za-z]+")
_PUNCT = str.maketrans({".": "。", ",": "，", "?": "？", "!": "！", ":": "：", ";": "；"})


def _ideographs(m: re.Match) -> str:
    h = zlib.crc32(m.group().lower().encode())
    return "".join(chr(0x4E00 + (h >> (12 * j)) % 20900) for j in range(1 + h % 2))


def in_chinese(doc: dict) -> dict:
    """The dump with each word as one or two ideographs and no spaces between
    them, each line opening with an ideograph of its own (a function of the
    line, so a copied line stays a copy): the generated vocabulary is a few
    thousand words, while the lines of a Chinese crawl open with any of tens
    of thousands of characters."""
    lines = [chr(0x4E00 + zlib.crc32(line.encode()) % 20900) + _WORD.sub(_ideographs, line).translate(_PUNCT)
             .replace(" ", "") for line in doc["text"].split("\n")]
    return {**doc, "text": "\n".join(lines)}


def generate(n: int, path: Path, seed: int = 7, chinese: bool = False) -> None:
    with open(path, "wb") as f:
        for k, rec in enumerate(records(stream(n, seed))):
            doc = dump(rec, k)
            f.write(orjson.dumps(in_chinese(doc) if chinese else doc) + b"\n")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        p = int(entry)
        children.setdefault(int(fields[1]), []).append(p)
        rss[p] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cli(args: list[str], docs: int, quiet: bool = True) -> dict:
    cmd = [sys.executable, "-m", "cleaner", "clean", *args, *(["--quiet"] if quiet else [])]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    main_cpu = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, main_cpu
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            main_cpu = max(main_cpu, _cpu_seconds(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    dt = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    tail = err.decode("utf-8", "replace").strip().splitlines()
    return {"seconds": dt, "docs_per_s": docs / dt, "peak_mb": peak / 2**20, "main_cpu": main_cpu,
            "summary": tail[-1] if tail else ""}


def line(name: str, r: dict) -> str:
    return (f"{name:28} {r['seconds']:8.1f} s  {r['docs_per_s']:8.0f} docs/s  peak {r['peak_mb']:7.0f} MB  "
            f"main process CPU {r['main_cpu']:.0f} s")


def compare(first: tuple[str, list[str]], second: tuple[str, list[str]], docs: int, label: str, ratio) -> None:
    """Two runs, one after the other, each printed as it ends, and ``ratio`` of their results."""
    results = []
    for name, args in (first, second):
        results.append(run_cli(args, docs))
        print(line(name, results[-1]), flush=True)
    print(f"{label}: {ratio(*results):.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", nargs="?", choices=["workers", "dask", "million", "scripts"])
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--dir", default=None, help="where to put the generated corpus and outputs (default: a temp dir)")
    ap.add_argument("--corpus", default=None,
                    help="reuse this corpus file, generated by an earlier run with the same --docs (the generator is "
                         "deterministic), or keep the generated one there")
    args = ap.parse_args()
    if args.mode is None:
        # Run with no arguments (as from a fresh clone): say what it needs, and succeed.
        print(__doc__)
        print("Name a run: workers, dask, million or scripts (dask needs pip install '.[dask]'; peak memory is "
              "read from /proc, so Linux).")
        return
    if args.mode == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("the dask run needs the Dask engine: pip install '.[dask]'")
            return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        corpus = Path(args.corpus) if args.corpus else Path(tmp) / "corpus.jsonl"
        t0 = time.perf_counter()
        if not corpus.exists():
            generate(args.docs, corpus)
        size = corpus.stat().st_size
        print(f"corpus: {args.docs} text dumps, {size / 2**20:.0f} MB, ready in {time.perf_counter() - t0:.0f} s",
              flush=True)
        out = str(Path(tmp) / "out.jsonl")
        if args.mode == "scripts":
            chinese = Path(tmp) / "corpus-zh.jsonl"
            generate(args.docs, chinese, chinese=True)
            compare(("English, 1 worker", [str(corpus), "-o", out, "--workers", "1"]),
                    ("Chinese, 1 worker", [str(chinese), "-o", out, "--workers", "1"]), args.docs,
                    "Chinese / English docs/s", lambda a, b: b["docs_per_s"] / a["docs_per_s"])
        elif args.mode == "workers":
            compare(("local, 1 worker", [str(corpus), "-o", out, "--workers", "1"]),
                    ("local, 2 workers", [str(corpus), "-o", out, "--workers", "2"]), args.docs,
                    "2 workers / 1 worker", lambda a, b: b["docs_per_s"] / a["docs_per_s"])
        elif args.mode == "dask":
            compare(("local engine, 2 workers", [str(corpus), "-o", out, "--workers", "2"]),
                    ("dask LocalCluster, 2 workers", [str(corpus), "-o", out, "--workers", "2", "--engine", "dask"]),
                    args.docs, "dask time / local time", lambda a, b: b["seconds"] / a["seconds"])
        else:
            r = run_cli([str(corpus), "-o", out, "--workers", "2"], args.docs, quiet=False)
            print(line(f"{args.docs} docs, 2 workers", r), flush=True)
            print(r["summary"])


if __name__ == "__main__":
    main()
