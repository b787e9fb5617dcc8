"""--resume: a killed run continues where it stopped, nothing written twice or lost,
and the result is byte-identical to an uninterrupted run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import orjson
import pytest

import cleaner
from cleaner import resume
from cleaner.read import survey

DEDUP = "mark"
WORDS = ("harbour bridge council vote budget storm traffic engineer mayor river port ferry tunnel "
         "school clinic market rail station museum library festival season winter summer").split()


def _corpus(path, n, seed=7):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        for i in range(n):
            paras = []
            for _ in range(rng.randint(2, 5)):
                words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
                paras.append(" ".join(words).capitalize() + ".")
            text = "\n".join(["Home", "News", *paras, "© 2025 Harbour Gazette"])
            rec = {"id": f"doc-{i:05d}", "url": f"https://site{i % 7}.example/a/{i}", "text": text}
            f.write(orjson.dumps(rec) + b"\n")
        f.write(b"{not json}\n")


def _record_fingerprint(inp, out, **options):
    """What a real run writes beside its partial output before the first record."""
    opts = cleaner.Options(site_window=50, dedup=DEDUP, **options)
    resume.save(str(out), resume.fingerprint(survey([str(inp)], opts), opts))


def _cmd(inp, out, *extra):
    return [sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(out), "--quiet", "--workers", "1",
            "--site-window", "50", "--dedup", DEDUP, *extra]


def test_resume_after_torn_partial_is_identical(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 400)
    full = tmp_path / "full.jsonl"
    subprocess.run(_cmd(inp, full), check=False)
    want = full.read_bytes()
    lines = want.splitlines(keepends=True)
    # Simulate a run killed mid-write: 123 whole records and half of the next.
    out = tmp_path / "out.jsonl"
    (tmp_path / ".out.jsonl.partial").write_bytes(b"".join(lines[:123]) + lines[123][:40])
    _record_fingerprint(inp, out)
    res = subprocess.run(_cmd(inp, out, "--resume"))
    assert res.returncode == 3  # the bad line is still reported
    assert out.read_bytes() == want
    assert not (tmp_path / ".out.jsonl.partial").exists()
    assert not (tmp_path / ".out.jsonl.resume.json").exists()
    rejects = (tmp_path / "out.rejects.jsonl").read_bytes().splitlines()
    assert len(rejects) == 1


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_resume_after_sigkill(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 3000)
    full = tmp_path / "full.jsonl"
    subprocess.run(_cmd(inp, full), check=False)
    out = tmp_path / "out.jsonl"
    part = tmp_path / ".out.jsonl.partial"
    proc = subprocess.Popen(_cmd(inp, out))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if part.exists() and part.stat().st_size > 50_000:
            break
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not out.exists()  # killed: the final file was never written
    # Whatever a reader finds in the partial file is whole JSON lines (plus at most a torn tail).
    body = part.read_bytes() if part.exists() else b""
    for line in body.splitlines(keepends=True)[:-1]:
        orjson.loads(line)
    subprocess.run(_cmd(inp, out, "--resume"))
    assert out.read_bytes() == full.read_bytes()


def test_resume_needs_a_file(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 3)
    res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(inp), "--resume", "--quiet"],
                         capture_output=True)
    assert res.returncode == 2
    assert b"--resume needs an output file" in res.stderr


def _interrupted_run(tmp_path, records=50):
    """A partial output of ``records`` records, and its fingerprint, as a killed run leaves them."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 200)
    out = tmp_path / "out.jsonl"
    full = tmp_path / "full.jsonl"
    subprocess.run(_cmd(inp, full), check=False)
    lines = full.read_bytes().splitlines(keepends=True)
    (tmp_path / ".out.jsonl.partial").write_bytes(b"".join(lines[:records]))
    _record_fingerprint(inp, out)
    return inp, out, full


def test_resume_refused_when_an_input_changed(tmp_path):
    inp, out, _ = _interrupted_run(tmp_path)
    before = (tmp_path / ".out.jsonl.partial").read_bytes()
    with open(inp, "ab") as f:
        f.write(orjson.dumps({"id": "late", "text": "A record added after the run was interrupted."}) + b"\n")
    res = subprocess.run(_cmd(inp, out, "--resume"), capture_output=True)
    assert res.returncode == 2
    err = res.stderr.decode().strip()
    assert err.startswith(f"Error: cannot resume {out}: it was made from other inputs: {inp} changed (size "), err
    assert err.endswith("Run with the same inputs and options, or without --resume to start again"), err
    assert (tmp_path / ".out.jsonl.partial").read_bytes() == before and not out.exists()
    # A second input is named now.
    other = tmp_path / "other.jsonl"
    _corpus(other, 3)
    inp.write_bytes(inp.read_bytes())  # same bytes, new mtime: still a change
    res = subprocess.run(_cmd(inp, out, "--resume")[:4] + [str(other)] + _cmd(inp, out, "--resume")[4:],
                         capture_output=True)
    assert res.returncode == 2 and f"{other} is new" in res.stderr.decode(), res.stderr


def test_resume_refused_when_options_changed(tmp_path):
    inp, out, full = _interrupted_run(tmp_path)
    res = subprocess.run(_cmd(inp, out, "--resume", "--dedup", "off", "--threshold", "0.5"), capture_output=True)
    assert res.returncode == 2
    assert ("it was made from other options: --dedup was mark, now off, --threshold was 0.4, now 0.5"
            in res.stderr.decode()), res.stderr
    # Where the work runs is not part of it: more workers continue the same output.
    res = subprocess.run(_cmd(inp, out, "--resume", "--workers", "2"))
    assert res.returncode == 3 and out.read_bytes() == full.read_bytes()


def test_resume_refused_without_a_fingerprint(tmp_path):
    inp, out, _ = _interrupted_run(tmp_path)
    os.unlink(tmp_path / ".out.jsonl.resume.json")
    res = subprocess.run(_cmd(inp, out, "--resume"), capture_output=True)
    assert res.returncode == 2 and b"has no record of the inputs and options" in res.stderr


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs process groups")
def test_ctrl_c_says_how_to_resume_and_resume_completes(tmp_path):
    """Ctrl-C reaches the whole process group (the command and its workers):
    one line says how to go on, no worker prints a traceback, and --resume
    then gives the uninterrupted run's bytes."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 3000)
    full = tmp_path / "full.jsonl"
    subprocess.run(_cmd(inp, full), check=False)
    out = tmp_path / "out.jsonl"
    cmd = [c for c in _cmd(inp, out) if c != "--quiet"]
    cmd[cmd.index("--workers") + 1] = "2"
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, start_new_session=True)
    part = tmp_path / ".out.jsonl.partial"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if part.exists() and part.stat().st_size > 50_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("Interrupted after ") and lines[0].endswith(
        f"records; {out} was not finished. Run the same command with --resume to continue from the records "
        f"written."), err
    assert subprocess.run(_cmd(inp, out, "--resume")).returncode == 3
    assert out.read_bytes() == full.read_bytes()


@pytest.mark.parametrize("surfaced", ["worker-lost", "error", "wrapped"])
def test_workers_lost_to_ctrl_c_is_an_interrupt_not_a_failure(tmp_path, monkeypatch, surfaced):
    """Ctrl-C reaches the workers too: when their exit surfaces as a lost
    worker (or any error) after this process saw the signal, the run says
    "Interrupted" and exits 130; it does not restart on fresh workers or exit 1.
    "wrapped" is the signal's KeyboardInterrupt raised inside a compiled
    extension and handed on as a SystemError (seen in CI: numba loading a
    cached kernel when Ctrl-C came)."""
    from typer.testing import CliRunner

    from cleaner import cli
    from cleaner.errors import CleanerError, WorkerLostError

    inp = tmp_path / "in.jsonl"
    _corpus(inp, 5)
    calls = []

    def lost(*args, **kwargs):
        calls.append(1)
        cli._CTRL_C.append(True)  # what the SIGINT handler records before its KeyboardInterrupt
        if surfaced == "worker-lost":
            raise WorkerLostError("a worker process died")
        if surfaced == "error":
            raise CleanerError("the pool broke")
        raise SystemError("CPUDispatcher(<function _group>) returned a result with an exception set")

    monkeypatch.setattr(cli, "_run", lost)
    result = CliRunner().invoke(cli.app, ["clean", str(inp), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 130, result.output
    assert calls == [1]
    assert "Interrupted after 0 records" in result.output


def test_resume_from_standard_input_is_refused(tmp_path):
    """Nothing can tell whether standard input holds what the interrupted run
    read: continued over other data, the output mixed two inputs."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 5)
    with open(inp, "rb") as f:
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", "-", "-o", str(tmp_path / "out.jsonl"),
                              "--resume", "--quiet"], stdin=f, capture_output=True)
    assert res.returncode == 2 and b"standard input" in res.stderr and res.stderr.count(b"\n") == 1
    assert not list(tmp_path.glob("*out*")) and not list(tmp_path.glob(".*"))


def test_a_resumed_run_replays_each_records_roles():
    """The replay into the dedup index takes a code block as one passage, as
    the first run did: the records' roles go with their texts."""
    from cleaner.cli import _roles_of

    assert _roles_of({"roles": ["p", "code", "code"]}) == ("p", "code", "code")
    assert _roles_of({"text": "a"}) is None and _roles_of({"roles": "code"}) is None
    assert _roles_of({"roles": ["p", 3]}) is None


def test_resume_after_a_finished_run_is_refused_and_the_index_stays(tmp_path):
    """Nothing is left to continue: going on wrote every record again (as
    ``a#2``, a near duplicate of itself) and added each document to the
    index a second time."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 5)
    out, index = tmp_path / "out.jsonl", tmp_path / "news.idx.npz"
    cmd = [sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(out), "-w", "1", "--quiet",
           "--index", str(index)]
    assert subprocess.run(cmd).returncode in (0, 3)  # the corpus holds records to reject
    before = (out.read_bytes(), index.read_bytes())
    res = subprocess.run(cmd + ["--resume"], capture_output=True)
    assert res.returncode == 2 and b"is complete" in res.stderr, res.stderr
    assert (out.read_bytes(), index.read_bytes()) == before
