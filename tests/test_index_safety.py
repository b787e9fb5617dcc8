"""The dedup index file runs nothing when opened: no pickles in the format,
anything else (a pickle-bearing npz, an old index, a damaged one) is a clear
DedupIndexError, and numbers in the file cannot point outside its arrays."""

from __future__ import annotations

import io
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


def _with_words_shape(src, dst, shape):
    """A copy of index ``src`` whose words member declares ``shape`` over its
    unchanged data (written without zip64, so the sizes sit in the directory)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            data = zi.read(info)
            if info.filename == "words.npy":
                f = io.BytesIO(data)
                np.lib.format.read_magic(f)
                _, order, dtype = np.lib.format.read_array_header_1_0(f)
                head = io.BytesIO()
                np.lib.format.write_array_header_1_0(head, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                            "fortran_order": order, "shape": shape})
                data = head.getvalue() + data[f.tell():]
            zo.writestr(info.filename, data)


def _cli_refuses(tmp_path, index, start):
    (tmp_path / "a.txt").write_text(A)
    out = tmp_path / "out.jsonl"
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(tmp_path / "a.txt"), "-o", str(out),
                          "--index", str(index), "--quiet", "--workers", "1"], capture_output=True)
    err = res.stderr.decode()
    assert res.returncode == 1, err
    assert err.count("\n") == 1 and err.startswith(start) and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("shape", [
    lambda n: (99_999_999_999,),  # far beyond memory: numpy failed allocating 745 GiB
    lambda n: (n + 1,),           # one word beyond the data: allocated, then read short
    lambda n: (n - 1,),           # short of the data
    lambda n: (-1,),
    lambda n: (2 ** 63 // 8,),    # its size in bytes overflows int64
], ids=["far-too-large", "one-too-large", "one-too-small", "negative", "overflowing"])
def test_array_shape_must_match_the_member_bytes(tmp_path, shape):
    """A member's header declares the array numpy allocates before reading the
    data: it is checked against the member's bytes first, and refused."""
    good, bad = tmp_path / "good.idx", tmp_path / "bad.idx.npz"
    _build(good)
    n = len(read_index(str(good))["words"])
    _with_words_shape(good, bad, shape(n))
    good.unlink()
    with pytest.raises(DedupIndexError, match=r"member words declares shape .* but holds \d+ bytes"):
        Deduper(Options(workers=1, index=str(bad)))
    _cli_refuses(tmp_path, bad, "Error: cannot read dedup index")


def test_member_sizes_in_the_zip_directory_are_checked_against_the_file(tmp_path):
    """A header and a zip directory that agree on 3 GB of words over a few
    bytes: refused before numpy allocates the 3 GB."""
    good, bad = tmp_path / "good.idx", tmp_path / "bad.idx.npz"
    _build(good)
    n = len(read_index(str(good))["words"])
    big = 400_000_000
    _with_words_shape(good, bad, (big,))
    raw = bytearray(bad.read_bytes())
    with zipfile.ZipFile(bad) as z:
        info = z.getinfo("words.npy")
    claim = info.file_size + (big - n) * 8
    entry = raw.rindex(b"words.npy") - 46  # its entry in the central directory, at the end of the file
    assert raw[entry:entry + 4] == b"PK\x01\x02"
    raw[entry + 20:entry + 28] = claim.to_bytes(4, "little") * 2  # compressed and uncompressed size
    bad.write_bytes(bytes(raw))
    with pytest.raises(DedupIndexError, match="member words claims .* that the file does not hold"):
        Deduper(Options(workers=1, index=str(bad)))


def test_damaged_member_data_is_a_clear_error(tmp_path):
    """A member whose bytes fail the zip's CRC check: DedupIndexError."""
    path = tmp_path / "idx.npz"
    _build(path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("words.npy")
    raw[info.header_offset + 30 + len("words.npy") + info.file_size - 1] ^= 0xFF  # its last byte
    path.write_bytes(bytes(raw))
    with pytest.raises(DedupIndexError, match="Bad CRC-32"):
        Deduper(Options(workers=1, index=str(path)))
