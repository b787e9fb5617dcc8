"""Documents to raw text plus whatever metadata the source offers.

HTML goes through trafilatura, which uses the DOM to drop most of the page
chrome; what it returns still carries chrome (captions, "READ MORE" lines,
newsletter boxes), so its text goes through the same line classifier as a
plain-text dump does. Plain text has no structure to use; it is passed on as
lines for the classifier.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from urllib.parse import urlsplit

from .errors import InputError
from .options import Options
from .records import Document

logging.getLogger("trafilatura").addHandler(logging.NullHandler())
logging.getLogger("htmldate").addHandler(logging.NullHandler())
logging.getLogger("courlan").addHandler(logging.NullHandler())


_HAS_ROOT = re.compile(r"<(html|body)[\s>]", re.I)
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


@dataclass(frozen=True)
class Extracted:
    text: str
    is_html: bool
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site: str | None = None
    url: str | None = None
    lang: str | None = None
    headings: tuple[str, ...] = ()
    """The page's displayed headlines (its h1 texts), which trafilatura may
    leave at the top of the text."""
    standfirst: str | None = None
    """A subheading (h2-h4) whose text is the page's description: the summary
    ("dek") set under the headline, not a paragraph of the body (a lead
    paragraph that repeats the description is a <p> of the body, and stays)."""


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def extract(doc: Document, options: Options) -> Extracted:
    url = doc.url or meta_str(doc.metadata, "url")
    if doc.kind != "html":
        return Extracted(text=doc.content, is_html=False, url=url, site=host_of(url))
    return _extract_html(doc.content, url, options)


def meta_str(meta: dict, key: str) -> str | None:
    """A non-blank string field of passed-through record metadata, else None."""
    value = meta.get(key)
    return value if isinstance(value, str) and value.strip() else None


HTML_EXTRACT_MAX = 8 << 20
"""Characters of markup above which trafilatura is not used: some of its single
lxml calls (an XPath over every text node) grow faster than the page and cannot
be interrupted by the time limit. Pages this large are not articles; their text
goes through the plain-text classifier instead."""


HTML_EXTRACT_MAX_TAGS = 200_000
"""Tags above which trafilatura is not used either: its tree passes cost per
element, and a news page has a few thousand (a page of a million tiny
paragraphs would take most of a minute)."""


def _extract_html(html: str, url: str | None, options: Options) -> Extracted:
    import trafilatura

    html = _tame_attributes(html)
    if len(html) > HTML_EXTRACT_MAX or html.count("<", 0, HTML_EXTRACT_MAX) > HTML_EXTRACT_MAX_TAGS:
        return Extracted(text=_all_text(html), is_html=False, url=url, site=host_of(url))

    if not _HAS_ROOT.search(html[:4096]):
        # A fragment ("<p>...</p>") has no document root; lxml then parses only its
        # first element and trafilatura finds nothing.
        html = f"<html><body>{html}</body></html>"
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
        if tree is not None and _depth_capped(tree):
            # libxml2 keeps no element below depth 256: the text inside and after
            # such nesting is missing from the tree, so the page is read by the
            # tokenizer, which keeps no tree.
            return Extracted(text=_tokenized_text(html), is_html=False, url=url, site=host_of(url))
        meta = _page_metadata(tree, url) if tree is not None else None
        result = trafilatura.bare_extraction(
            tree if tree is not None else html, url=url, with_metadata=False, include_comments=False,
            include_tables=True, favor_precision=options.favor_precision, favor_recall=options.favor_recall,
            deduplicate=False,
        )
    except Exception as exc:  # noqa: BLE001 - lxml/trafilatura raise many types on broken pages
        raise InputError(f"HTML could not be parsed: {exc.__class__.__name__}: {exc}", "unparsable-html") from exc
    title = _clean_field(getattr(meta, "title", None))
    if result is None or not (getattr(result, "text", None) or "").strip():
        # trafilatura found no main content (a bare fragment, an unusual layout):
        # fall back to all the page's text, cleaned like a plain-text dump.
        return Extracted(text=_all_text(html), is_html=False, title=title, url=url, site=host_of(url))
    page_url = url or getattr(meta, "url", None) or None
    date = getattr(meta, "date", None) or None
    headings = _headings(tree)
    standfirst = _standfirst(tree, getattr(meta, "description", None))
    return Extracted(
        text=_with_lead(getattr(result, "text", None) or "", tree, headings + ((standfirst,) if standfirst else ())),
        is_html=True,
        title=title,
        author=_clean_field(getattr(meta, "author", None)),
        date=date[:10] if date else None,
        site=host_of(page_url) or _clean_field(getattr(meta, "sitename", None)),
        url=page_url,
        lang=_page_lang(tree),
        headings=headings,
        standfirst=standfirst,
    )


MAX_TAG_ATTRIBUTES = 1_000
"""Attributes of one tag above which its attributes are dropped before parsing:
libxml2 checks each new attribute against all the earlier ones of the tag, so
200,000 attributes take minutes in one C call that the time limit cannot
interrupt. No real tag comes near it, and attributes hold no text."""
_LONG_TAG = 16_384
"""Characters between two '>' below which no tag can hold MAX_TAG_ATTRIBUTES."""
_TAG_START = re.compile(r"<[A-Za-z][^\s/>]*")


def _tame_attributes(html: str) -> str:
    if len(html) < _LONG_TAG:
        return html
    segments = html.split(">")
    if max(map(len, segments)) < _LONG_TAG:
        return html
    for k, seg in enumerate(segments):
        if len(seg) >= _LONG_TAG:
            # No '>' up to the segment's end: from the first tag start on, all
            # of it is that tag's attributes.
            m = _TAG_START.search(seg)
            if m and seg.count("=", m.end()) > MAX_TAG_ATTRIBUTES:
                segments[k] = seg[:m.end()]
    return ">".join(segments)


def _page_metadata(tree, url: str | None):
    """trafilatura's ``extract_metadata`` without the parts cleaner does not
    output (categories, tags, licence): those are XPath passes over the whole
    page and cost about a tenth of the extraction. Same order and rules
    otherwise: meta tags, then JSON-LD, then the page's title, byline and
    date markup."""
    from htmldate import find_date
    from trafilatura.metadata import (extract_domain, extract_meta_json, extract_sitename,
                                      extract_title, extract_url, examine_meta)

    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 - malformed JSON-LD: the other sources remain
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        meta.author = _author(tree)
    if not meta.url:
        meta.url = extract_url(tree, url)
    if meta.url:
        meta.hostname = extract_domain(meta.url, fast=True)
    # htmldate's extensive search scans every string of the page for dates; the
    # page's own markup (meta tags, time elements) gives the same publication
    # date on news pages at a fraction of the cost.
    meta.date = find_date(tree, url=meta.url, **_DATE_PARAMS)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
    meta.clean_and_trim()
    return meta


def _has(attr: str, *words: str) -> str:
    return "(" + " or ".join(f"contains({attr}, '{w}')" for w in words) + ")"


def _starts(attr: str, *words: str) -> str:
    return "(" + " or ".join(f"starts-with({attr}, '{w}')" for w in words) + ")"


_FIND_PREDICATES = (
    "(self::a or self::address or self::div or self::link or self::p or self::span or self::strong) and ("
    "@rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or "
    "@data-testid='AuthorCard' or @data-testid='AuthorURL' or "
    + _has("@class", "author-name", "authorname", "AuthorName", "authorName") + ")",
    "(self::a or self::div or self::h3 or self::h4 or self::p or self::span) and ("
    "@class='byline' or @class='username' or @class='byl' or @class='BBL' or contains(@itemprop, 'author') or "
    + _has("@id", "author", "zuozhe", "bianji", "xiaobian") + " or "
    + _has("@class", "author", "channel-name", "zuozhe", "bianji", "xiaobian", "submitted-by", "posted-by",
           "journalist-name") + ")",
    "contains(@data-component, 'Byline') or contains(@itemprop, 'author') or " + _has("@id", "Author", "author")
    + " or " + _has("@class", "Author", "author", "screenname", "writer", "Byline", "byline"),
)
_DISCARD_PREDICATE = (
    "(self::a or self::div or self::section or self::span) and ("
    "@id='comments' or @class='comments' or @class='title' or @class='date' or "
    + _starts("@id", "comments") + " or " + _has("@id", "commentlist", "comment-list", "ProductReviews")
    + " or " + _starts("@class", "Comments", "comments") + " or "
    + _has("@class", "commentlist", "comments-list", "sidebar", "is-hidden", "quote", "embedly-instagram",
           "article-share", "article-support", "print", "category", "meta-date", "meta-reviewer")
    + " or contains(@data-component, 'Figure'))"
)
"""trafilatura's ``AUTHOR_XPATHS`` and ``AUTHOR_DISCARD_XPATHS`` (2.x) as
predicates on one element, with every ``re:test`` written as the
``contains``/``starts-with`` tests it stands for: the regular expressions run
as a Python callback on every element of the page. A test checks that both
select the same elements."""
_AUTHOR_WORDS = ("author", "byl", "bbl", "username", "screenname", "writer", "zuozhe", "bianji", "xiaobian",
                 "channel-name", "submitted-by", "posted-by", "journalist-name")
"""Every word an author predicate looks for in an attribute, in lower case."""
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DISCARD_WORDS = ("comment", "title", "date", "productreviews", "sidebar", "is-hidden", "quote", "embedly-instagram",
                  "article-share", "article-support", "print", "category", "meta-reviewer", "figure")
"""Every word the discard predicate looks for in an attribute, in lower case."""


@lru_cache(maxsize=1)
def _author_xpaths():
    from lxml.etree import XPath

    find = [XPath(f"//*[{_FIND_PREDICATES[0]}]|//author")] + [XPath(f"//*[{p}]") for p in _FIND_PREDICATES[1:]]
    discard = [XPath(f".//*[{_DISCARD_PREDICATE}]"), XPath("//time|//figure")]
    is_found = [XPath(f"boolean(self::author or self::*[{_FIND_PREDICATES[0]}])")] + \
        [XPath(f"boolean(self::*[{p}])") for p in _FIND_PREDICATES[1:]]
    is_discarded = XPath(f"boolean(self::*[{_DISCARD_PREDICATE}])")
    attributes = [XPath(f"//@{name}") for name in ("class", "id", "itemprop", "rel", "data-testid", "data-component")]
    return find, discard, is_found, is_discarded, attributes


def _author(tree) -> str | None:
    """trafilatura's ``extract_author``: the first element that looks like an
    author's, outside comments, dates and figures, normalised to names.

    trafilatura copies the page, prunes comments, dates and figures, then runs
    three XPaths over every element. The predicates only look at an element's
    own attributes, so the elements they can select are those with an author
    word in one of these attributes: found from the attribute values alone,
    then tested one by one, in the page's order, with the same predicates.
    Pruning can change a found element's text only when something inside it is
    pruned; then trafilatura's own way runs, on a copy."""
    from copy import deepcopy

    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.json_metadata import normalize_authors
    from trafilatura.metadata import extract_metainfo
    from trafilatura.utils import trim

    find, discard, is_found, is_discarded, attributes = _author_xpaths()

    def pruned_way() -> str | None:
        author = extract_metainfo(prune_unwanted_nodes(deepcopy(tree), discard), find, len_limit=120)
        return normalize_authors(None, author) if author else None

    if tree.find(".//rel") is not None:
        return pruned_way()  # the one predicate that looks at a child element
    values = [v for xpath in attributes for v in xpath(tree)]
    # One scan for the words, not one per value (NUL is not allowed in markup);
    # lowered in ASCII only, so offsets stay put.
    joined = "\0".join(values).translate(_ASCII_LOWER)
    starts = list(accumulate((len(v) + 1 for v in values), initial=0))

    def holders(words: tuple[str, ...]) -> set:
        found = set()
        for word in words:
            at = joined.find(word)
            while at >= 0:
                i = bisect_right(starts, at) - 1
                found.add(i)
                at = joined.find(word, starts[i + 1])  # the next value
        return {values[i].getparent() for i in found}

    candidates = holders(_AUTHOR_WORDS)
    candidates.update(tree.iter("author"))
    if not candidates:
        return None
    pruned = {e for e in holders(_DISCARD_WORDS) if is_discarded(e)}
    pruned.update(discard[1](tree))
    order: dict | None = None
    for test in is_found:
        hits = [e for e in candidates if test(e)]
        if len(hits) > 1:
            order = order or {e: i for i, e in enumerate(tree.iter())}
            hits.sort(key=order.__getitem__)
        for element in hits:
            if element in pruned or any(a in pruned for a in element.iterancestors()):
                continue
            if pruned and any(d in pruned for d in element.iterdescendants()):
                return pruned_way()
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


def _headings(tree) -> tuple[str, ...]:
    if tree is None:
        return ()
    found = (" ".join(h.text_content().split()) for h in tree.iter("h1"))
    return tuple(h for h in found if 0 < len(h) <= 400)[:3]


_LEAD_CLASS = re.compile(r"(^|[^a-z])(lead|intro|excerpt|teaser[-_]?intro|article[-_]?teaser|artikel[-_]?teaser|"
                         r"abstract|vorspann|chapo|chapeau|entradilla|bajada|copete)", re.I)
"""Class names of an article's lead paragraph (its opening, set in bold or
larger type, often outside the body container where trafilatura looks)."""
_NOT_LEAD = frozenset(("a", "nav", "aside", "footer", "li", "figure", "figcaption", "form", "button"))
_NOT_IN_LEAD = frozenset(("iframe", "img", "picture", "video", "figure", "script", "ul", "ol", "h2", "h3", "h4",
                          "table", "form"))
"""A block holding any of these is a media box, a teaser list or a section, not a paragraph."""
LEAD_MIN_WORDS = 8
_SENTENCE_ENDS = (".", "!", "?", "…", '"', "”", "“", "»", "«")
LEAD_REACH = 60
"""Elements after the headline within which a lead stands (a byline, a date, a
share bar and an image may come first)."""


def _with_lead(text: str, tree, headings: tuple[str, ...]) -> str:
    """trafilatura sometimes drops the opening paragraph when the page sets it
    apart from the body (a "lead", "intro" or "excerpt" block under the
    headline). The first such block after the headline, if it reads as prose
    and is not in the text yet, is put back at the top, below the headline and
    standfirst lines that open the text (``headings``)."""
    if tree is None or not text:
        return text
    h1 = next(iter(tree.iter("h1")), None)
    seen = None if h1 is not None else 0
    for el in tree.iter():
        if el is h1:
            seen = 0
            continue
        if seen is None or not isinstance(el.tag, str):
            continue
        seen += 1
        if seen > LEAD_REACH:
            return text
        if not _LEAD_CLASS.search(el.get("class") or "") or el.tag in _NOT_LEAD \
                or any(a.tag in _NOT_LEAD for a in el.iterancestors()) \
                or any(d.tag in _NOT_IN_LEAD for d in el.iterdescendants() if isinstance(d.tag, str)):
            continue
        lead = " ".join(el.text_content().split())
        if sum(len(a.text_content()) for a in el.iter("a")) > 0.5 * len(lead):
            continue  # a teaser card: its text is a link to another page
        if len(lead.split()) < LEAD_MIN_WORDS or not lead.endswith(_SENTENCE_ENDS):
            return text
        if " ".join(lead.split()[:8]) in " ".join(text.split()):
            return text
        lines = text.split("\n")
        top = 0
        while top < len(lines) and " ".join(lines[top].split()) in headings:
            top += 1  # below the headline and standfirst that open the text
        return "\n".join(lines[:top] + [lead] + lines[top:])
    return text


def _standfirst(tree, description: str | None) -> str | None:
    desc = " ".join((description or "").split())
    if tree is None or not 40 <= len(desc) <= 1000:
        return None
    return next((desc for h in tree.iter("h2", "h3", "h4") if " ".join(h.text_content().split()) == desc), None)


def _page_lang(tree) -> str | None:
    """The language the page declares (``<html lang>``), as a primary subtag."""
    if tree is None:
        return None
    lang = (tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip()
    lang = lang.replace("_", "-").split("-")[0].lower()
    return lang if lang.isalpha() and 2 <= len(lang) <= 3 else None


def _all_text(html: str) -> str:
    """Every visible block of the page, one per line, like a person's copy of it."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # noqa: BLE001 - unparsable markup: the tokenizer below still reads it
        return _tokenized_text(html)
    if _depth_capped(root):
        return _tokenized_text(html)
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    blocks = []
    for el in root.iter("p", "h1", "h2", "h3", "h4", "li", "td", "blockquote", "pre", "div", "section", "article"):
        if el.tag in ("div", "section", "article") and len(el):
            continue  # containers: their children are visited
        text = " ".join(el.text_content().split())
        if text:
            blocks.append(text)
    return "\n".join(blocks) or _tokenized_text(html)


LIBXML2_MAX_DEPTH = 256
"""Depth at which libxml2's HTML parser stops nesting (elements below it are
dropped, with their text)."""


def _depth_capped(tree) -> bool:
    """Whether the parsed tree reaches libxml2's depth limit, so text may be
    missing: an element at that depth exists (one XPath, level by level in C:
    a fortieth of the cost of walking the tree in Python)."""
    return _at_max_depth()(tree)


@lru_cache(maxsize=1)
def _at_max_depth():
    from lxml.etree import XPath

    return XPath("boolean(/*" + "/*" * (LIBXML2_MAX_DEPTH - 1) + ")")


_BLOCK_TAGS = frozenset("p div br li h1 h2 h3 h4 h5 h6 tr td th blockquote pre section article header footer "
                        "nav aside ul ol table dd dt figcaption".split())
_HIDDEN_TAGS = frozenset("script style noscript template".split())


def _tokenized_text(html: str) -> str:
    """Visible text by the standard library's HTML tokenizer, which keeps no tree:
    the last resort for markup lxml gives up on, such as elements nested deeper
    than libxml2's limit (it drops everything below depth 256)."""
    from html.parser import HTMLParser

    lines: list[str] = []
    current: list[str] = []
    hidden = 0

    def newline() -> None:
        text = " ".join("".join(current).split())
        if text:
            lines.append(text)
        current.clear()

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):  # noqa: ARG002
            nonlocal hidden
            if tag in _HIDDEN_TAGS:
                hidden += 1
            elif tag in _BLOCK_TAGS:
                newline()

        def handle_endtag(self, tag):
            nonlocal hidden
            if tag in _HIDDEN_TAGS:
                hidden = max(0, hidden - 1)
            elif tag in _BLOCK_TAGS:
                newline()

        def handle_data(self, data):
            if not hidden:
                current.append(data)

    parser = Collector(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    newline()
    return "\n".join(lines)


def _clean_field(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    return value or None
