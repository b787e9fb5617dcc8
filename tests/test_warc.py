"""WARC and WET input: one document per HTML response or WET conversion
record, everything else rejected with a reason or skipped and counted; a
truncated tail costs only its own record. Every file here is written by the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cleaner
from cleaner.pipeline import Summary

from .warcs import PARAS, every_type, gzip_members, page, record, response, wet

OPTS = cleaner.Options(dedup="off", site_boilerplate=False)


def run(paths, options=OPTS):
    rejects, summary = [], Summary()
    records = list(cleaner.clean([str(p) for p in paths], options, on_reject=rejects.append, summary=summary))
    return records, rejects, summary


def check_every_type(records, rejects, summary, name):
    recs, expect = every_type()
    want = expect["want"]
    got = {int(r.source.rsplit(":", 1)[1]): r for r in records}
    assert sorted(got) == [n for n, w in want.items() if w in ("a", "b")]
    a, b = got[3], got[11]
    assert (a.id, a.url, a.source) == ("<urn:uuid:a>", "https://news.example/a", f"{name}:3")
    assert a.metadata == {"warc_date": "2024-05-14T10:00:00Z", "http_status": 200}
    assert "harbour bridge" in a.text and "Home | News" not in a.text
    assert "Müller über den Hafen" in b.text  # HTTP charset before the page's wrong <meta>
    by_n = {r.line: r for r in rejects}
    assert {n: r.reason for n, r in by_n.items()} == {n: w for n, w in want.items() if w not in ("a", "b")}
    assert by_n[5].message == "response record is image/png, not an HTML page"
    assert by_n[7].message == "HTTP status 301 (a redirect), not a page"
    assert by_n[8].id == "<urn:uuid:404>" and by_n[8].source == f"{name}:8"
    assert summary.skipped == expect["skipped"]
    assert summary.documents_in == 2 and summary.documents_out == 2


@pytest.mark.parametrize("layout", ["warc", "warc.gz", "warc.zst", "txt", "noname"])
def test_every_record_type(tmp_path, layout):
    """Plain, gzip per record, zstd, and a WARC under a wrong name or none:
    recognised by its first bytes (and the compression by its own)."""
    recs, _ = every_type()
    data = b"".join(recs)
    if layout == "warc.gz":
        data = gzip_members(recs)
    elif layout == "warc.zst":
        data = zstandard.ZstdCompressor().compress(data)
    name = {"noname": "crawl", "txt": "crawl.txt"}.get(layout, f"crawl.{layout}")
    (tmp_path / name).write_bytes(data)
    check_every_type(*run([tmp_path / name]), str(tmp_path / name))


def test_truncated_tail_keeps_every_record_before_it(tmp_path):
    recs, _ = every_type()
    last = response("https://news.example/c", "c", page("Ferry timetable changes").encode())
    data = b"".join(recs) + last[: len(last) - 400]
    for name, blob in (("cut.warc", data), ("cut.warc.gz", gzip_members(recs + [last])[:-300])):
        (tmp_path / name).write_bytes(blob)
        records, rejects, summary = run([tmp_path / name])
        assert [r.id for r in records] == ["<urn:uuid:a>", "<urn:uuid:b>"], name
        tail = rejects[-1]
        assert tail.line == 12 and tail.reason == "truncated", (name, tail)
        assert "the 11 records before it were read" in tail.message
        assert summary.skipped == {"warcinfo": 1, "request": 1, "metadata": 1, "revisit": 1}


def test_garbage_between_records_is_one_reject_and_reading_goes_on(tmp_path):
    recs, _ = every_type()
    (tmp_path / "g.warc").write_bytes(b"".join(recs[:3]) + b"this is not a warc record\r\n\r\n" + recs[2])
    records, rejects, _ = run([tmp_path / "g.warc"])
    assert [r.id for r in records] == ["<urn:uuid:a>", "<urn:uuid:a>#2"]
    assert [(r.line, r.reason) for r in rejects] == [(4, "invalid-warc")]
    assert "reading goes on at the next record" in rejects[0].message


@pytest.mark.parametrize("blank", [b"\r\n\r\n", b"\n\n", b"\r\n", b""])
def test_records_are_not_blamed_for_how_a_writer_separates_them(tmp_path, blank):
    """Writers end a block with the blank line of the standard, a bare one,
    or none at all before the next version line: none of these is a record
    whose Content-Length is wrong."""
    recs = [r[:-4] + blank for r in _five(tmp_path)]
    (tmp_path / "w.warc").write_bytes(b"".join(recs))
    records, rejects, _ = run([tmp_path / "w.warc"])
    assert [r.id for r in records] == [f"<urn:uuid:r{i}>" for i in range(1, 6)] and not rejects


def content_length(rec: bytes, delta: int) -> bytes:
    """``rec`` with its WARC Content-Length off by ``delta`` (never below 0)."""
    head, sep, rest = rec.partition(b"Content-Length: ")
    n, eol, tail = rest.partition(b"\r\n")
    return head + sep + str(max(0, int(n) + delta)).encode() + eol + tail


def _five(tmp_path):
    return [response(f"https://news.example/{i}", f"r{i}", page(f"Story {i} of the harbour").encode())
            for i in range(1, 6)]


@pytest.mark.parametrize("how", ["version", "short", "long", "garbage-end", "torn-header", "two"])
@pytest.mark.parametrize("packed", ["plain", "gzip-members", "zstd"])
def test_a_corrupt_record_costs_only_itself(tmp_path, how, packed):
    """A record whose version line or header is broken, or whose
    Content-Length ends it early or late, is one invalid-warc reject; the
    records after it are read (they were lost with the file's end before)."""
    recs = _five(tmp_path)

    want = ["r1", "r2", "r4", "r5"]
    if how == "version":
        recs[2] = recs[2].replace(b"WARC/1.0", b"WARX/9.9", 1)
    elif how == "short":  # record 3 ends 40 bytes early: its tail is garbage before record 4
        recs[2] = content_length(recs[2], -40)
    elif how == "long":  # record 3 runs 30 bytes into record 4's version line and header
        recs[2] = content_length(recs[2], 30)
    elif how == "garbage-end":
        recs[4] = b"\x01\x02 not a record at all \xff" * 3 + b"\x00" * 50
        want = ["r1", "r2", "r3", "r4"]
    elif how == "torn-header":  # the file ends inside record 5's header block
        recs[4] = recs[4][:60]
        want = ["r1", "r2", "r3", "r4"]
    elif how == "two":
        recs[1] = recs[1].replace(b"WARC/1.0", b"WARC/7", 1)
        recs[3] = recs[3].replace(b"WARC/1.0", b"WARC/2.5", 1)
        want = ["r1", "r3", "r5"]
    if packed == "gzip-members" and how in ("garbage-end", "torn-header"):
        pytest.skip("a gzip member of garbage is a compression error, tested elsewhere")
    data = {"plain": b"".join(recs), "gzip-members": gzip_members(recs),
            "zstd": zstandard.ZstdCompressor().compress(b"".join(recs))}[packed]
    path = tmp_path / ("c.warc" + {"plain": "", "gzip-members": ".gz", "zstd": ".zst"}[packed])
    path.write_bytes(data)
    records, rejects, _ = run([path])
    got = [r.id.strip("<>").split(":")[-1] for r in records]
    assert got == want, (how, packed, rejects)
    reasons = {"torn-header": "truncated"}.get(how, "invalid-warc")
    assert rejects and all(r.reason == reasons for r in rejects), rejects
    assert len(rejects) == (2 if how == "two" else 1)
    # Each record keeps its number: the reject is the broken record itself,
    # not bytes after it (a record cut short was written cut short, and its
    # tail was a reject of its own that took the next record's number).
    assert sorted([int(r.source.rsplit(":", 1)[1]) for r in records] + [r.line for r in rejects]) == [1, 2, 3, 4, 5]
    if how in ("short", "long"):
        assert [r.line for r in rejects] == [3] and "Content-Length" in rejects[0].message


def test_wet_conversion_records_are_text_documents(tmp_path):
    text = "\n".join(["Home", "News", *PARAS, "© 2025 Example Media. All rights reserved."])
    data = wet([("https://news.example/a", text), ("https://news.example/b", text.replace("Tuesday", "Monday")),
                ("https://news.example/empty", "  ")])
    (tmp_path / "CC-MAIN-1.warc.wet.gz").write_bytes(gzip_members([data]))
    records, rejects, summary = run([tmp_path / "CC-MAIN-1.warc.wet.gz"])
    assert [(r.id, r.url) for r in records] == [("<urn:uuid:wet-0>", "https://news.example/a"),
                                                  ("<urn:uuid:wet-1>", "https://news.example/b")]
    assert "The city council approved" in records[0].text and "WARC-Type" not in records[0].text
    assert not records[0].text.startswith("Home")
    assert "© 2025" not in records[0].text
    assert [(r.line, r.reason) for r in rejects] == [(4, "no-content")]
    assert summary.skipped == {"warcinfo": 1}


def test_http_encodings_are_undone(tmp_path):
    import gzip

    body = page("Encoded harbour news").encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:100], body[100:])) + b"0\r\n\r\n"
    recs = [response("https://x.example/gz", "gz", gzip.compress(body, mtime=0), headers={"Content-Encoding": "gzip"}),
            response("https://x.example/ch", "ch", chunked, headers={"Transfer-Encoding": "chunked"}),
            # Stored decoded, the header kept (as some crawlers do): read as it is.
            response("https://x.example/plain", "plain", body, headers={"Content-Encoding": "gzip"})]
    (tmp_path / "enc.warc").write_bytes(b"".join(recs))
    records, rejects, _ = run([tmp_path / "enc.warc"])
    assert not rejects and len(records) == 3
    assert all("Encoded harbour news" in r.title for r in records)


def test_a_gzip_body_of_several_members_is_read_whole_and_a_cut_one_is_truncated(tmp_path):
    import gzip

    body = page("Harbour members").encode()
    two = gzip.compress(body[:len(body) // 2], mtime=0) + gzip.compress(body[len(body) // 2:], mtime=0)
    cut = gzip.compress(body, mtime=0)[:-40]
    recs = [response("https://x.example/two", "two", two, headers={"Content-Encoding": "gzip"}),
            response("https://x.example/cut", "cut", cut, headers={"Content-Encoding": "gzip"})]
    (tmp_path / "m.warc").write_bytes(b"".join(recs))
    records, rejects, _ = run([tmp_path / "m.warc"])
    assert [r.id for r in records] == ["<urn:uuid:two>"]
    assert records[0].text == run_plain(body, tmp_path)  # the second member's paragraphs too
    assert [(r.line, r.reason) for r in rejects] == [(2, "truncated")]


def run_plain(body: bytes, tmp_path) -> str:
    (tmp_path / "plain.warc").write_bytes(response("https://x.example/p", "p", body))
    records, _, _ = run([tmp_path / "plain.warc"])
    return records[0].text


@pytest.mark.parametrize("size", [b"-6", b"+6", b"0x6", b"6_0", b"zz"])
def test_a_chunk_size_that_is_no_hex_number_ends_nothing(size):
    """int() takes "-6", which sent the reading of the chunks back to where it
    started, for ever (memory growing); the body is then read as it is."""
    from cleaner.warc import _unchunk

    body = size + b"\r\nhello\r\n0\r\n\r\n"
    assert _unchunk(body) == body
    assert _unchunk(b"5\r\nhello\r\n0\r\n\r\n") == b"hello"


def test_oversized_payload_is_rejected_alone(tmp_path):
    big = page("Big", n=2).replace("</article>", "<p>" + "word " * 300_000 + "</p></article>").encode()
    recs = [response("https://x.example/big", "big", big), response("https://x.example/a", "a", page("Small").encode())]
    (tmp_path / "b.warc").write_bytes(b"".join(recs))
    records, rejects, _ = run([tmp_path / "b.warc"], OPTS.replace(max_bytes=1 << 20))
    assert [r.id for r in records] == ["<urn:uuid:a>"]
    assert [(r.line, r.reason) for r in rejects] == [(1, "too-large")]


def test_warc_through_the_cli_on_stdin_gzipped(tmp_path):
    recs, expect = every_type()
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", "-", "-o", str(tmp_path / "out.jsonl"),
                          "--workers", "1"], input=gzip_members(recs), capture_output=True, timeout=120)
    assert res.returncode == 3, res.stderr
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["<urn:uuid:a>", "<urn:uuid:b>"] and out[0]["source"] == "-:3"
    rejects = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == 5
    summary = res.stderr.decode().strip().splitlines()[-1]
    assert "skipped 4 WARC records (1 metadata, 1 request, 1 revisit, 1 warcinfo)" in summary, summary


STREAM_CHILD = r"""
import re, sys
sys.argv = ["cleaner", "clean", "-", "-o", sys.argv[1], "--workers", "1", "--quiet", "--dedup", "off"]
import cleaner.cli
try:
    cleaner.cli.run_cli()
except SystemExit as exc:
    code = exc.code
# VmHWM: this process's own peak (ru_maxrss would carry the parent's across fork and exec).
peak = re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1)
print(code, peak, file=sys.stderr)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory from /proc")
def test_a_gigabyte_warc_streams_in_bounded_memory(tmp_path):
    """1 GiB of records piped in (never on disk): images, which are rejected
    unread past their size, and one HTML page every 2,000 records. Peak memory
    stays far below the input's size."""
    image = response("https://x.example/i.jpg", "img", b"\xff\xd8\xff" + bytes(256 * 1024), ctype="image/jpeg")
    html = response("https://x.example/p", "p", page("Streaming harbour news").encode())
    total, n = 1 << 30, 0
    proc = subprocess.Popen([sys.executable, "-c", STREAM_CHILD, str(tmp_path / "out.jsonl")],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    sent = 0
    while sent < total:
        chunk = html if n % 2000 == 0 else image
        proc.stdin.write(chunk)
        sent += len(chunk)
        n += 1
    proc.stdin.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=600)
    code, peak_kib = err.strip().splitlines()[-1].split()
    assert code == "3"  # the images are rejected
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == len(range(0, n, 2000))
    print(f"peak {int(peak_kib) // 1024} MiB")
    assert int(peak_kib) < 300 * 1024, f"peak {int(peak_kib) // 1024} MiB for a 1 GiB input"


def test_compressed_http_bodies_and_bombs(tmp_path):
    import brotli

    body = page("Brotli and zstd harbour news").encode()
    bomb = zstandard.ZstdCompressor().compress(b"<html><body><p>" + b"a" * (4 << 20))
    recs = [response("https://x.example/br", "br", brotli.compress(body), headers={"Content-Encoding": "br"}),
            response("https://x.example/zs", "zs", zstandard.ZstdCompressor().compress(body),
                     headers={"Content-Encoding": "zstd"}),
            response("https://x.example/bomb", "bomb", bomb, headers={"Content-Encoding": "zstd"}),
            response("https://x.example/bad", "bad", b"\x1f\x8b not gzip", headers={"Content-Encoding": "gzip"})]
    (tmp_path / "c.warc").write_bytes(b"".join(recs))
    records, rejects, _ = run([tmp_path / "c.warc"], OPTS.replace(max_bytes=1 << 20))
    assert [r.id for r in records] == ["<urn:uuid:br>", "<urn:uuid:zs>"]
    assert all("Brotli and zstd harbour news" in r.title for r in records)
    assert [(r.line, r.reason) for r in rejects] == [(3, "too-large"), (4, "corrupt-compression")]


@pytest.mark.parametrize("start", [0, 99, 100, 3000, 5001, 5002])
@pytest.mark.parametrize("read_first", [1, 100, 6000])
def test_the_next_version_line_is_found_at_its_true_position(start, read_first):
    """The resync search reads on from wherever the stream was read to, also
    from a start beyond it (a Content-Length that claimed more than was read),
    and finds only a version line at a line's start."""
    import io

    from cleaner.warc import _Kept

    data = b"x WARC/1.0\r\n" + b"x" * 4988 + b"\r\nWARC/1.0\r\nrest of it"
    kept = _Kept(io.BytesIO(data))
    kept.fill(read_first)
    assert kept.next_record(start) == data.index(b"\nWARC/1.0") + 1
    assert kept.next_record(5003) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 6), k=st.integers(0, 5), delta=st.sampled_from([-400, -40, -4, -2, -1, 1, 2, 4, 30, 500]),
       kinds=st.lists(st.booleans(), min_size=6, max_size=6), packed=st.booleans())
def test_every_record_is_accounted_once_whatever_its_content_length_says(tmp_path, n, k, delta, kinds, packed):
    """Records (pages, and metadata records that are skipped) with one
    Content-Length off by ``delta``: each record number is a record, a
    reject or a skipped record, once; none is two of them, and no reject
    takes a number past the file's records."""
    recs = [response(f"https://x.example/{i}", f"r{i}", page(f"Story {i} of the harbour").encode()) if kinds[i]
            else record("metadata", f"fetchTimeMs: {i}\r\n".encode(), uri=f"https://x.example/{i}", rid=f"m{i}")
            for i in range(n)]
    k %= n
    length = max(0, int(recs[k].partition(b"Content-Length: ")[2].partition(b"\r\n")[0]) + delta)
    recs[k] = content_length(recs[k], delta)
    # Where the wrong length happens to end the record at a blank line (an
    # HTTP header block's end inside the next record), the record looks
    # whole: a known limit of checking a record's own end only (see
    # warc._misframed), left out here.
    plain = b"".join(recs)
    end = len(b"".join(recs[:k])) + recs[k].find(b"\r\n\r\n") + 4 + length
    assume(plain[end:end + 4] != b"\r\n\r\n")
    path = tmp_path / f"f{n}-{k}-{delta}-{packed}.warc{'.gz' if packed else ''}"
    path.write_bytes(gzip_members(recs) if packed else plain)
    records, rejects, summary = run([path])
    numbers = [int(r.source.rsplit(":", 1)[1]) for r in records] + [r.line for r in rejects]
    assert len(set(numbers)) == len(numbers) and all(1 <= x <= n for x in numbers), (numbers, rejects)
    assert len(numbers) + sum(summary.skipped.values()) == n, (numbers, summary.skipped, rejects)
