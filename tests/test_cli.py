"""The command line through real subprocesses: exit codes, messages, stdin to
stdout, rejects file placement, atomic and compressed outputs, determinism."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import orjson
import zstandard

import cleaner

ROOT = Path(__file__).resolve().parent.parent
DUMP = ("Home\nNews\nHarbour bridge rebuild approved\nBy Jane Porter\nThe city council approved a plan on Tuesday to "
        "rebuild the old harbour bridge, ending two years of debate about how to pay for the work.\nEngineers said "
        "the new bridge would carry twice as much traffic and would be built to withstand stronger storms.\n"
        "© 2025 Harbour Gazette. All rights reserved.\n")


def cli(*args, input=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "cleaner", *map(str, args)], input=input, capture_output=True,
                          cwd=cwd, timeout=120)


def test_stdin_to_stdout_pipeline():
    lines = b"".join(orjson.dumps({"id": f"r{i}", "url": "https://gazette.example/a", "text": DUMP,
                                   "source_feed": "rss"}) + b"\n" for i in range(3))
    res = cli("clean", "-", input=lines)
    assert res.returncode == 0, res.stderr
    recs = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert [r["id"] for r in recs] == ["r0", "r1", "r2"]
    assert recs[0]["author"] == "Jane Porter"
    assert recs[0]["metadata"] == {"source_feed": "rss"}
    assert "© 2025" not in recs[0]["text"]
    assert recs[1]["near_duplicate_of"] == "r0"
    summary = res.stderr.decode().strip().splitlines()[-1]
    assert summary.startswith("documents in 3, out 3, rejected 0;")
    # The index's memory, without a per-passage figure (for 3 documents its
    # fixed tables made that "millions of bytes each").
    assert summary.endswith(" MB of memory") and "bytes each" not in summary


def test_quiet_prints_nothing_on_stderr():
    res = cli("clean", "-", "--quiet", input=orjson.dumps({"id": "a", "text": DUMP}) + b"\n")
    assert res.returncode == 0 and res.stderr == b""


def test_rejects_file_next_to_output_and_exit_code_3(tmp_path):
    (tmp_path / "in.jsonl").write_bytes(b'{"id": "a", "text": "Some fine text that is here."}\nnot json\n')
    res = cli("clean", tmp_path / "in.jsonl", "-o", tmp_path / "out.jsonl")
    assert res.returncode == 3
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 1
    [rej] = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert rej["reason"] == "invalid-json" and rej["line"] == 2
    assert "rejected 1" in res.stderr.decode()


def test_rejects_go_to_stderr_when_output_is_stdout(tmp_path):
    res = cli("clean", "-", input=b'{"id": "a", "text": null}\n')
    assert res.returncode == 3 and res.stdout == b""
    assert b'"reason":"no-content"' in res.stderr


def test_no_rejects_file_when_nothing_was_rejected(tmp_path):
    (tmp_path / "a.txt").write_text(DUMP)
    assert cli("clean", tmp_path / "a.txt", "-o", tmp_path / "out.jsonl", "-q").returncode == 0
    assert not (tmp_path / "out.rejects.jsonl").exists()


def test_usage_errors_exit_2():
    res = cli("clean", "x.txt", "--dedup", "bogus")
    assert res.returncode == 2
    assert res.stderr.decode().strip() == "Error: dedup must be one of mark, drop, off, not 'bogus'"
    assert cli("clean", "x.txt", "--threshold", "1.5").returncode == 2
    assert cli("clean", "x.txt", "--no-such-flag").returncode == 2


def test_fatal_error_exit_1_keeps_old_output(tmp_path):
    (tmp_path / "a.txt").write_text(DUMP)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    (tmp_path / "bad.idx").write_bytes(b"garbage")
    res = cli("clean", tmp_path / "a.txt", "-o", out, "--index", tmp_path / "bad.idx")
    assert res.returncode == 1
    assert res.stderr.decode().startswith("Error: cannot read dedup index")
    assert out.read_text() == "previous\n"


def test_compressed_outputs(tmp_path):
    (tmp_path / "a.txt").write_text(DUMP)
    for suffix in (".gz", ".zst"):
        out = tmp_path / f"out.jsonl{suffix}"
        assert cli("clean", "a.txt", "-o", out, "-q", cwd=tmp_path).returncode == 0
        data = gzip.decompress(out.read_bytes()) if suffix == ".gz" else \
            zstandard.ZstdDecompressor().decompressobj().decompress(out.read_bytes())
        assert json.loads(data)["id"] == "a.txt"


def test_same_input_gives_byte_identical_output(tmp_path):
    (tmp_path / "in").mkdir()
    for i in range(4):
        (tmp_path / "in" / f"d{i}.txt").write_text(DUMP.replace("Tuesday", f"day {i}"))
    a, b = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    cli("clean", tmp_path / "in", "-o", a, "-q", "--workers", "1")
    cli("clean", tmp_path / "in", "-o", b, "-q", "--workers", "2")
    assert a.read_bytes() == b.read_bytes()


def test_version():
    res = cli("--version")
    assert res.returncode == 0 and res.stdout.decode().strip() == f"cleaner {cleaner.__version__}"


def test_seeds_end_to_end(tmp_path):
    res = cli("clean", "seeds", "-o", tmp_path / "s.jsonl", "-q", cwd=ROOT)
    assert res.returncode == 0
    recs = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(recs) == 5
    assert sum(len(r["duplicates"]) for r in recs) >= 2


def test_help_has_text_for_every_option_and_no_type_placeholders():
    res = cli("clean", "--help")
    assert res.returncode == 0
    text = res.stdout.decode()
    assert "<bool>" not in text and "<int>" not in text and "<str>" not in text
    assert "--max-bytes SIZE" in text and "[default: 64 MiB]" in text and "[default: all cores]" in text
    import typer.main

    from cleaner.cli import app

    command = typer.main.get_command(app).commands["clean"]
    assert all(p.help for p in command.params), [p.name for p in command.params if not p.help]


def test_sizes_in_human_units(tmp_path):
    (tmp_path / "a.txt").write_text(DUMP * 8)  # 2,800 bytes
    res = cli("clean", tmp_path / "a.txt", "--max-bytes", "64MiB", "-q")
    assert res.returncode == 0 and json.loads(res.stdout)["source"].endswith("a.txt")
    res = cli("clean", tmp_path / "a.txt", "--max-bytes", "2KB", "-q")  # 2,000 bytes
    assert res.returncode == 3 and b'"reason":"too-large"' in res.stderr
    res = cli("clean", tmp_path / "a.txt", "--max-bytes", "lots")
    assert res.returncode == 2 and b"not a size: 'lots' (write e.g. 64MiB, 500MB or 1048576)" in res.stderr


def test_progress_measures_bytes_read_of_the_total(tmp_path):
    from cleaner.pipeline import Summary
    from cleaner.read import survey

    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(DUMP.replace("Tuesday", f"day {i}"))
    opts = cleaner.Options(dedup="off")
    total = sum(f.size for f in survey([str(tmp_path)], opts))
    assert total == sum(p.stat().st_size for p in tmp_path.iterdir())
    summary, seen = Summary(), []
    for _ in cleaner.clean([str(tmp_path)], opts, summary=summary):
        seen.append(summary.bytes_read)
    assert seen == sorted(seen) and 0 < seen[0] and summary.bytes_read == total


def test_favor_precision_alone_is_accepted_and_changes_nothing(tmp_path):
    """README and --help call both flags kept for compatibility, without
    effect; yet --favor-precision alone exited 2 ("favor_precision and
    favor_recall exclude each other"), favor_recall being on by default."""
    (tmp_path / "a.txt").write_text(DUMP)
    plain = cli("clean", tmp_path / "a.txt", "-q", "--workers", "1")
    res = cli("clean", tmp_path / "a.txt", "-q", "--workers", "1", "--favor-precision")
    assert res.returncode == 0, res.stderr
    assert res.stdout == plain.stdout
    res = cli("clean", tmp_path / "a.txt", "-q", "--favor-precision", "--favor-recall")
    assert res.returncode == 2
    assert res.stderr.decode().startswith("Error: favor_precision and favor_recall exclude each other")
    text = " ".join(cli("clean", "--help").stdout.decode().split())
    assert "Ask trafilatura" not in text and "given alone it turns --favor-recall off" in text


def test_readme_defaults_are_the_options_defaults():
    """The README's options table gives each numeric default as Options has it
    (it said 40 for --min-passage-chars, which is 10)."""
    import re

    readme = (ROOT / "README.md").read_text()
    defaults = cleaner.Options()
    checked = []
    for m in re.finditer(r"^\| `--([a-z-]+) [A-Z]+` \| ([0-9.]+) \|", readme, re.M):
        name = m.group(1).replace("-", "_")
        if hasattr(defaults, name):
            assert float(m.group(2)) == getattr(defaults, name), name
            checked.append(name)
    assert {"min_passage_chars", "shingle", "site_window", "doc_timeout"} <= set(checked), checked
