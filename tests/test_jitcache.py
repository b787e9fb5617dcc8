"""cleaner starts where numba cannot cache beside the package or in the
user's home (a read-only image, a service user without a writable home)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cleaner
from cleaner import jitcache

ROOT = Path(cleaner.__file__).resolve().parent


def test_a_private_cache_directory_where_numba_could_cache_nowhere(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(jitcache, "_in_tree", lambda: False)
    monkeypatch.setattr(jitcache, "_user_wide", lambda: False)
    path = jitcache.ensure_cache_dir()
    try:
        assert path and os.path.isdir(path) and os.environ["NUMBA_CACHE_DIR"] == path
        assert (os.stat(path).st_mode & 0o777) == 0o700  # nobody else can plant compiled code there
    finally:
        shutil.rmtree(path, ignore_errors=True)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert jitcache.ensure_cache_dir() is None  # the user's choice stands


def test_cleaning_works_where_the_package_and_home_cannot_be_written(tmp_path):
    """A copy of the package whose kernel directories cannot hold a
    __pycache__ (a file sits in its place, as a read-only file system would
    refuse it; root ignores permission bits), and a home that cannot be
    written: numba raised "no locator available" at import."""
    copy = tmp_path / "site" / "cleaner"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for d in jitcache._KERNEL_DIRS:
        (copy / d / "__pycache__").write_text("not a directory")
    page = tmp_path / "page.txt"
    page.write_text("Home\nNews\nThe council approved the harbour plan on Tuesday after a long debate, officials "
                    "said. The vote was close.\nShare\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(tmp_path / "site"), HOME="/proc/nonexistent", XDG_CACHE_HOME="/proc/nonexistent")
    code = ("import cleaner, os; recs = list(cleaner.clean([%r], cleaner.Options(workers=1))); "
            "print(cleaner.__file__, len(recs), 'harbour' in recs[0].text, os.environ['NUMBA_CACHE_DIR'])" % str(page))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    where, n, found, cache = res.stdout.decode().split()
    assert where.startswith(str(copy)) and n == "1" and found == "True"
    assert not os.path.exists(cache)  # removed at exit
