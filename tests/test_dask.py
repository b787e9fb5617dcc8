"""The Dask engine (a 2-worker LocalCluster) writes exactly what the local engine writes."""

from __future__ import annotations

import pytest

import cleaner
from cleaner.write import dumps

from .test_parallel import _write_corpus

pytest.importorskip("dask.distributed")


def _bytes(path, **kw):
    opts = cleaner.Options(dedup="off", **kw)
    return b"".join(dumps(r.to_dict()) for r in cleaner.clean([str(path)], opts))


def test_dask_local_cluster_matches_local_engine(tmp_path):
    path = tmp_path / "in.jsonl"
    _write_corpus(path)
    local = _bytes(path, workers=1)
    assert _bytes(path, workers=2, engine="dask") == local


def test_dask_unreachable_scheduler_is_a_clear_error(tmp_path):
    path = tmp_path / "in.jsonl"
    _write_corpus(path, n=3)
    with pytest.raises(cleaner.OptionsError, match="cannot reach the Dask scheduler"):
        list(cleaner.clean([str(path)], cleaner.Options(engine="dask", scheduler="tcp://127.0.0.1:9", workers=1, dedup="off")))


def test_dask_per_document_time_limit(tmp_path):
    """Dask runs tasks in worker threads, where SIGALRM cannot be used: the time
    limit must hold there too, and the rest of the batch must still come out."""
    import orjson

    slow = "\n".join(f"Line {i} of an endless page, with a few words in it." for i in range(200_000))
    path = tmp_path / "in.jsonl"
    with open(path, "wb") as f:
        for i, text in enumerate(["A short page about the harbour. It has two sentences.", slow,
                                  "Another short page about the ferry. It also has two sentences."]):
            f.write(orjson.dumps({"id": f"d{i}", "text": text}) + b"\n")
    rejects = []
    opts = cleaner.Options(dedup="off", workers=2, engine="dask", doc_timeout=0.5)
    records = list(cleaner.clean([str(path)], opts, on_reject=rejects.append))
    assert [r.id for r in records] == ["d0", "d2"]
    assert [(r.id, r.reason) for r in rejects] == [("d1", "timeout")]


WORDS = ("harbour ferry council minister statement port cargo strike union wages talks vote city river bridge "
         "budget tax court ruling police report winter storm power grid airline flight delay market shares").split()


def _write_syndicated(path, n, seed=5, prefix="s"):
    """Text records of which about half reprint (with small edits) sentences of
    a few wire stories, so dedup has clusters to find."""
    import random

    import orjson

    rng = random.Random(seed)

    def sentence() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 16))).capitalize() + "."

    wires = [[sentence() for _ in range(6)] for _ in range(5)]
    with open(path, "wb") as f:
        for i in range(n):
            own = [sentence() for _ in range(rng.randint(3, 7))]
            if rng.random() < 0.5:
                wire = rng.choice(wires)
                k = rng.randint(0, 3)
                taken = [s.replace(rng.choice(WORDS), rng.choice(WORDS), 1) for s in wire[k:k + 3]]
                own[1:1] = taken
            f.write(orjson.dumps({"id": f"{prefix}{i}", "url": f"https://o{i % 7}.example/{i}",
                                 "text": "\n".join(own)}) + b"\n")


def _dedup_bytes(paths, **kw):
    opts = cleaner.Options(**kw)
    return b"".join(dumps(r.to_dict()) for r in cleaner.clean([str(p) for p in paths], opts))


def test_dask_dedup_with_buckets_on_the_workers_matches_local_engine(tmp_path):
    """With the bucket tables spread over the cluster's workers, every
    duplicate span and cluster id is still the local engine's."""
    path = tmp_path / "in.jsonl"
    _write_syndicated(path, 300)
    local = _dedup_bytes([path], workers=1)
    assert local.count(b'"cluster"') > 100  # there is reuse to find
    assert _dedup_bytes([path], workers=2, engine="dask") == local


def test_dask_index_round_trip_matches_local_engine(tmp_path):
    """An index saved from the workers' shards loads into a local run (and the
    other way round) with the same results."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_syndicated(a, 120, seed=1, prefix="a")
    _write_syndicated(b, 120, seed=1, prefix="b")
    local_index, dask_index = tmp_path / "local.idx", tmp_path / "dask.idx"
    _dedup_bytes([a], workers=1, index=str(local_index))
    _dedup_bytes([a], workers=2, engine="dask", index=str(dask_index))
    assert local_index.read_bytes() == dask_index.read_bytes()
    expected = _dedup_bytes([b], workers=1, index=str(local_index))
    assert b'"of":"a' in expected  # today's batch links to yesterday's
    assert _dedup_bytes([b], workers=2, engine="dask", index=str(dask_index)) == expected


def test_bucket_shards_live_on_the_workers_and_answer_as_a_local_index():
    """The Dask engine's bucket index is really spread over the workers (one
    actor each), and answers lookups and inserts exactly as a local one."""
    import numpy as np

    from cleaner.dedup.buckets import BucketIndex
    from cleaner.executors import executor_for

    rng = np.random.default_rng(3)
    batches = []
    pid = 0
    for n in (500, 2000, 5000):
        keys = rng.integers(0, 2**63, n, dtype=np.uint64)
        keys[n // 2:] = keys[: n - n // 2]  # repeated keys: first writer wins
        pids = pid + np.arange(n) // 7
        batches.append((keys, pids, pids - pids % 21))
        pid = int(pids[-1]) + 1
    local = BucketIndex()
    want = [local.match_and_insert(*b) for b in batches]
    from cleaner.dedup import Deduper

    with executor_for(cleaner.Options(engine="dask", workers=2)) as ex:
        remote = Deduper.on(ex, cleaner.Options(engine="dask", workers=2)).index.buckets
        assert remote.remote and len(remote.hosts) == 2
        got = [remote.match_and_insert(*b) for b in batches]
        probe = rng.integers(0, 2**63, 1000, dtype=np.uint64)
        probe[:500] = batches[-1][0][:500]
        assert np.array_equal(remote.lookup(probe), local.lookup(probe))
        assert remote.nbytes == local.nbytes
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
