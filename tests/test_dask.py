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
