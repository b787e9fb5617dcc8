"""Raw text to body text: the line classifier.

Each non-empty line is judged on four kinds of evidence:

* wording: :mod:`cleaner.rules` names the formulaic phrases of site chrome;
* shape: length, sentence punctuation, capitalisation (a body paragraph is a
  run of sentences; widget labels and teaser titles are not);
* position: plain-text dumps hold the article as one region surrounded by
  chrome, found as the maximum-sum run of line scores (the body-text-extraction
  idea of Finn et al., 2001, over lines instead of tokens), with section
  openers such as "Comments" or "Related articles" acting as walls;
  title, byline and date are looked for just above the article only;
* context: a line that only looks like chrome by its wording (a sentence
  mentioning a newsletter) is removed only when it sits next to other chrome
  or after the article's last paragraph.

Repetition across documents of the same site is a separate, cross-document
stage (:mod:`cleaner.sitewide`); repetition inside one document is handled here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, groupby

from . import patterns
from .dates import parse_date_line
from .records import Removal, removal_slots
from .rules import ABOUT_THE_AUTHOR, LINE_RULES, Rule, first_chars, match_rule, name_controls, normalize_line

_TERMINAL = re.compile(r"([.!?:;。！？」』\"”’'»]|[.!?\"”’]\)|\([^)]*\s[^)]*\s[^)]*\))\s*$")
_TWO_SENTENCES = re.compile(r"[a-z]{2}[.!?] [A-Z]")
_TWO_INNER_PUNCT = re.compile(r"[.,;:!?。、，].*?[.,;:!?。、，]", re.S)  # two or more of these marks
_WORD = re.compile(r"\w+", re.U)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]")
_BYLINE = re.compile(r"(by|von|par|por|di|de|door|av|от|автор:?|text:?|texte:?|written by|posted by|words by|"
                     r"reporting by|文[:：]?|記者[:：]?)\s+(?P<name>[^\W\d_][\w'’.\-]*(\s+[\w'’.\-&]+){0,6})"
                     r"(\s*[,|/–—·•-]\s*.{0,60})?", re.I | re.U)
_NAME = re.compile(r"(?P<name>[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’.\-]+(\s+(van|von|de|der|da|di|del|la|le|bin|al)?\s*[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’.\-]+){1,3})"
                   r"(\s*[,|–—-]\s*[\w .'’]{2,50})?", re.U)
_DATE_LABEL_ONLY = re.compile(r"(updated|published|posted|last updated|modified|release date|date|aktualisiert|"
                              r"veröffentlicht|veröffentlichung|datum|publié|mis à jour|fecha|data|обновлено|"
                              r"опубликовано|дата|更新日?|公開日?)\s?:?", re.I)
# Lines are normalised (single spaces), so \s? is \s* here, and the width is
# bounded: longer lines need no regex call.
_DATE_LABEL_WIDTH = patterns.parse(_DATE_LABEL_ONLY).max_width()
_DATE_LABEL_FIRST = first_chars(_DATE_LABEL_ONLY)  # None: any character


def _date_label(text: str) -> bool:
    """A date label standing alone ("Updated:")."""
    return len(text) <= _DATE_LABEL_WIDTH and (_DATE_LABEL_FIRST is None or text[:1] in _DATE_LABEL_FIRST) \
        and _DATE_LABEL_ONLY.fullmatch(text) is not None


# Bounded repeats: an unbounded letter run here backtracks quadratically on a
# 100,000-letter "word".
_GLUE = re.compile(r"(?P<pre>(?:[^\W\d_][\w'’&]{0,24}\s+){0,3}[^\W\d_]{0,24}?[a-z]{2,24})"
                   r"(?P<rest>[A-Z][a-z]+[\s,'’].*)", re.U | re.S)
_GLUE_CAPS = re.compile(r"(?P<pre>(?:[A-Z]{2,24}\s+){0,3}[A-Z]{2,24})(?P<rest>[A-Z][a-z]+[\s,'’].*)", re.S)
"""A label in capitals glued on ("ADVERTISEMENTNo serious injuries were
reported"): the label's last capital is the next sentence's first letter."""
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_CASE_SHAPE = bytes(97 if 97 <= c <= 122 else 65 if 65 <= c <= 90 else 32 for c in range(256))


def _camel(text: str) -> bool:
    """A lower-case ASCII letter followed by an upper-case one, or two
    upper-case letters by a lower-case one, somewhere in ``text`` (as
    _CAMEL.search): where a label may be glued on. On ASCII lines read off a
    byte table instead of a regex."""
    return _camel_ascii(text.encode()) if text.isascii() else _CAMEL.search(text) is not None


def _camel_ascii(ascii_: bytes) -> bool:
    # find, not "in": "in" on bytes first tries its operand as an int, and
    # raises and clears an error every time.
    shape = ascii_.translate(_CASE_SHAPE)
    return shape.find(b"aA") >= 0 or shape.find(b"AAa") >= 0


_GLUE_WORDS = {"more", "shorts", "related", "read", "also", "advertisement", "ad", "watch", "video", "videos",
               "trending", "popular", "latest", "recommended", "stories", "news", "top", "sponsored", "listen",
               "share", "subscribe", "newsletter", "gallery", "photos", "live", "breaking", "updates", "must",
               "story", "continue", "reading", "next", "up", "featured", "picks", "podcast"}

BODY_MIN_WORDS = 5
"""A line with sentence punctuation and at least this many words reads as prose.
C4 (Raffel et al., 2020) uses 3 words per line for web text; 5 keeps out
"Read the full story." while keeping short lead sentences."""
LONG_LINE_WORDS = 25
"""A line this long is prose even without final punctuation (a truncated
paragraph, a dump that lost the full stop)."""
WALL = 900.0
"""Score of a chrome-section opener ("Comments", "Related articles", a donation
appeal's "Dear readers,"). Large enough that the comments or teasers behind it
are not joined to the article unless the text beyond is much longer than a
typical appeal; small enough that a newsletter box in mid-article does not cut
off the rest of a long article."""
DATE_PENALTY = 250.0
"""A standalone date line below the article's start marks a list of teasers or
comments; it costs about a short paragraph."""
HEAD_ZONE = 12
"""How many lines above the article's first paragraph are searched for title,
byline and date: headers put them right above the article."""


GlueSplit = tuple[str, str, frozenset[str]]
"""A glued-on widget label, the rest of the line, and the label's words."""


@dataclass(slots=True)
class Line:
    index: int
    text: str
    words: int
    rule: Rule | None = None
    date: str | None = None
    prose: bool | None = None  # _prose; always set on the lines strip_chrome makes (is_prose for others)
    folded: str = ""  # comparison form (_fold)
    split: GlueSplit | None = None  # a widget label glued on (_glue_split)
    kind: str | None = None  # set when removed
    why: str | None = None
    glued: tuple[str, str, str] | None = None  # (fragment, kind, rule) cut from the start

    @property
    def chars(self) -> int:
        return len(self.text)


@dataclass
class Stripped:
    text: str
    removed: list[Removal] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sequence: list[tuple[str, Removal | None]] = field(default_factory=list)
    """Kept lines (text, None) and removals ("", Removal) in document order, so a
    later stage can remove more and still list removals in document order."""

    def removal_slots(self) -> tuple[int, ...]:
        return removal_slots(self.sequence)


def ascii_words(text: str) -> bool:
    """Whether the ``\\w+`` runs of ``text`` are the runs of its ASCII letters
    and digits: a line of ASCII and word-break symbols (curly quotes, dashes:
    :data:`_QUIET_SYMBOLS`) without "_", whose folded form (``_fold_ascii``)
    is then those runs, lower-cased, joined by single spaces."""
    return "_" not in text and (text.isascii() or _ASCII_PUNCT.fullmatch(text) is not None)


def count_words(text: str) -> int:
    """Words, counting every two CJK characters as one: scripts without spaces
    would otherwise look like one-word lines."""
    if ascii_words(text):
        # Word runs are then the runs of ASCII letters and digits (see _fold_ascii).
        return len(text.encode("ascii", "replace").translate(_ASCII_FOLD).split())
    if not _CJK.search(text):
        return len(_WORD.findall(text))
    rest, cjk = _CJK.subn(" ", text)  # the count without a string per character (findall made one)
    return len(_WORD.findall(rest)) + (cjk + 1) // 2


def is_prose(line: Line) -> bool:
    prose = line.prose
    if prose is None:
        prose = line.prose = _prose(line.text, line.words)
    return prose


_TERMINAL_LAST = frozenset(".!?:;。！？」』\"”’'»")


def _terminal(text: str) -> bool:
    # Most paragraphs end in one of these; the regex is for the other endings,
    # all of which close a bracket.
    last = text.rstrip()[-1:]
    return last in _TERMINAL_LAST or last == ")" and _TERMINAL.search(text) is not None


def _ellipsis(text: str) -> bool:
    return text.rstrip().endswith(("...", "…"))


def _prose(text: str, words: int) -> bool:
    if words >= LONG_LINE_WORDS:
        # Tag clouds and menus run long too, but have no punctuation inside and
        # no full stop at the end; one long sentence has at least the stop.
        return not _ellipsis(text) and (_TWO_INNER_PUNCT.search(text) is not None or _terminal(text))
    return words >= BODY_MIN_WORDS and _terminal(text) and not _ellipsis(text)


def _title_shaped(line: Line) -> bool:
    if line.rule is not None or line.date is not None:
        return False
    text = line.text
    if not 3 <= line.words <= 30 or text.endswith((".", ",", ":", ";", "…")):
        return False
    # Two sentences make a caption or a teaser, not a headline (the regex needs
    # a sentence end followed by a space).
    if (". " in text or "! " in text or "? " in text) and _TWO_SENTENCES.search(text):
        return False
    return text[0].isupper() or text[0].isdigit() or bool(_CJK.match(text))


title_shaped = _title_shaped
"""A headline's shape (public: a feature of the line model)."""


_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Comparison form of a line (titles, repeats); several passes ask for the
    same lines, hence the cache (for lines short enough to keep)."""
    return _fold_cached(text) if len(text) <= 1000 else _fold_now(text)


def _fold_now(text: str) -> str:
    if text.isascii() or _ASCII_PUNCT.fullmatch(text):
        return _fold_ascii(text.encode("ascii", "replace"))
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    return _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _fold_ascii(ascii_: bytes) -> str:
    """_fold of a line of ASCII and _QUIET_SYMBOLS only, given as
    ``text.encode("ascii", "replace")``. NFKC changes no ASCII character and
    turns each of those symbols into non-word characters only, so every one of
    them is a word break; "?" stands in for them ("replace" is done in C), and
    one byte table then lower-cases letters and digits and blanks the rest."""
    return " ".join(ascii_.translate(_ASCII_FOLD).decode().split())


_ASCII_FOLD = bytes(ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(128)) + b" " * 128
"""Lower case for letters and digits, a space for the rest: one byte table, which
bytes.translate applies without a dictionary lookup per character."""


def _quiet(ch: str) -> bool:
    """A character that is a word break before and after NFKC and case folding,
    and that NFKC cannot merge with a neighbour (no combining marks)."""
    if ch.isalnum() or ch == "_" or unicodedata.combining(ch) or _CJK.match(ch):
        return False
    return not any(c.isalnum() or c == "_" or unicodedata.combining(c)
                   for c in unicodedata.normalize("NFKC", ch).casefold())


def _char_class(chars: list[str]) -> str:
    """A regex character class body for ``chars``, as ranges of consecutive code points."""
    points, out = sorted(map(ord, chars)), []
    for _, g in groupby(enumerate(points), lambda e: e[1] - e[0]):
        run = [p for _, p in g]
        out.append(re.escape(chr(run[0])) + (f"-{re.escape(chr(run[-1]))}" if len(run) > 1 else ""))
    return "".join(out)


_QUIET_SYMBOLS = [chr(c) for c in (*range(0x80, 0xC0), 0xD7, 0xF7, *range(0x2000, 0x2C00)) if _quiet(chr(c))]
"""The punctuation and symbols of Latin-1 and the General Punctuation to
Miscellaneous Symbols blocks that are word breaks (curly quotes, dashes, the
ellipsis, no-break and thin spaces, bullets, arrows, ©): English and
other Latin-script lines that are ASCII but for these, and there are many,
fold and count words as fast as ASCII."""
_ASCII_PUNCT = re.compile(f"[\\x00-\\x7f{_char_class(_QUIET_SYMBOLS)}]*")


_fold_cached = lru_cache(maxsize=8192)(_fold_now)


MAX_LINE_CHARS = 100_000
"""No page has a paragraph this long; a "line" of megabytes (a whole file
without newlines) is cut at spaces into lines of about this size, so every
per-line test stays linear and small."""


def _lines(raw: str) -> tuple[list[str], dict[int, int]]:
    """The lines of ``raw``, those over MAX_LINE_CHARS cut in pieces, and for
    each piece of a cut line (by its position) the line it was cut from."""
    lines = raw.split("\n")
    if len(raw) <= MAX_LINE_CHARS or all(len(line) <= MAX_LINE_CHARS for line in lines):
        return lines, {}
    out: list[str] = []
    cut: dict[int, int] = {}
    for i, line in enumerate(lines):
        pieces = list(_cut(line))
        if len(pieces) > 1:
            cut.update((len(out) + k, i) for k in range(len(pieces)))
        out += pieces
    return out, cut


def whole_lines(judged: "Judged", keep: list[bool]) -> list[bool]:
    """``keep`` with the pieces of a line cut at MAX_LINE_CHARS all kept when
    one of them is: they are one line of the input, and a length no page's
    line has leaves the models out of what they were trained on, so that
    one piece of a paragraph could go while the next stayed."""
    if not judged.cut:
        return keep
    kept_sources = {judged.cut[x.index] for x, k in zip(judged.lines, keep) if k and x.index in judged.cut}
    return [k or (x.index in judged.cut and judged.cut[x.index] in kept_sources)
            for x, k in zip(judged.lines, keep)]


def _cut(line: str) -> Iterator[str]:
    while len(line) > MAX_LINE_CHARS:
        cut = line.rfind(" ", MAX_LINE_CHARS // 2, MAX_LINE_CHARS)
        cut = cut if cut > 0 else MAX_LINE_CHARS
        yield line[:cut]
        line = line[cut:]
    yield line


FEATURES_CACHE_CHARS = 1000
"""Lines up to this long have their features cached (see _features_now)."""


Features = tuple[str, int, "Rule | None", "str | None", bool, str, "GlueSplit | None"]


def _features_now(raw: str) -> Features | None:
    """The normalised text of one raw line, and its words, matching rule, date,
    prose shape, folded form and glued-label split: everything the classifier
    asks of a line alone (None for a blank line). Cached (_features_cached) by
    the raw line: a site's chrome lines (menus, share bars, footers) recur on
    every one of its pages and are most of the lines; the cache holds at most
    16,384 lines of at most FEATURES_CACHE_CHARS characters."""
    text = normalize_line(raw)
    if not text:
        return None
    if text.isascii() or _ASCII_PUNCT.fullmatch(text):
        ascii_ = text.encode("ascii", "replace")
        folded = _fold_ascii(ascii_)
        # The folded form's words are then exactly the \w+ runs count_words counts.
        words = count_words(text) if "_" in text else folded.count(" ") + 1 if folded else 0
        camel = _camel_ascii(ascii_)  # as _camel: the symbols replaced by "?" are not letters
    else:
        folded = _fold_unicode(text)
        words = count_words(text)
        camel = _camel(text)
    glued = _glue_split(text) if camel else None
    return text, words, match_rule(text), parse_date_line(text), _prose(text, words), folded, glued


_features_cached = lru_cache(maxsize=16384)(_features_now)


@dataclass
class Judged:
    """Every line of a page with the rules' verdict on it: ``kind``/``why`` set
    on the lines the rules remove, None on the ones they keep (the evidence the
    line model, :mod:`cleaner.model.lines`, reads); the article region found,
    the page's headline line, and the title, author and date."""

    lines: list[Line]
    start: int
    end: int
    anchor: int | None
    title: str | None
    author: str | None
    date: str | None
    cut: dict[int, int] = field(default_factory=dict)
    """The pieces of lines cut at MAX_LINE_CHARS: ``Line.index`` -> the line
    of the page it was cut from (see ``whole_lines``)."""


def judge_lines(raw: str | list[str], *, is_html: bool, title: str | None = None, author: str | None = None,
                date: str | None = None, url: str | None = None, headings: tuple[str, ...] = (),
                standfirst: str | None = None) -> Judged:
    """The classifier's verdict on each line of ``raw`` (a page's text, or its
    lines already split, e.g. the blocks of an HTML page): the non-blank lines
    (``Line.index`` is the position among the lines), each removed one with
    its ``kind`` and ``why``, the article region ``[start, end)`` over the
    returned lines, the headline line, and the title, author and date. The
    page model (block features) and the line model read these verdicts as
    evidence."""
    raws, cut = _lines(raw) if isinstance(raw, str) else (raw, {})
    cached, now = _features_cached, _features_now
    lines = [Line(i, *f) for i, t in enumerate(raws)
             if t and (f := cached(t) if len(t) <= FEATURES_CACHE_CHARS else now(t)) is not None]
    if not lines:
        return Judged([], 0, 0, None, title, author, date, cut)
    _split_glued(lines)
    _press_release_about(lines)
    if headings or standfirst:
        _page_headings(lines, headings, standfirst)
    gaps: list[int] = []
    anchor, by_slug = None, False
    if is_html or not any(x.prose for x in lines):
        # No sentence anywhere (a short note, a list, an already clean snippet):
        # there is no article region to find, so only the wording rules apply.
        start, end = 0, len(lines)
    else:
        anchor, by_slug = _title_anchor(lines, url, title)
        start, end, gaps = _region(lines, anchor)
    for i in gaps:
        if lines[i].kind is None:
            lines[i].kind = lines[i].rule.kind if lines[i].rule else "related-articles"
            lines[i].why = (lines[i].rule.name if lines[i].rule else "between-article-parts")
    if title is None and by_slug:
        # The headline the URL's slug names is the title: the guess from shape
        # alone (below) takes the last headline-shaped line above the body,
        # which can be a dateline or a menu label.
        title = lines[anchor].text
    meta = _head_metadata(lines, start, end, title=title, author=author, date=date, is_html=is_html)
    _classify_inside(lines, start, end, is_html=is_html)
    if is_html:
        _trim_tail(lines)
    # One pass settles every line left, in document order; each step reads only
    # the line itself and the lines before it.
    seen: set[str] = set()
    folded_title = _fold(meta.title) if meta.title else None
    section = "navigation"
    for i, line in enumerate(lines):
        inside = start <= i < end
        if line.kind is None:
            # A date standing alone on a line, below the header, stamps a teaser, a
            # comment or the page footer; it is never a sentence of the article.
            if line.date is not None or _date_label(line.text):
                line.kind, line.why = "date", "date-line"
            elif inside and _all_caps_teaser(line):
                line.kind, line.why = "read-more", "all-caps-teaser"
        # A block printed twice (a teaser and its headline, a gallery caption)
        # keeps its first occurrence; later copies go.
        f = line.folded
        if f:
            if f in seen and line.kind is None:
                line.kind = "title" if f == folded_title else "repeated-block"
                line.why = "repeated-line"
            seen.add(f)
        if inside:
            section = "footer"
        else:
            if line.rule is not None and line.rule.wall:
                section = line.rule.kind  # what follows a section opener belongs to that section
            if line.kind is None:
                line.kind = line.rule.kind if line.rule else section
                line.why = line.rule.name if line.rule else "outside-article"
    return Judged(lines, start, end, anchor, meta.title, meta.author, meta.date, cut)


def strip_chrome(raw: str, *, is_html: bool, title: str | None = None, author: str | None = None,
                 date: str | None = None, url: str | None = None, headings: tuple[str, ...] = (),
                 standfirst: str | None = None) -> Stripped:
    judged = judge_lines(raw, is_html=is_html, title=title, author=author, date=date, url=url,
                         headings=headings, standfirst=standfirst)
    keep = whole_lines(judged, [x.kind is None for x in judged.lines])
    return assemble(judged.lines, keep, judged.title, judged.author, judged.date)


def assemble(lines: list[Line], keep: list[bool], title: str | None, author: str | None, date: str | None,
             removal=None) -> Stripped:
    """The cleaned text from the lines kept; every other line a named removal
    (``removal(line)``, by default the kind and reason the rules gave it), and
    the fragment a glued widget label was cut from a kept line."""
    sequence: list[tuple[str, Removal | None]] = []
    kept: list[str] = []
    removed: list[Removal] = []
    for line, k in zip(lines, keep):
        if k:
            if line.glued:
                r = Removal(line.glued[1], line.glued[0], line.glued[2])
                sequence.append(("", r))
                removed.append(r)
            sequence.append((line.text, None))
            kept.append(line.text)
        else:
            text = line.text if not line.glued else line.glued[0] + line.text
            r = removal(line, text) if removal else Removal(line.kind or "boilerplate", text,
                                                              line.why or line.kind or "boilerplate")
            sequence.append(("", r))
            removed.append(r)
    removed, sequence = name_controls(removed, sequence)
    return Stripped("\n".join(kept), removed, title, author, date, sequence)


def _page_headings(lines: list[Line], headings: tuple[str, ...], standfirst: str | None) -> None:
    """The page's headline and standfirst, found in its markup, where they open
    the extracted text (the article's text starts below them)."""
    why = {_fold(h): "page-headline" for h in headings}
    if standfirst:
        why[_fold(standfirst)] = "standfirst"
    for line in lines[:len(why)]:
        reason = why.get(line.folded)
        if reason is None:
            break
        line.kind, line.why = "title", reason


def _glue_split(text: str) -> GlueSplit | None:
    """The chrome label, the rest, and the label's words, if ``text`` starts with
    a widget label glued onto the next line (see _split_glued)."""
    # The fragment's last letter is lower case and the line goes on in capitals,
    # or the fragment is in capitals and the line goes on with a capitalised
    # word: only lines where _camel holds can match, which callers test first.
    m = _GLUE.match(text) or _GLUE_CAPS.match(text)
    if not m:
        return None
    pre, rest = m.group("pre"), m.group("rest")
    pre_words = frozenset(w.casefold() for w in _WORD.findall(pre))
    if len(pre_words) > 5 or not (pre_words & _GLUE_WORDS) or count_words(rest) < 6:
        return None
    return pre, rest, pre_words


_NEWSWIRE = re.compile(
    r"(?:/|\(|--)\s*(?:PR ?Newswire(?:-\w+)?|Business ?Wire|GLOBE ?NEWSWIRE|ACCESS ?WIRE|ACCESS Newswire|"
    r"EIN ?Presswire|PRWeb|Newsfile(?: Corp\.?)?|CNW)\s*(?:/|\)|--)", re.I)
"""The dateline tag of a press release sent out by a wire service ("Berlin,
March 4, 2024 /PRNewswire/ --", "NEW YORK--(BUSINESS WIRE)--", "(GLOBE
NEWSWIRE) --")."""
PRESS_RELEASE_LINES = 12
"""How far down the page the newswire dateline is looked for: it opens the
release's first paragraph, under the site's header, headline and byline."""
_ABOUT_AUTHOR = re.compile(f"({ABOUT_THE_AUTHOR})\\b", re.I)


def _press_release_about(lines: list[Line]) -> None:
    """In a press release, "About Sum Energy" opens the issuer's boilerplate
    paragraph, which is part of the release as the wire sent it (and what
    every outlet republishing it copies), not a section of the site's chrome
    as "About Jane Doe" under an article is: there the heading is no
    ``author-header`` line. A release is known by its newswire dateline near
    the top (``_NEWSWIRE``)."""
    if not any(_NEWSWIRE.search(x.text) for x in lines[:PRESS_RELEASE_LINES]):
        return
    for x in lines:
        if x.rule is not None and x.rule.name == "author-header" and not _ABOUT_AUTHOR.match(x.text):
            x.rule = None


def _split_glued(lines: list[Line]) -> None:
    """"More ShortsEarlier this month, ..." -> drop "More Shorts": a widget label
    whose line break was lost. Only split when the fragment uses chrome
    vocabulary, so names like "McDonald" or "LinkedIn" stay whole."""
    for k, line in enumerate(lines):
        if line.split is None:
            continue
        pre, rest, pre_words = line.split
        line.split = None  # applied: the line is now the rest
        line.glued = (pre, "promo-widget", "glued-chrome")
        line.text, line.words = rest, count_words(rest)
        line.rule, line.prose, line.folded = match_rule(rest), _prose(rest, line.words), _fold(rest)
        # The widget's own heading usually sits on the line just before.
        if k and lines[k - 1].words <= 4 and lines[k - 1].rule is None and \
                {w.casefold() for w in _WORD.findall(lines[k - 1].text)} & pre_words:
            lines[k - 1].kind, lines[k - 1].why = "promo-widget", "glued-widget-heading"


def _score(line: Line) -> float:
    if line.rule is not None and not _closing_remark(line):
        if line.rule.wall:
            return -WALL
        return -(40.0 + 0.5 * line.chars)
    if line.date is not None:
        # Date lines head an article once; further down they stamp teasers and comments.
        return -DATE_PENALTY
    if line.prose:
        return float(min(line.chars, 1000))
    if line.words <= 4:
        return -20.0
    return -0.3 * line.chars


def _kadane(scores: list[float], lo: int = 0, starts: range | None = None) -> tuple[float, int, int]:
    """Maximum-sum run of ``scores[lo:]``; with ``starts``, only runs starting there."""
    best, span = float("-inf"), (lo, lo)
    if starts is None:
        run, run_start = 0.0, lo
        for i in range(lo, len(scores)):
            if run <= 0:
                run, run_start = scores[i], i
            else:
                run += scores[i]
            if run > best:
                best, span = run, (run_start, i + 1)
        return best, span[0], span[1]
    for s in starts:
        run = 0.0
        for i in range(s, len(scores)):
            run += scores[i]
            if run > best:
                best, span = run, (s, i + 1)
    return best, span[0], span[1]


ANCHOR_SHARE = 0.25
"""The run just below the page's own title wins over a longer run elsewhere
unless that one is four times as strong: titles sit on top of their article,
teaser lists elsewhere on the page can still be longer than a short story."""
CONTINUE_MIN = 200.0
"""Prose beyond a gap must add up to about two sentences to be bridged."""
LIST_MAX = 60
"""Longest list (items after a line ending in a colon) taken into the article."""
GAP_LINES = 10
"""A gap of at most this many lines (an inline "Trending" box, a newsletter
prompt) between two runs of clean prose is bridged."""


def _scores(lines: list[Line]) -> list[float]:
    """Line scores, with runs of short non-prose lines costing more the longer
    they run: one subheading is nothing, twenty names in a row are a staff box
    or a menu. Items of a list announced by a colon are exempt."""
    scores = [_score(line) for line in lines]
    run, in_list = 0, False
    for i, line in enumerate(lines):
        if i and line.rule is None and line.words >= LONG_LINE_WORDS and _ellipsis(line.text) \
                and lines[i - 1].prose and lines[i - 1].rule is None:
            # A paragraph cut short by a paywall follows the article's prose; a
            # teaser snippet follows its headline.
            scores[i] = 0.5 * min(line.chars, 1000)
            continue
        if line.prose:
            run, in_list = 0, line.text.endswith((":", "："))
            continue
        if scores[i] < 0 and line.rule is None and line.date is None and not in_list:
            run += 1
            scores[i] *= 1.0 + run / RUN_GROWTH
    return scores


RUN_GROWTH = 3.0
"""Penalty growth along a run of short lines: the k-th costs (1 + k/3) times a
single one, so three subheading-like lines cost little and a twelve-line menu
costs as much as a long paragraph."""


def _region(lines: list[Line], anchor: int | None) -> tuple[int, int, list[int]]:
    scores = _scores(lines)
    best, start, end = _kadane(scores)
    if best <= 0:
        return 0, 0, []
    if anchor is not None and not (anchor < start <= anchor + HEAD_ZONE + 1):
        a_best, a_start, a_end = _kadane(scores, starts=range(anchor + 1, min(len(lines), anchor + HEAD_ZONE + 2)))
        if a_best >= ANCHOR_SHARE * best and a_best > 0:
            start, end = a_start, a_end
    end, gaps = _continue(lines, scores, _extend_list(lines, end))
    if start > (0 if anchor is None else anchor + 1) and _opens_with_dateline(lines[start - 1]):
        start -= 1
    if anchor is not None and anchor < start:
        start, before = _continue_back(lines, scores, start, anchor)
        gaps = before + gaps
    return start, end, gaps


_DATELINE = re.compile(
    r"[A-Z][A-Za-z.'’-]+(?:,? [A-Z][A-Za-z.'’-]+){0,3}"          # ISTANBUL / New York / Geneva, Switzerland
    r"(?:, [A-Z][a-z]{2,8}\.? \d{1,2}(?:, \d{4})?)?"                # , June 16, 2024
    r"\s*(?:\([A-Za-z]{2,12}\)|/[A-Za-z ]{2,24}/)?"                  # (AFP) / /PRNewswire/
    r"\s*(?:—|–|--?)\s+\S")
DATELINE_MIN_WORDS = 6
"""A news dateline ("ISTANBUL (AFP) — ", "Geneva, June 16, 2024 /PRNewswire/ - ")
opens the article's first paragraph: that line is body even when it reads as
a standfirst (no full stop) and scores below the prose under it. Six words:
the dateline and a clause, not a "Home - News" menu."""


def _opens_with_dateline(line: Line) -> bool:
    return line.rule is None and line.date is None and line.words >= DATELINE_MIN_WORDS \
        and _DATELINE.match(line.text) is not None


def _clean_run(lines: list[Line], scores: list[float], first: int,
               minimum: float = 0.0) -> tuple[float, int, bool]:
    """Score, end and cleanliness of the run of prose that starts at ``first``:
    clean means mostly sentences, with no dates or comment furniture."""
    minimum = minimum or CONTINUE_MIN
    run, best, stop = 0.0, 0.0, first
    for k in range(first, len(lines)):
        if lines[k].rule is not None and lines[k].rule.wall:
            break
        run += scores[k]
        if run <= 0:
            break
        if run > best:
            best, stop = run, k + 1
    seg = lines[first:stop]
    total = sum(x.chars for x in seg) or 1
    prose = sum(x.chars for x in seg if x.prose and x.rule is None)
    dirty = any(x.date is not None or (x.rule is not None and x.rule.kind in _STOP_KINDS) for x in seg)
    return best, stop, best >= minimum and prose >= 0.8 * total and not dirty


def _continue_back(lines: list[Line], scores: list[float], start: int, anchor: int) -> tuple[int, list[int]]:
    """The article's opening paragraphs, cut off from the rest by an inline box,
    sit between the headline and the region found: take them back."""
    for first in range(anchor + 1, start):
        if not lines[first].prose or lines[first].rule is not None:
            continue
        _, stop, clean = _clean_run(lines, scores, first)
        gap = lines[stop:start]
        if clean and stop < start and len(gap) <= GAP_LINES and not any(
                g.date is not None or (g.rule is not None and g.rule.kind in _STOP_KINDS) for g in gap):
            return first, list(range(stop, start))
    return start, []


def _extend_list(lines: list[Line], end: int) -> int:
    """A paragraph ending in a colon announces a list ("Tour dates:", "Here are the
    highlights:"); its items are short and unpunctuated but belong to the body."""
    if 0 < end < len(lines) - 1 and lines[end].rule is None and lines[end].text.endswith((":", "：")) \
            and not lines[end - 1].text.endswith((":", "：")):
        # The list's own heading ("Tour dates:") may stand just below the last paragraph.
        longer = _extend_list(lines, end + 1)
        return longer if longer > end + 1 else end
    if not 0 < end < len(lines) or not lines[end - 1].text.endswith((":", "：")):
        return end
    k = end
    while k < len(lines) and k - end < LIST_MAX:
        line = lines[k]
        if line.rule is not None or line.date is not None or line.words > LONG_LINE_WORDS:
            break
        k += 1
    return k if k - end >= 2 else end


INLINE_KINDS = ("advertisement", "read-more", "photo-caption", "share-buttons", "audio-player")
_STOP_KINDS = ("copyright", "comment-widget", "donation-appeal", "date", "author-bio")


def _continue(lines: list[Line], scores: list[float], end: int) -> tuple[int, list[int]]:
    """Bridge short interruptions (a "Trending" box in mid-article) when the text
    beyond is clean prose: no dates, no comment furniture, mostly sentences."""
    gaps: list[int] = []
    while end < len(lines):
        nxt = next((k for k in range(end, min(len(lines), end + GAP_LINES + 1))
                    if lines[k].prose and lines[k].rule is None), None)
        if nxt is None:
            break
        gap = lines[end:nxt]
        if any(g.date is not None or (g.rule is not None and g.rule.kind in _STOP_KINDS) for g in gap):
            break
        # Behind a line or two of inline furniture (an ad label, a "read more"
        # link) any clean sentence continues the article; behind a longer box the
        # text must add up to a couple of sentences.
        light = len(gap) <= 3 and all(g.rule is not None and g.rule.kind in INLINE_KINDS for g in gap)
        _, stop, clean = _clean_run(lines, scores, nxt, 1.0 if light else CONTINUE_MIN)
        if not clean:
            break
        gaps.extend(range(end, nxt))
        end = stop
    return end, gaps


_PAGE_SUFFIX = re.compile(r"\.(html?|php|aspx?|shtml)$")
_SLUG_SPLIT = re.compile(r"[^0-9a-z\u00c0-\u024f\u0400-\u04ff]+")


def _slug_tokens(url: str | None) -> set[str]:
    if not url:
        return set()
    from urllib.parse import unquote, urlsplit

    try:
        path = unquote(urlsplit(url).path).lower()
    except ValueError:
        return set()
    best: list[str] = []
    for seg in path.split("/"):
        seg = _PAGE_SUFFIX.sub("", seg)
        toks = [t for t in _SLUG_SPLIT.split(seg) if len(t) >= 2 and not t.isdigit()]
        if len(toks) > len(best):
            best = toks
    return set(best) if len(best) >= 3 else set()


HEADLINE_WORDS = 20
"""A sentence longer than this is a paragraph that happens to share the slug's
words ("... enjoy everything about game day, including those snacks!"), not the
headline."""


def _title_anchor(lines: list[Line], url: str | None, title: str | None) -> tuple[int | None, bool]:
    """Where the page's own headline stands: the line equal to the known title,
    else the line sharing most words with the URL slug, else the first
    title-shaped line printed twice; and whether the slug found it."""
    if title:
        ft = _fold(title)
        for i, line in enumerate(lines):
            if line.folded == ft:
                return i, False
    slug = _slug_tokens(url)
    if slug:
        best, best_i, best_toks = 0.0, None, set()
        candidates: list[tuple[int, set[str]]] = []
        for i, line in enumerate(lines):
            if not 3 <= line.words <= 40 or \
                    line.prose and (line.text.endswith(".") or line.words > HEADLINE_WORDS) or \
                    "://" in line.text or line.rule is not None and line.rule.name == "bare-url":  # an address
                continue
            low = line.text.lower()
            if sum(map(low.__contains__, slug)) < 3:
                continue  # a token of the line is a substring of it: fewer than 3 shared for sure
            toks = {t for t in _SLUG_SPLIT.split(low) if len(t) >= 2}
            shared = len(toks & slug)
            score = shared / max(1, min(len(slug), len(toks)))
            if shared >= 3 and score >= 0.5:
                candidates.append((i, toks))
                if score > best:
                    best, best_i, best_toks = score, i, toks
        if best_i is not None:
            # A shorter echo of the headline further down (a subheading "How to
            # retire early", a teaser of the same story) can match the slug as well
            # or better; the headline is the earlier line that holds all its words.
            return next((i for i, t in candidates if i < best_i and best_toks <= t), best_i), True
    seen: dict[str, int] = {}
    for i, line in enumerate(lines):
        if _title_shaped(line):
            f = line.folded
            if f in seen and i - seen[f] <= HEAD_ZONE:
                return seen[f], False
            seen.setdefault(f, i)
    return None, False


@dataclass
class _Meta:
    title: str | None
    author: str | None
    date: str | None


def _header_like(line: Line) -> bool:
    """Lines that belong to an article's header block (below which the body starts)."""
    if line.date is not None or _date_label(line.text) or line.kind in ("title", "promo-widget"):
        return True
    if line.rule is not None and line.rule.kind in ("photo-caption", "audio-player", "read-time", "share-buttons"):
        return True
    return _byline(line) is not None


def _first_body(lines: list[Line], start: int, end: int) -> int:
    """The first paragraph of the body proper: a prose line with no header line
    (byline, date, caption, player) in the next few lines. A standfirst above the
    byline is prose too, but the header continues below it."""
    i = start
    for _ in range(HEAD_ZONE):
        p = next((k for k in range(i, end) if lines[k].prose and lines[k].rule is None), end)
        if p >= end:
            return end
        later = [k for k in range(p + 1, min(end, p + 5)) if _header_like(lines[k])]
        if not later:
            return p
        i = later[-1] + 1
    return i


def _head_metadata(lines: list[Line], start: int, end: int, *, title: str | None, author: str | None,
                   date: str | None, is_html: bool) -> _Meta:
    # Title first: it anchors the header block.
    folded_title = _fold(title) if title else None
    first_body = _first_body(lines, start, end)
    if title is None:
        seen: dict[str, int] = {}
        for i in range(0, min(first_body, len(lines))):
            if _title_shaped(lines[i]):
                f = lines[i].folded
                if f in seen and i - seen[f] <= HEAD_ZONE:
                    title = lines[seen[f]].text
                    break
                seen.setdefault(f, i)
        if title is None and not is_html:
            lo = max(0, min(start, first_body) - HEAD_ZONE)
            cands = [i for i in range(lo, first_body) if _title_shaped(lines[i])
                     and not _looks_like_name(lines[i].text) and not lines[i].prose and _byline(lines[i]) is None
                     and not _opens_with_dateline(lines[i])]
            if cands:
                # The headline is what a header's byline follows: a label
                # between it and the body ("Special to the Times",
                # "Photographs by ...", a rating) is the last headline-shaped
                # line, but not the headline. On WCXB's text dumps: title
                # token F1 0.566 -> 0.568 (9 pages change, 4 better, 2 worse).
                by = [i for i in cands
                      if any(_byline(lines[j]) is not None for j in range(i + 1, min(i + 3, first_body)))]
                title = lines[(by or cands)[-1]].text
        folded_title = _fold(title) if title else None
    if folded_title:
        for i in range(0, min(first_body + 1, len(lines))):
            if lines[i].kind is None and _same_title(lines[i].folded, folded_title):
                lines[i].kind, lines[i].why = "title", "title-line"
    first_body = _first_body(lines, start, end)
    lo = 0 if is_html else max(0, min(start, first_body) - HEAD_ZONE)
    head = range(lo, min(first_body, len(lines)))
    for i in head:
        line = lines[i]
        if line.kind is not None:
            continue
        if line.date is not None:
            line.kind, line.why = "date", "date-line"
            date = date or line.date
        elif _date_label(line.text):
            line.kind, line.why = "date", "date-label"
        else:
            name = _byline(line)
            if name:
                line.kind, line.why = "byline", "byline"
                author = author or name
    if not is_html:
        # A bare name ("Ryan Morgan") is a byline only next to other header lines.
        for i in head:
            line = lines[i]
            if line.kind is None and line.rule is None and _looks_like_name(line.text):
                near = [lines[j] for j in range(max(lo, i - 2), min(first_body, i + 3)) if j != i]
                if any(n.kind in ("title", "date", "byline") or (n.rule and n.rule.kind in
                       ("photo-caption", "audio-player")) for n in near):
                    line.kind, line.why = "byline", "bare-name-byline"
                    author = author or _NAME.fullmatch(line.text).group("name")  # type: ignore[union-attr]
    return _Meta(title, author, date)


def _looks_like_name(text: str) -> bool:
    m = _NAME.fullmatch(text)
    return bool(m) and len(text) <= 60 and count_words(m.group("name")) <= 4


def _byline(line: Line) -> str | None:
    if line.words > 14 or line.prose and line.words > 10:
        return None
    m = _BYLINE.fullmatch(line.text)
    return m.group("name").strip(" ,|") if m else None


def byline_name(text: str) -> str | None:
    """The author's name if ``text`` is a byline ("By Jane Porter", "By Sam
    Okafor · May 21, 2024"), else None: a short line, not a sentence."""
    text = normalize_line(text)
    if not text or text.endswith(".") or count_words(text) > 14:
        return None
    m = _BYLINE.fullmatch(text)
    return m.group("name").strip(" ,|") if m else None


MOST_OF_PAGE = 0.5
WEAK_MAX_WORDS = 40
"""A weak phrase ("leave a comment") decides a widget-sized line, not a
paragraph that happens to end by inviting comments."""
LIST_SECTIONS = ("related-articles", "comment-widget")
"""Section openers followed by a list of items (teasers, comments); a newsletter
or copyright line stands alone."""


def _classify_inside(lines: list[Line], start: int, end: int, *, is_html: bool) -> None:
    """Remove chrome inside the article region. Label-like rules (whole line is
    a widget label) remove on sight; sentence-like hits need a second signal:
    a chrome neighbour, or a place after the article's last paragraph."""
    last_body = max((i for i in range(start, end) if lines[i].prose and lines[i].rule is None), default=start - 1)
    total = sum([len(x.text) for x in lines])
    for i in range(start, end):
        line = lines[i]
        if line.kind is not None or line.rule is None:
            continue
        rule = line.rule
        if not rule.full and line.chars > MOST_OF_PAGE * total:
            # A phrase found inside a line that is most of the page (a page
            # flattened to one line) cannot make the whole page chrome.
            continue
        if rule.strong or not line.prose or line.chars <= 80:
            line.kind, line.why = rule.kind, rule.name
            continue
        if line.words > WEAK_MAX_WORDS or _closing_remark(line):
            continue
        neighbours = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if i > last_body or any(n.kind is not None or (n.rule is not None and not n.prose)
                                for n in neighbours):
            line.kind, line.why = rule.kind, rule.name + "+context"
    # A section opener inside the article ("Don't miss", "Related") heads a short
    # list of teasers: everything up to the next paragraph of prose belongs to it.
    section: Rule | None = None
    for i in range(start, end):
        line = lines[i]
        if line.rule is not None and line.rule.wall:
            section = line.rule if line.rule.kind in LIST_SECTIONS else None
        elif section is not None:
            if line.prose and line.rule is None:
                section = None
            elif line.kind is None:
                line.kind, line.why = section.kind, section.name + "-section"
    if not is_html:
        _teaser_runs(lines, start, end)
        _caption_blocks(lines, start, end)
    # Trailing chrome section: after a wall in the region's tail, what follows up
    # to the end is the section's content (teaser titles, donation prose). Prose
    # before and after each wall comes from running sums (a page of walls must
    # not cost the square of its length).
    prose = list(accumulate((x.chars if x.kind is None and x.prose else 0 for x in lines[start:end]),
                            initial=0))
    for i in range(start, end):
        line = lines[i]
        if line.rule is not None and line.rule.wall and line.kind is not None \
                and not (line.rule.kind == "related-articles" and _between_paragraphs(lines, i, start, end)):
            body_after = prose[end - start] - prose[i + 1 - start]
            body_before = prose[i - start]
            if body_after < 0.25 * body_before or (is_html and i > last_body):
                for j in range(i + 1, end):
                    if lines[j].kind is None:
                        lines[j].kind, lines[j].why = line.rule.kind, line.rule.name + "-section"
                break


SENTENCE_WORDS = 12
"""Words of a line that reads as a sentence of the article, not a label."""


def _between_paragraphs(lines: list[Line], i: int, start: int, end: int) -> bool:
    """A teaser-list opener ("Trending", "Related") with a paragraph of the
    article right above it and full sentences right below: the widget's items
    were pictures, and the article goes on under its label. (Below another
    teaser list, the sentences are that list's teasers; below a comments
    header, they are comments, which is why only teaser lists qualify.)"""
    def body(line: Line | None) -> bool:
        return line is not None and line.kind is None and line.rule is None and line.prose

    if not (i > start and body(lines[i - 1])):
        return False
    nxt = next((lines[j] for j in range(i + 1, end) if lines[j].kind is None), None)
    return body(nxt) and nxt.words >= SENTENCE_WORDS  # type: ignore[union-attr]


_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’»)]*(\s|$)")


def _closing_remark(line: Line) -> bool:
    """A paragraph of the article that ends by inviting comments or sign-ups
    ("... Leave a comment and let us know."): two sentences or more of its own
    come before the phrase, so the line is the writer's, not a widget's."""
    if line.rule is None or line.rule.full or line.rule.strong:
        return False  # whole-line labels and strong phrases decide on sight
    m = line.rule.pattern.search(line.text)
    if m is None:
        return False
    head = line.text[:m.start()]
    return len(_SENTENCE_END.findall(head)) >= 2 and count_words(head) >= 20


TEASER_RUN = 4
"""Headline-shaped lines in a row, inside a text dump's article region, that
make a teaser list (a video playlist, "more stories"): subheadings alternate
with paragraphs, and real lists are announced by a colon or carry bullets."""


TEASER_DISTINCT = 0.75
"""Share of a run's lines that must open with a word of their own: headlines
of different stories start differently, while the items of a data list (tour
dates, ingredients, "Sept. 12 -- ...") repeat their first word or shape."""


def _teaser_shaped(line: Line) -> bool:
    """A headline: title-shaped, not a list item (bullet or leading number), not
    a question or exclamation a writer puts on a line of its own."""
    return (line.kind is None and _title_shaped(line) and not _LIST_ITEM.match(line.text)
            and not line.text.endswith(("?", "!", "？", "！")))


_LIST_ITEM = re.compile(r"[-–—•·*▪►\d]")


def _teaser_runs(lines: list[Line], start: int, end: int) -> None:
    i = start
    while i < end:
        j = i
        while j < end and _teaser_shaped(lines[j]):
            j += 1
        run = lines[i:j]
        if len(run) >= TEASER_RUN and not (i > 0 and lines[i - 1].text.endswith((":", "："))) \
                and len({x.text.split()[0].casefold() for x in run}) >= TEASER_DISTINCT * len(run):
            for line in run:
                line.kind, line.why = "related-articles", "teaser-run"
        i = max(j, i + 1)


CAPTION_MAX_WORDS = 60
"""Longest caption: a photo's description runs to a sentence or two."""


def _caption_blocks(lines: list[Line], start: int, end: int) -> None:
    """A block of exactly two lines, a line and then a photo credit on its own
    ("Natalie Naccache | Bloomberg | Getty Images"), is an image's caption and
    credit: the blank lines of the dump set the pair apart from the paragraphs
    around it (or a widget label such as "Shares" sits right above it). A dump
    without blank lines gives no such pairs, so a paragraph that happens to
    precede a credit there is left alone."""
    for k in range(max(start, 1), end):
        credit, caption = lines[k], lines[k - 1]
        if credit.rule is None or credit.rule.kind != "photo-caption" or caption.kind is not None \
                or caption.rule is not None or caption.date is not None:
            continue
        above = lines[k - 2] if k - 2 >= start else None  # the region's edge sets it apart too
        alone = caption.index == credit.index - 1 \
            and (above is None or above.index < caption.index - 1 or above.rule is not None) \
            and (k + 1 >= len(lines) or lines[k + 1].index > credit.index + 1)
        if alone and caption.words <= CAPTION_MAX_WORDS:
            caption.kind, caption.why = "photo-caption", "caption-above-credit"


TAIL_WORDS = 6
"""Below the last paragraph of an extracted page, lines this short are widget
leftovers ("Teilen mit:", "Wird geladen", "Rate this:") far more often than
text: an article ends with a sentence."""


def _trim_tail(lines: list[Line]) -> None:
    last = max((i for i, x in enumerate(lines) if x.kind is None and x.prose), default=None)
    if last is None:
        return
    tail = [x for x in lines[last + 1:] if x.kind is None]
    if tail and all(x.words <= TAIL_WORDS and not x.prose for x in tail):
        for x in tail:
            x.kind, x.why = "footer", "short-lines-after-article"


CAPS_TEASER_WORDS = 8
"""An all-capitals line this long inside an article is an inline link to another
story (a common house style); subheadings in capitals are a few words."""


def _all_caps_teaser(line: Line) -> bool:
    text = line.text
    if line.words < CAPS_TEASER_WORDS or "|" in text:
        return False
    raw = text.encode("ascii", "ignore")
    lower = len(raw) - len(raw.translate(None, _ASCII_LOWER))
    if 10 * lower > len(text):  # a tenth of the characters, so of the letters, are not capitals
        return False
    if len(raw) == len(text):  # ASCII: the same counts, by deleting bytes in C
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
        letters = upper + lower
    elif _CJK.search(text):  # a script without capitals (the last test below, asked before the counts)
        return False
    else:
        letters = sum(map(str.isalpha, text))
        upper = sum(map(str.isupper, text))
    return letters >= 20 and upper >= 0.9 * letters and not _CJK.search(text)


_ASCII_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_LOWER = _ASCII_UPPER.lower()


def _same_title(folded_line: str, folded_title: str) -> bool:
    """Page titles often carry the site or section name, or lose it."""
    if folded_line == folded_title:
        return True
    short, long_ = (folded_title, folded_line) if len(folded_line) > len(folded_title) else (folded_line, folded_title)
    # "Headline - Outlet" and "Section | Headline": the line is the start or the end.
    return len(short) >= 0.6 * len(long_) and (long_.startswith(short) or long_.endswith(short)) \
        and len(short.split()) >= 4


__all__ = ["strip_chrome", "judge_lines", "Judged", "assemble", "Stripped", "LINE_RULES", "count_words", "is_prose"]
