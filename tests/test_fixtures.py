"""Each fixture states what a person reading the page would keep and drop
(fixtures/<case>/expect.json); the pipeline must agree. The golden files in
test_golden.py pin the exact output; this test says why it is right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cleaner

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p.parent for p in (ROOT / "fixtures").glob("*/expect.json"))


def norm(s: str) -> str:
    return " ".join(s.split())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_expectations(case, monkeypatch):
    monkeypatch.chdir(ROOT)
    expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
    inputs = sorted(str(p.relative_to(ROOT)) for p in case.iterdir() if p.name.startswith("input"))
    recs = list(cleaner.clean(inputs, cleaner.Options(workers=1)))
    texts = [norm(r.text) for r in recs]
    everything = "\n".join(texts)
    for snippet in expect.get("keep", []):
        assert norm(snippet) in everything, f"{case.name}: body lost: {snippet!r}"
    for snippet in expect.get("drop", []):
        lines = [line for r in recs for line in r.text.split("\n")]
        assert not any(norm(snippet) in norm(line) for line in lines), f"{case.name}: chrome kept: {snippet!r}"
    if not expect.get("per_record"):
        [rec] = recs
        for field in ("title", "author", "date"):
            assert getattr(rec, field) == expect[field], f"{case.name}: {field}"
    for doc_id, title in expect.get("titles", {}).items():
        assert next(r for r in recs if r.id == doc_id).title == title, f"{case.name}: {doc_id} title"
    for doc_id, want in expect.get("duplicates", {}).items():
        rec = next(r for r in recs if r.id == doc_id)
        spans = [d for d in rec.duplicates if d.of == want["of"]]
        assert len(spans) >= want["min_spans"], f"{case.name}: {doc_id} not linked to {want['of']}"
        assert rec.near_duplicate_of == want["near_duplicate_of"]
