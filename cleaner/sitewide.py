"""Cross-document stage: lines that recur on many pages of one site are chrome.

A site's navigation, newsletter box or footer reads the same on each of its
pages; an article paragraph does not. So within a window of documents, a line
kept by the per-document classifier is removed as ``site-boilerplate`` when it
appears (kept, or removed by the classifier) on at least ``site_min_pages``
pages of the same site, and on at least ``site_min_share`` of that site's
pages in the window.

Only the same site counts: a statement quoted by several *outlets* is reuse,
which the dedup stage reports, not chrome. Long quoted sentences are never
treated as boilerplate, because a site can quote the same statement in a series
of follow-up stories.

Deterministic: decisions depend only on the window's contents, and windows are
cut at fixed document counts in input order.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace

from .options import Options
from .records import Cleaned, Removal, removal_slots

MAX_SHARE = 0.5
"""A site's chrome is a minority of what the per-page classifier kept."""
_QUOTED = re.compile(r"[\"“«„].{40,}[\"”»“]")


def _key(line: str) -> str:
    if not line.isascii():
        line = unicodedata.normalize("NFKC", line)
    return " ".join(line.casefold().split())


def apply_window(window: list[Cleaned], options: Options) -> list[Cleaned]:
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(window):
        site = c.site
        if site:
            by_site[site].append(i)
    out = list(window)
    for site, members in by_site.items():
        if len(members) < options.site_min_pages:
            continue
        counts: Counter[str] = Counter()
        keys = {i: [_key(line) for line in window[i].text.split("\n")] for i in members}
        for i in members:
            # A line the per-page classifier removed on some pages still
            # recurs there: counted with the kept ones, so a chrome line the
            # classifier catches on most pages goes on the few it missed.
            counts.update({k for k in keys[i] if k} | {_key(r.text) for r in window[i].removed if r.text})
        need = max(options.site_min_pages, options.site_min_share * len(members))
        common = {k for k, n in counts.items() if n >= need and not _QUOTED.search(k)}
        if not common:
            continue
        for i in members:
            hits = [j for j, k in enumerate(keys[i]) if k in common]
            if not hits:
                continue  # nothing kept here is common: the page stays as it is
            c = window[i]
            lines = c.text.split("\n")
            shared = sum(len(lines[j]) for j in hits if keys[i][j])
            if shared > MAX_SHARE * max(1, len(c.text)):
                # Most of the page is shared with its siblings: it is a copy of
                # another page (dedup reports that), not a page wrapped in chrome.
                continue
            key_of = dict(zip(lines, keys[i]))
            # A line of code ("}", "import numpy as np") recurs on a
            # documentation site's pages as code, not as chrome.
            code = ({j for j, role in enumerate(c.roles) if role == "code"} if len(c.roles) == len(lines)
                    else set())
            sequence = _sequence(lines if c.text else [], c.removed, c.removal_slots)
            changed, j = [], 0
            for t, r in sequence:
                if r is None:
                    if key_of.get(t) in common and j not in code:
                        r = Removal("site-boilerplate", t, "site-repeated-line")
                    j += 1
                changed.append((t, r))
            if changed != sequence:
                kept_now = [r is None for (_, old), (_, r) in zip(sequence, changed) if old is None]
                roles = tuple(role for role, k in zip(c.roles, kept_now) if k) if c.roles else ()
                out[i] = replace(c, text="\n".join(t for t, r in changed if r is None),
                                 removed=tuple(r for _, r in changed if r is not None),
                                 removal_slots=removal_slots(changed), roles=roles)
    return out


def _sequence(lines: list[str], removed: tuple[Removal, ...],
              slots: tuple[int, ...]) -> list[tuple[str, Removal | None]]:
    """Kept lines and removals interleaved in document order."""
    if len(slots) != len(removed):
        slots = (len(lines),) * len(removed)
    out: list[tuple[str, Removal | None]] = []
    j = 0
    for r, slot in zip(removed, slots):
        while j < slot and j < len(lines):
            out.append((lines[j], None))
            j += 1
        out.append(("", r))
    out += [(line, None) for line in lines[j:]]
    return out


def site_boilerplate(stream: Iterable[Cleaned], options: Options) -> Iterator[Cleaned]:
    """Apply :func:`apply_window` over consecutive windows of ``site_window`` documents."""
    window: list[Cleaned] = []
    for c in stream:
        window.append(c)
        if len(window) >= options.site_window:
            yield from apply_window(window, options)
            window = []
    if window:
        yield from apply_window(window, options)
