"""Page-level features for the page-type model (WCXB's seven types).

What a page is shows in its URL (``/forum/``, ``/product/``, ``docs.``), in
what it says of itself (JSON-LD and OpenGraph types), and in the make-up of its
blocks: how much of its text is in repeated structures (posts, cards, list
items), code, tables, prices, dates, links. The block-feature means carry the
last; the URL words and schema types are indicator columns over vocabularies
chosen from the training pages by frequency (carried by the model file).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import numpy as np

from .features import FEATURES

PAGE_TYPES = ("article", "forum", "product", "collection", "listing", "documentation", "service")

PAGE_STATS = ("blocks", "chars", "rep_share4", "rep_share10", "code_chars", "cell_chars", "li_chars",
              "heading_count", "date_lines", "currency_blocks", "max_rep", "url_depth", "url_digits",
              "url_has_query", "url_len", "has_body", "body_share")
PAGE_FEATURES: tuple[str, ...] = PAGE_STATS + tuple("mean:" + f for f in FEATURES)
"""The fixed page-level columns; the model adds ``url:<word>`` and
``schema:<type>`` columns for its vocabularies."""

_URL_SPLIT = re.compile(r"[^a-z0-9]+")
_FI = {n: i for i, n in enumerate(FEATURES)}


def url_words(url: str | None) -> set[str]:
    """Words of a URL's host (less ``www`` and the top-level domain) and path."""
    if not url:
        return set()
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
    except ValueError:
        return set()
    host = (parts.hostname or "").lower().split(".")
    words = {w for w in host[:-1] if w and w != "www"}
    words.update(w for w in _URL_SPLIT.split(parts.path.lower()) if 1 < len(w) <= 20 and not w.isdigit())
    return words


def url_shape(url: str | None) -> tuple[float, float, float, float]:
    """The shape of a URL's path: its depth (slashes), share of digits, whether
    it has a query, and its log length (0s without a URL). A news story's
    URL is long, dated and numbered; a product's, a forum thread's or a
    listing's has its own shape."""
    path = ""
    query = False
    if url:
        try:
            sp = urlsplit(url if "//" in url else "//" + url)
            path, query = sp.path, bool(sp.query)
        except ValueError:
            pass
    return (float(path.count("/")), sum(c.isdigit() for c in path) / max(len(path), 1), float(query),
            float(np.log1p(len(path))))


def page_stats(matrix: np.ndarray, url: str | None, has_body: bool) -> np.ndarray:
    """PAGE_FEATURES for a page, from its block matrix (FEATURES columns)."""
    n = matrix.shape[0]
    out = np.zeros(len(PAGE_FEATURES), dtype=np.float32)
    out[11:15] = url_shape(url)
    out[15] = has_body
    if n == 0:
        return out
    chars = np.expm1(matrix[:, _FI["log_chars"]])
    total = float(chars.sum()) or 1.0
    rep = np.exp(matrix[:, _FI["rep_max"]])
    out[0] = np.log1p(n)
    out[1] = np.log1p(total)
    out[2] = chars[rep >= 4].sum() / total
    out[3] = chars[rep >= 10].sum() / total
    out[4] = chars[matrix[:, _FI["role:code"]] > 0].sum() / total
    out[5] = chars[matrix[:, _FI["role:cell"]] > 0].sum() / total
    out[6] = chars[matrix[:, _FI["role:li"]] > 0].sum() / total
    out[7] = np.log1p(matrix[:, _FI["heading"]].sum())
    out[8] = np.log1p((matrix[:, _FI["date_line"]] + matrix[:, _FI["rule:date"]]).sum())
    out[9] = np.log1p(matrix[:, _FI["currency"]].sum())
    out[10] = float(matrix[:, _FI["rep_max"]].max())
    out[16] = float((chars * (matrix[:, _FI["body_overlap"]] > 0.8)).sum()) / total if has_body else 0.0
    w = chars / total
    out[len(PAGE_STATS):] = w @ matrix
    return out


def indicator(words: set[str] | Sequence[str], vocab: Sequence[str]) -> np.ndarray:
    index = {w: i for i, w in enumerate(vocab)}
    out = np.zeros(len(vocab), dtype=np.float32)
    for w in words:
        j = index.get(w)
        if j is not None:
            out[j] = 1.0
    return out
