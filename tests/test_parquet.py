"""Parquet in and out: rows read as records, the record schema written as
columns, partitioned output as a directory of parts, atomic and deterministic
writes, and a clear error without pyarrow."""

from __future__ import annotations

import json
import subprocess
import sys

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import cleaner
from cleaner.write import read_records

from .warcs import PARAS

DUMP = "\n".join(["Home", "News", "Harbour bridge rebuild approved", "By Jane Porter", *PARAS,
                  "© 2025 Harbour Gazette. All rights reserved."])


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "cleaner", "clean", *map(str, args)], capture_output=True,
                          timeout=300, **kw)


def write_input(path, n=6):
    """datatrove-shaped rows: text, id, and a metadata struct holding the url."""
    rows = [{"id": f"r{i}", "text": DUMP.replace("Tuesday", f"day {i}") if i % 3 else DUMP,
             "metadata": {"url": f"https://gazette{i % 2}.example/story-{i}", "dump": "CC-MAIN-2024-18"},
             "token_count": 100 + i} for i in range(n)]
    rows.append({"id": "empty", "text": "", "metadata": {"url": None, "dump": "x"}, "token_count": 0})
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=3)
    return rows


def test_parquet_rows_are_records_and_metadata_is_merged(tmp_path):
    write_input(tmp_path / "in.parquet")
    rejects = []
    recs = list(cleaner.clean([str(tmp_path / "in.parquet")], cleaner.Options(url_field="metadata.url"),
                              on_reject=rejects.append))
    assert [r.id for r in recs] == [f"r{i}" for i in range(6)]
    assert recs[1].url == "https://gazette1.example/story-1" and recs[1].site == "gazette1.example"
    assert recs[1].source.endswith("in.parquet:2")
    assert recs[1].metadata == {"dump": "CC-MAIN-2024-18", "token_count": 101}  # merged, not nested
    assert "© 2025" not in recs[1].text and recs[1].author == "Jane Porter"
    assert [(r.line, r.reason) for r in rejects] == [(7, "no-content")]


def test_parquet_round_trip_through_the_cli(tmp_path):
    write_input(tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    res = cli(tmp_path / "in.parquet", "-o", out, "--url-field", "metadata.url", "--workers", "1", "-q")
    assert res.returncode == 3, res.stderr
    jsonl = tmp_path / "out.jsonl"
    assert cli(tmp_path / "in.parquet", "-o", jsonl, "--url-field", "metadata.url", "--workers", "1",
               "-q").returncode == 3
    want = [json.loads(x) for x in jsonl.read_text().splitlines()]
    assert read_records(str(out)) == want  # the same records, column for column
    table = pq.read_table(out)
    assert table.num_rows == 6
    assert str(table.schema.field("removed").type) == "list<element: struct<kind: string, text: string, rule: string>>"
    assert pa.types.is_map(table.schema.field("stats").type)
    assert table.schema.field("metadata").type == pa.string()
    row = table.slice(1, 1).to_pylist()[0]
    assert json.loads(row["metadata"]) == {"dump": "CC-MAIN-2024-18", "token_count": 101}
    assert any(d["of"] == "r0" for d in row["duplicates"])
    assert (tmp_path / "out.rejects.jsonl").exists() and not (tmp_path / ".out.parquet.partial").exists()
    # The output reads back in as input: records with text.
    back = list(cleaner.clean([str(out)], cleaner.Options(strip=False, dedup="off")))
    assert [r.id for r in back] == [f"r{i}" for i in range(6)]


def test_parquet_output_is_byte_identical_across_runs_and_workers(tmp_path):
    write_input(tmp_path / "in.parquet", n=30)
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    assert cli(tmp_path / "in.parquet", "-o", a, "--workers", "1", "-q").returncode == 3
    assert cli(tmp_path / "in.parquet", "-o", b, "--workers", "2", "-q").returncode == 3
    assert a.read_bytes() == b.read_bytes()


def test_parquet_parts_are_a_dataset_directory(tmp_path):
    write_input(tmp_path / "in.parquet", n=12)
    out = tmp_path / "ds" / "train.parquet"
    # The rejects go outside the dataset's directory, which then holds only parts.
    assert cli(tmp_path / "in.parquet", "-o", out, "--part-records", "5", "--workers", "1", "-q",
               "--rejects", tmp_path / "rejects.jsonl").returncode == 3
    parts = sorted(p.name for p in (tmp_path / "ds").iterdir())
    assert parts == ["train-00000.parquet", "train-00001.parquet", "train-00002.parquet"]
    dataset = pq.read_table(tmp_path / "ds")  # the directory reads as one table
    assert dataset.num_rows == 12 and dataset.column("id").to_pylist() == [f"r{i}" for i in range(12)]


def test_parquet_parts_resume(tmp_path):
    """A run killed after two finished parts continues from them (the unfinished
    part, which has no footer yet, is written again)."""
    write_input(tmp_path / "in.parquet", n=12)
    full = tmp_path / "full" / "d.parquet"
    args = ["--part-records", "4", "--workers", "1", "-q", "--site-window", "4"]
    assert cli(tmp_path / "in.parquet", "-o", full, *args).returncode == 3
    out = tmp_path / "out" / "d.parquet"
    assert cli(tmp_path / "in.parquet", "-o", out, *args).returncode == 3
    (tmp_path / "out" / "d-00002.parquet").unlink()
    (tmp_path / "out" / ".d-00002.parquet.partial").write_bytes(b"PAR1 torn")
    from cleaner import resume
    from cleaner.read import survey

    opts = cleaner.Options(site_window=4)
    resume.save(str(out), resume.fingerprint(survey([str(tmp_path / "in.parquet")], opts), opts, 4))
    assert cli(tmp_path / "in.parquet", "-o", out, *args, "--resume").returncode == 3
    for k in range(3):
        assert (tmp_path / "out" / f"d-0000{k}.parquet").read_bytes() == \
            (tmp_path / "full" / f"d-0000{k}.parquet").read_bytes()


def test_parquet_input_damage_is_a_reject(tmp_path):
    write_input(tmp_path / "in.parquet")
    data = (tmp_path / "in.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "fake.parquet").write_bytes(b"not parquet at all\n")
    rejects = []
    recs = list(cleaner.clean([str(tmp_path / "cut.parquet"), str(tmp_path / "fake.parquet")],
                              on_reject=rejects.append))
    assert recs == []
    assert [(r.source.rsplit("/", 1)[-1], r.reason) for r in rejects] == [("cut.parquet", "truncated"),
                                                                        ("fake.parquet", "invalid-parquet")]


def test_parquet_on_stdin_and_by_content(tmp_path):
    import gzip

    write_input(tmp_path / "in.parquet")
    data = (tmp_path / "in.parquet").read_bytes()
    res = cli("-", "--workers", "1", "-q", input=gzip.compress(data))
    assert res.returncode == 3, res.stderr
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == [f"r{i}" for i in range(6)]
    (tmp_path / "rows.bin").write_bytes(data)
    assert [r.id for r in cleaner.clean([str(tmp_path / "rows.bin")])] == [f"r{i}" for i in range(6)]


def test_parquet_write_error_is_exit_4_and_keeps_nothing_half_written(tmp_path):
    from .test_cli_safety import faulty_cli

    write_input(tmp_path / "in.parquet", n=30)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"earlier output")
    res = faulty_cli(tmp_path, [tmp_path / "in.parquet", "-o", out], 2000, file=".out.parquet.partial")
    assert res.returncode == 4
    err = res.stderr.decode().strip()
    assert err == f"Error: cannot write the output {out}: no space left on the device; free some space, then run " \
                  f"the same command again", err
    assert out.read_bytes() == b"earlier output"


NO_PYARROW = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("no pyarrow here")
sys.meta_path.insert(0, Block())
from cleaner.cli import run_cli
sys.argv = ["cleaner", *sys.argv[1:]]
run_cli()
"""


def test_without_pyarrow_the_error_says_what_to_install(tmp_path):
    write_input(tmp_path / "in.parquet")
    (tmp_path / "a.txt").write_text(DUMP)
    script = tmp_path / "nopa.py"
    script.write_text(NO_PYARROW)
    res = subprocess.run([sys.executable, str(script), "clean", str(tmp_path / "a.txt"), "-o",
                          str(tmp_path / "o.parquet")], capture_output=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.decode().strip() == ("Error: reading and writing Parquet needs pyarrow: "
                                           "pip install 'cleaner[parquet]'")
    res = subprocess.run([sys.executable, str(script), "clean", str(tmp_path / "in.parquet"), "-q"],
                         capture_output=True, timeout=120)
    assert res.returncode == 3
    [rej] = [orjson.loads(x) for x in res.stderr.splitlines()]
    assert rej["reason"] == "unreadable" and "pip install 'cleaner[parquet]'" in rej["message"]
