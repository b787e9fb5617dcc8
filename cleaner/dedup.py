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
the ``num_perm`` hash functions (multiply-add on 32 bits) and the minima of all
passages are one compiled loop (numba), which never materialises the
(shingles x permutations) matrix. No per-passage Python objects, no
per-shingle calls. Documents arrive in batches: the bucket lookups and inserts
of a batch are one compiled pass (cleaner/buckets.py).

How candidates are found: LSH banding over the 32-bit minima, with bands and
rows from datasketch's optimiser, aimed a little below the threshold (see
``lsh_params``).

How duplicates are reported: every candidate, and its cluster root, is
verified on the full signatures (``Deduper._match``); each passage joins the
cluster of its best match, whose first member (the earliest passage in input
order) is what ``of``/``of_start``/``of_end`` point to. Matched passages that
follow each other in both documents are merged into one span, so a reused
stretch of three paragraphs is one duplicate entry.

Memory per indexed passage: a 32-byte 2-bit sketch of the signature (the
full ``num_perm``-byte signature, the low 8 bits of each minimum, goes to a
temporary file and is read back only for candidates the sketch cannot settle:
see ``Signatures``), 18 bytes of offsets, document, cluster root and size, and
about 6 bytes per new band key in the bucket tables (cleaner/buckets.py), plus
about 200 MB that does not grow (the recent keys' tables and the directories).
Measured with ``python benchmarks/dedup.py --memory-child 100000``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numba
import numpy as np

from .buckets import BucketIndex
from .errors import DedupIndexError, OutputError
from .options import Options
from .records import DuplicateSpan

FORMAT_VERSION = 4
"""Version of the index file (see write_index); 4: no pickles, a JSON header."""
DROP_ROUNDS = 4
MAX_PASSAGES = 5000
MAX_CHARS = 1_000_000
"""Passages (and characters) indexed per document: a 200 MB one-line "document"
must not take the index (or the memory) with it; real articles have a few dozen
passages and some thousand characters."""
SIG_BITS = 8
"""Bits kept of each MinHash value for verification: 128 bytes per passage with
the defaults; the chance agreement of 1/256 is corrected in ``estimate``."""
FLOOR = 0.8
"""A passage contained in another counts as reuse down to this fraction of the
threshold (see ``Deduper._match``)."""
CONTAINMENT = 0.65

NORMALISATION_VERSION = 2

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
    """The (shingles x permutations) loop, compiled: the inner loop over the
    permutations is branch-free and vectorises, and no matrix is materialised
    (numpy would write and re-read 4 bytes per shingle and permutation)."""
    k = a.shape[0]
    for r in range(ranges.shape[0]):
        row = out[r]
        for p in range(k):
            row[p] = 0xFFFFFFFF
        for i in range(ranges[r, 0], ranges[r, 1]):
            xi = x[i]
            for p in range(k):
                v = (a[p] * xi + b[p]) & 0xFFFFFFFF
                if v < row[p]:
                    row[p] = v


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


@numba.njit(cache=True, nogil=True)
def _verify(hits, roots, sketches, g_ids, g_sigs, tail_start, tail, sizes, sig, sig_sketch, size, threshold, floor,
            containment, cut, out_root, out_sim, missing, need) -> int:  # pragma: no cover
    """Compiled body of ``Deduper._match``: per passage, every proposed
    candidate and its cluster root, compared on all signature values; the most
    similar accepted one wins, ties going to the earliest.

    Full signatures of passages from ``tail_start`` on are in ``tail``; for
    earlier ones (in the file) the in-memory 2-bit sketch is compared first,
    and only a candidate above ``cut`` needs its full signature, looked up in
    ``g_ids``/``g_sigs`` (gathered from the file). Candidates needed but not
    gathered are written to ``missing`` and counted in the return value, and
    their passages flagged in ``need``: a passage's result is final unless it
    is flagged (see ``Deduper._match``)."""
    k = sig.shape[1]
    n_missing = 0
    for q in range(hits.shape[0]):
        best_eq, best_c = -1, -1
        for band in range(hits.shape[1]):
            c0 = hits[q, band]
            if c0 < 0:
                continue
            for t in range(2):
                c = c0 if t == 0 else roots[c0]
                if t == 1 and c == c0:
                    continue
                eq = 0
                if c < tail_start:
                    e2 = _sketch_equal(sketches[c], sig_sketch[q], k) / k
                    if (e2 - 0.25) / 0.75 < cut:
                        continue
                    r = np.searchsorted(g_ids, c)
                    if r == g_ids.shape[0] or g_ids[r] != c:
                        missing[n_missing] = c
                        n_missing += 1
                        need[q] = True
                        continue
                    for p in range(k):
                        eq += g_sigs[r, p] == sig[q, p]
                else:
                    for p in range(k):
                        eq += tail[c - tail_start, p] == sig[q, p]
                if eq < best_eq or (eq == best_eq and c >= best_c):
                    continue
                sim = estimate(eq, k)
                ok = sim >= threshold
                if not ok and sim >= threshold * floor:
                    a, b = float(size[q]), float(sizes[c])
                    shared = sim * (a + b) / (1.0 + sim)
                    ok = shared / max(1.0, min(a, b)) >= containment
                if ok:
                    best_eq, best_c = eq, c
        if best_c >= 0:
            out_root[q] = roots[best_c]
            out_sim[q] = estimate(best_eq, k)
    return n_missing


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
        s, e = _trim(text, m.start(m.lastindex), m.end(m.lastindex))
        if e - s >= min_chars:
            out.add((s, e))
    return sorted(out, key=lambda p: (p[0], -p[1]))


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    piece = text[s:e]
    left = piece.lstrip(_TRIM)
    s += len(piece) - len(left)
    return s, s + len(left.rstrip(_TRIM))


# --- the stage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupResult:
    text: str
    duplicates: tuple[DuplicateSpan, ...]
    near_duplicate_of: str | None
    dropped: tuple[str, ...]


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows for candidate retrieval down to ``threshold * FLOOR``.

    Retrieval aims below the reporting threshold because a trimmed copy of a
    short sentence can have a low Jaccard similarity and still be contained in
    its source (see ``Deduper._match``). datasketch's optimiser weighs the
    probability of missing a pair above the aim against that of proposing one
    below it; candidates are verified anyway, so a proposal costs one check while
    a miss is lost for good: misses are weighted four times as heavily."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold * FLOOR, num_perm, 0.2, 0.8)


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

    def units(self, text: str) -> _Units:
        # Offsets in the prefix are offsets in the text: only the first
        # MAX_CHARS are indexed.
        found = passages(text[:MAX_CHARS], self.min_chars)[:MAX_PASSAGES]
        if not found:
            return _Units.empty(self, len(text))
        spans = np.array(found, dtype=np.int64)
        cps, pos = normalise(text[: int(spans[:, 1].max())])
        hashes = shingle_hashes(cps, self.n)
        if not len(hashes):
            return _Units.empty(self, len(text))
        first = np.searchsorted(pos, spans[:, 0])
        last = np.searchsorted(pos, spans[:, 1]) - self.n + 1  # shingles fully inside
        keep = last > first
        if not keep.any():
            return _Units.empty(self, len(text))
        spans = spans[keep]
        ranges = np.stack([first[keep], last[keep]], axis=1)
        minima = self.perms.minima(hashes, ranges)
        sig = (minima & np.uint32(0xFF)).astype(np.uint8)
        size = np.minimum(ranges[:, 1] - ranges[:, 0], 0xFFFF).astype(np.uint16)
        return _Units(spans, sig, sketch(sig), size, self._band_keys(minima), len(text))

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


@functools.cache
def _pread_rows():
    """A compiled loop of libc ``pread`` calls (a quarter of the cost of
    ``os.pread`` from Python, which matters at a hundred reads a document), or
    None where libc cannot be loaded. Compiled on first use, not cached on
    disk: it holds the address of a C function."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pread = libc.pread
    except (OSError, AttributeError):
        return None
    pread.restype = ctypes.c_ssize_t
    pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64]

    @numba.njit(nogil=True)
    def read(fd, ids, out):  # pragma: no cover - compiled
        w = out.shape[1]
        for i in range(ids.shape[0]):
            if pread(fd, out[i].ctypes.data, w, ids[i] * w) != w:
                return i
        return ids.shape[0]

    return read


class Signatures:
    """Passage signatures, append-only: the recent ones in memory, the rest in
    an unnamed temporary file (in TMPDIR).

    Why a file: at 128 bytes a passage the signatures would be most of the
    index (2.7 GB for a million news articles), yet most candidates the
    buckets propose are far below the threshold. So memory keeps a 2-bit
    sketch of every signature (32 bytes), which settles most candidates, and
    the full signatures of the others are read with ``pread`` (``gather``), from
    the page cache, without entering this process's memory.
    Not a memory map: the kernel maps file pages in large folios, and reading
    a few scattered signatures through a map brought megabytes of the file
    into the process each time. A run under about 3,000 articles never
    creates the file."""

    CHUNK = 1 << 16

    def __init__(self, width: int) -> None:
        self.width = width
        self.sketches = np.zeros((0, (width + 31) // 32), dtype=np.uint64)
        self.tail = np.zeros((self.CHUNK, width), dtype=np.uint8)
        self.n_tail = 0
        self.n_disk = 0
        self._file = None

    def __len__(self) -> int:
        return self.n_disk + self.n_tail

    def append(self, sigs: np.ndarray, sketches: np.ndarray) -> None:
        """``sketches``: ``sketch(sigs)``. The signatures are kept in memory
        until the next ``settle``, so that the passages of a batch stay where
        ``gather`` left them while the batch is matched."""
        n = len(sigs)
        total = len(self)
        if total + n > len(self.sketches):
            # realloc: large blocks move by remapping pages, not by copying;
            # the new part is zero-filled (resident), hence growth by a quarter
            self.sketches.resize((max(1024, (total + n) * 5 // 4), self.sketches.shape[1]), refcheck=False)
        self.sketches[total:total + n] = sketches
        if self.n_tail + n > len(self.tail):
            grown = np.zeros((max(2 * len(self.tail), self.n_tail + n), self.width), dtype=np.uint8)
            grown[:self.n_tail] = self.tail[:self.n_tail]
            self.tail = grown
        self.tail[self.n_tail:self.n_tail + n] = sigs
        self.n_tail += n

    def settle(self) -> None:
        """Between batches: move the in-memory ones to the file once there are
        CHUNK of them."""
        if self.n_tail >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.n_tail:
            return
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="cleaner-sigs-")
            self._file.seek(0, os.SEEK_END)
            self._file.write(self.tail[:self.n_tail].tobytes())
            self._file.flush()
        except OSError as exc:
            raise DedupIndexError(f"cannot write dedup signatures to a temporary file in {tempfile.gettempdir()}: "
                                  f"{exc}; set TMPDIR to a writable directory with room for "
                                  f"{self.width} bytes per passage") from exc
        self.n_disk += self.n_tail
        self.n_tail = 0
        if len(self.tail) > self.CHUNK:
            self.tail = np.zeros((self.CHUNK, self.width), dtype=np.uint8)

    def gather(self, ids: np.ndarray) -> np.ndarray:
        """Signatures of passages ``ids`` (sorted, unique, all in the file)."""
        out = np.empty((len(ids), self.width), dtype=np.uint8)
        if not len(ids):
            return out
        fd = self._file.fileno()
        read = _pread_rows()
        if read is not None:
            done = read(fd, ids, out)
            if done != len(ids):
                raise OSError(f"short read from the signature file at passage {ids[done]}")
        else:
            for i, c in enumerate(ids.tolist()):
                out[i] = np.frombuffer(os.pread(fd, self.width, c * self.width), dtype=np.uint8)
        return out

    def all(self) -> np.ndarray:
        """Every signature as one array (read back from the file)."""
        self.flush()
        if self._file is None:
            return np.zeros((0, self.width), dtype=np.uint8)
        self._file.seek(0)
        return np.fromfile(self._file, dtype=np.uint8).reshape(self.n_disk, self.width)

    @property
    def nbytes(self) -> int:
        """Memory held (the file's pages are the page cache's, not ours)."""
        return self.tail.nbytes + len(self) * self.sketches.itemsize * self.sketches.shape[1]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Deduper:
    """Streaming: call :meth:`add` once per document, in input order."""

    def __init__(self, options: Options, buckets: BucketIndex | None = None):
        """``buckets``: where the bucket tables live (default: in this process;
        the Dask engine passes one whose shards are spread over the cluster)."""
        self.options = options
        self.signer = signer_for(options)
        self.n = options.shingle
        self.num_perm = options.num_perm
        self.bands, self.rows = self.signer.bands, self.signer.rows
        # documents
        self.doc_ids: list[str] = []
        self.doc_lens: list[int] = []
        # passages (parallel growable arrays)
        self._cap = 0
        self.p_doc = np.zeros(0, dtype=np.int32)
        self.p_start = np.zeros(0, dtype=np.int32)
        self.p_end = np.zeros(0, dtype=np.int32)
        self.p_root = np.zeros(0, dtype=np.int32)
        self.p_size = np.zeros(0, dtype=np.uint16)
        self.sigs = Signatures(self.num_perm)
        self.cut = sketch_cut(options.threshold, options.num_perm)
        self._no_sigs = np.zeros((0, self.num_perm), dtype=np.uint8)
        self.n_pass = 0
        self.buckets = buckets if buckets is not None else BucketIndex()
        if options.index and os.path.exists(options.index):
            self._load(options.index)

    # --- public -------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> DedupResult:
        return self.add_many([(doc_id, text)])[0]

    def add_many(self, docs: Sequence[tuple[str, str]],
                 units: Sequence[_Units | None] | None = None) -> list[DedupResult]:
        """Documents in input order; the same results as adding them one by one.

        The bucket lookups and inserts of the whole batch are one compiled
        pass, in input order, so within the batch a document sees the passages
        of the ones before it, exactly as if they had been added one at a time.
        ``units`` may hold each text's :meth:`Signer.units`, computed elsewhere
        (a worker); None where they are not known."""
        if self.options.dedup == "drop":
            return [self._add_dropping(doc_id, text) for doc_id, text in docs]
        if not docs:
            return []
        given = units or [None] * len(docs)
        units = [u if u is not None and u.chars == len(text) else self.signer.units(text)
                 for (_, text), u in zip(docs, given)]
        counts = np.array([len(u.spans) for u in units], dtype=np.int64)
        keys = np.concatenate([u.keys for u in units]).ravel() if counts.sum() else np.zeros(0, dtype=np.uint64)
        pids = self.n_pass + np.arange(len(keys)) // self.bands
        first_of_doc = self.n_pass + np.concatenate(([0], np.cumsum(counts)[:-1]))
        floors = np.repeat(np.repeat(first_of_doc, counts), self.bands)
        hits = self.buckets.match_and_insert(keys, pids, floors)
        results, offset = [], 0
        for (doc_id, text), u, count in zip(docs, units, counts.tolist()):
            doc = len(self.doc_ids)
            self.doc_ids.append(doc_id)
            self.doc_lens.append(len(text))
            match = self._match(u, hits[offset * self.bands:(offset + count) * self.bands].reshape(count, self.bands))
            dups = self._align(u, match)
            results.append(DedupResult(text, tuple(d for d, _ in dups), self._near_duplicate(text, dups), ()))
            self._store(doc, u, match)
            offset += count
        self.sigs.settle()
        return results

    def _add_dropping(self, doc_id: str, text: str) -> DedupResult:
        doc = len(self.doc_ids)
        self.doc_ids.append(doc_id)
        self.doc_lens.append(len(text))
        units = self.signer.units(text)
        dups = self._align(units, self._match(units, self._lookup(units)))
        near = self._near_duplicate(text, dups)
        dropped: tuple[str, ...] = ()
        out_text = text
        # Dropping a span can leave a remainder that is itself a copy (the
        # attribution after a removed quote): match again until nothing is left.
        for _ in range(DROP_ROUNDS):
            if not dups:
                break
            out_text, more = _drop(out_text, [d for d, _ in dups])
            dropped += more
            units = self.signer.units(out_text)
            dups = self._align(units, self._match(units, self._lookup(units)))
        self.doc_lens[doc] = len(out_text)
        self._store(doc, units, _Match.none(len(units.spans)))
        self.buckets.insert(units.keys.ravel(), np.repeat(np.arange(self.n_pass - len(units.spans), self.n_pass),
                                                          self.bands))
        self.sigs.settle()
        return DedupResult(out_text, (), near, dropped)

    def _lookup(self, units: _Units) -> np.ndarray:
        return self.buckets.lookup(units.keys.ravel()).reshape(units.keys.shape)

    def close(self, save: bool = True) -> None:
        try:
            if save and self.options.index:
                self._save(self.options.index)
        finally:
            self.sigs.close()

    # --- steps ----------------------------------------------------------------------

    def _match(self, units: _Units, hits: np.ndarray) -> _Match:
        """Best verified earlier passage per passage: its cluster root and the
        estimated similarity. Every candidate the buckets propose (``hits``) is
        checked, and so is its cluster root: a heavily edited copy may be
        closest to an earlier copy rather than to the original.

        A candidate is reuse when the estimated Jaccard similarity reaches the
        threshold, or when the smaller passage is mostly contained in the other
        (a sentence trimmed to its first clause, or padded with a new one): the
        shared shingles, J(|A|+|B|)/(1+J), cover CONTAINMENT of the smaller one,
        and J is at least FLOOR x threshold, so that a short stock phrase
        ("the company said in a statement") inside a long sentence does not
        count. On the synthetic corpus of benchmarks/dedup.py containment
        recovers about a quarter of the heavily edited passages the threshold
        alone misses, at a passage precision still above 0.99."""
        match = _Match.none(len(units.spans))
        if not len(units.spans) or not (hits >= 0).any():
            return match
        # First pass: what the sketches cannot settle and memory does not hold
        # is listed; a second pass over the passages that needed it, with
        # those read from the file.
        missing = np.empty(2 * hits.size, dtype=np.int64)
        need = np.zeros(len(hits), dtype=np.bool_)
        n = _verify(hits, self.p_root, self.sigs.sketches, _NO_IDS, self._no_sigs, self.sigs.n_disk,
                    self.sigs.tail, self.p_size, units.sig, units.sketch, units.size, self.options.threshold, FLOOR,
                    CONTAINMENT, self.cut, match.root, match.sim, missing, need)
        if not n:
            return match
        g_ids = np.unique(missing[:n])
        g_sigs = self.sigs.gather(g_ids)
        rows = np.nonzero(need)[0]
        again = _Match.none(len(rows))
        n = _verify(hits[rows], self.p_root, self.sigs.sketches, g_ids, g_sigs, self.sigs.n_disk, self.sigs.tail,
                    self.p_size, units.sig[rows], units.sketch[rows], units.size[rows], self.options.threshold, FLOOR,
                    CONTAINMENT, self.cut, again.root, again.sim, missing, need[rows])
        if not n:
            match.root[rows], match.sim[rows] = again.root, again.sim
            return match
        raise AssertionError("signatures gathered for verification were not found")

    def _align(self, units: _Units, match: _Match) -> list[tuple[DuplicateSpan, int]]:
        """Matched passages -> spans (with the index of the earlier document);
        neighbours matched into the same earlier document, in the same order
        there, merge into one maximal span."""
        items = []
        for k in np.nonzero(match.root >= 0)[0].tolist():
            root = int(match.root[k])
            items.append([int(units.spans[k, 0]), int(units.spans[k, 1]), int(self.p_doc[root]),
                          int(self.p_start[root]), int(self.p_end[root]), float(match.sim[k]), root, 1])
        if not items:
            return []
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
        unmatched = units.spans[match.root < 0].tolist()
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
            out.append((DuplicateSpan(start=s, end=e, of=self.doc_ids[doc], of_start=of_s, of_end=of_e,
                                      similarity=round(sim_sum / count, 4), cluster=self._cluster_id(root)), doc))
        return out

    def _near_duplicate(self, text: str, dups: list[tuple[DuplicateSpan, int]]) -> str | None:
        """The earliest document whose shared spans cover ``doc_threshold`` of
        the shorter of the two: a truncated or extended copy still counts."""
        if not dups or not text:
            return None
        covered: dict[int, list[tuple[int, int]]] = {}
        for d, doc in dups:
            covered.setdefault(doc, []).append((d.start, d.end))
        for doc in sorted(covered):
            shorter = min(len(text.strip()), self.doc_lens[doc])
            if shorter and _union_length(covered[doc]) / shorter >= self.options.doc_threshold:
                return self.doc_ids[doc]
        return None

    def _cluster_id(self, root: int) -> str:
        key = f"{self.doc_ids[self.p_doc[root]]}\x00{self.p_start[root]}\x00{self.p_end[root]}"
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def _store(self, doc: int, units: _Units, match: _Match) -> None:
        n = len(units.spans)
        if not n:
            return
        first = self.n_pass
        if first + n > self._cap:
            self._grow(max(1024, (first + n) * 5 // 4))
        pids = np.arange(first, first + n)
        sl = slice(first, first + n)
        self.p_doc[sl] = doc
        self.p_start[sl] = units.spans[:, 0]
        self.p_end[sl] = units.spans[:, 1]
        self.p_root[sl] = np.where(match.root >= 0, match.root, pids)
        self.p_size[sl] = units.size
        self.sigs.append(units.sig, units.sketch)
        self.n_pass += n

    def _grow(self, cap: int) -> None:
        # realloc: large blocks move by remapping pages, so growing does not
        # hold the old and the new array at once; the new part is zero-filled
        # (resident), so callers grow by a quarter, not double
        for a in (self.p_doc, self.p_start, self.p_end, self.p_root, self.p_size):
            a.resize((cap,) + a.shape[1:], refcheck=False)
        self._cap = cap

    @property
    def nbytes(self) -> int:
        """Index memory: the per-passage arrays in use plus the bucket tables."""
        per = sum(a.itemsize * (a.shape[1] if a.ndim > 1 else 1)
                  for a in (self.p_doc, self.p_start, self.p_end, self.p_root, self.p_size))
        return per * self.n_pass + self.sigs.nbytes + self.buckets.nbytes

    @property
    def bytes_per_passage(self) -> float:
        return self.nbytes / max(1, self.n_pass)

    # --- persistence ---------------------------------------------------------------

    def _params(self) -> dict[str, float | int]:
        return index_params(self.options)

    def _save(self, path: str) -> None:
        n = self.n_pass
        ids = [d.encode("utf-8") for d in self.doc_ids]
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in ids], out=offsets[1:])
        header = {"format": INDEX_MAGIC, "version": FORMAT_VERSION, "params": self._params()}
        arrays = {"header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8),
                  "doc_ids": np.frombuffer(b"".join(ids), dtype=np.uint8), "doc_id_offsets": offsets,
                  "doc_lens": np.asarray(self.doc_lens, dtype=np.int64),
                  "p_doc": self.p_doc[:n], "p_start": self.p_start[:n], "p_end": self.p_end[:n],
                  "p_root": self.p_root[:n], "p_size": self.p_size[:n], "p_sig": self.sigs.all()[:n],
                  **self.buckets.arrays()}
        write_index(path, arrays)

    def _load(self, path: str) -> None:
        check_index(path, self.options)
        arrays = read_index(path)
        doc_ids, doc_lens, p = _index_body(path, arrays, self.num_perm)
        try:
            self.buckets.load_arrays(arrays, len(p["p_doc"]))
        except ValueError as exc:
            raise DedupIndexError(f"{path} is not a valid cleaner dedup index: {exc}") from exc
        self.doc_ids, self.doc_lens = doc_ids, doc_lens
        n = len(p["p_doc"])
        self._grow(max(1024, n))
        for name in ("p_doc", "p_start", "p_end", "p_root", "p_size"):
            getattr(self, name)[:n] = p[name]
        self.sigs.append(p["p_sig"], sketch(p["p_sig"]))
        self.n_pass = n


# --- the index file -------------------------------------------------------------------
#
# An index is shared between colleagues and shipped beside datasets, so opening
# one must never run anything: it is a zip of plain .npy arrays (numpy's npz,
# members stored, not compressed), read with allow_pickle=False, every array
# of a fixed dtype and checked for shape and range before use (the lookups
# index memory with these numbers). Strings are UTF-8 bytes plus offsets; the
# parameters and the format version are JSON in a uint8 array.

INDEX_MAGIC = "cleaner-dedup-index"
_INDEX_DTYPES = {
    "header": np.uint8, "doc_ids": np.uint8, "doc_id_offsets": np.int64, "doc_lens": np.int64,
    "p_doc": np.int32, "p_start": np.int32, "p_end": np.int32, "p_root": np.int32, "p_size": np.uint16,
    "p_sig": np.uint8, "bucket_dir_lens": np.int64, "bucket_lens": np.int64, "bucket_dir": np.int32,
    "bucket_rec": np.uint16,
}
"""Every member of an index file and its dtype: nothing else is read."""


def write_index(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (a temporary file beside it, then rename), so a failed
    save leaves the previous index whole."""
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.ascontiguousarray(v, dtype=_INDEX_DTYPES[k]) for k, v in arrays.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(path, exc, "the dedup index") from exc


def read_index(path: str, members: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an index file (``members``: only these), or
    DedupIndexError; never unpickles."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file ({exc})") from exc
    names = {i.filename for i in infos}
    expected = {f"{k}.npy" for k in _INDEX_DTYPES}
    if names != expected or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file of format "
                              f"{FORMAT_VERSION} (files from cleaner before format {FORMAT_VERSION}, which could "
                              f"carry code, are not loaded either: build the index again)")
    out = {}
    try:
        with np.load(path, allow_pickle=False) as data:
            for name, dtype in _INDEX_DTYPES.items():
                if members is not None and name not in members:
                    continue
                a = data[name]
                if a.dtype != np.dtype(dtype) or a.ndim != (2 if name == "p_sig" else 1):
                    raise ValueError(f"member {name} is {a.dtype}[{a.ndim}d], not {np.dtype(dtype)}")
                out[name] = a
    except (OSError, ValueError, EOFError) as exc:
        raise DedupIndexError(f"cannot read dedup index {path}: {exc}") from exc
    return out


def index_params(options: Options) -> dict[str, float | int]:
    """What an index must have been built with to be extended by a run with ``options``."""
    signer = signer_for(options)
    return {"normalisation": NORMALISATION_VERSION, "threshold": options.threshold, "shingle": options.shingle,
            "num_perm": options.num_perm, "bands": signer.bands, "rows": signer.rows,
            "min_passage_chars": options.min_passage_chars}


def check_index(path: str, options: Options) -> None:
    """Raise DedupIndexError unless ``path`` is an index of this format built
    with these options: its header alone, so that a run can refuse a wrong
    file before it writes anything (the body is checked when it is loaded)."""
    header = _index_header(path, read_index(path, ("header",)))
    mine = index_params(options)
    if header["params"] != mine:
        raise DedupIndexError(f"index {path} was built with other parameters: {header['params']}; this run "
                              f"uses {mine}. Use the same --threshold/--shingle/--num-perm/"
                              f"--min-passage-chars, or a new index file.")


def _index_header(path: str, arrays: dict[str, np.ndarray]) -> dict:
    try:
        header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DedupIndexError(f"cannot read dedup index {path}: its header is not JSON") from exc
    if not isinstance(header, dict) or header.get("format") != INDEX_MAGIC or not isinstance(header.get("params"),
                                                                                            dict):
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file")
    if header.get("version") != FORMAT_VERSION:
        raise DedupIndexError(f"dedup index {path} has format version {header.get('version')!r}; this cleaner "
                              f"reads version {FORMAT_VERSION}: build the index again")
    return header


def _index_body(path: str, a: dict[str, np.ndarray], num_perm: int):
    """Documents and passages of an index, checked so that no number in the file
    can point outside the arrays it indexes."""
    def bad(why: str) -> DedupIndexError:
        return DedupIndexError(f"{path} is not a valid cleaner dedup index: {why}")

    offsets, lens, blob = a["doc_id_offsets"], a["doc_lens"], a["doc_ids"].tobytes()
    n_docs = len(lens)
    if len(offsets) != n_docs + 1 or offsets[0] != 0 or offsets[-1] != len(blob) or np.any(np.diff(offsets) < 0):
        raise bad("document id offsets do not match the ids")
    try:
        doc_ids = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_docs)]
    except UnicodeDecodeError as exc:
        raise bad("a document id is not UTF-8") from exc
    p = {k: a[k] for k in ("p_doc", "p_start", "p_end", "p_root", "p_size", "p_sig")}
    n = len(p["p_doc"])
    if any(len(v) != n for v in p.values()) or p["p_sig"].shape[1:] != (num_perm,):
        raise bad("passage arrays differ in length or signature width")
    if n and (p["p_doc"].min() < 0 or p["p_doc"].max() >= n_docs or p["p_root"].min() < 0
              or p["p_root"].max() >= n or p["p_start"].min() < 0 or np.any(p["p_end"] < p["p_start"])):
        raise bad("a passage points outside the documents or passages")
    if np.any(lens < 0) or (n and np.any(p["p_end"] > lens[p["p_doc"]])):
        raise bad("a passage lies outside its document")
    return doc_ids, [int(x) for x in lens], p


_NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass
class _Units:
    """The passages of one document: offsets, SIG_BITS-bit signatures and their
    2-bit sketches, shingle counts (for containment) and LSH band keys."""

    spans: np.ndarray
    sig: np.ndarray
    sketch: np.ndarray
    size: np.ndarray
    keys: np.ndarray
    chars: int = -1
    """Length of the text they were computed for (a cheap check that they fit)."""

    @classmethod
    def empty(cls, d: Signer, chars: int = -1) -> _Units:
        return cls(np.zeros((0, 2), dtype=np.int64), np.zeros((0, d.num_perm), dtype=np.uint8),
                   np.zeros((0, (d.num_perm + 31) // 32), dtype=np.uint64), np.zeros(0, dtype=np.uint16),
                   np.zeros((0, d.bands), dtype=np.uint64), chars)


@dataclass
class _Match:
    root: np.ndarray
    sim: np.ndarray

    @classmethod
    def none(cls, m: int) -> _Match:
        return cls(np.full(m, -1, dtype=np.int64), np.zeros(m))


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
