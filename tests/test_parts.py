"""--part-records: output as numbered parts, each written atomically, the
concatenation byte-identical to the single-file output, resumable."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import cleaner
from cleaner.write import part_path

from .test_resume import _cmd, _corpus, _record_fingerprint


def _parts(directory, stem="data", suffix=".jsonl"):
    return sorted(p for p in directory.iterdir() if p.name.startswith(stem + "-") and p.name.endswith(suffix))


def _input_and_single_output(tmp_path, n):
    """A corpus of ``n`` records and the single-file output the parts must add up to."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, n)
    single = tmp_path / "single.jsonl"
    subprocess.run(_cmd(inp, single))
    return inp, single


def test_part_names_keep_the_suffixes():
    assert part_path("out/data.jsonl.gz", 3) == "out/data-00003.jsonl.gz"
    assert part_path("data.jsonl", 0) == "data-00000.jsonl"


def test_parts_concatenate_to_the_single_file_output(tmp_path):
    inp, single = _input_and_single_output(tmp_path, 130)
    out = tmp_path / "out"
    res = subprocess.run(_cmd(inp, out / "data.jsonl", "--part-records", "40"))
    assert res.returncode == 3  # the corpus ends with one bad line
    parts = _parts(out)
    assert [p.name for p in parts] == [f"data-{k:05d}.jsonl" for k in range(4)]
    assert [p.read_bytes().count(b"\n") for p in parts] == [40, 40, 40, 10]
    assert b"".join(p.read_bytes() for p in parts) == single.read_bytes()
    assert not list(out.glob(".*partial"))
    assert (out / "data.rejects.jsonl").exists()


def test_compressed_parts_and_stale_parts_removed(tmp_path):
    inp, single = _input_and_single_output(tmp_path, 60)
    out = tmp_path / "out"
    subprocess.run(_cmd(inp, out / "data.jsonl.gz", "--part-records", "10"))
    assert len(_parts(out, suffix=".jsonl.gz")) == 6
    # A second run with bigger parts replaces the output: no part of the old run survives.
    subprocess.run(_cmd(inp, out / "data.jsonl.gz", "--part-records", "25"))
    parts = _parts(out, suffix=".jsonl.gz")
    assert len(parts) == 3
    assert b"".join(gzip.decompress(p.read_bytes()) for p in parts) == single.read_bytes()


def test_exact_multiple_leaves_no_empty_part(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 40)
    out = tmp_path / "out"
    subprocess.run(_cmd(inp, out / "data.jsonl", "--part-records", "20"))
    assert [p.read_bytes().count(b"\n") for p in _parts(out)] == [20, 20]


def test_resume_partitioned_output_is_identical(tmp_path):
    """A run killed with two parts finished and a torn partial third one; the
    site-boilerplate window (50) makes the resume cut back into a finished
    part, which is written again."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 200)
    full = tmp_path / "full"
    subprocess.run(_cmd(inp, full / "data.jsonl", "--part-records", "30"))
    want = [p.read_bytes() for p in _parts(full)]
    out = tmp_path / "out"
    out.mkdir()
    (out / "data-00000.jsonl").write_bytes(want[0])
    (out / "data-00001.jsonl").write_bytes(want[1])
    lines = want[2].splitlines(keepends=True)
    (out / ".data-00002.jsonl.partial").write_bytes(b"".join(lines[:14]) + lines[14][:25])
    # What the killed run recorded of its inputs and options, beside the parts.
    from cleaner import resume
    from cleaner.read import survey

    opts = cleaner.Options(site_window=50)
    resume.save(str(out / "data.jsonl"), resume.fingerprint(survey([str(inp)], opts), opts, 30))
    res = subprocess.run(_cmd(inp, out / "data.jsonl", "--part-records", "30", "--resume"))
    assert res.returncode == 3
    assert [p.read_bytes() for p in _parts(out)] == want
    assert not list(out.glob(".*partial"))


def test_part_records_needs_a_file(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 3)
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(inp), "--part-records", "2", "--quiet"],
                         capture_output=True)
    assert res.returncode == 2
    assert b"--part-records needs an output file" in res.stderr
    for device in ("/dev/stdout", "/dev/null"):
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(inp), "--part-records", "2", "-o", device,
                              "--quiet"], capture_output=True)
        assert res.returncode == 2 and b"not stdout or a device" in res.stderr, res.stderr
        assert not os.path.exists(device + "-00000")


def test_resume_with_compressed_parts_and_rejects(tmp_path):
    """Compressed parts, so a compressed rejects file beside them: it cannot be
    continued and is written again whole (it stopped every such --resume)."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 100)
    full = tmp_path / "full"
    subprocess.run(_cmd(inp, full / "data.jsonl.gz", "--part-records", "30"))
    want = [gzip.decompress(p.read_bytes()) for p in sorted(full.glob("data-*.jsonl.gz"))]
    want_rejects = gzip.decompress((full / "data.rejects.jsonl.gz").read_bytes())
    assert len(want) == 4 and want_rejects.count(b"\n") == 1
    out = tmp_path / "out"
    out.mkdir()
    (out / "data-00000.jsonl.gz").write_bytes(gzip.compress(want[0]))
    (out / ".data-00001.jsonl.gz.partial").write_bytes(gzip.compress(want[1])[:50])
    (out / ".data.rejects.jsonl.gz.partial").write_bytes(b"\x1f\x8b torn")
    from cleaner import resume
    from cleaner.read import survey

    opts = cleaner.Options(site_window=50)
    resume.save(str(out / "data.jsonl.gz"), resume.fingerprint(survey([str(inp)], opts), opts, 30))
    res = subprocess.run(_cmd(inp, out / "data.jsonl.gz", "--part-records", "30", "--resume"), capture_output=True)
    assert res.returncode == 3, res.stderr
    assert [gzip.decompress(p.read_bytes()) for p in sorted(out.glob("data-*.jsonl.gz"))] == want
    assert gzip.decompress((out / "data.rejects.jsonl.gz").read_bytes()) == want_rejects
    assert not list(out.glob(".*"))
    # A first run given --resume (nothing to continue) is a plain run.
    again = tmp_path / "again"
    res = subprocess.run(_cmd(inp, again / "data.jsonl.gz", "--part-records", "30", "--resume"), capture_output=True)
    assert res.returncode == 3, res.stderr
    assert [gzip.decompress(p.read_bytes()) for p in sorted(again.glob("data-*.jsonl.gz"))] == want


def test_resume_in_another_layout_is_refused(tmp_path):
    """A run written as parts is not continued as one file, nor the reverse,
    whether or not its partial output is still there."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 20)
    from cleaner import resume
    from cleaner.read import survey

    opts = cleaner.Options(site_window=50)
    out = tmp_path / "data.jsonl"
    resume.save(str(out), resume.fingerprint(survey([str(inp)], opts), opts, 30))  # a parts run, interrupted
    res = subprocess.run(_cmd(inp, out, "--resume"), capture_output=True)
    assert res.returncode == 2 and b"--part-records was" in res.stderr, res.stderr
    resume.save(str(out), resume.fingerprint(survey([str(inp)], opts), opts, 0))  # a one-file run
    res = subprocess.run(_cmd(inp, out, "--part-records", "5", "--resume"), capture_output=True)
    assert res.returncode == 2 and b"--part-records was" in res.stderr, res.stderr
    res = subprocess.run(_cmd(inp, out, "--dedup", "off", "--resume"), capture_output=True)  # other options
    assert res.returncode == 2 and b"--dedup was" in res.stderr, res.stderr
