"""One pass over the parsed page (lexbor, through selectolax) cuts it into
text blocks, the unit the page model judges (dragnet's design).

A block is the text between two block-level boundaries (``<p>``, ``<li>``,
``<div>``, ``<td>``, ``<br>``...): a paragraph, a list item, a table cell, a
heading, the text standing directly in a ``<div>``. Each block carries what
the model needs of its place in the page: its role (heading level, paragraph,
list item, cell, code, quote, caption, plain text), the ancestors it sits in
(counts of the structural tags above it: article, main, nav, aside, footer...),
the class/id words of its nearest ancestors, how many of its characters are
link text, and the ancestor frames themselves, whose repetition among their
siblings (cards, list items, posts) and share of the page's text are read after
the pass, when every count is known.

The walk follows ``child``/``next``/``parent`` pointers with an explicit
stack, never Python recursion, so 100,000 nested elements cost what 100,000
siblings cost; every per-block look at the ancestors is bounded by
:data:`NEAR`, so the work per block does not grow with the depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SKIP = frozenset(("script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
                  "head", "select", "textarea", "option", "datalist", "button", "video", "audio", "map", "-comment",
                  "title", "meta", "link", "input", "img", "picture", "source"))
"""Elements whose text is never shown as text (or is a control's label)."""

LABELLED_BY_BUTTON = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt"))
"""Elements whose text a ``<button>`` child may hold: an accordion's
question (Bootstrap's ``<h2><button>Question</button></h2>``, a FAQ's
``<dt>``) is a heading that opens its answer, not a control's label, so a
button directly inside one is read as text."""

BOUNDARY = frozenset(("address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
                      "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
                      "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav", "ol", "p",
                      "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul",
                      "caption", "legend", "br", "html", "label"))
"""Tags that end the block before them and start a new one (HTML's block-level
elements, plus ``br`` and the table cells)."""

ROLES = {"h1": "h1", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h5", "h6": "h6", "p": "p", "li": "li", "dt": "dt",
         "dd": "dd", "td": "cell", "th": "cell", "pre": "code", "blockquote": "quote", "figcaption": "caption",
         "caption": "caption", "summary": "label", "legend": "label", "label": "label"}
ROLE_NAMES = ("text", "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "cell", "code", "quote", "caption",
              "label")
"""A block's role: the nearest role-giving element within :data:`ROLE_REACH`
levels above it (``<li><div>text</div></li>`` is a list item), else plain text."""
ROLE_REACH = 4
CONTAINER_ROLES = frozenset({"li", "quote", "cell", "dd", "dt"})
"""Roles that hold paragraphs: a ``<p>`` within ROLE_REACH levels of one
shows as the container's role (``Block.shown_role``)."""

CONTEXT = ("article", "main", "header", "footer", "nav", "aside", "form", "a", "li", "table", "figure", "blockquote",
           "section", "h", "ul", "dl", "pre", "code", "strong", "time", "address", "menu", "details", "x-noscript",
           "hidden")
"""Structural tags counted over all the ancestors of a block (``h`` stands
for any heading level, ``ul`` for ``ol`` too; ``x-noscript`` is ``noscript``,
renamed before parsing so that its markup is parsed, see :func:`parse`;
``hidden`` counts ancestors hidden by an attribute or an inline style: hidden
markup is a closed menu or dialog on most pages, and the content itself on pages
that a script reveals, such as React's streamed ``<div hidden id="S:0">``, so
the model, not a rule, weighs it)."""
_CONTEXT_INDEX = {t: i for i, t in enumerate(CONTEXT) if t != "hidden"}
_HIDDEN = CONTEXT.index("hidden")
_CONTEXT_INDEX.update({"h1": _CONTEXT_INDEX["h"], "h2": _CONTEXT_INDEX["h"], "h3": _CONTEXT_INDEX["h"],
                       "h4": _CONTEXT_INDEX["h"], "h5": _CONTEXT_INDEX["h"], "h6": _CONTEXT_INDEX["h"],
                       "ol": _CONTEXT_INDEX["ul"], "b": _CONTEXT_INDEX["strong"]})

NEAR = 12
"""Ancestor frames a block keeps (class/id words, repetition, text share):
enough to reach past a card's or a post's wrappers, bounded so that the work
per block does not grow with the page's depth."""

MAX_BLOCKS = 20_000
"""Blocks cut from one page at most; a page with more is not a document but a
dump (the walk goes on only to find the end). A long news page has a few
hundred."""

_SPLIT = re.compile(r"[^0-9a-zA-Z]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass(slots=True)
class Frame:
    """An open element, as the blocks below it see it."""

    tag: str
    words: tuple[str, ...]  # class and id words, lower case
    sig: str  # tag and class: siblings with the same signature repeat a structure
    siblings: dict  # the parent's child-signature counts
    children: dict  # this element's child-signature counts
    chars: int = 0  # text characters of the blocks below (at most NEAR levels down)
    link_chars: int = 0
    blocks: int = 0
    hidden: bool = False
    at: int = 0  # elements seen before this one (its position in the markup): an id within the page
    col: int = -1  # a table cell's column: the cells before it in its row

    @property
    def repeats(self) -> int:
        return self.siblings.get(self.sig, 1)


@dataclass(slots=True)
class Block:
    text: str
    role: str
    tag: str  # the innermost element around the text
    depth: int
    link_chars: int
    links: int  # <a> elements that start inside the block
    context: tuple[int, ...]  # counts of CONTEXT tags among all ancestors
    frames: tuple[Frame, ...]  # the nearest NEAR ancestor frames, innermost last
    element: int  # elements seen before the block (its position in the markup)
    shown: str | None = None
    """A code block's text with its line breaks and indentation (one line of
    ``text`` a line of code, blank ones dropped), where that differs from
    ``text``: what the record shows if the block is kept. ``text``, all on one
    line, is what the model reads, as it read it when it was trained."""
    shown_role: str | None = None
    """The role the record gives the block's lines where it is not ``role``:
    a paragraph inside a list item, a quotation, a table cell or a
    definition (``<li><p>``, ``<blockquote><p>``, ``<td><p>``) is that item,
    quotation or cell to a reader and to a Markdown renderer. ``role``, the
    nearest role-giving element, is what the model reads, as trained."""
    row: int = -1
    """For a table cell, its row (the ``<tr>``'s position in the markup), so
    that the record shows the row's cells on one line; -1 for other blocks."""
    col: int = -1
    """For a table cell, its column (the ``<td>``/``<th>`` cells before its
    own in the row), so that a row whose cells are empty or removed keeps
    the others in their columns; -1 for other blocks."""


_CELLS = frozenset({"td", "th"})


def _column(siblings: dict) -> int:
    """The column of a cell just entered: the ``td``/``th`` elements its row
    has had so far (``siblings``, the row's child-signature counts, already
    counting this one), less one."""
    return sum(n for sig, n in siblings.items() if sig.startswith(("td.", "th."))) - 1


@dataclass(slots=True)
class Page:
    blocks: list[Block]
    elements: int
    truncated: bool  # more than MAX_BLOCKS blocks: the rest were not kept


_word_cache: dict[str, tuple[str, ...]] = {}


def _words(value: str) -> tuple[str, ...]:
    got = _word_cache.get(value)
    if got is None:
        got = tuple(w.lower() for w in _SPLIT.split(value) if 1 < len(w) <= 30 and not w.isdigit())[:16]
        if len(_word_cache) > 50_000:
            _word_cache.clear()
        _word_cache[value] = got
    return got


def _code_lines(raw: str) -> str:
    """The lines of a ``<pre>`` block as written: each line's indentation and
    words kept (tabs as they are), its trailing spaces and the blank lines
    dropped (a record's lines are never empty)."""
    return "\n".join(line.rstrip() for line in raw.split("\n") if line.strip())


_NOSCRIPT = re.compile(r"<(/?)noscript\b", re.I)


def parse(html: str):
    """The lexbor tree of a page. ``<noscript>`` is renamed ``<x-noscript>``
    first: a parser with scripting on (lexbor's, a browser's) reads what it
    holds as raw text, but crawled pages often carry their whole content
    there for clients without scripts (Discourse forums, for one)."""
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(_NOSCRIPT.sub(r"<\1x-noscript", html))


def blocks_of(root) -> Page:
    """The blocks of the page under ``root`` (a selectolax node, usually the
    ``<body>``), in document order."""
    blocks: list[Block] = []
    stack: list[Frame] = []
    context = [0] * len(CONTEXT)
    buf: list[str] = []
    state = [0, 0, 0]  # link chars, links, elements seen
    in_link = 0
    truncated = False
    top: dict = {}

    def flush() -> None:
        nonlocal truncated
        if not buf:
            return
        raw = "".join(buf)
        text = " ".join(raw.split())
        buf.clear()
        if not text:
            state[0] = state[1] = 0
            return
        if len(blocks) >= MAX_BLOCKS:
            truncated = True
            return
        near = tuple(stack[-NEAR:])
        role, shown_role = "text", None
        reach = near[-ROLE_REACH:]
        for k in range(len(reach) - 1, -1, -1):
            r = ROLES.get(reach[k].tag)
            if r is not None:
                role = r
                if r == "p":
                    shown_role = next((c for f in reversed(reach[:k]) if (c := ROLES.get(f.tag)) in CONTAINER_ROLES),
                                      None)
                break
        n, link = len(text), min(state[0], len(text))
        for f in near:
            f.chars += n
            f.link_chars += link
            f.blocks += 1
        shown = _code_lines(raw) if role == "code" and "\n" in raw.strip() else None
        row, col = -1, -1
        if role == "cell":
            row = next((f.at for f in reversed(stack) if f.tag == "tr"), -1)
            col = next((f.col for f in reversed(stack) if f.tag in _CELLS), -1)
        blocks.append(Block(text, role, near[-1].tag if near else "body", len(stack), link, state[1],
                            tuple(context), near, state[2], shown if shown != text else None, shown_role, row,
                            col))
        state[0] = state[1] = 0

    def leave(tag: str) -> None:
        nonlocal in_link
        if tag in BOUNDARY:
            flush()
        if stack.pop().hidden:
            context[_HIDDEN] -= 1
        ci = _CONTEXT_INDEX.get(tag)
        if ci is not None:
            context[ci] -= 1
        if tag == "a":
            in_link -= 1

    node = root
    while node is not None:
        tag = node.tag
        if tag == "-text":
            t = node.text_content
            if t and stack:
                buf.append(t)
                if in_link:
                    state[0] += len(t.strip())
        elif tag and (tag not in SKIP or tag == "button" and stack and stack[-1].tag in LABELLED_BY_BUTTON) \
                and tag[0] != "-":
            state[2] += 1
            attrs = node.attributes
            hidden = bool(attrs) and ("hidden" in attrs or attrs.get("aria-hidden") == "true"
                                      or ("style" in attrs and _HIDDEN_STYLE.search(attrs["style"] or "")
                                          is not None))
            if tag in BOUNDARY:
                flush()
            cls = (attrs.get("class") or "") if attrs else ""
            ident = (attrs.get("id") or "") if attrs else ""
            sig = tag + "." + cls
            parent_children = stack[-1].children if stack else top
            parent_children[sig] = parent_children.get(sig, 0) + 1
            stack.append(Frame(tag, _words(cls + " " + ident) if cls or ident else (), sig,
                               parent_children, {}, hidden=hidden, at=state[2],
                               col=_column(parent_children) if tag in _CELLS else -1))
            if hidden:
                context[_HIDDEN] += 1
            ci = _CONTEXT_INDEX.get(tag)
            if ci is not None:
                context[ci] += 1
            if tag == "a":
                in_link += 1
                state[1] += 1
            child = node.child
            if child is not None:
                node = child
                continue  # down: only into elements on the stack
            leave(tag)
        # Across to the next sibling, or up, leaving every ancestor passed.
        if not stack:
            break
        while True:
            nxt = node.next
            if nxt is not None:
                node = nxt
                break
            node = node.parent
            if node is None:
                break
            leave(node.tag)
            if not stack:
                node = None
                break
    flush()
    return Page(blocks, state[2], truncated)
