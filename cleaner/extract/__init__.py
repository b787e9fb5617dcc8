"""Documents to blocks of text plus whatever metadata the source offers.

HTML is parsed once (lexbor, through selectolax) and cut into text blocks in
one pass (:mod:`cleaner.extract.blocks`), its metadata read off the same tree
(:mod:`cleaner.extract.metadata`); the page model (:mod:`cleaner.model`) then
decides block by block what is main content. Plain text has no structure to
use; it is passed on as lines for the line classifier (:mod:`cleaner.strip`).
Pages too large for a tree (see :data:`HTML_EXTRACT_MAX`) are read as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError
from ..options import Options
from ..records import Document


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
    prepared: Any = None
    """For HTML: the page cut into blocks with their features
    (:class:`cleaner.model.model.Prepared`), which the page model judges."""
    date_hint: str | None = None
    """A date the page implies but does not declare (``PageMeta.date_hint``):
    the record's date when no date line says otherwise."""


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
"""Characters of markup above which the page is not parsed into a tree: a
single parse of that size cannot be interrupted by the time limit, and pages
this large are not articles; their text goes through the plain-text classifier
instead."""


HTML_EXTRACT_MAX_TAGS = 200_000
"""Tags above which the page is read as text too: the block pass and its
features cost per element, and a news page has a few thousand (a page of a
million tiny paragraphs would take most of a minute)."""


MAX_NESTING = 2_000
"""Container elements nested deeper than this send the page to the text path.
An HTML parser checks the open elements on every block-level start tag (is a
``<p>`` open in button scope?), so each of them costs the depth: 100,000 nested
``<div>`` take lexbor a minute, in one C call no time limit can interrupt.
Real pages nest a few dozen levels (the deepest of WCXB's 1,497 pages: under
a hundred)."""
_CONTAINER_TAG = re.compile(r"<(/?)(?:div|section|article|aside|nav|header|footer|main|span|ul|ol|dl|blockquote|"
                            r"form|figure|fieldset|details|center|table|tbody|tr|td|font|a|b|i|em|strong)[\s>/]",
                            re.I)


def _too_deep(html: str) -> bool:
    """Whether the container tags, counted as written (+1 open, -1 close), ever
    nest deeper than MAX_NESTING."""
    depth = 0
    for slash in _CONTAINER_TAG.findall(html):
        if slash:
            depth -= 1
        else:
            depth += 1
            if depth > MAX_NESTING:
                return True
    return False


MAX_TAG_ATTRIBUTES = 1_000
"""Attributes of one tag above which its attributes are dropped before parsing:
libxml2 checks each new attribute against all the earlier ones of the tag, so
200,000 attributes take minutes in one C call that the time limit cannot
interrupt. No real tag comes near it, and attributes hold no text."""
_LONG_TAG = 16_384
"""Characters between two '>' below which no tag can hold MAX_TAG_ATTRIBUTES."""
_TAG_START = re.compile(r"<[A-Za-z][^\s/>]*")


def _tame_attributes(html: str) -> str:
    if not _may_have_long_run(html, _LONG_TAG):
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


def _may_have_long_run(html: str, n: int) -> bool:
    """False when no run of ``n`` characters of ``html`` is free of '>' (some
    segment of ``html.split(">")`` is at least ``n`` long), as almost every
    page: a fast test that spares those pages the split, which cost about as
    much as parsing them (tests/test_extract.py checks it against the split).
    A run of ``n`` characters covers a whole aligned window of ``n // 2``, so
    it is enough to find a '>' in every such window."""
    half = max(n // 2, 1)
    if len(html) < n:
        return False
    find = html.find
    return any(find(">", k, k + half) < 0 for k in range(0, len(html) - half + 1, half))


def _extract_html(html: str, url: str | None, options: Options) -> Extracted:  # noqa: ARG001
    html = _tame_attributes(html)
    if len(html) > HTML_EXTRACT_MAX or html.count("<", 0, HTML_EXTRACT_MAX) > HTML_EXTRACT_MAX_TAGS \
            or _too_deep(html):
        return Extracted(text=_all_text(html), is_html=False, url=url, site=host_of(url))
    from ..model.model import prepare

    try:
        prep = prepare(html, url)
    except Exception as exc:  # noqa: BLE001 - lexbor and the JSON-LD reader raise many types on broken pages
        raise InputError(f"HTML could not be parsed: {exc.__class__.__name__}: {exc}", "unparsable-html") from exc
    meta = prep.meta
    page_url = url or meta.url
    return Extracted(
        text="\n".join(b.text for b in prep.blocks),
        is_html=True,
        title=_clean_field(meta.title),
        author=_clean_field(meta.author),
        date=meta.date,
        date_hint=meta.date_hint,
        site=host_of(page_url) or _clean_field(meta.site_name),
        url=page_url,
        lang=meta.lang,
        prepared=prep,
    )


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
