"""Whole-pipeline golden files: every case in fixtures/ (and the seeds) is cleaned
with fixed options and compared byte for byte with its expected.jsonl.

Run ``pytest --update-golden`` after an intended change and review the diff of
the expected files like any other code change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cleaner
from cleaner.write import dumps

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
OPTIONS = cleaner.Options(workers=1)


def _cases() -> list[tuple[str, list[str], Path]]:
    # Paths relative to the repository root, so sources in the output do not
    # depend on where the checkout lives.
    cases = [("seeds", ["seeds"], FIXTURES / "seeds" / "expected.jsonl")]
    for case in sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.exists() else []:
        inputs = sorted(str(p.relative_to(ROOT)) for p in case.iterdir() if p.name.startswith("input"))
        if inputs:
            cases.append((case.name, inputs, case / "expected.jsonl"))
    return cases


def _run(inputs: list[str]) -> bytes:
    rejects: list = []
    out = b"".join(dumps(r.to_dict()) for r in cleaner.clean(inputs, OPTIONS, on_reject=rejects.append))
    assert not rejects, rejects
    return out


@pytest.mark.parametrize("name,inputs,expected", _cases(), ids=[c[0] for c in _cases()])
def test_golden(name, inputs, expected, request, monkeypatch):
    monkeypatch.chdir(ROOT)
    got = _run(inputs)
    if request.config.getoption("--update-golden"):
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_bytes(got)
        return
    assert expected.exists(), f"no golden file for {name}: run pytest --update-golden"
    want = expected.read_bytes()
    if got != want:
        got_recs = [json.loads(x) for x in got.decode().splitlines()]
        want_recs = [json.loads(x) for x in want.decode().splitlines()]
        for g, w in zip(got_recs, want_recs):
            for key in w:
                assert g.get(key) == w[key], f"{name}: {w['id']}: field {key!r} differs"
        assert len(got_recs) == len(want_recs)
        assert got == want
