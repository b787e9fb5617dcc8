"""MinHash signatures of passages, their LSH band keys, and the signature store.

How it stays fast: a document is normalised and shingled in one vectorised
pass (code points as a numpy array, rolling polynomial hash of the n-grams);
the ``num_perm`` hash functions (multiply-add on 32 bits) and the minima of all
passages are one compiled loop (numba), which never materialises the
(shingles x permutations) matrix. No per-passage Python objects, no
per-shingle calls.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from ..options import Options
from .cache import cached_slot
from .units import (MAX_CHARS, MAX_PASSAGES, capitalised, code_blocks, code_points, normalise, quoted_passages,
                    words)
from .verify import MAX_WORDS, indexable, pack_passages
from .weights import word_weights

SIG_BITS = 8
"""Bits kept of each MinHash value for verification: 128 bytes per passage with
the defaults; the chance agreement of 1/256 is corrected in ``estimate``."""
MAX_BANDS = 32
"""Most LSH bands a passage is indexed under. Every band is a bucket probe per
passage and about 6 bytes of index per passage; past 32 the extra recall is
nil: with the defaults (aim 0.32) the unbounded choice is 42 bands of 3 rows
and the bounded one 32 of 3, and the two gave the same flags on the real web
(reusecheck on WCXB: 212 of 217 flags copies, 30 of 30 known copies found)
and the same passage recall on the shared syndicated-news corpus (0.965 and
0.918, with and without cleaner's stripping), while a million-document run
spent a fifth of its time in bucket probes and candidate reads."""
FLOOR = 0.8
"""A passage contained in another counts as reuse down to this fraction of the
threshold (see ``Deduper._match``)."""
_SEED = 0x5EED_C1EA
CONTAINMENT = 0.65
TOP = 4
"""Candidates per passage compared word by word, best signatures first."""

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
    (multiply-add with odd ``a``, a universal family)."""

    def __init__(self, num_perm: int, seed: int = _SEED):
        rng = np.random.RandomState(seed)
        self.a = rng.randint(0, 2**31, size=num_perm, dtype=np.int64).astype(np.uint32) * np.uint32(2) + np.uint32(1)
        self.b = rng.randint(0, 2**32, size=num_perm, dtype=np.int64).astype(np.uint32)
        self.num_perm = num_perm

    def minima(self, hashes: np.ndarray, ranges: np.ndarray) -> np.ndarray:
        """32-bit MinHash values, one row per [start, end) range of ``hashes``
        (ranges may overlap)."""
        x = hashes if hashes.dtype == np.uint32 else (hashes >> np.uint64(32)).astype(np.uint32)
        out = np.empty((len(ranges), self.num_perm), dtype=np.uint32)
        _minima(x, np.ascontiguousarray(ranges, dtype=np.int64), self.a, self.b, out)
        return out


@numba.njit(cache=True, nogil=True)
def _minima(x, ranges, a, b, out):  # pragma: no cover - compiled
    """The (shingles x permutations) loop, compiled: no matrix is
    materialised (numpy would write and re-read 4 bytes per shingle and
    permutation), and the inner loop over the permutations is 32-bit
    arithmetic and a ``min``, branch-free, which the compiler vectorises
    (eight permutations per AVX2 instruction). Written as ``(a * x + b) &
    0xFFFFFFFF`` with a compare and a store, numba typed it in 64 bits and
    kept the branch: the same values about 7 times slower (0.73 against 0.10
    ms for 4,680 shingles of 128 permutations)."""
    k = a.shape[0]
    for r in range(ranges.shape[0]):
        row = out[r]
        for p in range(k):
            row[p] = np.uint32(0xFFFFFFFF)
        for i in range(ranges[r, 0], ranges[r, 1]):
            xi = x[i]
            for p in range(k):
                row[p] = min(row[p], np.uint32(a[p] * xi + b[p]))


@numba.njit(cache=True, nogil=True)
def estimate(equal: int, num_perm: int) -> float:
    """Jaccard similarity from the number of equal SIG_BITS-bit signature values:
    two different minima agree in their low bits with probability 2**-SIG_BITS,
    which is taken out (b-bit MinHash, Li and König 2010)."""
    chance = 2.0 ** -SIG_BITS
    return max(0.0, (equal / num_perm - chance) / (1.0 - chance))


SKETCH_MARGIN = 3.0
"""How many standard deviations of the 2-bit estimate below the lowest
similarity that can count (threshold x FLOOR) a candidate may fall before it
is rejected without reading its full signature: by the normal approximation a
candidate right at that similarity is lost with probability 1.3e-3 (one that
would pass the threshold itself with under 1e-5); on the synthetic corpus of
benchmarks/ about three candidates in four are settled from memory."""

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@numba.njit(cache=True, nogil=True)
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@numba.njit(cache=True, nogil=True)
def sketch(sig):
    """The low 2 bits of each signature value, 32 to a 64-bit word (what the
    index keeps in memory for every passage)."""
    n, k = sig.shape
    words = (k + 31) // 32
    out = np.zeros((n, words), dtype=np.uint64)
    for i in range(n):
        for p in range(k):
            out[i, p // 32] |= np.uint64(sig[i, p] & 3) << np.uint64(2 * (p % 32))
    return out


@numba.njit(cache=True, nogil=True)
def _sketch_equal(a, b, k) -> int:
    """Signature values whose low 2 bits agree (unused fields agree as zeros
    and are not counted)."""
    diff = 0
    for w in range(a.shape[0]):
        x = a[w] ^ b[w]
        diff += _popcount((x | (x >> np.uint64(1))) & _M1)
    return k - diff


def sketch_cut(threshold: float, num_perm: int) -> float:
    """Lowest 2-bit similarity estimate worth a full comparison (see
    SKETCH_MARGIN): chance agreement of 2 bits is 1/4, so the estimate is
    (equal/k - 1/4) / (3/4), with the binomial spread of equal/k."""
    j = threshold * FLOOR
    p = 0.25 + 0.75 * j
    return j - SKETCH_MARGIN * (p * (1 - p) / num_perm) ** 0.5 / 0.75



def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows for candidate retrieval down to ``threshold * FLOOR``.

    Retrieval aims below the reporting threshold because a trimmed copy of a
    short sentence can have a low Jaccard similarity and still be contained in
    its source (see ``candidates``). The choice is the classic one (as
    datasketch's MinHashLSH makes it): the (bands, rows) that minimise the
    weighted sum of the probability mass of proposing a pair below the aim
    and of missing one above it; candidates are verified anyway, so a
    proposal costs one check while a miss is lost for good: misses weigh four
    times as much. At most MAX_BANDS bands."""
    return _optimal_bands(threshold * FLOOR, num_perm, 0.2, 0.8, MAX_BANDS)


@functools.cache
def _optimal_bands(aim: float, num_perm: int, fp_weight: float, fn_weight: float,
                   max_bands: int) -> tuple[int, int]:
    below = np.linspace(0.0, aim, 2001)
    above = np.linspace(aim, 1.0, 2001)
    best, choice = float("inf"), (1, 1)
    for b in range(1, min(num_perm, max_bands) + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.trapezoid(1 - (1 - below ** r) ** b, below)
            fn = np.trapezoid((1 - above ** r) ** b, above)
            err = fp * fp_weight + fn * fn_weight
            if err < best:
                best, choice = err, (b, r)
    return choice


class Signer:
    """Text -> passage units (offsets, signatures, band keys): the half of dedup
    that needs nothing but the document itself, so it runs in the worker that
    stripped the document; the index half runs in input order in one place."""

    def __init__(self, options: Options):
        self.n = options.shingle
        self.num_perm = options.num_perm
        self.min_chars = options.min_passage_chars
        self.bands, self.rows = lsh_params(options.threshold, options.num_perm)
        self.perms = Permutations(options.num_perm)
        coef = np.random.RandomState(_SEED + 1).randint(1, 2**62, size=(self.bands, self.rows), dtype=np.int64)
        self._band_coef = coef.astype(np.uint64) | np.uint64(1)
        self._band_salt = np.arange(self.bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)

    def units(self, text: str, title: str | None = None, roles: Sequence[str] | None = None) -> _Units:
        """The passages of a record: its title (when it has one) and its text,
        as one string ``title + "\n" + text`` (``lead`` characters of title
        come first), so a headline reused as a sentence, or a sentence as a
        headline, is found like any other passage. Only passages that could
        ever be judged a copy (``verify.indexable``) are kept. ``roles``: the
        record's line roles, where it has them; a code block is one passage
        (``units.code_blocks``)."""
        lead = len(title) + 1 if title else 0
        whole = f"{title}\n{text}" if title else text
        blocks = [(s + lead, e + lead) for s, e in code_blocks(text, roles)]
        # Offsets in the prefix are offsets in the text: only the first
        # MAX_CHARS are indexed.
        found = quoted_passages(whole[:MAX_CHARS], self.min_chars, lead,
                                [(s, min(e, MAX_CHARS)) for s, e in blocks if s < MAX_CHARS])[:MAX_PASSAGES]
        if not found:
            return _Units.empty(self, len(text), lead)
        spans = np.array([(s, e) for s, e, _ in found], dtype=np.int64)
        quoted = np.array([q for _, _, q in found], dtype=np.bool_)
        length = int(spans[:, 1].max())
        raw = code_points(whole[:length])
        cps, pos = normalise(whole[:length], raw)
        h, s, e, d = words(cps, pos, length)
        w = word_weights(h, d)
        first = np.searchsorted(s, spans[:, 0], side="left")
        end = np.maximum(first, np.searchsorted(e, spans[:, 1], side="right"))
        keep = indexable(np.stack([first, end], axis=1), w)
        hashes = shingle_hashes(cps, self.n)
        if not len(hashes) or not keep.any():
            return _Units.empty(self, len(text), lead)
        lo = np.searchsorted(pos, spans[:, 0])
        hi = np.searchsorted(pos, spans[:, 1]) - self.n + 1  # shingles fully inside
        keep &= hi > lo
        if not keep.any():
            return _Units.empty(self, len(text), lead)
        spans, quoted, first, end = spans[keep], quoted[keep], first[keep], end[keep]
        word_off = np.zeros(len(spans) + 1, dtype=np.int64)
        np.cumsum(np.minimum(end - first, MAX_WORDS), out=word_off[1:])
        packed = np.empty(word_off[-1], dtype=np.uint64)
        pack_passages(h, w, s, e, d, capitalised(raw, s), first, end, spans[:, 0], packed, word_off)
        ranges = np.stack([lo[keep], hi[keep]], axis=1)
        minima = self.perms.minima(hashes, ranges)
        sig = (minima & np.uint32(0xFF)).astype(np.uint8)
        size = np.minimum(ranges[:, 1] - ranges[:, 0], 0xFFFF).astype(np.uint16)
        return _Units(spans, sig, sketch(sig), size, self._band_keys(minima), packed, word_off, quoted, len(text),
                      lead)

    def _band_keys(self, minima: np.ndarray) -> np.ndarray:
        bands = minima[:, : self.bands * self.rows].astype(np.uint64).reshape(len(minima), self.bands, self.rows)
        with np.errstate(over="ignore"):
            keys = (bands * self._band_coef[None]).sum(axis=2, dtype=np.uint64) ^ self._band_salt[None]
            keys ^= keys >> np.uint64(29)
            return keys * np.uint64(0xBF58476D1CE4E5B9)


_SIGNERS: dict[tuple, Signer] = {}


def signer_for(options: Options) -> Signer:
    """One Signer per parameter set and process (its tables are built once)."""
    key = (options.shingle, options.num_perm, options.threshold, options.min_passage_chars)
    if key not in _SIGNERS:
        _SIGNERS[key] = Signer(options)
    return _SIGNERS[key]



@dataclass
class _Units:
    """The passages of one document: offsets, SIG_BITS-bit signatures and their
    2-bit sketches, shingle counts (for containment), LSH band keys, and their
    words for verification (``verify.pack``): passage i's are
    ``words[word_off[i]:word_off[i + 1]]``."""

    spans: np.ndarray
    sig: np.ndarray
    sketch: np.ndarray
    size: np.ndarray
    keys: np.ndarray
    words: np.ndarray
    word_off: np.ndarray
    quoted: np.ndarray
    """Which passages are quotations (``units.quoted_passages``)."""
    chars: int = -1
    """Length of the text they were computed for (a cheap check that they fit)."""
    lead: int = 0
    """Characters of title (and the newline after it) before the text: spans
    are offsets into ``title + "\n" + text``."""

    def fit(self, text: str, title: str | None) -> bool:
        """Were these computed for this text and title? (a cheap check)"""
        return self.chars == len(text) and self.lead == (len(title) + 1 if title else 0)

    @classmethod
    def empty(cls, d: Signer, chars: int = -1, lead: int = 0) -> _Units:
        return cls(np.zeros((0, 2), dtype=np.int64), np.zeros((0, d.num_perm), dtype=np.uint8),
                   np.zeros((0, (d.num_perm + 31) // 32), dtype=np.uint64), np.zeros(0, dtype=np.uint16),
                   np.zeros((0, d.bands), dtype=np.uint64), np.zeros(0, dtype=np.uint64),
                   np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.bool_), chars, lead)


_ARRAYS = ("spans", "sig", "sketch", "size", "keys", "words", "word_off", "quoted")


class UnitsBatch(list):
    """The units of a task's documents, as ``stage.sign`` returns them from a
    worker: a list of ``_Units`` that pickles as one array per field for the
    whole task, not eight arrays per document.

    Why: the main process unpickles every document's units, and rebuilding a
    numpy array costs microseconds whatever its size: the eight small arrays
    of a synthetic dump took 0.037-0.069 ms a document to unpickle (two
    measurements), packed per task of 64 0.006 ms, in the serial process that
    sets a large run's pace. Unpickled,
    each document's arrays are views into the task's, equal to what was sent
    (``tests/test_dedup.py`` checks values, dtypes and shapes)."""

    def __reduce__(self):
        units = list(self)
        if not units:
            return UnitsBatch, ()
        counts = np.array([[len(u.spans), len(u.words), u.chars, u.lead] for u in units], dtype=np.int64)
        return _unpack_units, (counts, *(np.concatenate([getattr(u, name) for u in units]) for name in _ARRAYS))


def _unpack_units(counts: np.ndarray, *arrays: np.ndarray) -> UnitsBatch:
    """Inverse of ``UnitsBatch.__reduce__``: per document, views of its rows."""
    rows = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts[:, 0], out=rows[1:])
    words = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts[:, 1], out=words[1:])
    spans, sig, sketch_, size, keys, packed, word_off, quoted = arrays
    out = UnitsBatch()
    for i, (chars, lead) in enumerate(counts[:, 2:].tolist()):
        a, b = int(rows[i]), int(rows[i + 1])
        out.append(_Units(spans[a:b], sig[a:b], sketch_[a:b], size[a:b], keys[a:b], packed[words[i]:words[i + 1]],
                          word_off[a + i:b + i + 1], quoted[a:b], chars, lead))
    return out


@numba.njit(cache=True, nogil=True)
def candidates(hits, roots, sketches, g_ids, g_sigs, cache_ids, cache_rows, tail_start, tail, sizes, sig, sig_sketch,
               size, threshold, floor, containment, cut, out_c, out_eq, missing, need) -> int:  # pragma: no cover
    """Per passage, every proposed candidate and its cluster root compared on
    all signature values; the TOP most similar accepted ones go to ``out_c``
    (best first, ties to the earliest), their equal values to ``out_eq``.

    Accepted: an estimated Jaccard similarity at ``threshold``, or down to
    ``threshold * floor`` when the shared shingles cover ``containment`` of the
    smaller passage (a trimmed or padded copy).

    Full signatures of passages from ``tail_start`` on are in ``tail``; for
    earlier ones (in the file) the in-memory 2-bit sketch is compared first,
    and only a candidate above ``cut`` needs its full signature, looked up in
    ``g_ids``/``g_sigs`` (gathered from the file), then in the signatures
    read for earlier documents (``cache_ids``/``cache_rows``, the slots of a
    ``cache.RowCache``, which only speeds this up). Candidates needed but not
    gathered are written to ``missing`` and counted in the return value, and
    their passages flagged in ``need``: a passage's result is final unless it
    is flagged (see ``Deduper._match``)."""
    k = sig.shape[1]
    top = out_c.shape[1]
    n_missing = 0
    for q in range(hits.shape[0]):
        for band in range(hits.shape[1]):
            c0 = hits[q, band]
            if c0 < 0:
                continue
            for t in range(2):
                c = c0 if t == 0 else roots[c0]
                if t == 1 and c == c0:
                    continue
                seen = False
                for j in range(top):
                    if out_c[q, j] == c:
                        seen = True
                if seen:
                    continue
                eq = 0
                if c < tail_start:
                    e2 = _sketch_equal(sketches[c], sig_sketch[q], k) / k
                    if (e2 - 0.25) / 0.75 < cut:
                        continue
                    r = np.searchsorted(g_ids, c)
                    if r < g_ids.shape[0] and g_ids[r] == c:
                        row = g_sigs[r]
                    else:
                        slot = cached_slot(cache_ids, c)
                        if slot < 0:
                            missing[n_missing] = c
                            n_missing += 1
                            need[q] = True
                            continue
                        row = cache_rows[slot]
                    for p in range(k):
                        eq += row[p] == sig[q, p]
                else:
                    for p in range(k):
                        eq += tail[c - tail_start, p] == sig[q, p]
                sim = estimate(eq, k)
                ok = sim >= threshold
                if not ok and sim >= threshold * floor:
                    a, b = float(size[q]), float(sizes[c])
                    shared = sim * (a + b) / (1.0 + sim)
                    ok = shared / max(1.0, min(a, b)) >= containment
                if not ok:
                    continue
                # insert into the top list, best equal count first, then earliest
                j = top
                while j > 0 and (out_c[q, j - 1] < 0 or out_eq[q, j - 1] < eq
                                 or (out_eq[q, j - 1] == eq and out_c[q, j - 1] > c)):
                    j -= 1
                if j == top:
                    continue
                for m in range(top - 1, j, -1):
                    out_c[q, m] = out_c[q, m - 1]
                    out_eq[q, m] = out_eq[q, m - 1]
                out_c[q, j] = c
                out_eq[q, j] = eq
    return n_missing


