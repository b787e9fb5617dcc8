"""Page metadata read off the lexbor tree: title, author, date, site name,
canonical URL, declared language, and what the page says of itself in
JSON-LD and OpenGraph (its schema types, its ``articleBody``), which the page
model also uses.

The sources are those trafilatura and htmldate read first, in their order of
trust: meta tags (OpenGraph, Twitter, Dublin Core, ``article:*``), JSON-LD,
then the page's own markup (``<title>``, ``<h1>``, a byline element,
``<time datetime>``), then a date in the URL. One CSS query per source over a
tree already parsed, instead of a second parse by lxml.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from ..read import scrub_tree

_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/_-](\d{1,2})[/_-](\d{1,2})(?:/|$|[_-])")
_SPACE = re.compile(r"\s+")
_TITLE_SPLIT = re.compile(r"\s+[|–—·•»:-]\s+")
_BY = re.compile(r"^(by|von|par|por|di|door|av|от|written by|posted by)\s+", re.I)
_ROLE_AFTER = re.compile(r",\s*((senior|chief|staff|contributing|deputy|associate|managing|political|business|"
                         r"sports|science|health|technology|foreign|news)\s+)?(writer|reporter|editor|correspondent|"
                         r"columnist|contributor|journalist)\s*$", re.I)
"""A job title after the name in an author ``<meta>`` ("By Rebecca Thornton,
Staff Writer"): the field holds the name."""

_TITLE_META = ("og:title", "twitter:title", "dc.title", "title", "sailthru.title", "parsely-title")
_AUTHOR_META = ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl", "twitter:creator",
                "citation_author")
_DATE_META = ("article:published_time", "og:published_time", "published_time", "datepublished", "date",
              "dc.date", "dc.date.issued", "dcterms.date", "pubdate", "publishdate", "publish-date", "sailthru.date",
              "parsely-pub-date", "citation_publication_date", "article.published", "og:updated_time",
              "article:modified_time", "dcterms.modified", "lastmod")
_SITE_META = ("og:site_name", "application-name", "twitter:site")
_ARTICLE_TYPES = ("article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
                  "opinionnewsarticle", "techarticle", "scholarlyarticle", "webpage", "report", "review")
MAX_JSONLD_CHARS = 1 << 20
"""JSON-LD scripts larger than this are not parsed (a page's structured data is
a few kilobytes; a megabyte is a data dump, not a description)."""


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None
    url: str | None = None
    lang: str | None = None
    description: str | None = None
    types: tuple[str, ...] = ()
    """Schema.org types of the page's JSON-LD and its ``og:type``, lower case."""
    article_body: str | None = None
    """JSON-LD ``articleBody`` (or ``text``) when the page gives one."""
    date_hint: str | None = None
    """Where the page declares no date (JSON-LD, ``<meta>``): the first
    ``<time datetime>`` or a date in the URL. Weaker than a date line the
    article shows ("Published August 14, 2023"): the first ``<time>`` can be
    a masthead's today."""


def _clean(value) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACE.sub(" ", value).strip()
    return value or None


_COMPACT_DATE = re.compile(r"\s*((?:19|20)\d{2})(\d{2})(\d{2})(?:T[\d:.Z+-]*)?\s*")
"""ISO 8601's basic form, ``20230814`` (``<meta name="pubdate">`` of many
news sites), as the whole value: an eight-digit number inside other text is
no date."""


def iso_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from a machine-readable date (ISO 8601 and its variants)."""
    if not value:
        return None
    m = _DATE.search(value[:64]) or _COMPACT_DATE.fullmatch(value[:64])
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _jsonld_items(tree) -> list[dict]:
    items: list[dict] = []
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text(deep=True) or ""
        if not raw.strip() or len(raw) > MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:
                data = json.loads(raw.replace("\n", " ").replace("\t", " "), strict=False)
            except ValueError:
                continue
        if _SURROGATE_ESCAPE.search(raw):
            # JSON may escape half a surrogate pair ("\ud800"), which no UTF-8
            # output can hold: U+FFFD, as the readers do for content.
            data = scrub_tree(data)
        todo = [data]
        while todo and len(items) < 200:
            x = todo.pop()
            if isinstance(x, list):
                todo.extend(reversed(x[:100]))
            elif isinstance(x, dict):
                items.append(x)
                g = x.get("@graph")
                if g is not None:
                    todo.append(g)
                for key in ("mainEntity", "mainEntityOfPage", "itemListElement"):
                    v = x.get(key)
                    if isinstance(v, (dict, list)):
                        todo.append(v)
    return items


def _types_of(item: dict) -> list[str]:
    t = item.get("@type")
    if isinstance(t, str):
        return [t.lower()]
    if isinstance(t, list):
        return [x.lower() for x in t if isinstance(x, str)]
    return []


def _name(value) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value[:5]) if n]
        return ", ".join(names) if names else None
    if isinstance(value, dict):
        return _clean(value.get("name"))
    return _clean(value)


def page_metadata(tree, url: str | None = None) -> PageMeta:
    """Everything the page says about itself, from a selectolax (lexbor) tree."""
    meta: dict[str, str] = {}
    canonical = None
    for node in tree.css("meta, link[rel]"):
        attrs = node.attributes
        if node.tag == "link":
            if canonical is None and (attrs.get("rel") or "").lower() == "canonical":
                canonical = _clean(attrs.get("href"))
            continue
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower().strip()
        content = attrs.get("content")
        if key and content and key not in meta:
            meta[key] = content
    items = _jsonld_items(tree)
    types: list[str] = []
    article = None
    for item in items:
        ts = _types_of(item)
        types.extend(ts)
        if article is None and any(t in _ARTICLE_TYPES for t in ts):
            article = item
    og_type = _clean(meta.get("og:type"))
    if og_type:
        types.append("og:" + og_type.lower())
    body = None
    for item in ([article] if article else []) + items:
        b = item.get("articleBody") or item.get("text")
        if isinstance(b, str) and len(b) > 40:
            body = b
            break

    title = next((t for t in (_clean(meta.get(k)) for k in _TITLE_META) if t), None)
    if title is None and article is not None:
        title = _clean(article.get("headline")) or _clean(article.get("name"))
    if title is None:
        h1 = tree.css_first("h1")
        title = _clean(h1.text(deep=True)) if h1 is not None else None
        title = title.rstrip("#¶§🔗").rstrip() or title if title else None
    if title is None:
        t = tree.css_first("title")
        raw = _clean(t.text(deep=True)) if t is not None else None
        if raw:
            parts = _TITLE_SPLIT.split(raw)
            title = max(parts, key=len) if len(parts) > 1 else raw

    author = None
    for k in _AUTHOR_META:
        a = _clean(meta.get(k))
        a = _ROLE_AFTER.sub("", _BY.sub("", a)) if a else a
        if a and " " in a and "://" not in a and len(a) < 120:
            author = a
            break
    if author is None:
        for item in ([article] if article else []) + items:
            a = _name(item.get("author") or item.get("creator"))
            if a and len(a) < 120:
                author = a
                break
    if author is None:
        author = _byline(tree)

    when = hint = None
    if article is not None:
        when = iso_date(_clean(article.get("datePublished")) or _clean(article.get("dateCreated")))
    if when is None:
        when = next((d for d in (iso_date(meta.get(k)) for k in _DATE_META) if d), None)
    if when is None:
        for node in tree.css("time[datetime]")[:5]:
            hint = iso_date(node.attributes.get("datetime"))
            if hint:
                break
    page_url = url or canonical or _clean(meta.get("og:url"))
    if when is None and hint is None and page_url:
        m = _URL_DATE.search(page_url)
        if m:
            try:
                hint = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                hint = None

    site = next((s for s in (_clean(meta.get(k)) for k in _SITE_META) if s), None)
    if site is None:
        for item in ([article] if article else []) + items:
            site = _name(item.get("publisher"))
            if site:
                break
    if site:
        site = site.lstrip("@") or None
    html = tree.css_first("html")
    lang = None
    if html is not None:
        raw = (html.attributes.get("lang") or html.attributes.get("xml:lang") or "").strip()
        raw = raw.replace("_", "-").split("-")[0].lower()
        lang = raw if raw.isalpha() and 2 <= len(raw) <= 3 else None
    return PageMeta(title=title, author=author, date=when, site_name=site, url=page_url, lang=lang,
                    description=_clean(meta.get("description") or meta.get("og:description")),
                    types=tuple(dict.fromkeys(types))[:20], article_body=body, date_hint=hint)


_BYLINE_CSS = ('[rel="author"], [itemprop="author"], [class*="author"], [class*="byline"], [class*="Author"], '
               '[class*="Byline"], address')


def _byline(tree) -> str | None:
    """The first short element marked as an author's outside comments: a
    person's name, with a leading "By" taken off."""
    for node in tree.css(_BYLINE_CSS)[:20]:
        cls = (node.attributes.get("class") or "").lower()
        if "comment" in cls or "bio" in cls or "avatar" in cls:
            continue
        up, bad = node.parent, False
        for _ in range(8):
            if up is None:
                break
            ucls = ((up.attributes.get("class") or "") + " " + (up.attributes.get("id") or "")).lower()
            if "comment" in ucls or up.tag in ("figure", "aside"):
                bad = True
                break
            up = up.parent
        if bad:
            continue
        text = _clean(node.text(deep=True))
        if not text:
            continue
        text = _BY.sub("", text)
        if 2 < len(text) < 80 and " " in text and not any(c.isdigit() for c in text):
            return text
    return None
