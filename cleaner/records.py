"""The data that flows between stages.

``Document`` is what the reader produces (one per input document, numbered by a
global ordinal so every later tie is broken the same way on every run);
``Record`` is what the writer emits and mirrors ``record.schema.json`` field by
field, in the schema's order, so the output bytes never depend on dict order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Document:
    """One document to clean. The reader makes them from inputs; a library user
    may pass them to ``cleaner.clean`` directly::

        cleaner.Document(content=html, kind="html", id="a1", url="https://example.com/a")

    There ``ordinal`` is assigned in input order, an empty ``id`` becomes the
    document's position (``<records>:3``) and a taken one is made unique
    (``a1#2``), as for every other input."""

    ordinal: int = 0
    id: str = ""
    source: str = ""
    content: str = ""
    kind: str = "text"  # "html" or "text"
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    """Where in ``source`` the document was (a JSONL line, a WARC record's
    number, a position in the caller's list), as a reject made while reading
    it would say: a reject made after reading says the same (``Reject.line``)."""


@dataclass(frozen=True)
class Reject:
    source: str
    reason: str
    message: str
    line: int | None = None
    id: str | None = None
    ordinal: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "id": self.id,
                "reason": self.reason, "message": self.message}


class Removal(NamedTuple):
    """One line the cleaning took out: its ``kind`` (the chrome it is), its
    ``text``, and the ``rule`` that decided it.

    A named tuple rather than a dataclass, for speed alone: a page has a few
    dozen of these and every one crosses from a worker process to the main
    one in a pickle. A frozen dataclass unpickles at about 2-4 us an object
    (an empty instance, then its state dict set through a failed
    ``__setstate__`` lookup), a named tuple at under 1 us (one C call): on
    the scale corpus (about 30 removals a document) that was a tenth of the
    main process's time a document."""

    kind: str
    text: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "rule": self.rule}


@dataclass(frozen=True)
class DuplicateSpan:
    """A passage ``text[start:end]`` that near-duplicates ``of``'s ``text[of_start:of_end]``."""

    start: int
    end: int
    of: str
    of_start: int
    of_end: int
    similarity: float
    cluster: str
    field: str = "text"
    """Where ``start``/``end`` point: the record's ``text`` or its ``title``."""
    of_field: str = "text"
    """Where ``of_start``/``of_end`` point in the record ``of``."""
    words: int = 0
    """Words of the span aligned with the earlier passage: with ``similarity``
    (the weighted share of words the two passages have in common), the
    evidence that this is a copy."""

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "of": self.of, "of_start": self.of_start,
                "of_end": self.of_end, "similarity": self.similarity, "words": self.words, "cluster": self.cluster,
                "field": self.field, "of_field": self.of_field}


@dataclass(frozen=True)
class Cleaned:
    """A document after extract and strip, before dedup: the unit workers return."""

    doc: Document
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    site: str | None = None
    lang: str | None = None
    url: str | None = None
    removed: tuple[Removal, ...] = ()
    chars_in: int = 0
    removal_slots: tuple[int, ...] = ()
    """For each of ``removed``, how many kept lines (of ``text``) precede it, so
    a later stage can remove more and still list removals in document order.
    Empty when unknown (removals then count as after the text)."""
    roles: tuple[str, ...] = ()
    """For HTML cleaned by the page model, the role of each line of ``text``
    (``h1``..``h6``, ``p``, ``li``, ``dt``, ``dd``, ``row``, ``cell``,
    ``code``, ``quote``, ``caption``, ``label``, ``text``); empty for text
    dumps."""


@dataclass(frozen=True)
class Record:
    id: str
    source: str
    url: str | None
    site: str | None
    title: str | None
    author: str | None
    date: str | None
    lang: str | None
    text: str
    removed: tuple[Removal, ...]
    duplicates: tuple[DuplicateSpan, ...]
    near_duplicate_of: str | None
    stats: dict[str, int]
    metadata: dict[str, Any]
    roles: tuple[str, ...] = ()
    """For an HTML page cleaned by the page model, the role of each line of
    ``text`` (``h1``..``h6``, ``p``, ``li``, ``dt``, ``dd``, ``row``: a
    table row's kept cells joined by `` | ``, ``cell``, ``code``, ``quote``,
    ``caption``, ``label``, ``text``): what a Markdown renderer needs. Empty for text dumps, whose lines have no markup."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "source": self.source, "url": self.url, "site": self.site,
            "title": self.title, "author": self.author, "date": self.date, "lang": self.lang,
            "text": self.text,
            "removed": [r.to_dict() for r in self.removed],
            "duplicates": [d.to_dict() for d in self.duplicates],
            "near_duplicate_of": self.near_duplicate_of,
            "stats": self.stats,
        }
        if self.roles:
            out["roles"] = list(self.roles)
        if self.metadata:
            out["metadata"] = self.metadata
        return out


def removal_slots(sequence) -> tuple[int, ...]:
    """For each removal in ``sequence`` (kept lines ``(text, None)`` and removals
    ``("", Removal)`` in document order), the number of kept lines before it:
    the compact form of the sequence that travels with a document (``Cleaned``)."""
    slots, kept = [], 0
    for _, r in sequence:
        if r is None:
            kept += 1
        else:
            slots.append(kept)
    return tuple(slots)
