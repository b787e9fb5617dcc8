"""Date lines: known answers, and the year prefilter checked against the patterns."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner import dates
from cleaner.dates import parse_date_line


@pytest.mark.parametrize("line, iso", [
    ("Mar 19, 2025", "2025-03-19"),
    ("Updated: March 19, 2025 at 5:42 p.m. ET", "2025-03-19"),
    ("- Published 18 November 2019", "2019-11-18"),
    ("Tuesday, 19 March 2025", "2025-03-19"),
    ("2025-03-19T08:15:00Z", "2025-03-19"),
    ("19.03.2025, 14:30", "2025-03-19"),
    ("Veröffentlicht am 19. März 2025", "2025-03-19"),
    ("Publié le 19 mars 2025 à 10h05", "2025-03-19"),
    ("19 марта 2025 г.", "2025-03-19"),
    ("2025年3月19日 10:05", "2025-03-19"),
    ("03/19/2025", "2025-03-19"),
    ("Nov 18, 1998", "1998-11-18"),
    ("Mar 19, 2025 | Updated Mar 20, 2025", "2025-03-19"),
])
def test_date_lines(line, iso):
    assert parse_date_line(line) == iso


@pytest.mark.parametrize("line", [
    "Mar 19", "The 3 of them left in 2025.", "Page 2 of 20", "Feb 30, 2025", "Smarch 19, 2025",
    "19 March 1875", "Call 020 7946 0958",
])
def test_not_date_lines(line):
    assert parse_date_line(line) is None


def _reference(line: str) -> str | None:
    """parse_date_line without its year prefilter."""
    line = dates._LIST_MARK.sub("", line.strip()).rstrip(".")
    if len(line) > 80 or not dates._DIGIT.search(line):
        return None
    for pattern in dates._PATTERNS:
        m = pattern.fullmatch(line)
        if m and dates._iso(m):
            return dates._iso(m)
    return None


def test_every_pattern_needs_a_year():
    # The prefilter ("19" or "20" in the line) is exact only while this holds.
    for pattern in dates._PATTERNS:
        assert "(19|20)" in pattern.pattern


FRAGMENTS = st.sampled_from(["Mar", "March", "19", "20", "2025", "1999", "1998", "18", "1", "2", "0", "9", "Updated", ":", ",", " ", ".", "-",
                             "/", "年", "月", "日", "марта", "г.", "5:42", "pm", "ET", "Tuesday", "le", "à", "10h05",
                             "T08:15:00Z", "| ", "2", "0", "1", "9", "- "])


@settings(max_examples=1500, deadline=None)
@given(st.lists(FRAGMENTS, max_size=12).map("".join))
def test_prefilter_changes_nothing(line):
    assert parse_date_line(line) == _reference(line)
