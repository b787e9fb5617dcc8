"""From block probabilities to the cleaned document: kept blocks become the
lines of ``text`` (with their roles), every other block a named removal.

A kept block that repeats an earlier kept block's text word for word is
removed as a ``repeated-block`` (rule ``repeat-on-page``) on the page types
where cross-validation found it pays (see :func:`repeated`).

A removed block's ``kind`` is the chrome kind its wording names in
:mod:`cleaner.rules` (a newsletter pitch, a share bar, a copyright line), or
``date`` for a date line, else ``boilerplate`` (a control's label, "$25" or
"Log in", names its widget only beside it: :func:`cleaner.rules.name_controls`);
its ``rule`` says what decided:
``model``, plus the wording rule that matched (``model+newsletter-pitch``).

The page headline (the first kept block when it is a top-level heading, or the
first ``<h1>`` above the first kept block) moves to ``title`` and leaves the
text, as the other chrome of the head does (a date line opening the text
goes to ``date``): WCXB's and ScrapingHub's truths
hold the body without its headline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..records import Removal
from ..rules import name_controls
from ..strip import byline_name
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
    author: str | None = None
    """From a byline at the top of the text (``head_blocks``)."""


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


_WORD = re.compile(r"\w+")
REPEAT_RULE = "repeat-on-page"


def repeated(texts: Sequence[str], keep: Sequence[bool], headline_at: int | None, min_words: int | None) -> list[bool]:
    """Which kept blocks repeat, word for word (case and spacing aside), a kept
    block above them that has at least ``min_words`` words (the headline
    aside: it leaves the text). Pages carry their content twice where a
    layout has a desktop and a mobile copy of a section, a product's
    description in a tab and in an accordion, a forum post quoted whole by the
    reply below it; a reader sees it once, and so do WCXB's truths (out-of-fold,
    training/REPORT.md: WCXB 0.864 -> 0.871, forum pages 0.764 -> 0.791).
    Short repeats are content often enough (a table's "Yes", a code line) for
    the minimum to matter: it is chosen per page type by cross-validation
    (``training/train.py``, ``repeats`` in the model file; None: nothing is
    dropped)."""
    out = [False] * len(texts)
    if not min_words:
        return out
    seen: set[str] = set()
    for i, (t, k) in enumerate(zip(texts, keep)):
        if not k or i == headline_at:
            continue
        key = _fold(t)
        if key in seen:
            out[i] = len(_WORD.findall(key)) >= min_words
        else:
            seen.add(key)
    return out


HEADING_ROLES = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
PERMALINK_MARKS = ("¶", "§", "🔗")
"""What documentation generators (Sphinx, MkDocs) print after a heading as
its permalink: no word of the heading, so the record's line goes without."""

ROW_SEPARATOR = " | "
"""Between the cells of a table row on its line: Markdown's column separator,
spaced as a person copies a table."""

DATELINE_RULE = "date-above-text"
BYLINE_RULE = "byline-above-text"
HEAD_BLOCKS = 3
"""How many kept blocks at the top of the text may be its head (a byline,
a date): a header's byline and date sit together under the headline."""


def head_blocks(texts: Sequence[str], keep: Sequence[bool], headline_at: int | None,
                again: Sequence[bool]) -> dict[int, str]:
    """The kept blocks at the top of the text (the headline and repeats
    aside), at most HEAD_BLOCKS in a row, that are a date or a byline and
    nothing else, when more text follows: the page's dateline and byline,
    which go to the record's ``date`` and ``author`` as the text path's head
    metadata does, not into the text (index -> "date" or "byline").

    The model keeps a date line when its place reads as content (a forum
    post's date, which WCXB's truths hold; measured on the cross-validation's
    outputs, removing every kept date line costs 0.0001 mean F1, the first
    one alone changes five pages' outputs and nothing measurable). A byline it
    keeps is rare on real pages (3 among the first three lines of WCXB's 1,497
    out-of-fold outputs; removing them leaves F1 unchanged to three places)
    but plain markup (a ``<p>By Jane Porter</p>`` under the ``<h1>``) has one."""
    kept = [i for i, k in enumerate(keep) if k and i != headline_at and not again[i]]
    out: dict[int, str] = {}
    for i in kept[:min(HEAD_BLOCKS, len(kept) - 1)]:
        if rule_of(texts[i])[0] == "date":
            out[i] = "date"
        elif byline_name(texts[i]):
            out[i] = "byline"
        else:
            break
    return out


def set_aside(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
              repeat_words: int | None = None) -> tuple[int | None, list[bool], dict[int, str]]:
    """The kept blocks that leave the text: (the headline, which goes to
    ``title``; which blocks are repeats; the head's dateline and byline,
    which go to ``date`` and ``author``)."""
    h = headline(texts, roles, keep, title)
    again = repeated(texts, keep, h, repeat_words)
    return h, again, head_blocks(texts, keep, h, again)


def text_mask(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
              repeat_words: int | None = None) -> list[bool]:
    """Which blocks are lines of the output text: kept, and not set aside
    (:func:`set_aside`)."""
    h, again, head = set_aside(texts, roles, keep, title, repeat_words)
    return [bool(k) and i != h and i not in head and not again[i] for i, k in enumerate(keep)]


VETO_EXEMPT_ROLES = frozenset({"cell"})
"""Roles whose blocks no wording veto removes: a table cell's word ("4x",
"Best", "1/4", "Email") is a value of the table, not a widget's label; the
model, which reads the cell's place, decides alone."""


def vetoed(texts: Sequence[str], keep: Sequence[bool], veto: frozenset[str] | set[str],
           roles: Sequence[str] | None = None) -> list[bool]:
    """Which kept blocks a vetoing wording rule removes anyway. The model
    judges a block mostly by its place, and keeps a short "READ MORE: ..."
    line between two paragraphs of the body, or a consent manager's dialog
    where it sits inside the page's main container; the rules whose removals
    never cost F1 out-of-fold are chosen by training/train.py (``veto_rules``
    in the model file). Rules, not kinds: one kind holds precise rules (a
    consent dialog's fixed wording) beside loose ones (any line naming
    cookies, which a recipe page's body does). Blocks of a role in
    VETO_EXEMPT_ROLES are never vetoed."""
    if not veto:
        return [False] * len(texts)
    return [bool(k) and (roles is None or roles[i] not in VETO_EXEMPT_ROLES) and rule_of(t)[1] in veto
            for i, (t, k) in enumerate(zip(texts, keep))]


def kept_text(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
              veto: frozenset[str] | set[str] = frozenset(), repeat_words: int | None = None) -> str:
    """The output text only (what training scores)."""
    keep = [k and not v for k, v in zip(keep, vetoed(texts, keep, veto, roles))]
    return "\n".join(t for t, k in zip(texts, text_mask(texts, roles, keep, title, repeat_words)) if k)


def decide(texts: Sequence[str], roles: Sequence[str], keep: Sequence[bool], title: str | None,
           veto: frozenset[str] | set[str] = frozenset(), repeat_words: int | None = None,
           shown: Sequence[str | None] | None = None,
           shown_roles: Sequence[str | None] | None = None, rows: Sequence[int] | None = None,
           cols: Sequence[int] | None = None) -> Decided:
    """``shown``: for each block, the text a kept block puts in ``text`` where
    it is not the block's one-line text (a code block's lines), else None;
    each of its lines is a line of ``text`` with the block's role, or its
    ``shown_roles`` entry where that is not None (a paragraph in a list item
    is a list item: ``Block.shown_role``). ``rows``: for each block, its
    table row (``Block.row``, -1 for none): the kept cells of one row, one
    after another, are one line of role ``row``, joined by ROW_SEPARATOR, as
    a reader sees the row and a Markdown renderer needs it. ``cols``: for
    each block, its column in the row (``Block.col``, -1 for none): a column
    with no kept cell (an empty or removed one) is an empty cell between the
    separators (a row opening with one starts with the separator), and two
    blocks of one cell are joined by a space, so every cell stays in its
    column."""
    vetos = vetoed(texts, keep, veto, roles)
    keep = [k and not v for k, v in zip(keep, vetos)]
    h, again, head = set_aside(texts, roles, keep, title, repeat_words)
    author = next((byline_name(texts[i]) for i, what in head.items() if what == "byline"), None)
    first_text = next((i for i, k in enumerate(keep) if k and i != h and i not in head and not again[i]), len(texts))
    kept: list[str] = []
    kept_roles: list[str] = []
    removed: list[Removal] = []
    sequence: list[tuple[str, Removal | None]] = []
    open_row = -1  # the row of the last line of text, while nothing came after it
    open_col = -1  # the column of its last cell
    for i, (t, k) in enumerate(zip(texts, keep)):
        row = rows[i] if rows is not None else -1
        if i == h:
            r = Removal("title", t, "page-headline")
        elif again[i]:
            r = Removal("repeated-block", t, REPEAT_RULE)
        elif i in head:
            r = Removal("date", t, DATELINE_RULE) if head[i] == "date" else Removal("byline", t, BYLINE_RULE)
        elif k and row >= 0:
            col = cols[i] if cols is not None else -1
            if row == open_row:
                if col >= 0 and col == open_col:
                    kept[-1] += " " + t  # another block of the same cell
                else:
                    kept[-1] += ROW_SEPARATOR * (col - open_col if 0 <= open_col < col else 1) + t
                sequence[-1] = (kept[-1], None)
            else:
                line = (ROW_SEPARATOR * col).lstrip() + t if col > 0 else t
                kept.append(line)
                kept_roles.append("row")
                sequence.append((line, None))
                open_row = row
            open_col = col
            continue
        elif k:
            open_row = -1
            out = shown[i] if shown is not None and shown[i] else t
            if roles[i] in HEADING_ROLES and out.endswith(PERMALINK_MARKS):
                out = out.rstrip(" " + "".join(PERMALINK_MARKS)) or out
            kept.append(out)
            role = shown_roles[i] if shown_roles is not None and shown_roles[i] else roles[i]
            for line in out.split("\n"):
                kept_roles.append(role)
                sequence.append((line, None))
            continue
        else:
            kind, name = rule_of(t)
            if kind is None and i < first_text and (who := byline_name(t)):
                # A byline the model removed above the text: named, and the
                # author's name kept (a reader of the page sees it there).
                kind, name = "byline", "byline"
                author = author or who
            if vetos[i]:
                r = Removal(kind, t, name)  # the wording rule decided, against the model
            else:
                r = Removal(kind or "boilerplate", t, "model+" + name if name else "model")
        open_row = -1
        removed.append(r)
        sequence.append(("", r))
    removed, sequence = name_controls(removed, sequence)
    return Decided("\n".join(kept), tuple(kept_roles), removed, sequence,
                   headline_text(texts[h]) if h is not None else title, author)
