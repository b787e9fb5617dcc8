"""Speed machinery for the signature store: a cache of rows read from its file.

Why: the signatures of older passages live in a temporary file
(``index.Signatures``) and are read back one ``pread`` per passage when a
candidate's 2-bit sketch cannot settle it. Those reads are not spread evenly:
on the synthetic corpus of ``benchmarks/scale.py`` (100,000 text dumps) the
main process read 9.2 million signatures, 92 a document, of only 0.94 million
distinct passages, and nine reads in ten were of passages read at least four
times (the first copy of a wire story, a paragraph every listing repeats).
Keeping what was read answers most of them from memory.

The cache is direct-mapped on the passage id (slot = id mod size): no
bookkeeping per hit, and as ids are given in input order, passages read close
together in time never evict each other unless they are ``size`` passages
apart. ``signatures.candidates`` looks here before listing a signature to
read; what a document had to read is put here once its candidates are
settled. It changes where the bytes come from, never which bytes: a slot only
ever holds what the file holds for its id (``tests/test_dedup.py`` checks
results with a cache that evicts on almost every read, with the default one
and with none).
"""

from __future__ import annotations

import numba
import numpy as np

ROWS = 1 << 19
"""Rows the cache holds: 64 MB at 128-byte signatures (the default num_perm),
under 3% of the 2,319 MB a million-document index keeps, and allocated only when the
file is first read (a run small enough to keep every signature in memory never
creates it; untouched pages of the zeroed array are not resident)."""


@numba.njit(cache=True, nogil=True)
def _slot(slot_ids, i) -> int:  # pragma: no cover - compiled
    """Where id ``i`` goes: its low bits (the size is a power of 2)."""
    return i & (slot_ids.shape[0] - 1)


@numba.njit(cache=True, nogil=True)
def cached_slot(slot_ids, i) -> int:  # pragma: no cover - compiled
    """The slot holding id ``i``, -1 if it is not held (or there is no cache:
    ``slot_ids`` empty)."""
    if slot_ids.shape[0] == 0:
        return -1
    s = _slot(slot_ids, i)
    return s if slot_ids[s] == i else -1


@numba.njit(cache=True, nogil=True)
def _fill(ids, got, slot_ids, rows) -> None:  # pragma: no cover - compiled
    for i in range(ids.shape[0]):
        s = _slot(slot_ids, ids[i])
        slot_ids[s] = ids[i]
        rows[s, :] = got[i]


_NO_IDS = np.zeros(0, dtype=np.int64)


class RowCache:
    """Fixed-width rows by integer id, direct-mapped (``size`` a power of 2)."""

    def __init__(self, width: int, size: int = ROWS) -> None:
        if size & (size - 1):
            raise ValueError("the cache size must be a power of 2")
        self.width, self.size = width, size
        self._ids: np.ndarray | None = None
        self._rows: np.ndarray | None = None

    def slots(self) -> tuple[np.ndarray, np.ndarray]:
        """The id held by each slot (-1: none) and the rows, for compiled
        readers (``cached_slot``); both empty before the first ``put``."""
        if self._ids is None:
            return _NO_IDS, np.zeros((0, self.width), dtype=np.uint8)
        return self._ids, self._rows

    def put(self, ids: np.ndarray, rows: np.ndarray) -> None:
        """Keep ``rows[i]`` as the row of ``ids[i]`` (what the file holds),
        evicting what held its slot."""
        if not len(ids):
            return
        if self._ids is None:
            self._ids = np.full(self.size, -1, dtype=np.int64)
            self._rows = np.zeros((self.size, self.width), dtype=np.uint8)
        _fill(np.asarray(ids, dtype=np.int64), rows, self._ids, self._rows)
