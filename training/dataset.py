"""Pages with ground truth -> block feature matrices and labels (training only).

    python training/dataset.py [--shared ../shared] [--cache training/.cache]

Reads ``../shared/traindata/wcxb`` (1,497 pages, ``main_content``),
``../shared/devdata/scrapinghub`` (61 pages, ``articleBody``) and
``../shared/devdata/trafilatura`` (256 pages, ``with``/``without`` snippets),
runs each page through the same code the package runs (``prepare_tree``), and
labels every block:

* full truth (WCXB, ScrapingHub): the share of the block's word 3-grams found
  among the truth's (blocks of one or two words: the words found in a row in
  the truth); a block is content when the share is at least :data:`LABEL_SHARE`;
* snippets (trafilatura's set): a block that holds a ``with`` snippet (or is
  held by one) is content, one that holds a ``without`` snippet is not, every
  other block is unlabelled (weight 0). These pages are only evaluated, not
  trained on (``train.py``).

Folds are wcxbscore's: the SHA-256 of the page's domain, modulo 5, for every
set, so one domain is in one fold whichever set it comes from.
The cache is a pickle of numpy arrays and lists: a training artefact written
and read by these scripts only, never shipped.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import pickle
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = re.compile(r"\w+")
LABEL_SHARE = 0.5
"""A block whose word 3-grams are at least half in the truth is content: the
alignment is then more than chance overlap of common phrases (measured shares
are bimodal, near 0 and near 1, on WCXB)."""
FOLDS = 5


def domain(url):
    host = (urlsplit(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def fold_of(url, n=FOLDS):
    """wcxbscore.fold_of, reproduced exactly (the scorer's --fold K/N)."""
    return int.from_bytes(hashlib.sha256(domain(url).encode()).digest()[:8], "big") % n + 1


def decode(raw: bytes) -> str:
    """devscore.decode: UTF-8, else the declared charset, else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        m = re.search(rb'charset=["\']?([\w-]+)', raw[:4096], re.I)
        if m:
            try:
                return raw.decode(m.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        return raw.decode("latin-1")


def iter_pages(shared: Path):
    """(set, id, url, html, truth text or None, with, without, page type)."""
    w = shared / "traindata" / "wcxb"
    truth = json.loads((w / "ground-truth.json").read_text(encoding="utf-8"))
    for pid, gt in sorted(truth.items()):
        with gzip.open(w / "html" / f"{pid}.html.gz", "rt", encoding="utf-8", errors="replace") as f:
            html = f.read()
        yield "wcxb", pid, gt["url"], html, gt["main_content"], gt.get("with") or [], gt.get("without") or [], \
            gt.get("page_type", "article")
    d = shared / "devdata"
    sh = json.loads((d / "scrapinghub" / "ground-truth.json").read_text(encoding="utf-8"))
    for pid, gt in sorted(sh.items()):
        with gzip.open(d / "scrapinghub" / "html" / f"{pid}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        yield "scrapinghub", pid, gt["url"], html, gt["articleBody"], [], [], "article"
    ann = json.loads((d / "trafilatura" / "annotations.json").read_text(encoding="utf-8"))
    for name, a in sorted(ann.items()):
        html = decode(gzip.decompress((d / "trafilatura" / "html" / (name + ".gz")).read_bytes()))
        yield "trafilatura", name, a["url"], html, None, a["with"], a["without"], None


def norm(s: str) -> str:
    return " ".join(s.split())


def labels_from_truth(texts, truth):
    toks = TOKEN.findall(truth.lower())
    grams = {tuple(toks[i:i + 3]) for i in range(len(toks) - 2)}
    joined = " " + " ".join(toks) + " "
    share = []
    for t in texts:
        b = TOKEN.findall(t.lower())
        if len(b) >= 3:
            g = [tuple(b[i:i + 3]) for i in range(len(b) - 2)]
            share.append(sum(x in grams for x in g) / len(g))
        elif b:
            share.append(float(" " + " ".join(b) + " " in joined))
        else:
            share.append(0.0)
    return share


def labels_from_snippets(texts, with_, without):
    lab = []
    w = [norm(s) for s in with_ if norm(s)]
    wo = [norm(s) for s in without if norm(s)]
    for t in texts:
        t = norm(t)
        if any(s in t or (len(t) > 20 and t in s) for s in w):
            lab.append(1.0)
        elif any(s in t or (len(t) > 20 and t in s) for s in wo):
            lab.append(0.0)
        else:
            lab.append(-1.0)
    return lab


def build(shared: Path, cache: Path) -> None:
    from cleaner.model.model import prepare

    cache.mkdir(parents=True, exist_ok=True)
    pages = []
    t0 = time.time()
    for k, (kind, pid, url, html, truth, with_, without, ptype) in enumerate(iter_pages(shared)):
        prep = prepare(html, url)
        texts = [b.text for b in prep.blocks]
        share = labels_from_truth(texts, truth) if truth is not None else labels_from_snippets(texts, with_, without)
        pages.append({
            "set": kind, "id": pid, "url": url, "fold": fold_of(url), "type": ptype, "truth": truth,
            "with": with_, "without": without,
            "fixed": prep.fixed, "words": [tuple(sorted(w)) for w in prep.words], "url_words": sorted(prep.url_words),
            "types": list(prep.meta.types), "page_fixed": prep.page_fixed, "parent": prep.parent, "group": prep.group,
            "texts": texts, "roles": [b.role for b in prep.blocks], "share": share,
            "ntok": [len(TOKEN.findall(t)) for t in texts], "title": prep.meta.title,
        })
        if k % 200 == 0:
            print(f"{k} pages, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    with open(cache / "pages.pkl", "wb") as f:
        pickle.dump(pages, f, protocol=pickle.HIGHEST_PROTOCOL)
    print(f"{len(pages)} pages, {sum(len(p['texts']) for p in pages)} blocks -> {cache / 'pages.pkl'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--cache", default=str(ROOT / "training" / ".cache"))
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "traindata" / "wcxb" / "ground-truth.json").exists():
        print(f"no training data at {shared} (../shared/traindata/wcxb): nothing to build")
        return 0
    build(shared, Path(args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
