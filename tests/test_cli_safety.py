"""The user's files through the real command: outputs never overwrite inputs
(refused before anything is written, exit 2, one line), write errors are one
line with the next step (exit 4) and leave a resumable partial output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import orjson
import pytest

from .test_resume import _corpus

SENT = "The council approved the harbour plan on Tuesday after a long debate, officials said."


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "cleaner", "clean", *map(str, args), "--quiet", "--workers", "1"],
                          capture_output=True, timeout=300, cwd=cwd, env=env)


def jsonl(path, n=3):
    path.write_bytes(b"".join(orjson.dumps({"id": f"r{i}", "text": f"{SENT} Item {i} of the list."}) + b"\n"
                              for i in range(n)))
    return path.read_bytes()


def one_line_error(res, code, *needles):
    err = res.stderr.decode()
    assert res.returncode == code, err
    assert err.count("\n") == 1 and err.startswith("Error: ") and "Traceback" not in err, err
    for n in needles:
        assert n in err, err


def test_output_naming_the_input_is_refused(tmp_path):
    same = tmp_path / "same.jsonl"
    before = jsonl(same)
    res = cli(same, "-o", same)
    one_line_error(res, 2, "never overwrites its inputs")
    assert same.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["same.jsonl"]  # nothing written, no partial file


@pytest.mark.parametrize("how", ["symlink", "hardlink", "dotted"])
def test_output_reaching_the_input_through_a_link_is_refused(tmp_path, how):
    src = tmp_path / "data" / "in.jsonl"
    src.parent.mkdir()
    before = jsonl(src)
    out = tmp_path / "out.jsonl"
    if how == "symlink":
        os.symlink(src, out)
    elif how == "hardlink":
        os.link(src, out)
    else:
        out = tmp_path / "data" / ".." / "data" / "in.jsonl"
    res = cli(src, "-o", out)
    one_line_error(res, 2)
    assert src.read_bytes() == before


def test_rejects_naming_the_input_or_the_output_is_refused(tmp_path):
    src = tmp_path / "in.jsonl"
    before = jsonl(src)
    one_line_error(cli(src, "-o", tmp_path / "out.jsonl", "--rejects", src), 2, "--rejects")
    one_line_error(cli(src, "-o", tmp_path / "out.jsonl", "--rejects", tmp_path / "out.jsonl"), 2,
                   "are the same file")
    one_line_error(cli(src, "-o", tmp_path / "o.jsonl", "--part-records", "2", "--rejects",
                       tmp_path / "o-00001.jsonl"), 2, "are the same file")
    one_line_error(cli(src, "-o", tmp_path / "out.jsonl", "--index", src), 2, "--index")
    assert src.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]


def test_parts_naming_an_input_are_refused(tmp_path):
    src = tmp_path / "out-00001.jsonl"
    before = jsonl(src)
    one_line_error(cli(src, "-o", tmp_path / "out.jsonl", "--part-records", "2"), 2)
    assert src.read_bytes() == before


def test_output_inside_the_input_directory(tmp_path):
    """A new output inside the input directory is written and not read back as
    input; an existing file there (an input, or the last run's output) is
    refused, since the walk would read it and the run then replace it."""
    data = tmp_path / "data"
    data.mkdir()
    before = jsonl(data / "in.jsonl")
    one_line_error(cli(data, "-o", data / "in.jsonl"), 2, "already exists inside the input directory")
    assert (data / "in.jsonl").read_bytes() == before
    res = cli(data, "-o", data / "out.jsonl", "--part-records", "1")
    assert res.returncode == 0, res.stderr
    ids = [orjson.loads(line)["id"] for k in range(3) for line in (data / f"out-{k:05d}.jsonl").read_bytes().splitlines()]
    assert ids == ["r0", "r1", "r2"]
    res = cli(data, "-o", data / "out.jsonl")  # a single file this time: the parts are inputs now
    assert res.returncode == 0, res.stderr
    assert len((data / "out.jsonl").read_bytes().splitlines()) == 3 + 3  # in.jsonl's and the parts' records
    one_line_error(cli(data, "-o", data / "out.jsonl"), 2, "already exists inside the input directory")
    assert (data / "in.jsonl").read_bytes() == before


def test_a_link_planted_as_the_partial_file_is_not_written_through(tmp_path):
    src = tmp_path / "in.jsonl"
    before = jsonl(src)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / ".out.jsonl.partial")
    res = cli(src, "-o", tmp_path / "out.jsonl")
    assert res.returncode == 0, res.stderr
    assert victim.read_text() == "keep me" and src.read_bytes() == before
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 3
    os.symlink(victim, tmp_path / ".again.jsonl.partial")
    one_line_error(cli(src, "-o", tmp_path / "again.jsonl", "--resume"), 2, "not a plain partial output file")
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("planted,extra", [(".out.jsonl.resume.json.tmp", []),
                                            (".idx.npz.tmp", ["--index", "idx.npz"])])
def test_a_link_planted_as_a_temporary_file_is_not_written_through(tmp_path, planted, extra):
    """The fingerprint's and the index's temporary files were opened
    following a link planted under their names: the file it pointed at was
    replaced (an input by the fingerprint, before it was read), and the index
    became a link to it. (A link to an input is refused before anything is
    written: an input named like a file the run writes, above.)"""
    src = tmp_path / "data.jsonl"
    before = jsonl(src)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / planted)
    res = cli(src, "-o", tmp_path / "out.jsonl", *[tmp_path / x if x.endswith(".npz") else x for x in extra])
    assert res.returncode == 0, res.stderr
    assert victim.read_text() == "keep me" and src.read_bytes() == before
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 3
    if extra:
        assert not os.path.islink(tmp_path / "idx.npz")


def test_a_glob_that_matches_hidden_names_never_reads_the_runs_own_files(tmp_path):
    """``d/.*`` matched the hidden partial output, which was read back as it
    grew, until the disk was full."""
    d = tmp_path / "d"
    d.mkdir()
    jsonl(d / ".data.jsonl", 40)
    res = cli(str(d) + "/.*", "-o", d / "out.jsonl")
    assert res.returncode == 0, res.stderr
    assert len((d / "out.jsonl").read_bytes().splitlines()) == 40


def test_standard_output_redirected_into_an_input_is_refused(tmp_path):
    """``cleaner clean in.jsonl >> in.jsonl`` read what it appended, without end."""
    src = tmp_path / "in.jsonl"
    before = jsonl(src)
    cmd = [sys.executable, "-m", "cleaner", "clean", str(src), "--quiet", "--workers", "1"]
    with open(src, "ab") as out:
        res = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, timeout=120)
    assert res.returncode == 2 and b"redirected into the input" in res.stderr, res.stderr
    assert src.read_bytes() == before
    d = tmp_path / "d"
    d.mkdir()
    jsonl(d / "a.jsonl")
    with open(d / "out.jsonl", "wb") as out:
        res = subprocess.run(cmd[:4] + [str(d)] + cmd[5:], stdout=out, stderr=subprocess.PIPE, timeout=120)
    assert res.returncode == 2 and b"inside the input directory" in res.stderr, res.stderr
    with open(tmp_path / "elsewhere.jsonl", "wb") as out:
        assert subprocess.run(cmd, stdout=out, timeout=120).returncode == 0
    assert len((tmp_path / "elsewhere.jsonl").read_bytes().splitlines()) == 3


def test_a_file_named_as_a_later_part_inside_an_input_directory_is_refused(tmp_path):
    """A lone out-00002.jsonl in the input directory was left out of the walk
    as a part of the output, and removed at the end as a longer run's."""
    d = tmp_path / "dir"
    d.mkdir()
    jsonl(d / "a.jsonl", 2)
    mine = jsonl(d / "out-00002.jsonl", 2)
    res = cli(d, "-o", d / "out.jsonl", "--part-records", "1")
    one_line_error(res, 2, "out-00002.jsonl already exists inside the input directory")
    assert (d / "out-00002.jsonl").read_bytes() == mine


# --- write errors --------------------------------------------------------------------

_FAULTY = textwrap.dedent("""
    import errno, os, sys
    import cleaner.write as w

    LIMIT, ERR = int(os.environ["FAULT_AFTER_BYTES"]), getattr(errno, os.environ["FAULT_ERRNO"])
    real_open = w._open_partial

    class Faulty:
        '''A file that takes LIMIT bytes, writes part of the next write and then fails, as a full disk does.'''
        def __init__(self, f):
            self.f, self.n = f, 0
        def write(self, b):
            if self.n + len(b) > LIMIT:
                room = max(0, LIMIT - self.n)
                self.f.write(b[:room]); self.f.flush(); self.n += room
                raise OSError(ERR, os.strerror(ERR))
            self.n += len(b)
            return self.f.write(b)
        def __getattr__(self, name):
            return getattr(self.f, name)

    def faulty_open(path, *, append):
        f = real_open(path, append=append)
        return Faulty(f) if path.endswith(os.environ["FAULT_FILE"]) else f

    w._open_partial = faulty_open
    from cleaner.cli import run_cli
    sys.argv = ["cleaner", *sys.argv[1:]]
    run_cli()
""")


def faulty_cli(tmp_path, args, after_bytes, err="ENOSPC", file=".out.jsonl.partial"):
    script = tmp_path / "faulty.py"
    script.write_text(_FAULTY)
    env = dict(os.environ, FAULT_AFTER_BYTES=str(after_bytes), FAULT_ERRNO=err, FAULT_FILE=file)
    return subprocess.run([sys.executable, str(script), "clean", *map(str, args), "--quiet", "--workers", "1"],
                          capture_output=True, timeout=300, env=env)


@pytest.mark.parametrize("err,why,step", [
    ("ENOSPC", "no space left on the device", "free some space, then run the same command again with --resume"),
    ("EACCES", "permission denied", "choose a place you may write to"),
    ("EIO", "Input/output error", "fix the cause"),
])
def test_write_error_is_one_line_and_the_run_resumes(tmp_path, err, why, step):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 120)
    full = tmp_path / "full.jsonl"
    subprocess.run([sys.executable, "-m", "cleaner", "clean", inp, "-o", full, "--quiet", "--workers", "1",
                    "--site-window", "50"], check=False)
    want = full.read_bytes()
    out = tmp_path / "out.jsonl"
    res = faulty_cli(tmp_path, [inp, "-o", out, "--site-window", "50"], after_bytes=len(want) // 2, err=err)
    one_line_error(res, 4, f"cannot write the output {out}: {why}", step)
    assert not out.exists()
    part = (tmp_path / ".out.jsonl.partial").read_bytes()
    assert 0 < len(part) <= len(want) // 2 and not part.endswith(b"\n")  # a torn line, as a full disk leaves
    res = cli(inp, "-o", out, "--site-window", "50", "--resume")
    assert res.returncode == 3, res.stderr  # the corpus's one bad line
    assert out.read_bytes() == want


_FAIL_PUBLISH = textwrap.dedent("""
    import errno, os, sys
    import cleaner.write as w

    real = w.publish

    def publish(f, tmp, path):
        # The output cannot be put in place (a full disk at the last step).
        if path.endswith("out.jsonl"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(f, tmp, path)

    w.publish = publish
    from cleaner.cli import run_cli
    sys.argv = ["cleaner", *sys.argv[1:]]
    run_cli()
""")


def test_the_index_goes_in_place_only_after_the_outputs(tmp_path):
    # Saved before the output was published, an index kept documents whose
    # records were never written, and --resume added them a second time.
    from cleaner.dedup import read_index

    day1, day2 = tmp_path / "day1.jsonl", tmp_path / "day2.jsonl"
    _corpus(day1, 30)
    lines = day1.read_bytes().splitlines()[:-1]  # not the broken line
    day2.write_bytes(b"".join(line.replace(b'"doc-', b'"copy-') + b"\n" for line in lines[:12]))
    idx, ref_idx = tmp_path / "idx.npz", tmp_path / "ref.npz"
    assert cli(day1, "-o", tmp_path / "d1.jsonl", "--index", idx).returncode == 3  # the broken line
    shutil.copy(idx, ref_idx)
    assert cli(day2, "-o", tmp_path / "ref.jsonl", "--index", ref_idx).returncode == 0
    before = idx.read_bytes()
    script = tmp_path / "failpub.py"
    script.write_text(_FAIL_PUBLISH)
    res = subprocess.run([sys.executable, str(script), "clean", str(day2), "-o", str(tmp_path / "out.jsonl"),
                          "--index", str(idx), "--quiet", "--workers", "1"], capture_output=True, timeout=300)
    one_line_error(res, 4, "cannot write the output")
    assert idx.read_bytes() == before and not (tmp_path / ".idx.npz.tmp").exists()
    res = cli(day2, "-o", tmp_path / "out.jsonl", "--index", idx, "--resume")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
    got, want = read_index(str(idx)), read_index(str(ref_idx))
    assert got.keys() == want.keys() and all((got[k] == want[k]).all() for k in got)


def test_write_error_in_the_rejects_file(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 5)
    res = faulty_cli(tmp_path, [inp, "-o", tmp_path / "out.jsonl"], after_bytes=10,
                     file=".out.rejects.jsonl.partial")
    one_line_error(res, 4, "cannot write the rejects file", "no space left")


def test_output_directory_that_cannot_exist(tmp_path):
    (tmp_path / "a.txt").write_text(SENT)
    res = cli(tmp_path / "a.txt", "-o", tmp_path / "a.txt" / "sub" / "out.jsonl")
    one_line_error(res, 4, "cannot write the output")


def test_closed_stdout_is_one_line(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 300)
    p = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(inp), "--quiet", "--workers", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert p.returncode == 4 and "Traceback" not in err and err.count("Error:") == 1, err


def _mount_small_tmpfs(where, size):
    if sys.platform != "linux" or not shutil.which("mount"):
        return "needs Linux mount"
    where.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if res.returncode != 0:
        return f"cannot mount a small tmpfs here ({res.stderr.decode().strip() or 'not root'})"
    return None


def test_real_full_filesystem(tmp_path):
    """A real full disk: a 64 KiB tmpfs (needs root, which CI here has; skipped
    where mounting is not allowed). Freed (grown), --resume finishes the job."""
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 400)
    full = tmp_path / "full.jsonl"
    subprocess.run([sys.executable, "-m", "cleaner", "clean", inp, "-o", full, "--quiet", "--workers", "1",
                    "--site-window", "50"], check=False)
    want = full.read_bytes()
    assert len(want) > 256 << 10
    mnt = tmp_path / "small"
    why = _mount_small_tmpfs(mnt, "64k")
    if why:
        pytest.skip(why)
    try:
        out = mnt / "out.jsonl"
        res = cli(inp, "-o", out, "--site-window", "50", "--rejects", tmp_path / "rej.jsonl")
        one_line_error(res, 4, f"cannot write the output {out}: no space left on the device",
                       "free some space, then run the same command again with --resume")
        assert not out.exists() and (mnt / ".out.jsonl.partial").exists()
        subprocess.run(["mount", "-o", "remount,size=4m", str(mnt)], check=True)
        res = cli(inp, "-o", out, "--site-window", "50", "--rejects", tmp_path / "rej.jsonl", "--resume")
        assert res.returncode == 3, res.stderr
        assert out.read_bytes() == want
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_device_outputs_are_written_not_replaced(tmp_path):
    """/dev/full is a disk that is always full; /dev/stdout a link to a pipe.
    Neither may be replaced by a regular file (as root, an atomic rename would)."""
    src = tmp_path / "in.jsonl"
    jsonl(src)
    res = cli(src, "-o", "/dev/full")
    one_line_error(res, 4, "cannot write the output /dev/full: no space left on the device",
                   "run the same command again")
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")
    res = cli(src, "-o", "/dev/stdout")
    assert res.returncode == 0, res.stderr
    assert [orjson.loads(line)["id"] for line in res.stdout.splitlines()] == ["r0", "r1", "r2"]
    assert os.path.islink("/dev/stdout") or not os.path.isfile("/dev/stdout")
    one_line_error(cli(src, "-o", "/dev/stdout", "--resume"), 2, "--resume needs an output file")


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs /proc/self/fd")
def test_descriptor_outputs_redirected_to_files_are_written_into_them(tmp_path):
    """``-o /dev/stdout > file`` points the output at a regular file through a
    descriptor link: written into what the shell opened, never renamed over
    the link (which replaced the system's /dev/stdout). A link of the test's
    own stands for /dev/stdout and /dev/stderr, so a regression cannot break
    the machine's."""
    src = tmp_path / "in.jsonl"
    jsonl(src)
    src.write_bytes(src.read_bytes() + b"not json\n")
    out, err = tmp_path / "fd1", tmp_path / "fd2"
    os.symlink("/proc/self/fd/1", out)
    os.symlink("/proc/self/fd/2", err)
    redirected = tmp_path / "redirected.jsonl"
    with open(redirected, "wb") as f:
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(out), "--rejects", str(err),
                              "--quiet", "--workers", "1"], stdout=f, stderr=subprocess.STDOUT, timeout=300)
    assert res.returncode == 3
    assert os.path.islink(out) and os.path.islink(err)
    lines = [orjson.loads(line) for line in redirected.read_bytes().splitlines()]
    assert sorted(r.get("id") or r["reason"] for r in lines) == ["invalid-json", "r0", "r1", "r2"]
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]
    # Appended with >>: what the file held stays.
    with open(redirected, "ab") as f:
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(out), "--quiet",
                              "--workers", "1"], stdout=f, stderr=subprocess.DEVNULL, timeout=300)
    assert res.returncode == 3 and len(redirected.read_bytes().splitlines()) == 7
    # The same link, pointed at the input: refused before anything is written.
    before = src.read_bytes()
    with open(src, "ab") as f:
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(out), "--quiet",
                              "--workers", "1"], stdout=f, stderr=subprocess.PIPE, timeout=300)
    one_line_error(res, 2, "never overwrites its inputs")
    assert src.read_bytes() == before


def test_streams_are_never_fsynced(tmp_path, monkeypatch):
    """fsync on a pipe or /dev/null fails (EINVAL): a run writing there for
    longer than SYNC_SECONDS must not stop with a write error."""
    from cleaner import write

    monkeypatch.setattr(write, "SYNC_SECONDS", -1.0)
    with write.JsonlWriter(os.devnull) as w:
        w.write({"id": "a"})
        w.write({"id": "b"})
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    import threading

    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    with write.JsonlWriter(str(fifo)) as w:
        w.write({"id": "a"})
        w.write({"id": "b"})
    reader.join(10)
    assert got == [b'{"id":"a"}\n{"id":"b"}\n']


def test_output_directory_removed_mid_run(tmp_path):
    inp = tmp_path / "in.jsonl"
    _corpus(inp, 1500)
    outdir = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(inp), "-o", str(outdir / "o.jsonl"),
                             "--quiet", "--workers", "1"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (outdir / ".o.jsonl.partial").exists():
        time.sleep(0.01)
    shutil.rmtree(outdir)
    err = proc.communicate(timeout=300)[1]
    res = subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)
    # The rejects file is finished first, so it is the one named.
    one_line_error(res, 4, f"cannot write the rejects file {outdir / 'o.rejects.jsonl'}: its directory is gone",
                   "create the directory again, then run the same command again with --resume")


@pytest.mark.parametrize("side,extra", [
    (".out.jsonl.partial", []),
    (".out.jsonl.resume.json", []),
    (".out.jsonl.resume.json.tmp", []),
    (".out.rejects.jsonl.partial", []),
    (".idx.npz.tmp", ["--index", "idx.npz"]),
    (".out-00001.jsonl.partial", ["--part-records", "1"]),
])
def test_an_input_named_like_a_file_the_run_writes_beside_its_output_is_refused(tmp_path, side, extra):
    """The hidden partial files, the resume fingerprint and the index's
    temporary file are written and then renamed or removed: named as an
    input, one was deleted by the run."""
    src = tmp_path / side
    before = jsonl(src)
    res = cli(src, "-o", tmp_path / "out.jsonl", *[tmp_path / x if x.endswith(".npz") else x for x in extra])
    one_line_error(res, 2, "never overwrites its inputs", side)
    assert src.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [side]


def test_an_output_named_like_another_outputs_partial_file_is_refused(tmp_path):
    """--rejects .out.jsonl.partial replaced the output with the rejects."""
    src = tmp_path / "in.jsonl"
    jsonl(src)
    res = cli(src, "-o", tmp_path / "out.jsonl", "--rejects", tmp_path / ".out.jsonl.partial")
    one_line_error(res, 2, "--rejects", "writes for -o while it runs")
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl"]
