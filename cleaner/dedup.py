"""Near-duplicate passages across documents: MinHash over sentences and quotes,
LSH for candidates, verification, alignment into maximal spans, clusters.

Why passages and not paragraphs: outlets reuse wire copy and statements with
edits (a dropped clause, a new attribution, re-punctuated quotes). Whole
paragraphs then share too little to pass any sensible threshold, while the
sentences and the quoted words inside them still match closely. So every
sentence and every quotation is a unit, shingled as character n-grams of
normalised text (NFKC-like folding, case, quotes, dashes, whitespace), which
also works for scripts written without spaces.

How it stays fast: a document is normalised and shingled in one vectorised
pass (code points as a numpy array, rolling polynomial hash of the n-grams);
each of the ``num_perm`` hash functions is a multiply-shift of those shingle
hashes, and one ``np.minimum.reduceat`` gives the signatures of all passages
at once. No per-passage Python objects, no per-shingle calls.

How candidates are found: LSH banding over the integer signatures, with bands
and rows from datasketch's optimiser. Bucket keys live in a log-structured set
of sorted numpy arrays, which costs 12 bytes per band per passage instead of a
Python dict's ~90, and is searched for all passages of a document at once.

How duplicates are reported: every candidate is verified by the estimated
Jaccard similarity of the full signatures; each passage joins the cluster of
its best match, whose first member (the earliest passage in input order) is
what ``of``/``of_start``/``of_end`` point to. Matched passages that follow each
other in both documents are merged into one span, so a reused stretch of three
paragraphs is one duplicate entry.

Memory per indexed passage: ``2 * num_perm`` bytes of signature (16-bit
values: a collision between two different values costs 1/65536 of an
estimate) plus ``12 * bands`` bytes of bucket index plus 16 bytes of offsets:
about 572 bytes with the defaults (128 permutations, 25 bands).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from .errors import DedupIndexError
from .options import Options
from .records import DuplicateSpan

FORMAT_VERSION = 1
DROP_ROUNDS = 4
MAX_PASSAGES = 5000
"""Passages indexed per document: a 200 MB one-line "document" must not take the
index (or the memory) with it; real articles have a few dozen."""
CHUNK = 1 << 16

NORMALISATION_VERSION = 1

_SEED = 0x5EED_C1EA
_SPACE = 32

# --- normalisation -----------------------------------------------------------------


def _build_table() -> np.ndarray:
    """Code point -> folded code point for the Basic Multilingual Plane.

    NFKC plus casefold per character, keeping the first character where the
    folding expands (ß -> s, ligatures): shingles only need a stable, edit-
    tolerant image of the text, not a reversible one. Quotes become ', dashes
    -, every kind of space a plain space.
    """
    table = np.arange(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if folded and folded != ch:
            table[cp] = ord(folded[0])
    for ch in "\u2018\u2019\u201a\u201b\u2032\u00b4`\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a\"\u300c\u300d\u300e\u300f":
        table[ord(ch)] = ord("'")
    for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc":
        table[ord(ch)] = ord("-")
    for cp in range(0x10000):
        if chr(cp).isspace():
            table[cp] = _SPACE
    return table


_TABLE: np.ndarray | None = None


def _table() -> np.ndarray:
    global _TABLE
    if _TABLE is None:
        _TABLE = _build_table()
    return _TABLE


def normalise(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Folded code points of ``text`` with runs of spaces collapsed, and for each
    of them its index in ``text`` (so spans map back to exact offsets)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _table()
    bmp = cps < 0x10000
    folded = np.where(bmp, table[np.minimum(cps, 0xFFFF)], cps)
    space = folded == _SPACE
    keep = ~(space & np.concatenate(([True], space[:-1])))
    pos = np.nonzero(keep)[0].astype(np.int64)
    return folded[keep], pos


# --- shingles and signatures --------------------------------------------------------

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_BASE = np.uint64(0x100000001B3)  # FNV prime: odd, spreads small code points


def shingle_hashes(cps: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of every character n-gram (rolling polynomial, wrapping)."""
    if len(cps) < n:
        return np.zeros(0, dtype=np.uint64)
    c = cps.astype(np.uint64)
    m = len(c) - n + 1
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = h * _BASE + c[k:k + m]
        # Final avalanche (from splitmix64) so nearby n-grams get unrelated hashes.
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x7FB5D329728EA185)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x81DADEF4BC2DD44D)
        h ^= h >> np.uint64(33)
    return h


class Permutations:
    """``num_perm`` hash functions over 32-bit shingle hashes: x -> (a*x + b) mod 2**32
    (multiply-add with odd ``a``, a universal family), top 16 bits kept. 32-bit
    arithmetic halves the memory traffic of the (shingles x permutations) matrix,
    and since the shift is monotone the minimum can be taken before it."""

    def __init__(self, num_perm: int, seed: int = _SEED):
        rng = np.random.RandomState(seed)
        self.a = rng.randint(0, 2**31, size=num_perm, dtype=np.int64).astype(np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = rng.randint(0, 2**32, size=num_perm, dtype=np.int64).astype(np.uint32)

    def apply(self, hashes: np.ndarray) -> np.ndarray:
        """Unshifted 32-bit values, one row per shingle."""
        x = (hashes >> np.uint64(32)).astype(np.uint32)
        with np.errstate(over="ignore"):
            return x[:, None] * self.a[None, :] + self.b[None, :]


def signatures(perm_values: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """16-bit MinHash signature per [start, end) range of shingle rows."""
    if not spans:
        return np.zeros((0, perm_values.shape[1]), dtype=np.uint16)
    padded = np.vstack([perm_values, np.zeros((1, perm_values.shape[1]), dtype=perm_values.dtype)])
    idx = np.array([i for s, e in spans for i in (s, e)], dtype=np.int64)
    mins = np.minimum.reduceat(padded, idx, axis=0)[::2]
    return (mins >> 16).astype(np.uint16) if mins.dtype == np.uint32 else mins.astype(np.uint16)


# --- passages ---------------------------------------------------------------------------

# A sentence ends at CJK full stops, at line ends, and at . ! ? (plus closing
# quotes) followed by a space and something that can start a sentence, so
# "U.S. companies" or "3.8 million" do not split.
_BOUNDARY = re.compile(r"[。！？]+[」』”’\"']*|\n|[.!?]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁ0-9\u3040-\u30ff\u4e00-\u9fff])")
_QUOTE = re.compile(r"“([^”\n]{20,})”|\"([^\"\n]{20,})\"|«([^»\n]{20,})»|„([^“”\n]{20,})[“”]|「([^」\n]{10,})」")
_TRIM = " \t\"'“”‘’«»„「」()[]-–—,;:"


def passages(text: str, min_chars: int) -> list[tuple[int, int]]:
    """Sentences and quotations of ``text`` as (start, end) offsets, trimmed,
    sorted by start then by length (longest first)."""
    out: set[tuple[int, int]] = set()
    start = 0
    for m in _BOUNDARY.finditer(text):
        s, e = _trim(text, start, m.end())
        if e - s >= min_chars:
            out.add((s, e))
        start = m.end()
    s, e = _trim(text, start, len(text))
    if e - s >= min_chars:
        out.add((s, e))
    for m in _QUOTE.finditer(text):
        g = next(i for i in range(1, 6) if m.group(i) is not None)
        s, e = _trim(text, m.start(g), m.end(g))
        if e - s >= min_chars:
            out.add((s, e))
    return sorted(out, key=lambda p: (p[0], -p[1]))


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in _TRIM:
        s += 1
    while e > s and text[e - 1] in _TRIM:
        e -= 1
    return s, e


# --- bucket index -----------------------------------------------------------------------


class BucketIndex:
    """uint64 bucket key -> first passage id, with first-writer-wins inserts.

    A log-structured set of sorted numpy arrays: new keys go into the smallest
    level, and a level that outgrows its capacity (FIRST * FANOUT**i keys) is
    merged into the next. Lookups are one ``np.searchsorted`` per level for all
    keys of a document; inserts are amortised linear merges. 12 bytes per key,
    no Python object per key."""

    FIRST = 1 << 12
    FANOUT = 8

    def __init__(self) -> None:
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def size(self) -> int:
        return sum(len(k) for k, _ in self.levels)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + v.nbytes for k, v in self.levels)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Passage id per key, -1 where the bucket is empty."""
        out = np.full(len(keys), -1, dtype=np.int64)
        for lk, lv in self.levels:
            if not len(lk):
                continue
            i = np.searchsorted(lk, keys)
            i[i >= len(lk)] = 0
            hit = lk[i] == keys
            out[hit] = lv[i[hit]]  # a key lives in one level only
        return out

    def insert(self, keys: np.ndarray, pids: np.ndarray, found: np.ndarray) -> None:
        """Add ``keys[i] -> pids[i]`` where ``found[i]`` (a prior lookup) is -1;
        within the batch the first occurrence of a key wins."""
        new = found < 0
        if not new.any():
            return
        k, first = np.unique(keys[new], return_index=True)
        self._push(k, pids[new][first].astype(np.int64))

    def _push(self, k: np.ndarray, v: np.ndarray) -> None:
        level = 0
        while True:
            if level == len(self.levels):
                self.levels.append((k, v))
                return
            lk, lv = self.levels[level]
            k, v = _merge(lk, lv, k, v)
            if len(k) <= self.FIRST * self.FANOUT ** level:
                self.levels[level] = (k, v)
                return
            self.levels[level] = (np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
            level += 1

    def merge(self) -> None:
        """Compact all levels into one (after loading an index)."""
        k, v = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        for lk, lv in self.levels:
            k, v = _merge(k, v, lk, lv)
        self.levels = [(k, v)] if len(k) else []


def _merge(ak: np.ndarray, av: np.ndarray, bk: np.ndarray, bv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(ak):
        return bk, bv
    if not len(bk):
        return ak, av
    keys = np.concatenate([ak, bk])
    order = np.argsort(keys, kind="stable")  # two sorted runs: a linear merge
    return keys[order], np.concatenate([av, bv])[order]


# --- the stage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupResult:
    text: str
    duplicates: tuple[DuplicateSpan, ...]
    near_duplicate_of: str | None
    dropped: tuple[str, ...]


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows. datasketch's optimiser weighs the probability of missing a
    pair above the threshold against that of proposing one below it; candidates
    are verified anyway, so a proposal below the threshold only costs a check
    while a miss is lost for good: misses are weighted four times as heavily."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.2, 0.8)


class Deduper:
    """Streaming: call :meth:`add` once per document, in input order."""

    def __init__(self, options: Options):
        self.options = options
        self.n = options.shingle
        self.num_perm = options.num_perm
        self.bands, self.rows = lsh_params(options.threshold, options.num_perm)
        self.perms = Permutations(options.num_perm)
        coef = np.random.RandomState(_SEED + 1).randint(1, 2**62, size=(self.bands, self.rows), dtype=np.int64)
        self._band_coef = coef.astype(np.uint64) | np.uint64(1)
        self._band_salt = np.arange(self.bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        # documents
        self.doc_ids: list[str] = []
        self.doc_lens: list[int] = []
        # passages (parallel growable arrays)
        self._cap = 0
        self.p_doc = np.zeros(0, dtype=np.int32)
        self.p_start = np.zeros(0, dtype=np.int32)
        self.p_end = np.zeros(0, dtype=np.int32)
        self.p_root = np.zeros(0, dtype=np.int32)
        self.p_sig = np.zeros((0, self.num_perm), dtype=np.uint16)
        self.n_pass = 0
        self.buckets = BucketIndex()
        if options.index and os.path.exists(options.index):
            self._load(options.index)

    # --- public -------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> DedupResult:
        doc = len(self.doc_ids)
        self.doc_ids.append(doc_id)
        self.doc_lens.append(len(text))
        spans, sigs = self._passages(text)
        matches, keys, hits = self._match(sigs)
        dups = self._align(spans, sigs, matches)
        near = self._near_duplicate(text, dups)
        dropped: tuple[str, ...] = ()
        out_text = text
        if self.options.dedup == "drop":
            # Dropping a span can leave a remainder that is itself a copy (the
            # attribution after a removed quote): match again until nothing is left.
            for _ in range(DROP_ROUNDS):
                if not dups:
                    break
                out_text, more = _drop(out_text, dups)
                dropped += more
                spans, sigs = self._passages(out_text)
                matches, keys, hits = self._match(sigs)
                dups = self._align(spans, sigs, matches)
            self.doc_lens[doc] = len(out_text)
            matches = [None] * len(spans)
        self._store(doc, spans, sigs, matches, keys, hits)
        return DedupResult(out_text, tuple(dups) if self.options.dedup != "drop" else (), near, dropped)

    def close(self) -> None:
        if self.options.index:
            self._save(self.options.index)

    # --- steps ----------------------------------------------------------------------

    def _passages(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        spans = passages(text, self.options.min_passage_chars)[:MAX_PASSAGES]
        if not spans:
            return [], np.zeros((0, self.num_perm), dtype=np.uint16)
        cps, pos = normalise(text)
        hashes = shingle_hashes(cps, self.n)
        if not len(hashes):
            return [], np.zeros((0, self.num_perm), dtype=np.uint16)
        starts = np.searchsorted(pos, [s for s, _ in spans])
        ends = np.searchsorted(pos, [e for _, e in spans])
        ranges, kept = [], []
        for (s, e), ns, ne in zip(spans, starts, ends):
            last = ne - self.n + 1  # shingles fully inside the passage
            if last > ns:
                ranges.append((int(ns), int(last)))
                kept.append((s, e))
        if not kept:
            return [], np.zeros((0, self.num_perm), dtype=np.uint16)
        # Signatures in chunks of at most CHUNK shingles, so the (shingles x
        # permutations) matrix stays small however long the document is.
        parts, i = [], 0
        while i < len(ranges):
            lo, hi, j = ranges[i][0], ranges[i][1], i + 1
            while j < len(ranges) and max(hi, ranges[j][1]) - lo <= CHUNK:
                hi = max(hi, ranges[j][1])
                j += 1
            values = self.perms.apply(hashes[lo:hi])
            parts.append(signatures(values, [(a - lo, b - lo) for a, b in ranges[i:j]]))
            i = j
        return kept, np.vstack(parts)

    def _band_keys(self, sigs: np.ndarray) -> np.ndarray:
        bands = sigs[:, : self.bands * self.rows].astype(np.uint64).reshape(len(sigs), self.bands, self.rows)
        with np.errstate(over="ignore"):
            return (bands * self._band_coef[None]).sum(axis=2, dtype=np.uint64) ^ self._band_salt[None]

    def _match(self, sigs: np.ndarray) -> tuple[list[tuple[int, float] | None], np.ndarray, np.ndarray]:
        """Best verified earlier passage per passage, as (root passage id,
        similarity); also the band keys and their lookups, reused for inserting."""
        if not len(sigs):
            return [], np.zeros((0, self.bands), dtype=np.uint64), np.zeros((0, self.bands), dtype=np.int64)
        keys = self._band_keys(sigs)
        hits = self.buckets.lookup(keys.ravel()).reshape(keys.shape)
        out: list[tuple[int, float] | None] = [None] * len(sigs)
        for k in np.nonzero((hits >= 0).any(axis=1))[0]:
            row = hits[k]
            # Compare with every earlier member the buckets propose and with their
            # cluster roots: a heavily edited copy may be closest to an earlier copy.
            cands = np.unique(np.concatenate([row[row >= 0], self.p_root[row[row >= 0]]]))
            sims = (self.p_sig[cands] == sigs[k][None]).mean(axis=1)
            best = int(np.argmax(sims))  # ties: smallest passage id, i.e. earliest
            if sims[best] >= self.options.threshold:
                out[k] = (int(self.p_root[cands[best]]), float(sims[best]))
        return out, keys, hits

    def _align(self, spans, sigs, matches) -> list[DuplicateSpan]:
        """Matched passages -> spans; neighbours matched into the same earlier
        document, in the same order there, merge into one maximal span."""
        items = []
        for (s, e), m in zip(spans, matches):
            if m is None:
                continue
            root, sim = m
            items.append([s, e, int(self.p_doc[root]), int(self.p_start[root]), int(self.p_end[root]), sim, root, 1])
        # Where a quote and its sentence both matched, keep the closer match: a
        # quote re-attributed by another outlet matches as a quote, not as a
        # sentence whose other half was rewritten.
        items.sort(key=lambda x: (x[0], -x[1]))
        kept: list[list] = []
        for it in items:
            if kept and it[0] < kept[-1][1]:  # overlaps the previous span
                if it[5] > kept[-1][5]:
                    kept[-1] = it
                continue
            kept.append(it)
        merged: list[list] = []
        unmatched = [(s, e) for (s, e), m in zip(spans, matches) if m is None]
        for it in kept:
            if merged:
                prev = merged[-1]
                gap_clear = not any(prev[1] <= s and e <= it[0] for s, e in unmatched)
                if prev[2] == it[2] and gap_clear and it[3] >= prev[3] and it[0] >= prev[0]:
                    prev[1] = max(prev[1], it[1])
                    prev[4] = max(prev[4], it[4])
                    prev[5] += it[5]
                    prev[7] += 1
                    continue
            merged.append(list(it))
        out = []
        for s, e, doc, of_s, of_e, sim_sum, root, count in merged:
            out.append(DuplicateSpan(start=s, end=e, of=self.doc_ids[doc], of_start=of_s, of_end=of_e,
                                     similarity=round(sim_sum / count, 4), cluster=self._cluster_id(root)))
        return out

    def _near_duplicate(self, text: str, dups: list[DuplicateSpan]) -> str | None:
        if not dups or not text:
            return None
        covered: dict[str, list[tuple[int, int]]] = {}
        for d in dups:
            covered.setdefault(d.of, []).append((d.start, d.end))
        order = {doc_id: i for i, doc_id in enumerate(self.doc_ids)}
        for of in sorted(covered, key=lambda x: order.get(x, 0)):
            chars = _union_length(covered[of])
            shorter = min(len(text.strip()), self.doc_lens[order[of]])
            if shorter and chars / shorter >= self.options.doc_threshold:
                return of
        return None

    def _cluster_id(self, root: int) -> str:
        key = f"{self.doc_ids[self.p_doc[root]]}\x00{self.p_start[root]}\x00{self.p_end[root]}"
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def _store(self, doc: int, spans, sigs, matches, keys, hits) -> None:
        n = len(spans)
        if not n:
            return
        first = self.n_pass
        if first + n > self._cap:
            self._grow(max(1024, 2 * (first + n)))
        pids = np.arange(first, first + n)
        self.p_doc[first:first + n] = doc
        self.p_start[first:first + n] = [s for s, _ in spans]
        self.p_end[first:first + n] = [e for _, e in spans]
        self.p_root[first:first + n] = [m[0] if m is not None else pid for m, pid in zip(matches, pids.tolist())]
        self.p_sig[first:first + n] = sigs
        self.n_pass += n
        self.buckets.insert(keys.ravel(), np.repeat(pids, self.bands), hits.ravel())

    def _grow(self, cap: int) -> None:
        def grow(a: np.ndarray) -> np.ndarray:
            b = np.zeros((cap,) + a.shape[1:], dtype=a.dtype)
            b[: len(a)] = a
            return b

        self.p_doc, self.p_start, self.p_end = grow(self.p_doc), grow(self.p_start), grow(self.p_end)
        self.p_root, self.p_sig = grow(self.p_root), grow(self.p_sig)
        self._cap = cap

    # --- persistence ---------------------------------------------------------------

    def _params(self) -> dict[str, float | int]:
        return {"format": FORMAT_VERSION, "normalisation": NORMALISATION_VERSION, "threshold": self.options.threshold,
                "shingle": self.n, "num_perm": self.num_perm, "bands": self.bands, "rows": self.rows,
                "min_passage_chars": self.options.min_passage_chars}

    def _save(self, path: str) -> None:
        tmp = path + ".tmp"
        n = self.n_pass
        with open(tmp, "wb") as f:
            np.savez(f, params=np.array(repr(sorted(self._params().items()))),
                     doc_ids=np.array(self.doc_ids, dtype=object), doc_lens=np.array(self.doc_lens, dtype=np.int64),
                     p_doc=self.p_doc[:n], p_start=self.p_start[:n], p_end=self.p_end[:n], p_root=self.p_root[:n],
                     p_sig=self.p_sig[:n])
        os.replace(tmp, path)

    def _load(self, path: str) -> None:
        try:
            with np.load(path, allow_pickle=True) as data:
                params = str(data["params"])
                mine = repr(sorted(self._params().items()))
                if params != mine:
                    raise DedupIndexError(f"index {path} was built with other parameters: {params}; "
                                          f"this run uses {mine}. Use the same --threshold/--shingle/--num-perm/"
                                          f"--min-passage-chars, or a new index file.")
                doc_ids = [str(x) for x in data["doc_ids"]]
                doc_lens = [int(x) for x in data["doc_lens"]]
                arrays = {k: data[k] for k in ("p_doc", "p_start", "p_end", "p_root", "p_sig")}
        except DedupIndexError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same error to the user
            raise DedupIndexError(f"cannot read dedup index {path}: {exc}") from exc
        self.doc_ids, self.doc_lens = doc_ids, doc_lens
        n = len(arrays["p_doc"])
        self._grow(max(1024, n))
        self.p_doc[:n], self.p_start[:n], self.p_end[:n] = arrays["p_doc"], arrays["p_start"], arrays["p_end"]
        self.p_root[:n], self.p_sig[:n] = arrays["p_root"], arrays["p_sig"]
        self.n_pass = n
        if n:
            keys = self._band_keys(self.p_sig[:n])
            # Earliest passage first: the first writer of each bucket wins.
            self.buckets.insert(keys.ravel(), np.repeat(np.arange(n), self.bands),
                                np.full(keys.size, -1, dtype=np.int64))
            self.buckets.merge()


def _union_length(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


_EMPTY_QUOTE = re.compile(r"[“\"«„「]\s*[,.;:!?]?\s*[”\"»“」]")


def _drop(text: str, dups: list[DuplicateSpan]) -> tuple[str, tuple[str, ...]]:
    """Remove the duplicate spans; lines left empty disappear with them."""
    pieces, dropped, last = [], [], 0
    for d in sorted(dups, key=lambda d: d.start):
        if d.start < last:
            continue
        pieces.append(text[last:d.start])
        dropped.append(text[d.start:d.end])
        last = d.end
    pieces.append(text[last:])
    # A quotation removed from its sentence leaves its marks behind (“,”): drop them
    # so the attribution reads as a sentence of its own.
    joined = _EMPTY_QUOTE.sub("", "".join(pieces))
    lines = [" ".join(line.split()) for line in joined.split("\n")]
    return "\n".join(line for line in lines if line), tuple(dropped)
