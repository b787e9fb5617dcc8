"""From block probabilities to the cleaned document: kept blocks become the
lines of ``text`` (with their roles), every other block a named removal.

A removed block's ``kind`` is the chrome kind its wording names in
:mod:`cleaner.rules` (a newsletter pitch, a share bar, a copyright line), or
``date`` for a date line, else ``boilerplate``; its ``rule`` says what decided:
``model``, plus the wording rule that matched (``model+newsletter-pitch``).

The page headline (the first kept block when it is a top-level heading, or the
first ``<h1>`` above the first kept block) moves to ``title`` and leaves the
text, as the other chrome of the head does: WCXB's and ScrapingHub's truths
hold the body without its headline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import Removal
from .features import rule_of

HEADLINE_ROLES = ("h1", "h2")
_PERMALINK = "#¶§🔗"
"""Glyphs of a heading's permalink anchor ("Installation¶" in Sphinx pages),
which belong to no title."""


def headline_text(text: str) -> str:
    return text.rstrip(_PERMALINK).rstrip() or text


@dataclass
class Decided:
    text: str
    roles: tuple[str, ...]
    removed: list[Removal] = field(default_factory=list)
    sequence: list[tuple[str, Removal | None]] = field(default_factory=list)
    title: str | None = None


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def headline(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None) -> int | None:
    """Index of the page's headline block: the first kept block when it is an
    ``<h1>`` (or an ``<h2>`` reading as the page's title), else the last
    ``<h1>`` above it; None when there is neither (a listing's ``<h2>`` item
    titles are content, not a headline)."""
    first = next((i for i, k in enumerate(keep) if k), None)
    if first is None:
        return None
    folded = _fold(headline_text(title)) if title else None

    def is_title(i: int) -> bool:
        return folded is not None and _fold(headline_text(texts[i])) == folded

    if roles[first] == "h1" or (roles[first] == "h2" and is_title(first)):
        return first
    for i in range(first - 1, -1, -1):
        if roles[i] == "h1" or (roles[i] in HEADLINE_ROLES and is_title(i)):
            return i
    return None


def vetoed(texts: Sequence[str], keep: Sequence[bool], veto: frozenset[str] | set[str]) -> list[bool]:
    """Which kept blocks a vetoing wording rule removes anyway. The model
    judges a block mostly by its place, and keeps a short "READ MORE: ..."
    line between two paragraphs of the body, or a consent manager's dialog
    where it sits inside the page's main container; the rules whose removals
    never cost F1 out-of-fold are chosen by training/train.py (``veto_rules``
    in the model file). Rules, not kinds: one kind holds precise rules (a
    consent dialog's fixed wording) beside loose ones (any line naming
    cookies, which a recipe page's body does)."""
    return [bool(k) and bool(veto) and rule_of(t)[1] in veto for t, k in zip(texts, keep)]


def kept_text(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
              veto: frozenset[str] | set[str] = frozenset()) -> str:
    """The output text only (what training scores)."""
    keep = [k and not v for k, v in zip(keep, vetoed(texts, keep, veto))]
    h = headline(texts, roles, keep, title)
    return "\n".join(t for i, (t, k) in enumerate(zip(texts, keep)) if k and i != h)


def decide(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
           veto: frozenset[str] | set[str] = frozenset()) -> Decided:
    vetos = vetoed(texts, keep, veto)
    keep = [k and not v for k, v in zip(keep, vetos)]
    h = headline(texts, roles, keep, title)
    kept: list[str] = []
    kept_roles: list[str] = []
    removed: list[Removal] = []
    sequence: list[tuple[str, Removal | None]] = []
    for i, (t, k) in enumerate(zip(texts, keep)):
        if i == h:
            r = Removal("title", t, "page-headline")
        elif k:
            kept.append(t)
            kept_roles.append(roles[i])
            sequence.append((t, None))
            continue
        else:
            kind, name = rule_of(t)
            if vetos[i]:
                r = Removal(kind, t, name)  # the wording rule decided, against the model
            else:
                r = Removal(kind or "boilerplate", t, "model+" + name if name else "model")
        removed.append(r)
        sequence.append(("", r))
    return Decided("\n".join(kept), tuple(kept_roles), removed, sequence,
                   headline_text(texts[h]) if h is not None else title)
