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


KNOWN_MISSES: dict[tuple[str, bool], set[str]] = {
    # The line model (the default for text dumps) drops the article's last
    # short sentence, right above an ad label and the share bar (probability
    # 0.34 against its threshold 0.40); the rules alone keep it.
    ("en_dump_gallery", True): {"The museum will be open from 10 a.m. to 5 p.m., Tuesday to Sunday."},
    # The page model reads the documentation page as an article, and its
    # closing note scores 0.61 against the article threshold, 0.675 since the
    # block model fitted on all pages shipped (training/REPORT.md); with
    # either inference the note sits at the threshold.
    ("docs_page", True): {"Times are always returned in UTC"},
    ("docs_page", False): {"Times are always returned in UTC"},
}
"""What a path gets wrong on the fixtures' expectations, reviewed: (case, line
model on) -> the snippets it loses or keeps wrongly. A learned model is not
hand-fixed for one page; its misses are listed here instead, and the test
fails when they change either way."""


@pytest.mark.parametrize("line_model", [True, False], ids=["line-model", "rules"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_expectations(case, line_model, monkeypatch):
    monkeypatch.chdir(ROOT)
    expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
    inputs = sorted(str(p.relative_to(ROOT)) for p in case.iterdir() if p.name.startswith("input"))
    recs = list(cleaner.clean(inputs, cleaner.Options(workers=1, line_model=line_model)))
    texts = [norm(r.text) for r in recs]
    everything = "\n".join(texts)
    lines = [line for r in recs for line in r.text.split("\n")]
    misses = {s for s in expect.get("keep", []) if norm(s) not in everything}
    misses |= {s for s in expect.get("drop", []) if any(norm(s) in norm(line) for line in lines)}
    # A passage the page carries twice (a desktop tab and a mobile accordion) is read once.
    misses |= {s for s in expect.get("once", []) if everything.count(norm(s)) > 1}
    assert misses == KNOWN_MISSES.get((case.name, line_model), set()), f"{case.name}: body lost or chrome kept"
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
