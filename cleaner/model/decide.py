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
    """Index of the page's headline block, if the text would open with it or it
    stands above the first kept block."""
    first = next((i for i, k in enumerate(keep) if k), None)
    if first is None:
        return None
    if roles[first] in HEADLINE_ROLES:
        return first
    folded = _fold(title) if title else None
    for i in range(first - 1, -1, -1):
        if roles[i] == "h1" or (folded and roles[i] in HEADLINE_ROLES and _fold(texts[i]) == folded):
            return i
    return None


def kept_text(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None) -> str:
    """The output text only (what training scores)."""
    h = headline(texts, roles, keep, title)
    return "\n".join(t for i, (t, k) in enumerate(zip(texts, keep)) if k and i != h)


def decide(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None) -> Decided:
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
            r = Removal(kind or "boilerplate", t, "model+" + name if name else "model")
        removed.append(r)
        sequence.append(("", r))
    return Decided("\n".join(kept), tuple(kept_roles), removed, sequence,
                   texts[h] if h is not None else title)
