"""The HTML extraction stage: page metadata, declared language, the headline."""

import pytest

import cleaner

BODY = "".join(f"<p>The harbour council met on Tuesday to discuss the ferry timetable, item {i}, at length.</p>"
               for i in range(6))


def _page(head: str, lang: str = "") -> str:
    return (f"<html{lang}><head>{head}</head><body><article><h1>Ferry timetable</h1>{BODY}</article>"
            f"</body></html>")


def test_metadata_from_meta_tags_and_json_ld():
    head = ('<title>Ferry timetable | Harbour Gazette</title>'
            '<meta name="author" content="Ana Costa">'
            '<meta property="article:published_time" content="2025-03-04T09:00:00Z">'
            '<meta property="og:site_name" content="Harbour Gazette">')
    rec = cleaner.clean_html(_page(head), url="https://www.harbour-gazette.example/a/1")
    assert rec.author == "Ana Costa"
    assert rec.date == "2025-03-04"
    assert rec.site == "harbour-gazette.example"
    assert "Ferry timetable" in (rec.title or "")
    assert "item 5" in rec.text


def test_declared_language_as_primary_subtag():
    assert cleaner.clean_html(_page("", ' lang="pt-BR"')).lang == "pt"
    assert cleaner.clean_html(_page("", ' lang="de"')).lang == "de"
    assert cleaner.clean_html(_page("", ' lang="not a language"')).lang is None
    assert cleaner.clean_html(_page("")).lang is None


def test_headline_leaves_the_text_and_becomes_the_title():
    head = "<title>Late ferry | Harbour Gazette</title>"
    page = (f"<html><head>{head}</head><body><article><h1>Late ferry approved for summer Fridays</h1>"
            f"{BODY}</article></body></html>")
    rec = cleaner.clean_html(page, url="https://harbour-gazette.example/late-ferry")
    assert rec.text.startswith("The harbour council met")
    assert rec.title == "Late ferry approved for summer Fridays"
    assert [(r.kind, r.rule) for r in rec.removed if r.text == rec.title] == [("title", "page-headline")]


def test_fragment_and_deep_markup():
    assert "item 5" in cleaner.clean_html(BODY).text
    from cleaner.extract import MAX_NESTING, _too_deep

    assert _too_deep("<div>" * (MAX_NESTING + 1))
    assert not _too_deep("<div></div>" * (MAX_NESTING + 1))


def test_long_run_prefilter_agrees_with_the_split():
    # cleaner.extract._may_have_long_run stands in for "some segment of
    # html.split('>') is at least n long": it must say True wherever that holds
    # (it may where it does not), and False on ordinary markup.
    import random

    from cleaner.extract import _may_have_long_run

    rng = random.Random(7)
    for _ in range(3000):
        n = rng.randint(1, 40)
        html = "".join(rng.choice("ab>é") if rng.random() < 0.3 else "a" * rng.randint(0, 3 * n)
                       for _ in range(rng.randint(0, 12)))
        if max(map(len, html.split(">"))) >= n:
            assert _may_have_long_run(html, n), (html, n)
    assert not _may_have_long_run("<p>Some text.</p>" * 5000, 16384)
    assert _may_have_long_run("<p>" + "x" * 16384 + "</p>", 16384)


@pytest.mark.parametrize("value, iso", [("2025-01-01", "2025-01-01"), ("2025-01-01T10:00:00Z", "2025-01-01"),
                                        ("Mon, 2025-1-5", "2025-01-05"), ("12025-01-01", None),
                                        ("2025-01-011", None), ("2025-02-30", None)])
def test_machine_dates_are_whole_numbers(value, iso):
    from cleaner.extract.metadata import iso_date

    assert iso_date(value) == iso


ROLES_PAGE = ("<html><body><nav>Home | News</nav><article><h1>Harbour plan approved</h1><h2>What happens next</h2>"
              "<p>The council approved the harbour plan on Tuesday after a long debate, officials said.</p>"
              "<ul><li>New cranes arrive in spring, the port authority said today.</li>"
              "<li>Ferries keep running all year round, as they did before.</li></ul>"
              "<pre>def tide(x):\n    return x</pre>"
              "<p>Engineers said the new bridge would carry twice as much traffic as the old one.</p>"
              "</article><footer>(c) 2025 Harbour Gazette</footer></body></html>")


def test_a_paragraph_in_a_list_item_quotation_or_cell_has_the_containers_role():
    para = "The harbour authority said the new cranes would arrive in the spring and double the capacity."
    page = ("<html><body><article><h1>Harbour cranes</h1>" + f"<p>{para}</p>"
            + f"<ul><li><p>{para} One.</p></li><li><div><p>{para} Two.</p></div></li></ul>"
            + f"<blockquote><p>{para} Quoted.</p></blockquote><table><tr><td><p>{para} Cell.</p></td></tr></table>"
            + f"<dl><dt>Cranes</dt><dd><p>{para} Defined.</p></dd></dl><p>{para} End.</p></article></body></html>")
    rec = cleaner.clean_html(page)
    assert rec.roles == ("p", "li", "li", "quote", "cell", "dt", "dd", "p"), (rec.roles, rec.text)


def test_an_accordions_question_in_a_button_is_text():
    """Bootstrap's accordion puts each question in a <button> inside its
    heading: a button's label elsewhere is a control, but this one is the
    heading of the answer below it, which used to come without it."""
    para = "Orders placed before two in the afternoon ship the same day, and standard delivery takes three days."
    items = "".join(f"<div class='accordion-item'><h2 class='accordion-header'><button class='accordion-button' "
                    f"type='button'>Question number {i}?</button></h2><div class='accordion-body'>{para} {i}.</div>"
                    f"</div>" for i in range(1, 4))
    page = (f"<html><body><main><h1>Shipping questions</h1><p>{para}</p><div class='accordion'>{items}</div>"
            f"<form><button type='submit'>Send us a question</button></form></main></body></html>")
    rec = cleaner.clean_html(page)
    for i in range(1, 4):
        assert f"Question number {i}?" in rec.text.split("\n")
    assert "Send us a question" not in rec.text


def test_each_line_of_an_html_page_keeps_its_role():
    rec = cleaner.clean_html(ROLES_PAGE)
    assert rec.roles == ("h2", "p", "li", "li", "code", "code", "p")
    assert "\ndef tide(x):\n    return x\n" in rec.text  # a code block keeps its lines and indentation
    assert len(rec.roles) == len(rec.text.split("\n")) and rec.to_dict()["roles"] == list(rec.roles)
    assert "roles" not in cleaner.clean_text("Harbour plan approved\n" + BODY.replace("</p><p>", "\n")
                                             .replace("<p>", "").replace("</p>", "")).to_dict()


def test_roles_follow_the_lines_a_dropped_copy_leaves():
    # The copy's paragraph goes; the lines left keep their own roles.
    first = ROLES_PAGE.replace("What happens next", "The next steps").replace("New cranes", "Two cranes")
    recs = list(cleaner.clean([{"id": "a", "html": first}, {"id": "b", "html": ROLES_PAGE}],
                              cleaner.Options(dedup="drop", site_boilerplate=False)))
    b = recs[1]
    assert b.text.split("\n")[0] == "What happens next" and "officials said" not in b.text
    assert len(b.roles) == len(b.text.split("\n")) and b.roles[0] == "h2"
    kept = dict(zip(b.text.split("\n"), b.roles))
    assert all(kept[line] == role for line, role in zip(recs[0].text.split("\n"), recs[0].roles) if line in kept)


FAIR = ("<p>The county fair returned this weekend after a two-year break, drawing an estimated 40,000 visitors over "
        "three days despite the heat.</p><p>Organisers said ticket sales were the highest since 2015, and food "
        "vendors reported long lines throughout the weekend.</p><p>Next year the fair will add a second entrance "
        "on Route 9 to reduce traffic on the main road, the fair board said.</p>")


def test_a_date_line_in_the_article_beats_a_mastheads_time_element():
    """The first <time datetime> of a page can be the masthead's today; it
    is the date only where the page says nothing better."""
    masthead = "<div class='masthead'><time datetime='2024-06-01'>Saturday, June 1, 2024</time></div>"
    head = "<h1>County fair draws record crowds</h1><p class='byline'>By Rebecca Thornton</p>"
    page = (f"<html><body>{masthead}<main><article>{head}<p class='date'>Published August 14, 2023</p>{FAIR}"
            "</article></main></body></html>")
    assert cleaner.clean_html(page).date == "2023-08-14"
    assert cleaner.clean_html(page.replace("<p class='date'>Published August 14, 2023</p>", "")).date == "2024-06-01"
    assert cleaner.clean_html(page.replace("<p class='date'>Published August 14, 2023</p>", ""),
                              url="https://valley.example/2023/08/14/fair").date == "2024-06-01"


def test_compact_iso_dates_and_job_titles_in_meta():
    head = ("<head><meta name='author' content='By Rebecca Thornton, Staff Writer'>"
            "<meta name='pubdate' content='20230814'>"
            "<meta property='article:modified_time' content='2023-09-30T10:00:00Z'></head>")
    rec = cleaner.clean_html(f"<html>{head}<body><article><h1>County fair draws record crowds</h1>{FAIR}"
                             "</article></body></html>")
    assert (rec.author, rec.date) == ("Rebecca Thornton", "2023-08-14")
    from cleaner.extract.metadata import iso_date

    assert iso_date("20230814") == "2023-08-14" and iso_date("20230814T101500Z") == "2023-08-14"
    assert iso_date("Order 20230814 shipped") is None and iso_date("20231399") is None


@pytest.mark.parametrize("byline, author", [("By Jane Porter", "Jane Porter"),
                                            ("By Sam Okafor · May 21, 2024", "Sam Okafor")])
def test_a_byline_under_the_headline_of_plain_markup_is_the_author(byline, author):
    """Kept by the model or not, a byline above the text leaves it for the
    author field (the text path's head metadata does the same)."""
    page = (f"<html><body><article><h1>County fair draws record crowds</h1><p>{byline}</p>{FAIR}</article>"
            "</body></html>")
    rec = cleaner.clean_html(page)
    assert rec.author == author and byline not in rec.text
    assert [r.kind for r in rec.removed if r.text == byline] == ["byline"]


def test_a_by_sentence_in_the_body_is_no_byline():
    page = (f"<html><body><article><h1>County fair draws record crowds</h1>{FAIR}"
            "<p>By then the crowds had gone home.</p></article></body></html>")
    rec = cleaner.clean_html(page)
    assert rec.author is None and "By then the crowds had gone home." in rec.text
