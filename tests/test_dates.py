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
    ("Posted: Jan. 1, 2024 / 9:59 AM", "2024-01-01"),
    ("Updated: Mar 19, 2025 / 05:42 PM CDT", "2025-03-19"),
    ("Tue, 04 Mar 2025 09:15:00 GMT", "2025-03-04"),  # RFC 2822, seconds in the time
    ("June 09, 2024, 03:29:46 AM", "2024-06-09"),
    # A label's last word ends where a word ends: the "A" of April and August is
    # the month's, not the label's "a" ("publicado a").
    ("Published August 14, 2023", "2023-08-14"),
    ("Updated April 3, 2024", "2024-04-03"),
    ("Published on August 14, 2023", "2023-08-14"),
    ("February 20, 2024 08:00 AM Eastern Standard Time", "2024-02-20"),  # Business Wire's dateline
    ("Publié le 04/02/2024 à 09h15, mis à jour le 04/02/2024 à 18h40", "2024-04-02"),  # day first by the page
    ("19.03.2025, 14:30 | aktualisiert 15:10", "2025-03-19"),
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


@pytest.mark.parametrize("line, iso", [
    ("14 de mayo de 2024", "2024-05-14"),
    ("Publicado el 14 de mayo de 2024", "2024-05-14"),
    ("martes, 14 de mayo del 2024", "2024-05-14"),
    ("12 de março de 2024", "2024-03-12"),
    ("Atualizado em 12 de março de 2024 às 10h32", "2024-03-12"),
    ("quinta-feira, 12 de março de 2024", "2024-03-12"),
    ("12 dez. 2024", "2024-12-12"),
    ("3 marzo 2024", "2024-03-03"),
    ("Pubblicato il 3 marzo 2024 alle 10:05", "2024-03-03"),
    ("giovedì 7 novembre 2024", "2024-11-07"),
    ("25/06/2024", "2024-06-25"),  # the day cannot be a month: day first whatever the page
])
def test_spanish_portuguese_italian_and_unambiguous_day_first(line, iso):
    assert parse_date_line(line) == iso


def test_ambiguous_numeric_dates_follow_the_page():
    assert parse_date_line("05/06/2024") == "2024-05-06"
    assert parse_date_line("05/06/2024", day_first=True) == "2024-06-05"
    assert parse_date_line("03/19/2025", day_first=True) == "2025-03-19"  # 19 cannot be a month
    assert [dates.day_first_for(lang, url) for lang, url in [
        ("en-GB", None), ("fr", None), ("pt-BR", None), ("en-US", "https://x.co.uk/"), ("en", None),
        (None, "https://www.bbc.co.uk/news/1"), (None, "https://www.lemonde.fr/a"), (None, "https://x.com/a"),
        (None, "https://news.io/a"), ("en", "https://www.abc.net.au/a"), (None, None)]] == [
        True, True, True, False, False, True, True, False, False, True, False]


def test_day_first_reaches_the_record():
    import cleaner

    body = ("Harbour bridge rebuild approved\n05/06/2024\n"
            "The city council approved a plan on Tuesday to rebuild the old harbour bridge, ending two years of "
            "debate about how to pay for the work.\nEngineers said the new bridge would carry twice as much traffic "
            "and would be built to withstand stronger storms.")
    uk = cleaner.clean_text(body, url="https://www.gazette.co.uk/harbour-bridge-rebuild-approved")
    us = cleaner.clean_text(body, url="https://www.gazette.com/harbour-bridge-rebuild-approved")
    assert (uk.date, us.date) == ("2024-06-05", "2024-05-06")
    es = cleaner.clean_text(body.replace("05/06/2024", "14 de mayo de 2024"),
                            url="https://www.diario.es/harbour-bridge-rebuild-approved")
    assert es.date == "2024-05-14" and es.title == "Harbour bridge rebuild approved"
    html = ("<html lang='es'><body><article><h1>Harbour bridge rebuild approved</h1>"
            + "".join(f"<p>{p}</p>" for p in body.split("\n")[1:]) + "</article></body></html>")
    assert cleaner.clean_html(html).date == "2024-06-05"  # <html lang="es">
    assert cleaner.clean_html(html.replace("lang='es'", "lang='en-US'")).date == "2024-05-06"


@pytest.mark.parametrize("line, iso", [("Published 3 hours ago", None), ("Tue, 04 Mar 2025 09:15:00 GMT", "2025-03-04"),
                                       ("Mar. 3, 2025, 10:42 a.m. ET", "2025-03-03")])
def test_a_date_line_under_the_headline_is_not_the_headline(line, iso):
    import cleaner

    body = ("The city council approved a plan on Friday to rebuild the old harbour bridge, ending two years of "
            "debate about how to pay for the work.\nEngineers said the new bridge would carry twice as much traffic "
            "and would be built to withstand stronger storms.")
    rec = cleaner.clean_text(f"Bridge rebuild approved\nBy Jane Porter\n{line}\n{body}")
    assert (rec.title, rec.date, rec.text) == ("Bridge rebuild approved", iso, body)
    assert ("date", line) in {(r.kind, r.text) for r in rec.removed}


def test_a_text_dump_without_url_reads_day_first_in_its_own_language():
    """A dump declares no language and a .txt file has no URL: its words tell
    that 04/02/2024 on a French page is 4 February."""
    import cleaner

    fr = ("Les prix de l'immobilier reculent pour le troisième trimestre consécutif\nLe 04/02/2024 à 09h15\n"
          "Les prix des logements anciens ont baissé de 1,2 % au dernier trimestre, selon les notaires, qui "
          "prévoient une nouvelle baisse dans les grandes villes.\nLa hausse des taux d'intérêt pèse sur le pouvoir "
          "d'achat des ménages, et les ventes sont au plus bas depuis dix ans dans la plupart des régions.")
    assert cleaner.clean_text(fr).date == "2024-02-04"
    en = ("House prices fall for a third quarter in a row\n04/02/2024\n"
          "Prices of existing homes fell by 1.2 percent in the last quarter, according to the notaries, who expect "
          "a further fall in the big cities.\nHigher interest rates are weighing on the buying power of households, "
          "and sales are at their lowest level in ten years in most of the regions.")
    assert cleaner.clean_text(en).date == "2024-04-02"
