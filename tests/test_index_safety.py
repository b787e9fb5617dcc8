"""The dedup index file runs nothing when opened: no pickles in the format,
anything else (a pickle-bearing npz, an old index, a damaged one) is a clear
DedupIndexError, and numbers in the file cannot point outside its arrays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from cleaner.dedup import FORMAT_VERSION, Deduper, read_index
from cleaner.errors import DedupIndexError
from cleaner.options import Options

A = ("The harbour authority approved the new ferry terminal on Tuesday after a long debate. "
     "Officials said the first ships would dock there next spring, weather permitting.")


def _build(path, docs=(("d1", A),)):
    d = Deduper(Options(workers=1, index=str(path)))
    for doc_id, text in docs:
        d.add(doc_id, text)
    d.close()


class _Payload:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _pickle_npz(path, marker, **extra):
    """An npz whose doc_ids member is a pickled object array, as np.savez writes
    for dtype=object (what indexes of format 3 held)."""
    arr = np.empty(1, dtype=object)
    arr[0] = _Payload(str(marker))
    with open(path, "wb") as f:
        np.savez(f, doc_ids=arr, **extra)


def test_pickle_bearing_file_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.idx"
    _pickle_npz(evil, marker)
    # The payload really would run if unpickled (the test can fail):
    with np.load(evil, allow_pickle=True) as data:
        data["doc_ids"]
    assert marker.exists()
    marker.unlink()
    with pytest.raises(DedupIndexError, match="not a cleaner index"):
        Deduper(Options(workers=1, index=str(evil)))
    assert not marker.exists()


def test_pickle_in_a_member_with_the_right_names_runs_nothing(tmp_path):
    """Every expected member present, one of them pickled: still refused, unread."""
    good = tmp_path / "good.idx"
    _build(good)
    marker = tmp_path / "pwned"
    arrays = read_index(str(good))
    evil_ids = np.empty(1, dtype=object)
    evil_ids[0] = _Payload(str(marker))
    arrays["doc_ids"] = evil_ids
    evil = tmp_path / "evil.idx"
    with open(evil, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(DedupIndexError):
        Deduper(Options(workers=1, index=str(evil)))
    assert not marker.exists()


def test_cli_with_a_pickle_bearing_index_exits_1_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.idx.npz"
    _pickle_npz(evil, marker)
    (tmp_path / "a.txt").write_text(A)
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(tmp_path / "a.txt"), "-o",
                          str(tmp_path / "out.jsonl"), "--index", str(evil), "--quiet", "--workers", "1"],
                         capture_output=True)
    assert res.returncode == 1
    err = res.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("Error: cannot read dedup index") and "Traceback" not in err
    assert not marker.exists()
    # refused before anything was written: no output, no partial files
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "evil.idx.npz"]


def test_index_holds_no_object_arrays_and_a_versioned_json_header(tmp_path):
    path = tmp_path / "idx.npz"
    _build(path, [("d1", A), ("d\u00e9-2 \U0001F600", A.replace("Tuesday", "Monday"))])
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
    with np.load(path, allow_pickle=False) as data:  # would raise on any object array
        for name in data.files:
            assert data[name].dtype != object
        header = json.loads(data["header"].tobytes())
    assert header["format"] == "cleaner-dedup-index" and header["version"] == FORMAT_VERSION
    assert header["params"]["num_perm"] == 128
    d = Deduper(Options(workers=1, index=str(path)))
    assert d.doc_ids == ["d1", "d\u00e9-2 \U0001F600"]
    d.index.close()


def _rewrite(path, **changes):
    arrays = read_index(str(path))
    arrays.update(changes)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("change,match", [
    (lambda a: {"header": np.frombuffer(b"{not json", dtype=np.uint8)}, "header is not JSON"),
    (lambda a: {"header": np.frombuffer(json.dumps({"format": "cleaner-dedup-index", "version": 99,
                                                    "params": {}}).encode(), dtype=np.uint8)}, "version 99"),
    (lambda a: {"p_root": a["p_root"] + 10_000}, "points outside"),
    (lambda a: {"p_doc": a["p_doc"] - 5}, "points outside"),
    (lambda a: {"p_end": a["p_end"] + 100_000}, "outside its document"),
    (lambda a: {"doc_id_offsets": a["doc_id_offsets"][:-1]}, "offsets"),
    (lambda a: {"p_start": a["p_start"].astype(np.int64)}, "int64"),
    (lambda a: {"bucket_pids": np.full_like(a["bucket_pids"], 0x7FFF)}, "passage that is not in the index"),
    (lambda a: {"words": a["words"][:-1]}, "word counts"),
])
def test_damaged_index_is_a_clear_error(tmp_path, change, match):
    path = tmp_path / "idx.npz"
    _build(path)
    arrays = read_index(str(path))
    _rewrite(path, **change(arrays))
    with pytest.raises(DedupIndexError, match=match):
        Deduper(Options(workers=1, index=str(path)))


def test_compressed_member_or_other_files_are_refused(tmp_path):
    path = tmp_path / "idx.npz"
    _build(path)
    arrays = read_index(str(path))
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    with pytest.raises(DedupIndexError, match="not a cleaner index"):
        Deduper(Options(workers=1, index=str(path)))
    for junk in (b"", b"not an index", b"PK\x03\x04" + b"\0" * 100):
        path.write_bytes(junk)
        with pytest.raises(DedupIndexError, match="cannot read dedup index"):
            Deduper(Options(workers=1, index=str(path)))
