"""Dedup quality and speed on a synthetic syndicated-news corpus, side by side with
the usual approach and with other MinHash implementations, in one run.

    python benchmarks/dedup.py                      # 5,000 documents
    python benchmarks/dedup.py --docs 20000 --memory-docs 100000

Reports:
* passage level: precision and recall of reused passages (and recall of the
  heavily edited ones) for cleaner, and for MinHash LSH over whole paragraphs
  with word 5-grams at threshold 0.7 (datasketch), the usual pipeline;
* document level: precision and recall of syndicated copies (near_duplicate_of);
* text-to-signature speed on the same passages: cleaner's vectorised MinHash,
  datasketch ``update_batch``, and rensa ``RMinHash`` when installed;
* whole dedup stage: documents per second on one core;
* with --memory-docs: peak memory of the dedup stage over that many documents
  (measured in a child process) and bytes per indexed passage;
* with --index-docs: CPU time of the index side of dedup alone (lookups,
  verification, alignment: what a run's main process does, the signatures
  being computed in its workers) over that many documents, signatures computed
  beforehand.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

from cleaner import Options  # noqa: E402
from cleaner.dedup import Deduper, normalise, passages, shingle_hashes, signer_for  # noqa: E402
from syndicate import generate, records, stream  # noqa: E402


def overlap(a0, a1, b0, b1) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def evaluate(recs, results, min_chars):
    fam_of = {}
    for r in recs:
        fams = {s["family"] for s in r["reused"]}
        fam_of[r["id"]] = fams
    found = total = heavy_found = heavy_total = 0
    correct_spans = reported = 0
    doc_pos = doc_pred = doc_ok = 0
    for r, (dups, near) in zip(recs, results):
        gt = [s for s in r["reused"] if r["kind"] != "wire" and s["end"] - s["start"] >= min_chars]
        for s in gt:
            hit = any(overlap(s["start"], s["end"], d[0], d[1]) >= 0.5 * (s["end"] - s["start"])
                      and s["family"] in fam_of.get(d[2], ()) for d in dups)
            total += 1
            found += hit
            if s["edits"] >= 2:
                heavy_total += 1
                heavy_found += hit
        for d in dups:
            reported += 1
            good = sum(overlap(s["start"], s["end"], d[0], d[1]) for s in r["reused"]
                       if s["family"] in fam_of.get(d[2], ()))
            correct_spans += good >= 0.5 * (d[1] - d[0])
        if r["kind"] == "syndicated":
            doc_pos += 1
        if near is not None:
            doc_pred += 1
            doc_ok += r["kind"] == "syndicated" and r["family"] in fam_of.get(near, ())
    return {
        "passage_precision": correct_spans / max(1, reported),
        "passage_recall": found / max(1, total),
        "heavy_recall": heavy_found / max(1, heavy_total),
        "doc_precision": doc_ok / max(1, doc_pred),
        "doc_recall": doc_ok / max(1, doc_pos),
        "passages": total, "heavy": heavy_total, "syndicated": doc_pos,
    }


def run_cleaner(recs, options, batch: int = 64):
    """The stage as the pipeline drives it: batches of documents in input order."""
    d = Deduper(options)
    out = []
    t0 = time.perf_counter()
    for i in range(0, len(recs), batch):
        for res in d.add_many([(r["id"], r["text"]) for r in recs[i:i + batch]]):
            out.append(([(x.start, x.end, x.of) for x in res.duplicates], res.near_duplicate_of))
    return out, time.perf_counter() - t0, d.n_pass


_WORD = re.compile(r"\w+")


def run_paragraph_baseline(recs):
    """MinHash LSH over whole paragraphs, word 5-grams, threshold 0.7 (datasketch)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    doc_lsh = MinHashLSH(threshold=0.7, num_perm=128)
    out = []
    t0 = time.perf_counter()
    for r in recs:
        text = r["text"]
        dups, pos = [], 0
        for k, para in enumerate(text.split("\n")):
            toks = _WORD.findall(para.lower())
            grams = {" ".join(toks[i:i + 5]).encode() for i in range(max(1, len(toks) - 4))}
            m = MinHash(num_perm=128)
            m.update_batch(list(grams))
            hits = lsh.query(m)
            if hits:
                dups.append((pos, pos + len(para), sorted(hits)[0].split("#")[0]))
            lsh.insert(f"{r['id']}#{k}", m)
            pos += len(para) + 1
        toks = _WORD.findall(text.lower())
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(toks[i:i + 5]).encode() for i in range(max(1, len(toks) - 4))])
        near = doc_lsh.query(m)
        doc_lsh.insert(r["id"], m)
        out.append((dups, sorted(near)[0] if near else None))
    return out, time.perf_counter() - t0


def signature_speed(recs, options):
    """Passages per second from text to a 128-permutation signature."""
    texts = [r["text"] for r in recs]
    spans = [passages(t, options.min_passage_chars) for t in texts]
    pieces = [t[s:e] for t, sp in zip(texts, spans) for s, e in sp]
    n = len(pieces)
    signer = signer_for(options)
    signer.units(texts[0])  # compile outside the clock
    t0 = time.perf_counter()
    for t in texts:
        signer.units(t)
    ours = n / (time.perf_counter() - t0)
    from datasketch import MinHash

    t0 = time.perf_counter()
    for p in pieces:
        cps, _ = normalise(p)
        s = "".join(map(chr, cps))
        m = MinHash(num_perm=options.num_perm)
        m.update_batch([s[i:i + options.shingle].encode() for i in range(max(1, len(s) - options.shingle + 1))])
    ds = n / (time.perf_counter() - t0)
    rensa = None
    try:
        from rensa import RMinHash

        t0 = time.perf_counter()
        for p in pieces:
            s = p.casefold()
            m = RMinHash(num_perm=options.num_perm, seed=42)
            m.update([s[i:i + options.shingle] for i in range(max(1, len(s) - options.shingle + 1))])
            m.digest()
        rensa = n / (time.perf_counter() - t0)
    except ImportError:
        pass
    return n, ours, ds, rensa


def _peak_kb() -> int:
    """This process's peak resident set in KiB. VmHWM, not ru_maxrss: Linux keeps
    ru_maxrss across exec, so a child would report its parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(n_docs: int) -> None:
    """The dedup stage over a generated corpus streamed in batches (the corpus is
    never held in memory, so the peak is the stage's own)."""
    base = _peak_kb()
    d = Deduper(Options(workers=1))
    spent, batch = 0.0, []
    for r in records(stream(n_docs, seed=1)):
        batch.append((r["id"], r["text"]))
        if len(batch) == 64:
            t0 = time.perf_counter()
            d.add_many(batch)
            spent += time.perf_counter() - t0
            batch = []
    t0 = time.perf_counter()
    d.add_many(batch)
    spent += time.perf_counter() - t0
    peak = _peak_kb()
    print(f"memory: {n_docs} docs, {d.n_pass} passages, {n_docs / spent:.0f} docs/s, peak RSS {peak / 1024:.0f} MB "
          f"(before the stage: {base / 1024:.0f} MB), index {d.bytes_per_passage:.0f} bytes/passage")


def index_cpu(n_docs: int) -> None:
    d = Deduper(Options(workers=1))
    docs = [(r["id"], r["text"]) for r in records(stream(n_docs, seed=1))]
    units = [d.signer.units(text) for _, text in docs]
    t0 = time.process_time()
    for k in range(0, len(docs), 64):
        d.add_many(docs[k:k + 64], units[k:k + 64])
    spent = time.process_time() - t0
    print(f"index side: {n_docs} docs, {d.n_pass} passages, {spent:.1f} s of CPU "
          f"({spent / n_docs * 1e6:.0f} us a document)")
    d.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory-docs", type=int, default=0)
    ap.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--index-docs", type=int, default=0)
    args = ap.parse_args()
    if args.index_docs:
        index_cpu(args.index_docs)
        return
    if args.memory_child:
        memory_child(args.memory_child)
        return
    options = Options(workers=1)
    recs = list(records(generate(args.docs, args.seed)))
    chars = sum(len(r["text"]) for r in recs) / len(recs)
    print(f"corpus: {len(recs)} documents, {chars:.0f} characters on average, seed {args.seed}")
    res, dt, n_pass = run_cleaner(recs, options)
    q = evaluate(recs, res, options.min_passage_chars)
    print(f"cleaner   passages P {q['passage_precision']:.3f} R {q['passage_recall']:.3f} "
          f"(heavily edited R {q['heavy_recall']:.3f}; {q['passages']} reused, {q['heavy']} heavy)  "
          f"documents P {q['doc_precision']:.3f} R {q['doc_recall']:.3f} ({q['syndicated']} syndicated)  "
          f"{len(recs) / dt:.0f} docs/s, {n_pass} passages indexed")
    base, bdt = run_paragraph_baseline(recs)
    b = evaluate(recs, base, options.min_passage_chars)
    print(f"paragraph passages P {b['passage_precision']:.3f} R {b['passage_recall']:.3f} "
          f"(heavily edited R {b['heavy_recall']:.3f})  documents P {b['doc_precision']:.3f} R {b['doc_recall']:.3f}  "
          f"{len(recs) / bdt:.0f} docs/s  [datasketch MinHashLSH, word 5-grams, threshold 0.7]")
    n, ours, ds, rensa = signature_speed(recs[: min(len(recs), 2000)], options)
    print(f"signatures ({n} passages): cleaner {ours:,.0f}/s, datasketch update_batch {ds:,.0f}/s, "
          + (f"rensa RMinHash {rensa:,.0f}/s" if rensa else "rensa not installed (pip install rensa)"))
    if args.memory_docs:
        subprocess.run([sys.executable, __file__, "--memory-child", str(args.memory_docs)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})


if __name__ == "__main__":
    main()
