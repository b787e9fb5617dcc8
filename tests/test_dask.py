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
