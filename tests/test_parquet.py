"""Parquet in and out: rows read as records, the record schema written as
columns, partitioned output as a directory of parts, atomic and deterministic
writes, and a clear error without pyarrow."""

from __future__ import annotations

import datetime
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


def test_a_damaged_row_group_costs_its_own_rows_only(tmp_path):
    """Batches spanning row groups, and the first error ending the file, lost
    readable rows before and after a damaged group (one reject for them)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    n = 90
    text = "Row {} says the council approved the harbour bridge plan after two years of debate in town."
    table = pa.table({"id": [f"g{i}" for i in range(n)], "text": [text.format(i) for i in range(n)]})
    pq.write_table(table, tmp_path / "ok.parquet", row_group_size=30, compression="none")
    data = bytearray((tmp_path / "ok.parquet").read_bytes())
    at = data.find(b"Row 45 says")
    data[at - 20:at + 60] = b"\xff" * 80
    (tmp_path / "bad.parquet").write_bytes(bytes(data))
    rejects = []
    recs = list(cleaner.clean([str(tmp_path / "bad.parquet")], cleaner.Options(workers=1, dedup="off"),
                              on_reject=rejects.append))
    assert [r.id for r in recs] == [f"g{i}" for i in [*range(30), *range(60, 90)]]
    assert [r.line for r in rejects] == list(range(31, 61)) and {r.reason for r in rejects} == {"invalid-parquet"}


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


# --- values Python cannot hold, and rows over the size limit -------------------------

WORDS = "Harbour bridge rebuild approved after a long public consultation in the town."

def clean_file(path, **options):
    rejects = []
    recs = list(cleaner.clean([str(path)], cleaner.Options(dedup="off", **options), on_reject=rejects.append))
    return recs, rejects


def test_parquet_dates_python_cannot_hold_are_iso_text(tmp_path):
    """pyarrow raises (OverflowError, ValueError) converting a date32 of 2**31-1
    days, a timestamp beyond the year 9999 or a nanosecond: such a value is
    written as ISO 8601 text, exactly; every other value as before."""
    pq.write_table(pa.table({
        "id": ["a", "b", "c"], "text": [WORDS] * 3,
        "day": pa.array([2**31 - 1, -2**31, 19844], pa.date32()),
        "at": pa.array([253402300800000000, 2**62, 1714521600000001], pa.timestamp("us")),
        "at_utc": pa.array([253402300800000000, 0, 1714521600000000], pa.timestamp("us", "UTC")),
        "ns": pa.array([1714521600000000001, -1, 1714521600000001000], pa.timestamp("ns")),
        "ns_paris": pa.array([1, 2**63 - 1, 1000], pa.timestamp("ns", "Europe/Paris")),
        "took": pa.array([1, -1, 86_400_000_000_000], pa.duration("ns")),
        "days": pa.array([[2**31 - 1, 0], [], None], pa.list_(pa.date32())),
    }), tmp_path / "d.parquet")
    recs, rejects = clean_file(tmp_path / "d.parquet")
    assert rejects == []
    assert [r.id for r in recs] == ["a", "b", "c"]
    assert recs[0].metadata == {
        "day": "+5881580-07-11", "at": "+10000-01-01T00:00:00", "at_utc": "+10000-01-01T00:00:00+00:00",
        "ns": "2024-05-01T00:00:00.000000001", "ns_paris": "1970-01-01T01:00:00.000000001+01:00",
        "took": "0:00:00.000000001", "days": ["+5881580-07-11", "1970-01-01"]}
    assert recs[1].metadata == {
        "day": "-5877641-06-23", "at": "+148108-07-06T14:00:27.387904", "at_utc": "1970-01-01T00:00:00+00:00",
        "ns": "1969-12-31T23:59:59.999999999", "ns_paris": "2262-04-12T01:47:16.854775807+02:00",
        "took": "-1 day, 23:59:59.999999999", "days": []}
    # Values Python holds read as they did (a whole microsecond of a ns column too).
    assert recs[2].metadata == {
        "day": "2024-05-01", "at": "2024-05-01T00:00:00.000001", "at_utc": "2024-05-01T00:00:00+00:00",
        "ns": "2024-05-01T00:00:00.000001", "ns_paris": "1970-01-01T01:00:00.000001+01:00", "took": "1 day, 0:00:00",
        "days": None}


def test_parquet_string_that_is_not_utf8_is_read_with_replacement(tmp_path):
    """As a JSONL line's: the invalid bytes become U+FFFD, the row is kept."""
    offsets = pa.array([0, 2, 6], pa.int32()).buffers()[1]
    note = pa.Array.from_buffers(pa.string(), 2, [None, offsets, pa.py_buffer(b"okab\xffc")])
    pq.write_table(pa.table({"id": ["a", "b"], "text": [WORDS] * 2, "note": note}), tmp_path / "u.parquet")
    recs, rejects = clean_file(tmp_path / "u.parquet")
    assert rejects == [] and [r.metadata["note"] for r in recs] == ["ok", "ab\ufffdc"]


def test_parquet_bad_dates_never_stop_the_batch(tmp_path):
    """The report's case: a date32 out of range stopped the whole run with a
    traceback (the text file after it never read); nanosecond timestamps
    rejected their whole file."""
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["some words here today", "other words there"],
                             "d": pa.array([2**31 - 1, 1], pa.date32())}), tmp_path / "in" / "a.parquet")
    pq.write_table(pa.table({"id": ["n"], "text": [WORDS],
                             "t": pa.array([1714521600123456789], pa.timestamp("ns"))}), tmp_path / "in" / "b.parquet")
    (tmp_path / "in" / "z.txt").write_text("plain text file with some words in it.\n")
    out = tmp_path / "o.jsonl"
    res = cli(tmp_path / "in", "-o", out, "-w", "1", "-q")
    assert res.returncode == 0 and b"Traceback" not in res.stderr, res.stderr
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["id"], r.get("metadata")) for r in recs] == [
        ("a", {"d": "+5881580-07-11"}), ("b", {"d": "1970-01-02"}), ("n", {"t": "2024-05-01T00:00:00.123456789"}),
        ("in/z.txt", None)]
    assert not (tmp_path / "o.rejects.jsonl").exists() or (tmp_path / "o.rejects.jsonl").read_text() == ""


def big_row_table(html_bytes):
    body = "<p>" + WORDS + "</p>\n"
    big = "<html><body>" + body * (html_bytes // len(body) + 1) + "</body></html>"
    return pa.table({"id": ["r1", "big", "r3"], "html": [f"<p>{WORDS} one</p>", big, f"<p>{WORDS} three</p>"]}), big


def test_parquet_rows_reports_a_row_over_max_bytes_in_its_place():
    """parquet.rows measures a row as its JSONL line would be: one over the
    limit is a RowError where it stood, and reading goes on."""
    import io

    from cleaner.parquet import RowError, rows

    table, big = big_row_table(3 << 20)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    buf.seek(0)
    got = list(rows(buf, 1 << 20))
    assert [r["id"] if isinstance(r, dict) else (type(r), r.reason, str(r)) for r in got] == [
        "r1", (RowError, "too-large", "row exceeds the size limit of 1048576 bytes"), "r3"]
    buf.seek(0)
    assert [r["id"] for r in rows(buf)] == ["r1", "big", "r3"]  # no limit given, none applied


def test_parquet_row_over_max_bytes_is_rejected_alone_as_a_jsonl_line_is(tmp_path):
    """--max-bytes limits a Parquet row as it limits a JSONL line: the 2.9 MB
    row is rejected too-large, once, the rows around it are cleaned, and the
    text file after it in the batch too."""
    table, big = big_row_table(int(2.9e6))
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "a.parquet")
    (tmp_path / "in" / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    (tmp_path / "in" / "z.txt").write_text("plain text file with some words in it.\n")
    out = tmp_path / "o.jsonl"
    res = cli(tmp_path / "in", "-o", out, "-w", "1", "-q", "--max-bytes", "1MiB")
    assert res.returncode == 3 and b"Traceback" not in res.stderr, res.stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["r1", "r3", "r1#2", "r3#2", "in/z.txt"]
    rejects = [json.loads(x) for x in (tmp_path / "o.rejects.jsonl").read_text().splitlines()]
    assert [(r["source"], r["reason"], r["message"]) for r in rejects] == [
        ("in/a.parquet:2", "too-large", "row exceeds the size limit of 1048576 bytes"),
        ("in/b.jsonl:2", "too-large", "line exceeds the size limit of 1048576 bytes")]


def test_parquet_struct_with_a_repeated_field_name_keeps_both(tmp_path):
    """pyarrow has no dict for it (ValueError, which rejected the whole file):
    the second field is kept as ``k#2``, as a record's metadata keeps a name
    it already has."""
    meta = pa.StructArray.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["k", "k"],
                                      mask=pa.array([True, False]))
    pq.write_table(pa.table({"id": ["r1", "r2"], "text": [WORDS] * 2, "meta": meta}), tmp_path / "s.parquet")
    recs, rejects = clean_file(tmp_path / "s.parquet")
    assert rejects == [] and [r.metadata for r in recs] == [{"meta": None}, {"meta": {"k": 2, "k#2": 4}}]


@pytest.fixture
def unreadable_day(monkeypatch):
    """A value no conversion can read (none is known once pyarrow's failures
    are handled): the day -2**31 of a date32 column."""
    from cleaner import parquet

    real = parquet._value

    def value(pa_, scalar):
        if scalar.type == pa.date32() and scalar.value == -2**31:
            raise ValueError("no such day")
        return real(pa_, scalar)

    monkeypatch.setattr(parquet, "_value", value)
    return pa.table({"id": ["r1", "r2", "r3"], "text": [WORDS] * 3,
                     "day": pa.array([2**31 - 1, -2**31, 1], pa.date32())})


def test_parquet_rows_reports_an_unreadable_row_in_its_place(unreadable_day):
    import io

    from cleaner.parquet import RowError, rows

    buf = io.BytesIO()
    pq.write_table(unreadable_day, buf)
    buf.seek(0)
    got = list(rows(buf))
    assert [r if isinstance(r, dict) else (type(r), r.reason, str(r)) for r in got] == [
        {"id": "r1", "text": WORDS, "day": "+5881580-07-11"},
        (RowError, "invalid-parquet", "column 'day' holds a value that cannot be read (ValueError: no such day)"),
        {"id": "r3", "text": WORDS, "day": datetime.date(1970, 1, 2)}]


def test_parquet_row_that_cannot_be_read_is_rejected_alone(tmp_path, unreadable_day):
    pq.write_table(unreadable_day, tmp_path / "s.parquet")
    recs, rejects = clean_file(tmp_path / "s.parquet")
    assert [(r.id, r.metadata) for r in recs] == [("r1", {"day": "+5881580-07-11"}), ("r3", {"day": "1970-01-02"})]
    assert [(r.source.rsplit("/", 1)[-1], r.line, r.reason, r.message) for r in rejects] == [
        ("s.parquet:2", 2, "invalid-parquet",
         "column 'day' holds a value that cannot be read (ValueError: no such day)")]
