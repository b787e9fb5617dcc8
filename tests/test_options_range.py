"""Option values out of range are refused before any work: the library raises
an OptionsError naming the option, the command exits 2 with one line and
writes nothing. Outputs that name a directory or nothing are refused the same
way. SIGTERM ends a run as Ctrl-C does: workers stopped, temporary files
removed, the partial output kept for --resume, exit code 143."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

from cleaner import Options, OptionsError

from .test_cli_safety import cli, jsonl, one_line_error
from .test_resume import _corpus


def refused(name, **kw):
    with pytest.raises(OptionsError, match=name):
        Options(**kw)


@pytest.mark.parametrize("value", [5, 1.0001, -1, 0, math.nan, math.inf])
def test_site_min_share_is_a_share(value):
    refused("site_min_share", site_min_share=value)


def test_site_window_and_min_pages():
    for value in (0, -3):
        refused("site_window", site_window=value)
    refused("site_min_pages", site_min_pages=1)
    refused("site_min_pages", site_min_pages=0)
    # More pages than a window holds: the stage could never remove a line.
    refused("site_min_pages", site_min_pages=51, site_window=50)
    refused("site_min_pages", site_window=2)  # the default 3 pages
    Options(site_min_pages=50, site_window=50)
    Options(site_window=3)


def test_passage_length_and_shingle():
    for value in (-5, -1, 0, 601):
        refused("min_passage_chars", min_passage_chars=value)
    for value in (0, 601, 100000):
        refused("shingle", shingle=value)
    Options(min_passage_chars=1, shingle=1)
    Options(min_passage_chars=600, shingle=600)


def test_max_passage_chars_is_the_longest_passage_dedup_cuts():
    """The bound of min_passage_chars and shingle (options.py may not import
    the dedup code) is what cleaner.dedup.units makes."""
    from cleaner.dedup.units import WINDOW, quoted_passages
    from cleaner.options import MAX_PASSAGE_CHARS

    assert MAX_PASSAGE_CHARS == 2 * WINDOW == 600
    text = "word " * 2000  # no sentence end: cut into windows
    assert max(e - s for s, e, _ in quoted_passages(text, 1)) <= MAX_PASSAGE_CHARS


@pytest.mark.parametrize("value", [math.inf, 1e10, 86400.5, 1e-6, 0.009])
def test_doc_timeout_range(value):
    refused("doc_timeout", doc_timeout=value)


def test_doc_timeout_edges():
    for value in (1e-3, 0, -1, math.nan):
        refused("doc_timeout", doc_timeout=value)
    Options(doc_timeout=0.01)
    Options(doc_timeout=86400)


def test_workers_and_max_bytes_have_upper_bounds():
    refused("workers", workers=100000)
    from cleaner.options import max_workers

    assert max_workers() == max(64, 4 * (os.cpu_count() or 1))
    refused("workers", workers=max_workers() + 1)
    Options(workers=max_workers())
    refused("max_bytes", max_bytes=2**64)
    Options(max_bytes=2**40)


def test_nan_and_inf_are_refused_by_every_float_option():
    import dataclasses

    floats = [f.name for f in dataclasses.fields(Options) if f.type == "float"]
    assert {"threshold", "doc_threshold", "site_min_share", "doc_timeout"} <= set(floats)
    for name in floats:
        for value in (math.nan, math.inf, -math.inf):
            refused(name, **{name: value})


def test_an_empty_index_name_is_refused():
    refused("index", index="")


# --- the command line ---------------------------------------------------------


@pytest.mark.parametrize("args, name", [
    (["--site-min-share", "5"], "site_min_share"),
    (["--site-min-share", "nan"], "site_min_share"),
    (["--site-window", "0", "--resume"], "site_window"),
    (["--site-min-pages", "5000"], "site_min_pages"),
    (["--min-passage-chars", "-5"], "min_passage_chars"),
    (["--shingle", "100000"], "shingle"),
    (["--doc-timeout", "inf"], "doc_timeout"),
    (["--doc-timeout", "1e-6"], "doc_timeout"),
    (["--max-bytes", "99999999999999999999999"], "max_bytes"),
])
def test_cli_refuses_out_of_range_values(tmp_path, args, name):
    src = tmp_path / "in.jsonl"
    jsonl(src)
    one_line_error(cli(src, "-o", tmp_path / "out.jsonl", *args), 2, name)
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]


def test_cli_refuses_more_workers_than_the_bound(tmp_path):
    """``-w 100000`` started some 4,900 processes (one more than the bound
    here: the same message, without the processes on a build that lacks it)."""
    src = tmp_path / "in.jsonl"
    jsonl(src)
    from cleaner.options import max_workers

    too_many = max_workers() + 1
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", src, "-o", tmp_path / "out.jsonl", "--quiet",
                          "-w", str(too_many)], capture_output=True, timeout=300)
    one_line_error(res, 2, "workers must be at most", str(too_many))
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]


@pytest.mark.parametrize("args, needle", [
    (["-o", ""], "-o needs a file name"),
    (["-o", "d"], "-o d names a directory"),
    (["-o", "d/"], "-o d/ names a directory"),
    (["-o", "new/"], "-o new/ names a directory"),
    (["-o", "d", "--part-records", "2"], "-o d names a directory"),
    (["-o", "out.jsonl", "--rejects", "d"], "--rejects d names a directory"),
    (["-o", "out.jsonl", "--rejects", ""], "--rejects needs a file name"),
    (["-o", "out.jsonl", "--index", "d"], "--index d names a directory"),
    (["-o", "out.jsonl", "--index", ""], "index must name a file"),
    # Beyond 64 bits the fingerprint could not be written: a traceback, its temporary file left.
    (["-o", "out.jsonl", "--part-records", "99999999999999999999999"], "--part-records must be 0"),
])
def test_outputs_naming_a_directory_or_nothing_are_refused(tmp_path, args, needle):
    """Refused before anything is written: ``-o ''`` left ``..partial``,
    ``..resume.json`` and ``.rejects.jsonl`` behind and failed at the end (exit
    4, asking for a --resume); a directory did all the work first."""
    (tmp_path / "d").mkdir()
    jsonl(tmp_path / "in.jsonl")
    one_line_error(cli("in.jsonl", *args, cwd=tmp_path), 2, needle)
    assert sorted(os.listdir(tmp_path)) == ["d", "in.jsonl"]
    assert os.listdir(tmp_path / "d") == []


# --- SIGTERM --------------------------------------------------------------------


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _running(pid):
    """Alive and not a zombie (a zombie has stopped; its parent reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads worker processes from /proc")
def test_sigterm_stops_workers_and_keeps_a_resumable_output(tmp_path):
    """Sent to the command alone (as ``kill`` and service managers do), SIGTERM
    killed it at once and left its worker processes running on their own and
    its results' directory in $TMPDIR."""
    inp, out, part = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    n = 2000
    _corpus(inp, n)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(out), "--quiet", "--workers", "2",
           "--site-window", "50"]
    # A session of its own, so that whatever the run leaves is killed below;
    # stderr to a file, which workers left running would not hold open.
    err_file = tmp_path / "stderr"
    with open(err_file, "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stderr=err, start_new_session=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            if len(workers) == 2 and part.exists() and part.stat().st_size > 0:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be stopped"
        assert len(workers) == 2 and os.listdir(tmp), "no workers (or no results' directory) to stop"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        err = err_file.read_text()
        assert proc.returncode == 143, err  # not -15: killed by the signal, leaving the rest behind
        assert err.count("\n") == 1 and err.startswith("Terminated (SIGTERM) after ") and "--resume" in err, err
        deadline = time.monotonic() + 10
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_running, workers)), "worker processes outlived the run"
        assert os.listdir(tmp) == [], "the results' directory was left behind"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
    assert part.exists() and not out.exists()
    res = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, timeout=300)
    assert res.returncode == 3, res.stderr  # the corpus ends with one bad line
    ids = [orjson.loads(line)["id"] for line in out.read_bytes().splitlines()]
    assert ids == [f"doc-{i:05d}" for i in range(n)]
