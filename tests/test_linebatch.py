"""The batched line matrices (cleaner.model.linebatch) against the plain
per-page definition (cleaner.model.lines.line_matrix): the same rows, bit for
bit, for any mix of pages in a batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.model.linebatch import line_matrices, predict_pages
from cleaner.model.lines import LINE_FEATURES, line_matrix, shipped_lines
from cleaner.strip import _QUIET_SYMBOLS, judge_lines

ROOT = Path(__file__).resolve().parent.parent
DUMPS = sorted(p for p in [*ROOT.glob("fixtures/*/*.txt"), *ROOT.glob("seeds/*.txt")])


def _judged(text: str, url: str | None = None):
    return judge_lines(text, is_html=False, url=url), url


def _same(pages) -> None:
    X, bounds = line_matrices(pages)
    assert X.shape == (sum(len(j.lines) for j, _ in pages), len(LINE_FEATURES))
    assert X.dtype == np.float32
    for k, (judged, url) in enumerate(pages):
        ref = line_matrix(judged, url)
        got = X[bounds[k]:bounds[k + 1]]
        assert got.shape == ref.shape
        assert np.array_equal(got.view(np.uint32), ref.view(np.uint32)), \
            [LINE_FEATURES[c] for c in np.nonzero((got != ref).any(axis=0))[0]]


def test_fixture_dumps_batched_equal_page_by_page():
    assert len(DUMPS) >= 10
    pages = [_judged(p.read_text(encoding="utf-8"), f"https://example.com/{p.stem}/{i}")
             for i, p in enumerate(DUMPS)]
    pages.insert(3, _judged(""))  # a page without lines among them
    pages.append(_judged("One line only."))
    _same(pages)
    _same(pages[::-1])
    _same(pages[5:6])


def test_predictions_of_a_batch_are_each_pages_own():
    pages = [_judged(p.read_text(encoding="utf-8")) for p in DUMPS[:6]] + [_judged("")]
    model = shipped_lines()
    for (judged, url), probs in zip(pages, predict_pages(model, pages)):
        ref = model.predict(judged, url)
        assert np.array_equal(probs, ref)


LINES = st.sampled_from([
    "Home", "News", "Sport", "Share", "Advertisement", "Read more", "Subscribe to our newsletter",
    "By Anna Novak", "March 3, 2025", "© 2025 Example Media. All rights reserved.", "Related stories",
    "The council voted on Tuesday to close the harbour road for repairs, officials said.",
    "“We are delighted,” said the mayor, who had campaigned for the change since 2019.",
    "Prices start at $19.99 | Free shipping", "- item one", "Q: How much does it cost?", "ЦЕНТР НОВОСТЕЙ",
    "東京で新しい駅が開業した。", "Die Stadt plant neue Radwege für das kommende Jahr.", "",
    "posted by user_name in the_forum", "Über uns – Kontakt – Impressum",
    "La ville et les habitants de la région",
])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(LINES, max_size=30), st.sampled_from([None, "https://a.example/2025/05/x-1",
                                                                          "b.example/p?id=3"])),
                min_size=1, max_size=6))
def test_generated_batches_equal_page_by_page(spec):
    _same([_judged("\n".join(lines), url) for lines, url in spec])


def test_pages_past_the_language_head_equal_page_by_page():
    """A page longer than the head its language is read from (LANG_CHARS),
    cut inside a line, beside short pages, in two languages."""
    from cleaner.model.lines import LANG_CHARS

    german = "Die Stadt und der Rat haben mit den Bürgern über die neuen Pläne für das Jahr gesprochen."
    english = "The council and the mayor said that the plan was the best of all the ones they had."
    long_de = "\n".join([german] * (LANG_CHARS // len(german) + 3))
    cut_mix = "\n".join([english] * (LANG_CHARS // (len(english) + 1)) + ["und der die das " * 40, german])
    pages = [_judged(long_de), _judged("Home\nNews\n" + english), _judged(cut_mix), _judged(german)]
    assert sum(map(len, long_de.split("\n"))) > LANG_CHARS
    _same(pages)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40))
def test_words_read_off_the_folded_line_are_the_regex_words(text):
    from cleaner.model.features import WORD
    from cleaner.model.linebatch import _words

    judged = judge_lines("x\n" + text.replace("\n", " ") + "\ny", is_html=False)
    for line in judged.lines:
        assert _words(line) == WORD.findall(line.text.lower())


_QUIET = "".join(_QUIET_SYMBOLS)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("aZ09 _-.,'\"?!" + _QUIET[::7] + "’“”–—…é"), min_size=1, max_size=40))
def test_words_of_ascii_lines_with_word_break_symbols_are_the_regex_words(text):
    """Lines of ASCII and the word-break symbols (curly quotes, dashes, the
    ellipsis) take the folded form's words, which must be the regex's; an
    "é" or a "_" sends a line to the regex."""
    from cleaner.model.features import WORD
    from cleaner.model.linebatch import _words

    judged = judge_lines("x\n" + text + "\ny", is_html=False)
    for line in judged.lines:
        assert _words(line) == WORD.findall(line.text.lower())


def _docs():
    from cleaner.records import Document

    texts = [p.read_text(encoding="utf-8") for p in DUMPS[:8]]
    docs = [Document(ordinal=i, id=f"d{i}", source="t", content=t, kind="text", url=f"https://x.example/{i}")
            for i, t in enumerate(texts)]
    docs.insert(2, Document(ordinal=90, id="empty", source="t", content="   \n", kind="text"))
    docs.insert(4, Document(ordinal=91, id="page", source="t", kind="html",
                            content="<html><body><article><h1>A title</h1><p>" + "Some words of a story. " * 20
                                    + "</p></article></body></html>"))
    return docs


def test_a_task_gives_what_each_document_alone_gives():
    """The task's one model call for its text dumps changes nothing: the
    results are those of process() document by document (HTML pages and
    rejects among them)."""
    from cleaner import pipeline
    from cleaner.options import Options

    docs, options = _docs(), Options(dedup="off")
    batched = pipeline.process_batch(docs, options)
    assert batched == [pipeline.process(d, options) for d in docs]
    assert [type(r).__name__ for r in batched].count("Reject") == 1


def test_a_failing_batch_call_falls_back_to_one_call_per_page(monkeypatch):
    from cleaner import pipeline
    from cleaner.model import linebatch
    from cleaner.options import Options

    docs, options = _docs(), Options(dedup="off")
    expected = [pipeline.process(d, options) for d in docs]

    def broken(model, pages):
        raise ValueError("a bug in the batch")

    monkeypatch.setattr(linebatch, "predict_pages", broken)
    assert pipeline.process_batch(docs, options) == expected


def test_the_time_limit_counts_both_halves_and_the_batch_share():
    """A dump whose judging used its time limit, or whose share of the
    batch's model call takes it past the limit, is rejected as a timeout."""
    from cleaner import pipeline
    from cleaner.options import Options

    options = Options(dedup="off", doc_timeout=2.0)
    doc = _docs()[0]
    judging = pipeline._begin(doc, options)
    assert isinstance(judging, pipeline._Judging) and judging.spent < 2.0
    ok = pipeline._end(judging, None, options, 0.0)
    assert type(ok).__name__ == "Cleaned"
    judging.spent = 1.5
    late = pipeline._end(judging, None, options, 0.6)
    assert type(late).__name__ == "Reject" and late.reason == "timeout"
    judging.spent = 2.5
    assert pipeline._end(judging, None, options, 0.0).reason == "timeout"
