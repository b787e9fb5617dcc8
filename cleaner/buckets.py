"""The LSH bucket index: band key -> the first passage that filled the bucket.

Why a hash table of its own: an index of 100,000 news articles holds about
two million passages and, at 35 bands each, seventy million bucket keys. A
Python dict would take 7 GB; sorted numpy arrays fit, but a lookup is then a
binary search (a dozen cache misses) in each of several levels, and merging
levels briefly doubles the largest. Here a lookup is one or two cache misses.

Layout: SHARDS open-addressing tables with linear probing, chosen by the top
bits of the 64-bit key. A slot stores 32 bits of the key (the fingerprint) and
the passage id, 8 bytes; the home slot is derived from the fingerprint, so a
shard can double without the rest of the key. Shard plus fingerprint are 38 bits
of the key: with 70 million keys a lookup meets a foreign key with probability
below 3e-4, which only proposes a candidate that verification then rejects (or,
on insert, leaves one band of one passage unindexed). Tables double at a load
of MAX_LOAD, so a key costs 8 / 0.6 = ~13 bytes on average, and growing one
shard never needs more than 1/SHARDS of the index in extra memory.
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


@numba.njit(cache=True, nogil=True)
def _walk(fps, pids, bits, keys, values, floors, insert, out) -> int:
    """For each key in input order: the passage already in its bucket, unless
    that passage belongs to the querying document itself (pid >= the key's
    floor), -1 if none; with ``insert``, an empty bucket gets the key's value.
    Processing keys in input order makes this the same as looking up and
    inserting one document at a time. Returns how many keys were added."""
    mask = (1 << bits) - 1
    added = 0
    for i in range(keys.shape[0]):
        q = keys[i]
        slot = (q >> (32 - bits)) & mask
        while True:
            p = pids[slot]
            if p == EMPTY:
                if insert:
                    fps[slot] = q
                    pids[slot] = values[i]
                    added += 1
                out[i] = -1
                break
            if fps[slot] == q:
                out[i] = p if p < floors[i] else -1
                break
            slot = (slot + 1) & mask
    return added


_NO_FLOOR = np.iinfo(np.int32).max


def _put(fps: np.ndarray, pids: np.ndarray, bits: int, keys: np.ndarray, values: np.ndarray) -> int:
    """Insert keys that are not in the table yet (first one wins within ``keys``)."""
    n = len(keys)
    return _walk(fps, pids, bits, keys, values, np.full(n, _NO_FLOOR, dtype=np.int32), True,
                 np.empty(n, dtype=np.int64))


@numba.njit(cache=True, nogil=True)
def _group(keys, shard_bits):
    """Stable counting sort of keys by shard: order, shard bounds, fingerprints."""
    n = keys.shape[0]
    shards = 1 << shard_bits
    bounds = np.zeros(shards + 1, dtype=np.int64)
    shard = np.empty(n, dtype=np.int64)
    for i in range(n):
        shard[i] = keys[i] >> (64 - shard_bits)
        bounds[shard[i] + 1] += 1
    for s in range(shards):
        bounds[s + 1] += bounds[s]
    fill = bounds[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    fps = np.empty(n, dtype=np.uint32)
    for i in range(n):
        j = fill[shard[i]]
        order[j] = i
        fps[j] = keys[i] & 0xFFFFFFFF
        fill[shard[i]] += 1
    return order, bounds, fps


class ShardTables:
    """Some of the SHARDS tables, kept together in one process (all of them for a
    local index; a share of them on each worker of a cluster). Every method
    takes and returns per-shard lists, so one call serves a whole batch."""

    def __init__(self, shards: Sequence[int]) -> None:
        self.bits = {s: FIRST_BITS for s in shards}
        self.fps = {s: np.zeros(1 << FIRST_BITS, dtype=np.uint32) for s in shards}
        self.pids = {s: np.full(1 << FIRST_BITS, EMPTY, dtype=np.int32) for s in shards}
        self.counts = {s: 0 for s in shards}

    def nbytes(self) -> int:
        return sum(self.fps[s].nbytes + self.pids[s].nbytes for s in self.fps)

    def probe_put(self, parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        out = []
        for s, fps, values, floors in parts:
            self._reserve(s, len(fps))
            found = np.empty(len(fps), dtype=np.int64)
            self.counts[s] += _walk(self.fps[s], self.pids[s], self.bits[s], fps, values, floors, True, found)
            out.append(found)
        return out

    def probe(self, parts: list[tuple[int, np.ndarray]]) -> list[np.ndarray]:
        out = []
        for s, fps in parts:
            found = np.empty(len(fps), dtype=np.int64)
            _walk(self.fps[s], self.pids[s], self.bits[s], fps, np.zeros(0, dtype=np.int32),
                  np.full(len(fps), _NO_FLOOR, dtype=np.int32), False, found)
            out.append(found)
        return out

    def put(self, parts: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        for s, fps, values in parts:
            self._reserve(s, len(fps))
            self.counts[s] += _put(self.fps[s], self.pids[s], self.bits[s], fps, values)

    def dump(self) -> list[tuple[int, int, int, np.ndarray, np.ndarray]]:
        return [(s, self.bits[s], self.counts[s], self.fps[s], self.pids[s]) for s in sorted(self.fps)]

    def load(self, tables: list[tuple[int, int, int, np.ndarray, np.ndarray]]) -> None:
        for s, bits, count, fps, pids in tables:
            self.bits[s], self.counts[s], self.fps[s], self.pids[s] = bits, count, fps.copy(), pids.copy()

    def _reserve(self, s: int, n: int) -> None:
        while (self.counts[s] + n) > MAX_LOAD * (1 << self.bits[s]):
            self._grow(s)

    def _grow(self, s: int) -> None:
        old_fps, old_pids = self.fps[s], self.pids[s]
        used = old_pids != EMPTY
        bits = self.bits[s] + 1
        self.fps[s] = np.zeros(1 << bits, dtype=np.uint32)
        self.pids[s] = np.full(1 << bits, EMPTY, dtype=np.int32)
        self.bits[s] = bits
        # The layout after growing may differ from one built in another order,
        # but every key keeps its passage, so lookups answer the same.
        _put(self.fps[s], self.pids[s], bits, old_fps[used], old_pids[used])


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

    def arrays(self) -> dict[str, np.ndarray]:
        dumps = [h.dump() for h in self.hosts]
        tables = sorted(t for d in dumps for t in (d.result() if self.remote else d))
        return {"bucket_bits": np.array([t[1] for t in tables], dtype=np.int64),
                "bucket_counts": np.array([t[2] for t in tables], dtype=np.int64),
                "bucket_fps": np.concatenate([t[3] for t in tables]),
                "bucket_pids": np.concatenate([t[4] for t in tables])}

    def load_arrays(self, data) -> None:
        """Replace the contents with a saved index's (``arrays()`` output)."""
        bits = [int(b) for b in data["bucket_bits"]]
        if len(bits) != SHARDS:
            raise ValueError("bucket index has another shard count")
        ends = np.cumsum([1 << b for b in bits])
        starts = ends - [1 << b for b in bits]
        fps, pids = data["bucket_fps"], data["bucket_pids"]
        counts = [int(c) for c in data["bucket_counts"]]
        per_host: dict[int, list] = {}
        for s in range(SHARDS):
            per_host.setdefault(self._host_of(s), []).append(
                (s, bits[s], counts[s], fps[starts[s]:ends[s]], pids[starts[s]:ends[s]]))
        calls = [self.hosts[h].load(tables) for h, tables in per_host.items()]
        if self.remote:
            for c in calls:
                c.result()
