"""Faults as they happen to a real run, in real subprocesses: the run killed
with SIGKILL mid-way and continued with --resume, on 1 and 2 local workers and
on Dask; a Dask worker killed mid-run. Each must end byte-identical to an
uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from .test_resume import _corpus

pytest.importorskip("psutil")
N_DOCS = 2500


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The input and its uninterrupted output (the local engine, 1 worker: the
    engines and worker counts give the same bytes by design, tested elsewhere)."""
    d = tmp_path_factory.mktemp("faults")
    inp = d / "in.jsonl"
    _corpus(inp, N_DOCS)
    full = d / "full.jsonl"
    res = subprocess.run(_cmd(inp, full, "1"), capture_output=True)
    assert res.returncode == 3, res.stderr  # the corpus ends with one bad line
    return inp, full.read_bytes()


def _cmd(inp, out, workers, *extra):
    engine = ["--engine", "dask", "--workers", "2"] if workers == "dask" else ["--workers", workers]
    return [sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(out), "--quiet", "--site-window", "50",
            *engine, *extra]


def _wait_for_partial(proc, part, size, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if part.exists() and part.stat().st_size > size:
            return
        time.sleep(0.01)


def _own_tmp(tmp_path):
    """An environment whose temporary directory is the test's own, and that directory."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return {**os.environ, "TMPDIR": str(tmp)}, tmp


def _spools(tmp):
    from cleaner.executors import SPOOL_PREFIX

    return sorted(p.name for p in tmp.iterdir() if p.name.startswith(SPOOL_PREFIX))


@pytest.mark.parametrize("workers", ["1", "2", "dask"])
def test_sigkill_then_resume_is_identical(tmp_path, corpus, workers):
    inp, want = corpus
    out, part = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    env, tmp = _own_tmp(tmp_path)
    # Its own process group: the kill takes the run and its workers at once, as
    # a killed job does.
    proc = subprocess.Popen(_cmd(inp, out, workers), start_new_session=True, stderr=subprocess.DEVNULL, env=env)
    _wait_for_partial(proc, part, len(want) // 3)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists() and 0 < part.stat().st_size < len(want)
    # Killed with its workers, the run could not remove its results directory;
    # the next run removes it, and its own.
    assert len(_spools(tmp)) == (1 if workers == "2" else 0)
    res = subprocess.run(_cmd(inp, out, workers, "--resume"), capture_output=True, env=env)
    assert res.returncode == 3, res.stderr
    assert out.read_bytes() == want
    assert len((tmp_path / "out.rejects.jsonl").read_bytes().splitlines()) == 1
    if workers != "dask":
        assert _spools(tmp) == []


def test_workers_leave_when_the_run_is_killed_alone(tmp_path, corpus):
    """kill -9 of the command alone (not its group: the OOM killer's choice)
    cannot stop its workers; they notice and leave instead of sitting idle."""
    import psutil

    inp, want = corpus
    out, part = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    env, tmp = _own_tmp(tmp_path)
    proc = subprocess.Popen(_cmd(inp, out, "2"), start_new_session=True, stderr=subprocess.DEVNULL, env=env)
    try:
        _wait_for_partial(proc, part, len(want) // 4)
        assert proc.poll() is None, "the run finished before it could be killed"
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        assert len(_spools(tmp)) == 1
        proc.kill()
        proc.wait()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == []
        assert _spools(tmp) == []  # the workers removed it, leaving
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("dedup", ["mark", "off"])
def test_dask_worker_killed_mid_run_completes_identically(tmp_path, corpus, dedup):
    """A task on the dead worker is run again by the scheduler; the dedup index
    shards the worker held are gone, so the run continues from its own partial
    output on fresh workers (as --resume does), without the user's help."""
    import psutil

    inp, want = corpus
    out, part = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    extra = ["--dedup", dedup]
    if dedup == "off":
        subprocess.run(_cmd(inp, tmp_path / "ref.jsonl", "1", *extra), capture_output=True)
        want = (tmp_path / "ref.jsonl").read_bytes()
    proc = subprocess.Popen(_cmd(inp, out, "dask", *extra), stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for_partial(proc, part, len(want) // 4)
        assert proc.poll() is None, "the run finished before a worker could be killed"
        workers = [p for p in psutil.Process(proc.pid).children()
                   if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]
        assert len(workers) == 2
        workers[0].kill()
        err = proc.communicate(timeout=300)[1].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    assert out.read_bytes() == want


def test_local_worker_killed_mid_run_completes_identically(tmp_path, corpus):
    """A dead local worker process breaks the whole pool: the command continues
    from its own partial output on a fresh pool."""
    import psutil

    inp, want = corpus
    out, part = tmp_path / "out.jsonl", tmp_path / ".out.jsonl.partial"
    proc = subprocess.Popen(_cmd(inp, out, "2"), stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for_partial(proc, part, len(want) // 4)
        assert proc.poll() is None, "the run finished before a worker could be killed"
        workers = [p for p in psutil.Process(proc.pid).children() if "resource_tracker" not in " ".join(p.cmdline())]
        assert workers
        workers[0].kill()
        err = proc.communicate(timeout=300)[1].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    assert out.read_bytes() == want
