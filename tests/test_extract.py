"""The HTML extraction stage: page metadata and declared language."""

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


def _author_pages():
    from pathlib import Path

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    pages = [p.read_bytes().decode("utf-8", "replace") for p in sorted(fixtures.glob("*/input.html"))]
    bodies = [
        '<div class="byline">By <a rel="author" href="/a/ana">Ana Costa</a></div>',
        '<span class="AuthorName">Jonas Weber</span>',
        '<p class="entry-author-name">Marie Dupont</p>',
        '<div id="postAuthor">Ivan Petrov</div><figure><span class="author">Photo: Getty</span></figure>',
        '<section class="comments"><span class="comment-author">troll42 says</span></section>',
        '<span class="writer">Kenji Sato</span>',
        '<div class="meta"><span class="screenname">Aiko Mori</span></div>',
        '<div class="sidebar"><a class="author">Sidebar Person</a></div>',
        '<author>Lea Brandt</author>',
        '<div data-component="Byline">Tom Hale and Ruth Ng</div>',
        '<div class="headline">No one wrote this</div>',
        '<p class="byline">By Ana Costa<time>4 March</time>and Jonas Weber</p>',  # pruning changes the text
        '<span class="byl"><rel>me</rel>Sam Reyes</span>',
        '<div class="sidebar"><span class="author">Side Bar</span></div><span class="username">Lu Chen</span>',
    ]
    pages += [f"<html><body><article>{b}{BODY}</article></body></html>" for b in bodies]
    return pages


def test_author_search_matches_trafilatura():
    # cleaner's author search is trafilatura's with its regex tests rewritten
    # for speed: it must pick the same author on every page, and its XPaths
    # must select the same elements.
    from trafilatura.metadata import extract_author
    from trafilatura.utils import load_html
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

    from cleaner.extract import _author, _author_xpaths

    find, discard, *_ = _author_xpaths()
    found = 0
    for html in _author_pages():
        tree = load_html(html)
        for theirs, ours in zip(AUTHOR_XPATHS + AUTHOR_DISCARD_XPATHS, find + discard):
            assert theirs(tree) == ours(tree)
        expected = extract_author(tree)
        assert _author(tree) == expected
        found += expected is not None
    assert found >= 6


def test_headline_and_standfirst_leave_the_text():
    desc = "The ferry council will run a late boat on Fridays from June, after a petition signed by 3,000 people."
    head = f'<title>Late ferry | Harbour Gazette</title><meta name="description" content="{desc}">'
    page = (f"<html><head>{head}</head><body><article><h1>Late ferry approved for summer Fridays</h1>"
            f"<h2 class='dek'>{desc}</h2>{BODY}</article></body></html>")
    rec = cleaner.clean_html(page, url="https://harbour-gazette.example/late-ferry")
    assert rec.text.startswith("The harbour council met")
    assert desc not in rec.text
    assert {(r.kind, r.rule) for r in rec.removed if r.text == desc} == {("title", "standfirst")}
    # A lead paragraph that repeats the description is the body's own: it stays.
    page = (f"<html><head>{head}</head><body><article><h1>Late ferry approved for summer Fridays</h1>"
            f"<p>{desc}</p>{BODY}</article></body></html>")
    assert cleaner.clean_html(page, url="https://harbour-gazette.example/late-ferry").text.startswith(desc)


LEAD = "The ferry will run late on Fridays from June, the council decided after a petition signed by 3,000 residents."


def test_lead_paragraph_dropped_by_trafilatura_is_put_back():
    for layout in (f'<header><h1>Late ferry approved</h1><div class="article-lead">{LEAD}</div></header>'
                   f'<div class="article-body">{BODY}</div>',
                   f'<div class="head"><h1>Late ferry approved</h1><p class="intro">{LEAD}</p></div>'
                   f'<article>{BODY}</article>'):
        text = cleaner.clean_html(f"<html><body>{layout}</body></html>").text
        assert text.split("\n")[0] == LEAD
        assert text.count("The ferry will run late") == 1


def test_lead_like_boxes_that_are_not_leads_stay_out():
    for box in (f'<div class="intro"><img src="a.jpg">{LEAD}</div>',            # a media box
                f'<div class="teaser-intro"><a href="/x">{LEAD}</a></div>',      # a link card
                '<div class="lead">Read the latest from our harbour desk</div>'):  # not a sentence
        page = f"<html><body><h1>Late ferry approved</h1>{box}<article>{BODY}</article></body></html>"
        assert "The ferry will run late" not in cleaner.clean_html(page).text
        assert "harbour desk" not in cleaner.clean_html(page).text
