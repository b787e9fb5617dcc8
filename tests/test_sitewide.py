"""The site-wide stage (cleaner.sitewide): a line recurring on a site's pages
is chrome where the per-page classifier kept it."""

from __future__ import annotations

from cleaner.options import Options
from cleaner.records import Cleaned, Document, Removal
from cleaner.sitewide import apply_window

OWNER = "The Elmwood Star is part of Rockport Media Group."


def page(i: int, site: str, body: str, kept_owner: bool) -> Cleaned:
    text = body + ("\n" + OWNER if kept_owner else "")
    removed = () if kept_owner else (Removal("copyright", OWNER, "ownership-line"),)
    return Cleaned(doc=Document(ordinal=i, id=f"p{i}", source="x", content="", kind="text"), text=text, site=site,
                   removed=removed, removal_slots=(1,) if removed else ())


def bodies(n: int) -> list[str]:
    return [f"Story number {i} about the harbour, with its own words and facts, number {i * 7}." for i in range(n)]


def test_a_line_the_classifier_removed_on_most_pages_goes_where_it_was_kept():
    # Kept on 2 of 10 pages: alone too rare to be the site's (3 pages at least),
    # removed on the other 8 by the classifier, so it recurs on all 10.
    pages = [page(i, "elmwood.example", b, kept_owner=i < 2) for i, b in enumerate(bodies(10))]
    out = apply_window(pages, Options())
    for c in out:
        assert OWNER not in c.text.split("\n")
        assert c.text.startswith("Story number")
    assert [r.kind for r in out[0].removed] == ["site-boilerplate"]
    assert [r.kind for r in out[5].removed] == ["copyright"]  # the classifier's removal stands as it was


def test_other_sites_and_rare_lines_stay():
    # The same line on another site's pages does not count for this one.
    pages = [page(i, "elmwood.example", b, kept_owner=i < 2) for i, b in enumerate(bodies(3))]
    pages += [page(3 + i, "other.example", b, kept_owner=False) for i, b in enumerate(bodies(8))]
    out = apply_window(pages, Options())
    assert OWNER not in out[0].text  # 3 of 3 pages of its site hold it
    pages = [page(i, "elmwood.example", b, kept_owner=i < 1) for i, b in enumerate(bodies(2))]
    pages += [page(2 + i, "other.example", b, kept_owner=False) for i, b in enumerate(bodies(8))]
    out = apply_window(pages, Options())
    assert OWNER in out[0].text.split("\n")  # 2 pages of its site: below site_min_pages


def test_a_line_on_a_small_share_of_a_site_stays():
    # On 3 of 20 pages (0.15 < site_min_share 0.3), kept on one: a site's line, not its chrome.
    pages = [page(i, "elmwood.example", b, kept_owner=i == 0) if i < 3 else
             Cleaned(doc=Document(ordinal=i, id=f"p{i}", source="x", content="", kind="text"), text=b,
                     site="elmwood.example") for i, b in enumerate(bodies(20))]
    out = apply_window(pages, Options())
    assert OWNER in out[0].text.split("\n")


def test_a_line_of_code_on_every_page_of_a_docs_site_stays():
    # "}" and "import tidekit" close and open code on each page: code, not chrome.
    code = ["import tidekit", "table = tidekit.read_table(path)", "}"]
    pages = []
    for i, b in enumerate(bodies(6)):
        text = "\n".join([" ".join([b] * 3), *code, OWNER])
        pages.append(Cleaned(doc=Document(ordinal=i, id=f"p{i}", source="x", content="", kind="html"), text=text,
                             site="docs.example", roles=("p", "code", "code", "code", "p")))
    out = apply_window(pages, Options())
    for c in out:
        assert c.text.split("\n") == [c.text.split("\n")[0], *code]
        assert c.roles == ("p", "code", "code", "code") and [r.kind for r in c.removed] == ["site-boilerplate"]
