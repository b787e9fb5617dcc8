"""The rule patterns' parser (cleaner.patterns): the items it reads, the
syntax it refuses, and, on generated patterns, that what the rule matcher
reads off the items holds for every string the regex engine matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import patterns as p
from cleaner.rules import CASE_HAZARDS, LINE_RULES, _needs_digit, _required, first_chars


def items(pattern: str, flags: int = re.I) -> list:
    return p.parse(re.compile(pattern, flags)).data


def test_literals_classes_and_escapes():
    assert items("ab") == [(p.LITERAL, 97), (p.LITERAL, 98)]
    assert items(r"\.\n\x41\u00e9") == [(p.LITERAL, 46), (p.LITERAL, 10), (p.LITERAL, 65), (p.LITERAL, 233)]
    assert items(r"[^a-c\d-]") == [(p.IN, [(p.NEGATE, None), (p.RANGE, (97, 99)), (p.CATEGORY, p.CATEGORY_DIGIT),
                                          (p.LITERAL, 45)])]
    assert items(r"[]x]") == [(p.IN, [(p.LITERAL, 93), (p.LITERAL, 120)])]
    assert items(r"\s\W") == [(p.IN, [(p.CATEGORY, p.CATEGORY_SPACE)]), (p.IN, [(p.CATEGORY, p.CATEGORY_NOT_WORD)])]
    assert items(r"^.\b$") == [(p.AT, p.AT_BEGINNING), (p.ANY, None), (p.AT, p.AT_BOUNDARY), (p.AT, p.AT_END)]
    assert items("a{2}b{") == [(p.MAX_REPEAT, (2, 2, p.Seq([(p.LITERAL, 97)]))), (p.LITERAL, 98), (p.LITERAL, 123)]
    assert items("a{}") == [(p.LITERAL, 97), (p.LITERAL, 123), (p.LITERAL, 125)]
    assert items("a{,}")[0][1][:2] == (0, p.MAXREPEAT) and items("a{,2}")[0][1][:2] == (0, 2)


def test_groups_alternation_and_repeats():
    (op, (group, add, remove, body)), = items("(?P<x>a|bc)")
    assert (op, group, add, remove) == (p.SUBPATTERN, 1, 0, 0)
    assert body.data == [(p.BRANCH, (None, [p.Seq([(p.LITERAL, 97)]), p.Seq([(p.LITERAL, 98), (p.LITERAL, 99)])]))]
    assert items("(?-i:a)")[0][1][:3] == (None, 0, re.I)
    assert items("(?!x)")[0][0] is p.ASSERT_NOT and items("(?<=x)")[0][0] is p.ASSERT
    assert [op for op, _ in items("a*?b++c{1,}")] == [p.MIN_REPEAT, p.POSSESSIVE_REPEAT, p.MAX_REPEAT]
    assert items("c{1,}")[0][1][:2] == (1, p.MAXREPEAT)
    assert items("(?:)|x")[0][0] is p.BRANCH


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?i)abc", "(a)(?(1)b|c)", r"\N{EM DASH}", "(?#note)x", "(?x)a b"])
def test_syntax_it_does_not_read_is_refused(pattern):
    with pytest.raises(p.Unsupported):
        items(pattern, 0)


def test_a_refused_pattern_is_tried_on_every_line():
    from cleaner.rules import _parsed

    assert first_chars(re.compile(r"(ab)\1")) is None
    assert _required(_parsed(re.compile(r"(ab)\1"))) is None


def test_every_rule_of_the_table_is_read():
    for rule in LINE_RULES:
        p.parse(rule.pattern)


def test_widths():
    assert p.parse(re.compile(r"(ab|c)\s?:?")).max_width() == 4
    assert p.parse(re.compile(r"a{2,5}(?=x)\b")).max_width() == 5
    assert p.parse(re.compile(r"ab+")).max_width() >= p.MAXREPEAT


ATOMS = st.sampled_from(["a", "b", "ab", "Sale", "x1", r"\d", r"\s", r"\w", "[a-c]", "[xyz9]", "[^q]", ".", r"\.",
                         "é", "日本", "-", r"\b"])


def _pattern(depth: int = 0) -> st.SearchStrategy[str]:
    """Patterns of the rules' kind, kept small (groups nest once and repeat at
    most twice, so the engine never backtracks for long)."""
    atom = st.tuples(ATOMS, st.sampled_from(["", "", "?", "*", "+", "{1,3}", "{2}", "??", "{,2}", "{,}", "{}"])).map(
        lambda t: t[0] + t[1] if t[0] != r"\b" else t[0])
    if depth < 1:
        inner = st.deferred(lambda: _pattern(depth + 1))
        group = st.tuples(st.sampled_from(["(", "(?:"]), inner, st.sampled_from(["", "", "?", "{1,2}"])).map(
            lambda t: f"{t[0]}{t[1]}){t[2]}")
        atom = st.one_of(atom, group)
    sequence = st.lists(atom, min_size=1, max_size=3).map("".join)
    return st.lists(sequence, min_size=1, max_size=3).map("|".join)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_what_the_matcher_reads_off_a_pattern_holds_for_its_matches(data):
    pattern = re.compile(data.draw(_pattern()), re.I)
    text = data.draw(st.from_regex(pattern, fullmatch=True))
    if not pattern.fullmatch(text):
        return
    seq = p.parse(pattern)
    assert len(text) <= seq.max_width()
    starts = first_chars(pattern)
    if starts is not None and text:
        assert text[0] in starts
    req = _required(seq.data)
    if req is not None and not CASE_HAZARDS.intersection(text):
        assert any(x in text.lower() for x in req), (req, text)
    if _needs_digit(seq.data):
        assert re.search(r"\d", text)
