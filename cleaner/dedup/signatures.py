"""MinHash signatures of passages, their LSH band keys, and the signature store.

How it stays fast: a document is normalised and shingled in one vectorised
pass (code points as a numpy array, rolling polynomial hash of the n-grams);
the ``num_perm`` hash functions (multiply-add on 32 bits) and the minima of all
passages are one compiled loop (numba), which never materialises the
(shingles x permutations) matrix. No per-passage Python objects, no
per-shingle calls.
"""

from __future__ import annotations

import ctypes
import functools
import os
import tempfile
from dataclasses import dataclass

import numba
import numpy as np

from ..errors import DedupIndexError
from ..options import Options
from .units import MAX_CHARS, MAX_PASSAGES, normalise, passages

SIG_BITS = 8
"""Bits kept of each MinHash value for verification: 128 bytes per passage with
the defaults; the chance agreement of 1/256 is corrected in ``estimate``."""
FLOOR = 0.8
"""A passage contained in another counts as reuse down to this fraction of the
threshold (see ``Deduper._match``)."""
_SEED = 0x5EED_C1EA

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

