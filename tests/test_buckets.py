"""The bucket index against a dictionary: first writer wins, a document's own
passages do not count, and merging tables into the packed frozen part (forced
here with a tiny spill size) changes no answer."""

from __future__ import annotations

import numpy as np
import pytest

from cleaner.dedup.buckets import SHARDS, BucketIndex, ShardTables


def _batches(seed: int, sizes=(300, 2000, 5000, 800)):
    rng = np.random.default_rng(seed)
    seen = np.zeros(0, dtype=np.uint64)
    pid = 0
    for n in sizes:
        keys = rng.integers(0, 2**64, n, dtype=np.uint64)
        if len(seen):  # a third of the keys were seen in earlier batches
            k = n // 3
            keys[:k] = rng.choice(seen, k)
        keys[n - n // 5:] = keys[: n // 5]  # and some repeat inside the batch
        pids = pid + np.arange(n) // 7
        floors = pids - pids % 21  # documents of three passages of seven bands
        yield keys, pids, floors
        seen = np.concatenate([seen, keys])
        pid = int(pids[-1]) + 1


def _model(batches):
    table: dict[int, int] = {}
    out = []
    for keys, pids, floors in batches:
        got = []
        for k, p, f in zip(keys.tolist(), pids.tolist(), floors.tolist()):
            if k in table:
                got.append(table[k] if table[k] < f else -1)
            else:
                table[k] = p
                got.append(-1)
        out.append(np.array(got))
    return out, table


@pytest.mark.parametrize("spill", [40, 1000, 10**9])
def test_match_and_insert_is_first_writer_wins_with_any_spill(spill):
    batches = list(_batches(1))
    want, table = _model(batches)
    index = BucketIndex([ShardTables(range(SHARDS), spill=spill)])
    for b, w in zip(batches, want):
        assert np.array_equal(index.match_and_insert(*b), w)
    keys = np.array(list(table), dtype=np.uint64)
    assert np.array_equal(index.lookup(keys), np.array(list(table.values())))
    fresh = np.random.default_rng(9).integers(0, 2**64, 1000, dtype=np.uint64)
    assert (index.lookup(fresh) == -1).all()
    assert index.hosts[0].keys() == len(table)


def test_frozen_keys_cost_less_than_table_keys():
    batches = list(_batches(2, sizes=(20000,) * 5))
    tables = BucketIndex([ShardTables(range(SHARDS), spill=10**9)])
    packed = BucketIndex([ShardTables(range(SHARDS), spill=500)])
    for b in batches:
        tables.match_and_insert(*b)
        packed.match_and_insert(*b)
    n = tables.hosts[0].keys()
    assert n == packed.hosts[0].keys()
    assert tables.nbytes / n > 9
    # 6 bytes a key plus the directories (1 MB a shard, paid once)
    assert packed.nbytes - packed.hosts[0].keys() * 6 < SHARDS * (2**18 + 1) * 4 + SHARDS * 2**13 * 8


def test_saved_entries_load_into_an_index_that_answers_the_same():
    batches = list(_batches(3))
    index = BucketIndex([ShardTables(range(SHARDS), spill=100)])
    for b in batches[:2]:
        index.match_and_insert(*b)
    copy = BucketIndex()
    copy.load_entries(*index.entries())
    for b in batches[2:]:
        assert np.array_equal(copy.match_and_insert(*b), index.match_and_insert(*b))


def test_inserts_without_a_lookup_keep_the_first_passage():
    index = BucketIndex([ShardTables(range(SHARDS), spill=3)])
    keys = np.random.default_rng(4).integers(0, 2**64, 50, dtype=np.uint64)
    index.insert(keys, np.arange(50))
    index.insert(keys[::-1].copy(), np.arange(100, 150))
    assert np.array_equal(index.lookup(keys), np.arange(50))
