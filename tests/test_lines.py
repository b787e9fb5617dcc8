"""The line model for text dumps (cleaner.model.lines): its features, its
smoothing, and the shipped model on the repo's own dumps."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner.model import lines as L
from cleaner.model.features import TEXT_FEATURES
from cleaner.strip import judge_lines, strip_chrome

ROOT = Path(__file__).resolve().parent.parent

PAGE = """Home
News
Sport
Subscribe to our newsletter

Council approves new bridge over the river

By Jane Smith
March 3, 2024

The city council voted on Tuesday to build a new bridge across the river, ending a debate that lasted a decade.
Construction is expected to begin next spring and to take about three years, according to the city's engineers.
Residents of both banks have long complained about the traffic on the old crossing, which was built in 1931.

Share this article
Related articles
Mayor opens the new library
Schools close for the summer
© 2024 The City Paper. All rights reserved.
"""


def _col(name: str) -> int:
    return L.LINE_FEATURES.index(name)


def test_feature_names_are_unique_and_start_with_the_text_features():
    assert len(set(L.LINE_FEATURES)) == len(L.LINE_FEATURES)
    assert L.LINE_FEATURES[:len(TEXT_FEATURES)] == TEXT_FEATURES


def test_line_matrix_shape_and_evidence():
    judged = judge_lines(PAGE, is_html=False)
    X = L.line_matrix(judged)
    texts = [x.text for x in judged.lines]
    assert X.shape == (len(texts), len(L.LINE_FEATURES))
    assert X.dtype == np.float32 and np.isfinite(X).all()
    body = texts.index(next(t for t in texts if t.startswith("The city council")))
    menu = texts.index("News")
    copyright_ = texts.index(next(t for t in texts if t.startswith("©")))
    # The rules' verdict: the paragraph kept, the menu removed outside the article.
    assert X[body, _col("old_keep")] == 1 and X[menu, _col("old_keep")] == 0
    assert X[menu, _col("why:outside")] == 1
    assert X[copyright_, _col("rule:copyright")] == 1
    assert X[body, _col("prose")] == 1 and X[menu, _col("prose")] == 0
    # Blank lines around the title; none between the three paragraphs.
    assert X[body, _col("blank_before")] == 1 and X[body + 1, _col("blank_before")] == 0
    # Neighbours: the line before the second paragraph is the first one.
    assert X[body + 1, _col("nb-1:prose")] == 1
    assert X[0, _col("nb-1:prose")] == -1  # past the page's start
    # Position and page columns.
    assert X[0, _col("pos")] == 0 and X[-1, _col("pos")] == 1
    assert np.all(X[:, _col("page_lines")] == X[0, _col("page_lines")])


def test_title_line_and_repeats():
    judged = judge_lines(PAGE + "Mayor opens the new library\n", is_html=False)
    X = L.line_matrix(judged)
    texts = [x.text for x in judged.lines]
    i = texts.index("Mayor opens the new library")
    assert X[i, _col("rep_count")] == pytest.approx(np.log(2))
    assert X[i, _col("rep_first")] == 1 and X[len(texts) - 1, _col("rep_first")] == 0
    t = texts.index("Council approves new bridge over the river")
    assert X[t, _col("is_title")] == 1
    assert judged.title == "Council approves new bridge over the river"


def test_empty_page():
    judged = judge_lines("\n\n  \n", is_html=False)
    assert L.line_matrix(judged).shape == (0, len(L.LINE_FEATURES))
    st = L.clean_text("\n\n")
    assert st.text == "" and st.removed == []


def test_smooth_plain_threshold_and_switching_cost():
    p = np.array([0.9, 0.2, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9])
    assert L.smooth(p, 0.5, 0.0).tolist() == [True, False, True, True, False, False, False, True]
    # A single weak line inside content is bridged once switching costs more than it loses.
    bridged = L.smooth(p, 0.5, 3.0)
    assert bridged[:4].all()
    assert L.smooth(np.zeros(0), 0.5, 1.0).size == 0


def test_vetoes_by_wording_kind_and_by_reason():
    judged = judge_lines(PAGE, is_html=False)
    keep_all = np.ones(len(judged.lines))
    texts = [x.text for x in judged.lines]
    share = texts.index("Share this article")
    assert judged.lines[share].kind is not None  # the rules removed it
    # Nothing vetoed: every line the model keeps stays (the head's metadata aside).
    kept = L.decide_keep(judged, keep_all, 0.5, 0.0)
    assert kept[share]
    # Its wording names share buttons: a share-buttons veto removes it.
    assert not L.decide_keep(judged, keep_all, 0.5, 0.0, frozenset({"share-buttons"}))[share]
    # A reason vetoes the lines the rules removed for it, whatever their wording.
    reasons = {L._why_group(x.why) for x in judged.lines if x.kind is not None} - {None}
    assert reasons
    for group in reasons:
        got = L.decide_keep(judged, keep_all, 0.5, 0.0, frozenset({"why:" + group}))
        for x, k, k0 in zip(judged.lines, got, kept):
            if x.kind is not None and L._why_group(x.why) == group:
                assert not k
            elif x.rule is None or x.kind is None:
                assert k == k0


def test_shipped_model_columns_agree_with_the_code():
    """Fails when the code's feature lists and the shipped model's disagree
    (retrain with training/train_lines.py)."""
    spec = json.loads((ROOT / "cleaner" / "data" / "linemodel.json").read_text(encoding="utf-8"))
    assert spec["features"] == list(L.LINE_FEATURES)
    model = L.shipped_lines()  # load() checks the boosters' own column names
    assert model.booster.num_feature() == len(L.LINE_FEATURES) == model.num_feature
    assert model.feature_names == model.booster.feature_name()
    size = sum(p.stat().st_size for p in (ROOT / "cleaner" / "data").glob("linemodel*"))
    assert size < 3_000_000


def test_check_refuses_other_columns():
    model = L.shipped_lines()
    names = L.LINE_FEATURES
    try:
        L.LINE_FEATURES = names[:-1] + ("something-else",)
        with pytest.raises(RuntimeError, match="retrain"):
            model.check()
    finally:
        L.LINE_FEATURES = names


def test_model_cleans_a_dump():
    st = L.clean_text(PAGE)
    assert "The city council voted on Tuesday" in st.text
    assert "Residents of both banks" in st.text
    for chrome in ("Home", "Subscribe to our newsletter", "Share this article", "©"):
        assert not any(line.startswith(chrome) for line in st.text.split("\n")), chrome
    assert st.title == "Council approves new bridge over the river"
    assert st.author == "Jane Smith"
    kinds = {r.text: (r.kind, r.rule) for r in st.removed}
    assert kinds["Council approves new bridge over the river"][0] == "title"
    kind, rule = kinds["Subscribe to our newsletter"]
    assert kind == "newsletter" and rule.startswith("model+")
    assert all(r.rule.startswith("model") or r.kind in ("title", "byline", "date") for r in st.removed)
    # Document order: kept lines and removals interleave as in the dump.
    assert [t for t, r in st.sequence if r is None] == st.text.split("\n")


def test_deterministic():
    a, b = L.clean_text(PAGE), L.clean_text(PAGE)
    assert a.text == b.text and a.removed == b.removed


def test_rules_path_unchanged_by_the_split():
    """strip_chrome is judge_lines + assemble: every line kept or named."""
    st = strip_chrome(PAGE, is_html=False)
    judged = judge_lines(PAGE, is_html=False)
    assert st.text.split("\n") == [x.text for x in judged.lines if x.kind is None]
    assert len(st.removed) == sum(x.kind is not None for x in judged.lines)


# --- the rules alone (--no-line-model) on the repo's text-dump fixtures -----------
# (the default, the line model, is pinned by tests/test_golden.py)

FIXTURES = ROOT / "fixtures"
GOLDEN = FIXTURES / "rules_only" / "expected.jsonl"


def _dump_cases() -> list[tuple[str, list[str]]]:
    cases = []
    for case in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        inputs = sorted(str(p.relative_to(ROOT)) for p in case.iterdir() if p.name.startswith("input"))
        if inputs and all(i.endswith((".txt", ".jsonl")) for i in inputs):
            cases.append((case.name, inputs))
    return cases


def _clean(inputs: list[str]):
    import cleaner

    return list(cleaner.clean(inputs, cleaner.Options(workers=1, line_model=False)))


def test_rules_only_golden(request, monkeypatch):
    """The text-dump fixtures cleaned with --no-line-model (the rules alone),
    byte for byte (``pytest --update-golden`` rewrites the file; review its
    diff)."""
    from cleaner.write import dumps

    monkeypatch.chdir(ROOT)
    got = b"".join(dumps(r.to_dict()) for _, inputs in _dump_cases() for r in _clean(inputs))
    if request.config.getoption("--update-golden"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(got)
        return
    assert GOLDEN.exists(), "no golden file for the rules alone: run pytest --update-golden"
    assert got == GOLDEN.read_bytes()


def test_a_donation_appeal_behind_its_opener_goes_whatever_the_model_says():
    appeal = ("We are a small newsroom and every story we publish depends on readers like you. If you value our "
              "reporting on the council, please consider a monthly gift: it keeps our journalism free for all.")
    page = PAGE.replace("Share this article", "Dear readers,\n" + appeal + "\nShare this article")
    judged = judge_lines(page, is_html=False)
    texts = [x.text for x in judged.lines]
    i = texts.index(appeal)
    assert (judged.lines[i].kind, judged.lines[i].why) in L.ALWAYS_VETOED  # the rules removed it as the appeal's
    keep_all = np.ones(len(judged.lines))
    kept = L.decide_keep(judged, keep_all, 0.5, 0.0)
    assert not kept[i]
    # Cleaned with the shipped model, it goes as the appeal it is.
    removed = {r.text: (r.kind, r.rule) for r in L.clean_text(page).removed}
    assert removed[appeal] == ("donation-appeal", "veto+outside-article")
    assert kept[texts.index("Construction is expected to begin next spring and to take about three years, "
                            "according to the city's engineers.")]



_TEXT = st.text(alphabet=st.sampled_from(list("ab ΣσςİIi.,\u00e9\u4e2d1_")), min_size=1, max_size=12)


@given(st.lists(_TEXT, min_size=1, max_size=12), st.integers(min_value=1, max_value=60))
def test_head_words_from_the_lines_words_are_the_joined_heads(texts, cut):
    """The language's evidence read from each line's words is exactly the
    words of the joined page's first LANG_CHARS characters, wherever the cut
    falls (inside a word, on a line break, past the end)."""
    from cleaner.model.features import words_of_texts

    old = L.LANG_CHARS
    try:
        L.LANG_CHARS = cut
        want = Counter(L.WORD.findall("\n".join(texts)[:cut].lower()))
        assert L.head_words(texts, words_of_texts(texts)) == want
    finally:
        L.LANG_CHARS = old


def test_paywall_and_cookie_lines_the_rules_removed_go_whatever_the_model_says():
    page = PAGE.replace("Share this article", "Subscribe to continue reading\n"
                        "We use cookies to improve your experience on our site.\nShare this article")
    judged = judge_lines(page, is_html=False)
    texts = [x.text for x in judged.lines]
    kept = L.decide_keep(judged, np.ones(len(judged.lines)), 0.5, 0.0)  # the model keeps every line
    for line in ("Subscribe to continue reading", "We use cookies to improve your experience on our site."):
        i = texts.index(line)
        assert judged.lines[i].kind is not None and judged.lines[i].rule.kind in L.ALWAYS_VETOED_KINDS
        assert not kept[i], line
    assert kept[texts.index("Construction is expected to begin next spring and to take about three years, "
                            "according to the city's engineers.")]
    removed = {r.text: (r.kind, r.rule) for r in L.clean_text(page).removed}
    assert removed["Subscribe to continue reading"][0] == "paywall"
    assert removed["We use cookies to improve your experience on our site."][0] == "cookie-notice"


def test_loading_the_model_does_not_count_against_a_documents_time_limit(monkeypatch, tmp_path):
    """A process's first text dump loads the line model (and compiles its tree
    walker): that is the process's cost, paid before the document's clock
    starts, in the library's one-document call and in a run."""
    import cleaner

    from .slowload import check_loaded_before_the_clock

    check_loaded_before_the_clock(monkeypatch, tmp_path, L.LineModel, L.shipped_lines, PAGE, ".txt",
                                  cleaner.clean_text)


def test_url_shape_columns():
    """The page's URL shape is the same in every row; without a URL (a .txt
    file) it is all zeros, as the model saw every training page once without
    its URL (training/train_lines.py)."""
    from cleaner.model.pagetype import url_shape

    judged = judge_lines(PAGE, is_html=False)
    cols = [L.LINE_FEATURES.index(n) for n in ("url_depth", "url_digits", "url_query", "url_len")]
    url = "https://news.example/2024/03/03/council-approves-new-bridge-123456.html?ref=home"
    X = L.line_matrix(judged, url)
    assert np.allclose(X[:, cols], np.array(url_shape(url), dtype=np.float32))
    depth, digits, query, length = url_shape(url)
    assert depth == 4 and query == 1.0 and digits == pytest.approx(14 / 51) and length == pytest.approx(np.log1p(51))
    assert not L.line_matrix(judged)[:, cols].any()
    assert url_shape("not a url ::") == url_shape("//not a url ::")
    assert url_shape(None) == (0.0, 0.0, 0.0, 0.0)
    # the rest of the row does not depend on the URL
    rest = [i for i in range(len(L.LINE_FEATURES)) if i not in cols]
    assert np.array_equal(X[:, rest], L.line_matrix(judged)[:, rest])


@pytest.mark.parametrize("line_model", [True, False])
def test_a_line_cut_at_the_length_limit_keeps_or_loses_all_its_pieces(line_model):
    """A paragraph longer than MAX_LINE_CHARS is cut into pieces only so that
    every per-line test stays small; its pieces are one line of the input:
    one piece of it used to go while the next stayed."""
    import cleaner
    from cleaner.strip import MAX_LINE_CHARS

    sentence = "The harbour authority said the new cranes would arrive in spring and double the capacity. "
    para = (sentence * (MAX_LINE_CHARS // len(sentence) + 12)).strip()
    assert len(para) > MAX_LINE_CHARS
    rec = cleaner.clean_text(para, options=cleaner.Options(line_model=line_model))
    assert rec.stats["chars_out"] >= len(para) - 2 and not rec.removed
    rec = cleaner.clean_text("Harbour cranes\n" + para + "\nShare this article",
                             options=cleaner.Options(line_model=line_model))
    assert rec.text.replace("\n", " ").count(sentence.strip()) == para.count(sentence.strip())
