"""The LSH bucket index: band key -> the first passage that filled the bucket.

Why a hash table of its own: an index of a million news articles holds about
twenty million passages and, at 31 bands each, several hundred million bucket
keys. A Python dict would take tens of GB; here a key costs about 6 bytes and
a lookup a cache miss or two.

Layout: SHARDS shards chosen by the top bits of the 64-bit key; in a shard the
key is represented by its low 32 bits (the fingerprint). Shard plus
fingerprint are 38 bits of the key: with hundreds of millions of keys a lookup
meets a foreign key with probability below 1e-3, which only proposes a
candidate that verification then rejects (or, on insert, leaves one band of one
passage unindexed).

Each shard has two parts:

* a small open-addressing table with linear probing for the keys added
  recently (a slot is one 64-bit word, fingerprint and passage id, so a probe
  is one cache miss; the home slot comes from the fingerprint, so the table
  can double without the rest of the key), and
* a frozen part holding everything older, packed: entries sorted by
  fingerprint, a directory of where each value of the top DIR_BITS bits
  starts, and per entry only the fingerprint's low 16 bits and the passage id
  (6 bytes, side by side in one uint16 array). A lookup reads the directory
  and scans a run of a few entries.

When a shard's table holds SPILL keys it is merged into the frozen part (one
linear pass; the directory makes it a per-run merge) and emptied. So the
open-addressing tables, which cost 8 / load bytes a key, never hold more than
SPILL keys a shard, and the bulk of the index costs 6 bytes a key; growing or
merging one shard never needs more than 1/SHARDS of the index in extra memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

SHARDS = 64
SHARD_BITS = 6
FIRST_BITS = 10
MAX_LOAD = 0.8
EMPTY = -1
SPILL = 209_715
"""Keys a shard's open-addressing table takes before it is merged into the
frozen part: 80% of 2**18 slots, so the 64 tables never exceed 128 MB; a run
under about 40,000 news articles never merges at all."""
DIR_BITS = 18
"""Directory size of a frozen shard: 2**18 int32 offsets (1 MB a shard); a
shard of five million keys then has runs of about 19 entries to scan."""
LOW_BITS = 16
_LOW_MASK = (1 << LOW_BITS) - 1


@numba.njit(cache=True, nogil=True)
def _frozen_find(fdir, frec, q) -> int:
    """Passage id of fingerprint ``q`` in a frozen part, EMPTY if absent."""
    if fdir.shape[0] == 0:
        return EMPTY
    d = q >> (32 - DIR_BITS)
    lo = q & _LOW_MASK
    for j in range(fdir[d], fdir[d + 1]):
        v = frec[3 * j]
        if v == lo:
            return np.int64(frec[3 * j + 1]) | (np.int64(frec[3 * j + 2]) << 16)
        if v > lo:
            break
    return EMPTY


@numba.njit(cache=True, nogil=True)
def _walk(slots, bits, fdir, frec, keys, values, floors, insert, out) -> int:
    """For each key in input order: the passage already in its bucket (in the
    table or the frozen part: never both), unless that passage belongs to the
    querying document itself (pid >= the key's floor), -1 if none; with
    ``insert``, an empty bucket gets the key's value. Processing keys in input
    order makes this the same as looking up and inserting one document at a
    time. Returns how many keys were added.

    A table slot is one 64-bit word, fingerprint above passage id + 1 (0 is
    empty), so a probe is one cache miss."""
    n = keys.shape[0]
    # The frozen part does not change during the call, so its lookups come
    # first, in a loop of independent iterations whose cache misses overlap.
    frozen = np.full(n, EMPTY, dtype=np.int64)
    if fdir.shape[0]:
        for i in range(n):
            frozen[i] = _frozen_find(fdir, frec, keys[i])
    mask = (1 << bits) - 1
    added = 0
    for i in range(n):
        q = np.uint64(keys[i])
        if frozen[i] != EMPTY:  # then it is not in the table
            p = frozen[i]
            out[i] = p if p < floors[i] else -1
            continue
        slot = (keys[i] >> (32 - bits)) & mask
        while True:
            w = slots[slot]
            if w == 0:
                if insert:
                    slots[slot] = (q << np.uint64(32)) | np.uint64(values[i] + 1)
                    added += 1
                out[i] = -1
                break
            if (w >> np.uint64(32)) == q:
                p = np.int64(w & np.uint64(0xFFFFFFFF)) - 1
                out[i] = p if p < floors[i] else -1
                break
            slot = (slot + 1) & mask
    return added


@numba.njit(cache=True, nogil=True)
def _counting_order(bins, n_bins):
    """Stable counting sort: the order of the items by bin, and where each
    bin starts in it."""
    start = np.zeros(n_bins + 1, dtype=np.int64)
    for i in range(bins.shape[0]):
        start[bins[i] + 1] += 1
    for d in range(n_bins):
        start[d + 1] += start[d]
    fill = start[:-1].copy()
    order = np.empty(bins.shape[0], dtype=np.int64)
    for i in range(bins.shape[0]):
        order[fill[bins[i]]] = i
        fill[bins[i]] += 1
    return order, start


@numba.njit(cache=True, nogil=True)
def _merge(fdir, frec, slots, out_dir, out_rec):
    """Frozen part plus the used slots of a table -> a new frozen part, written
    to ``out_*`` (sized by the caller). The new entries are counting-sorted
    by directory run, each short run insertion-sorted, and every run merged
    with the old one: linear in the shard's size. No fingerprint is in both
    inputs (a key found in the frozen part is never added to the table)."""
    nd = 1 << DIR_BITS
    n_new = 0
    for word in slots:
        if word != 0:
            n_new += 1
    fps = np.empty(n_new, dtype=np.int64)
    pids = np.empty(n_new, dtype=np.int64)
    k = 0
    for word in slots:
        if word != 0:
            fps[k] = np.int64(word >> np.uint64(32))
            pids[k] = np.int64(word & np.uint64(0xFFFFFFFF)) - 1
            k += 1
    order, start = _counting_order(fps >> (32 - DIR_BITS), nd)
    s_lo = fps[order] & _LOW_MASK
    s_pid = pids[order]
    for d in range(nd):
        a, b = start[d], start[d + 1]
        for j in range(a + 1, b):
            x, y = s_lo[j], s_pid[j]
            k = j - 1
            while k >= a and s_lo[k] > x:
                s_lo[k + 1] = s_lo[k]
                s_pid[k + 1] = s_pid[k]
                k -= 1
            s_lo[k + 1] = x
            s_pid[k + 1] = y
    n_old = frec.shape[0] // 3
    w = 0
    for d in range(nd):
        out_dir[d] = w
        i, ie = 0, 0
        if n_old:
            i, ie = fdir[d], fdir[d + 1]
        j, je = start[d], start[d + 1]
        while i < ie or j < je:
            if j >= je or (i < ie and frec[3 * i] < s_lo[j]):
                out_rec[3 * w] = frec[3 * i]
                out_rec[3 * w + 1] = frec[3 * i + 1]
                out_rec[3 * w + 2] = frec[3 * i + 2]
                i += 1
            else:
                out_rec[3 * w] = s_lo[j]
                out_rec[3 * w + 1] = s_pid[j] & 0xFFFF
                out_rec[3 * w + 2] = s_pid[j] >> 16
                j += 1
            w += 1
    out_dir[nd] = w


_NO_FLOOR = np.iinfo(np.int32).max
_NONE_DIR = np.zeros(0, dtype=np.int32)
_NONE_REC = np.zeros(0, dtype=np.uint16)


@numba.njit(cache=True, nogil=True)
def _group(keys, shard_bits):
    """Keys sorted by shard (stable): order, shard bounds, fingerprints."""
    order, bounds = _counting_order((keys >> np.uint64(64 - shard_bits)).astype(np.int64), 1 << shard_bits)
    fps = (keys[order] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return order, bounds, fps


class ShardTables:
    """Some of the SHARDS shards, kept together in one process (all of them for
    a local index; a share of them on each worker of a cluster). Every method
    takes and returns per-shard lists, so one call serves a whole batch."""

    def __init__(self, shards: Sequence[int], spill: int = SPILL) -> None:
        self.spill = spill
        self.bits = {s: FIRST_BITS for s in shards}
        self.slots = {s: np.zeros(1 << FIRST_BITS, dtype=np.uint64) for s in shards}
        self.counts = {s: 0 for s in shards}
        self.frozen = {s: (_NONE_DIR, _NONE_REC) for s in shards}

    def nbytes(self) -> int:
        return sum(self.slots[s].nbytes + sum(a.nbytes for a in self.frozen[s]) for s in self.slots)

    def keys(self) -> int:
        """Keys held (table and frozen part)."""
        return sum(self.counts[s] + len(self.frozen[s][1]) // 3 for s in self.slots)

    def _walk(self, s: int, fps: np.ndarray, values: np.ndarray, floors: np.ndarray, insert: bool) -> np.ndarray:
        found = np.empty(len(fps), dtype=np.int64)
        self.counts[s] += _walk(self.slots[s], self.bits[s], *self.frozen[s], fps, values, floors, insert, found)
        return found

    def probe_put(self, parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        out = []
        for s, fps, values, floors in parts:
            self._reserve(s, len(fps))
            out.append(self._walk(s, fps, values, floors, True))
        return out

    def probe(self, parts: list[tuple[int, np.ndarray]]) -> list[np.ndarray]:
        return [self._walk(s, fps, np.zeros(0, dtype=np.int32), np.full(len(fps), _NO_FLOOR, dtype=np.int32), False)
                for s, fps in parts]

    def put(self, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        for s, fps, values in parts:
            self._reserve(s, len(fps))
            self._walk(s, fps, values, np.full(len(fps), _NO_FLOOR, dtype=np.int32), True)

    def dump(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per shard its frozen part, the table merged in first."""
        for s in self.slots:
            self._freeze(s)
        return [(s, *self.frozen[s]) for s in sorted(self.slots)]

    def load(self, tables: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        for s, fdir, frec in tables:
            self.bits[s] = FIRST_BITS
            self.slots[s] = np.zeros(1 << FIRST_BITS, dtype=np.uint64)
            self.counts[s] = 0
            self.frozen[s] = (fdir.astype(np.int32), frec.astype(np.uint16)) if len(frec) else (_NONE_DIR, _NONE_REC)

    def _reserve(self, s: int, n: int) -> None:
        if self.counts[s] and self.counts[s] + n > self.spill:
            self._freeze(s)
        while (self.counts[s] + n) > MAX_LOAD * (1 << self.bits[s]):
            self._grow(s)

    def _freeze(self, s: int) -> None:
        """Merge the shard's table into its frozen part and empty it."""
        if not self.counts[s]:
            return
        n = len(self.frozen[s][1]) // 3 + self.counts[s]
        out = (np.empty((1 << DIR_BITS) + 1, dtype=np.int32), np.empty(3 * n, dtype=np.uint16))
        _merge(*self.frozen[s], self.slots[s], *out)
        self.frozen[s] = out
        self.slots[s].fill(0)
        self.counts[s] = 0

    def _grow(self, s: int) -> None:
        old = self.slots[s]
        used = old[old != 0]
        bits = self.bits[s] + 1
        self.slots[s] = np.zeros(1 << bits, dtype=np.uint64)
        self.bits[s] = bits
        # The layout after growing may differ from one built in another order,
        # but every key keeps its passage, so lookups answer the same.
        fps = (used >> np.uint64(32)).astype(np.uint32)
        values = ((used & np.uint64(0xFFFFFFFF)).astype(np.int64) - 1).astype(np.int32)
        _walk(self.slots[s], bits, _NONE_DIR, _NONE_REC, fps, values,
              np.full(len(values), _NO_FLOOR, dtype=np.int32), True, np.empty(len(values), dtype=np.int64))


class BucketIndex:
    """uint64 bucket key -> first passage id (first writer wins).

    The shards may live in other processes: ``hosts`` are ShardTables here or
    handles to them elsewhere (Dask actors on the workers of a cluster, see
    executors.py), each holding the shards s with s % len(hosts) == its
    position. The caller sees the same index either way; a batch costs one
    call per host, all hosts working at once."""

    def __init__(self, hosts: Sequence[Any] | None = None) -> None:
        self.hosts = list(hosts) if hosts else [ShardTables(range(SHARDS))]
        self.remote = hosts is not None and not isinstance(self.hosts[0], ShardTables)

    def _host_of(self, s: int) -> int:
        return s % len(self.hosts)

    def _call(self, method: str, parts: list[tuple]) -> list:
        """``method`` on every host with its shards' parts; results in the order
        of ``parts``."""
        per_host: dict[int, list[int]] = {}
        for i, part in enumerate(parts):
            per_host.setdefault(self._host_of(part[0]), []).append(i)
        calls = {h: getattr(self.hosts[h], method)([parts[i] for i in idx]) for h, idx in per_host.items()}
        out: list = [None] * len(parts)
        for h, idx in per_host.items():
            res = calls[h].result() if self.remote else calls[h]
            for i, r in zip(idx, res or [None] * len(idx)):
                out[i] = r
        return out

    @property
    def nbytes(self) -> int:
        res = [h.nbytes() for h in self.hosts]
        return sum(r.result() for r in res) if self.remote else sum(res)

    @staticmethod
    def _split(keys: np.ndarray):
        """Keys grouped by shard (stable), with their fingerprints."""
        return _group(np.ascontiguousarray(keys, dtype=np.uint64), SHARD_BITS)

    @staticmethod
    def _shards(bounds: np.ndarray) -> list[tuple[int, int, int]]:
        return [(s, int(bounds[s]), int(bounds[s + 1])) for s in np.nonzero(np.diff(bounds))[0].tolist()]

    def match_and_insert(self, keys: np.ndarray, pids: np.ndarray, floors: np.ndarray) -> np.ndarray:
        """For keys in input order (``pids`` non-decreasing): the earlier passage
        in each key's bucket, -1 if none; ``floors[i]`` is the first passage of
        key i's own document, whose passages do not count. Empty buckets get
        their key's passage."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if not len(keys):
            return out
        order, bounds, fps = self._split(keys)
        values = pids[order].astype(np.int32)
        below = floors[order].astype(np.int32)
        shards = self._shards(bounds)
        found = self._call("probe_put", [(s, fps[lo:hi], values[lo:hi], below[lo:hi]) for s, lo, hi in shards])
        out[order] = np.concatenate(found)
        return out

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Passage id per key, -1 where the bucket is empty."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if not len(keys):
            return out
        order, bounds, fps = self._split(keys)
        found = self._call("probe", [(s, fps[lo:hi]) for s, lo, hi in self._shards(bounds)])
        out[order] = np.concatenate(found)
        return out

    def insert(self, keys: np.ndarray, pids: np.ndarray) -> None:
        """Add ``keys[i] -> pids[i]``; a key already present keeps its passage,
        and within ``keys`` the first occurrence wins."""
        if not len(keys):
            return
        order, bounds, fps = self._split(keys)
        values = pids[order].astype(np.int32)
        self._call("put", [(s, fps[lo:hi], values[lo:hi]) for s, lo, hi in self._shards(bounds)])

    # --- persistence -------------------------------------------------------------

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every key as (shard, fingerprint, passage): entries per shard, then
        the fingerprints and passages of all shards in shard order, each shard
        sorted by fingerprint. What a saved index keeps: 8 bytes a key, no
        tables (the tables are rebuilt when it is loaded)."""
        dumps = [h.dump() for h in self.hosts]
        tables = sorted((t for d in dumps for t in (d.result() if self.remote else d)), key=lambda t: t[0])
        counts = np.zeros(SHARDS, dtype=np.int64)
        fps, pids = [], []
        for s, fdir, frec in tables:
            f, p = _unfreeze(fdir, frec)
            counts[s] = len(f)
            fps.append(f)
            pids.append(p)
        return (counts, np.concatenate(fps) if fps else np.zeros(0, np.uint32),
                np.concatenate(pids) if pids else np.zeros(0, np.int32))

    def load_entries(self, counts: np.ndarray, fps: np.ndarray, pids: np.ndarray) -> None:
        """Replace the contents with saved entries (``entries()``); each shard's
        fingerprints must be sorted and unique."""
        if len(counts) != SHARDS or int(counts.sum()) != len(fps) or len(pids) != len(fps):
            raise ValueError("bucket entries do not match their counts")
        ends = np.cumsum(counts)
        per_host: dict[int, list] = {}
        for s in range(SHARDS):
            f, p = fps[ends[s] - counts[s]:ends[s]], pids[ends[s] - counts[s]:ends[s]]
            if len(f) > 1 and np.any(np.diff(f.astype(np.int64)) <= 0):
                raise ValueError("bucket fingerprints are not sorted")
            per_host.setdefault(self._host_of(s), []).append((s, *_freeze_entries(f, p)))
        calls = [self.hosts[h].load(tables) for h, tables in per_host.items()]
        if self.remote:
            for c in calls:
                c.result()


def _unfreeze(fdir: np.ndarray, frec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A frozen part's entries as (fingerprint, passage), in fingerprint order:
    the directory gives a fingerprint's top DIR_BITS bits, the entry its low
    LOW_BITS (they overlap by two bits)."""
    if not len(frec):
        return np.zeros(0, np.uint32), np.zeros(0, np.int32)
    top = np.repeat(np.arange(len(fdir) - 1, dtype=np.uint32), np.diff(fdir))
    low = frec[0::3].astype(np.uint32)
    fps = (top << np.uint32(32 - DIR_BITS)) | low
    pids = (frec[1::3].astype(np.int64) | (frec[2::3].astype(np.int64) << 16)).astype(np.int32)
    return fps, pids


def _freeze_entries(fps: np.ndarray, pids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fingerprint, passage) entries, sorted, as a frozen part."""
    if not len(fps):
        return _NONE_DIR, _NONE_REC
    fdir = np.searchsorted(fps >> np.uint32(32 - DIR_BITS), np.arange((1 << DIR_BITS) + 1, dtype=np.uint32))
    rec = np.empty(3 * len(fps), dtype=np.uint16)
    rec[0::3] = (fps & np.uint32(_LOW_MASK)).astype(np.uint16)
    p = pids.astype(np.int64)
    rec[1::3] = (p & 0xFFFF).astype(np.uint16)
    rec[2::3] = (p >> 16).astype(np.uint16)
    return fdir.astype(np.int32), rec
