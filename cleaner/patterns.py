"""The rule table's regular expressions read as items: a parser for the part
of Python's regex syntax the rules are written in.

Why: the rule matcher (:mod:`cleaner.rules`) reads each pattern's structure to
know, without running it, what a match can start with, which literal strings
every match holds and whether it needs a digit, so that a line is tried only
against the rules that can match it. Python's own parser (``re._parser``) is
an internal of the standard library, which cleaner does not use; this one
covers the syntax the rules use (literals and escapes, classes, groups,
alternation, greedy, lazy and possessive repeats, anchors, lookarounds, scoped
flags) and gives items of the same shape: a list of ``(op, argument)`` pairs.

Anything it does not read (backreferences, conditionals, global inline flags,
verbose patterns, ``\\N{...}``) raises :class:`Unsupported`; the matcher then
treats the whole pattern as "could match anything", which is always safe:
the structure only narrows which rules are tried, never what a rule matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class _Op:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


LITERAL, IN, ANY, SUBPATTERN, BRANCH, AT, ASSERT, ASSERT_NOT, ATOMIC_GROUP = (
    _Op(n) for n in ("LITERAL", "IN", "ANY", "SUBPATTERN", "BRANCH", "AT", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"))
MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT = (_Op(n) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))
"""A repeat's argument is ``(least, most, body)``; ``most`` is MAXREPEAT when unbounded."""
RANGE, CATEGORY, NEGATE = (_Op(n) for n in ("RANGE", "CATEGORY", "NEGATE"))
"""The members of an IN item's list: ``(LITERAL, code point)``, ``(RANGE, (low,
high))``, ``(CATEGORY, category)``; ``(NEGATE, None)`` first in a negated class."""
CATEGORY_DIGIT, CATEGORY_NOT_DIGIT, CATEGORY_SPACE, CATEGORY_NOT_SPACE, CATEGORY_WORD, CATEGORY_NOT_WORD = (
    _Op(n) for n in ("CATEGORY_DIGIT", "CATEGORY_NOT_DIGIT", "CATEGORY_SPACE", "CATEGORY_NOT_SPACE",
                     "CATEGORY_WORD", "CATEGORY_NOT_WORD"))
AT_BEGINNING, AT_END, AT_BEGINNING_STRING, AT_END_STRING, AT_BOUNDARY, AT_NON_BOUNDARY = (
    _Op(n) for n in ("AT_BEGINNING", "AT_END", "AT_BEGINNING_STRING", "AT_END_STRING", "AT_BOUNDARY",
                     "AT_NON_BOUNDARY"))
MAXREPEAT = 2**32 - 1
"""``most`` of an unbounded repeat (``*``, ``+``, ``{2,}``)."""

_CATEGORIES = {"d": CATEGORY_DIGIT, "D": CATEGORY_NOT_DIGIT, "s": CATEGORY_SPACE, "S": CATEGORY_NOT_SPACE,
               "w": CATEGORY_WORD, "W": CATEGORY_NOT_WORD}
_ANCHORS = {"b": AT_BOUNDARY, "B": AT_NON_BOUNDARY, "A": AT_BEGINNING_STRING, "Z": AT_END_STRING}
_CONTROLS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "a": re.ASCII, "u": re.UNICODE,
          "L": re.LOCALE}


class Unsupported(ValueError):
    """The pattern uses syntax this parser does not read."""


@dataclass
class Seq:
    """A sequence of items (a pattern, a group's body, an alternative)."""

    data: list = field(default_factory=list)

    def max_width(self) -> int:
        """The most characters a match can span (MAXREPEAT or more: unbounded)."""
        return _max_width(self.data)


def parse(pattern: re.Pattern[str]) -> Seq:
    """The items of a compiled pattern (its text read with its flags)."""
    if not isinstance(pattern.pattern, str):
        raise Unsupported("a bytes pattern")
    if pattern.flags & re.VERBOSE:
        raise Unsupported("a verbose pattern")
    reader = _Reader(pattern.pattern)
    seq = reader.alternation()
    if reader.at < len(reader.text):
        raise Unsupported(f"an unbalanced ')' at {reader.at}")
    return seq


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.at, self.groups = text, 0, 0

    def peek(self, k: int = 0) -> str:
        i = self.at + k
        return self.text[i] if i < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        if not ch:
            raise Unsupported("the pattern ends inside an item")
        self.at += 1
        return ch

    def alternation(self) -> Seq:
        alternatives = [self.sequence()]
        while self.peek() == "|":
            self.at += 1
            alternatives.append(self.sequence())
        if len(alternatives) == 1:
            return alternatives[0]
        return Seq([(BRANCH, (None, alternatives))])

    def sequence(self) -> Seq:
        items: list = []
        while self.peek() not in ("", "|", ")"):
            ch = self.peek()
            if ch in "*+?" or ch == "{" and self._bounds() is not None:
                if not items or items[-1][0] in (AT, MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
                    raise Unsupported(f"nothing to repeat at {self.at}")
                items[-1] = self.repeat(items[-1])
            else:
                items.append(self.item())
        return Seq(items)

    def _bounds(self) -> tuple[int, int, int] | None:
        """``{m}``, ``{m,}``, ``{,n}``, ``{m,n}`` at the cursor: (least, most,
        length); None when the brace is a literal one."""
        m = re.match(r"\{(\d*)(,?)(\d*)\}", self.text[self.at:])
        if m is None or not m.group(1) and not m.group(2):
            return None  # "{}" and "{x}" are literal; "{,}" is "{0,}"
        lo = int(m.group(1) or 0)
        hi = int(m.group(3)) if m.group(3) else (MAXREPEAT if m.group(2) else lo)
        if hi < lo:
            raise Unsupported("a repeat whose bounds are reversed")
        return lo, hi, m.end()

    def repeat(self, item: tuple) -> tuple:
        ch = self.peek()
        if ch == "{":
            lo, hi, length = self._bounds()  # type: ignore[misc]
            self.at += length
        else:
            self.at += 1
            lo, hi = {"*": (0, MAXREPEAT), "+": (1, MAXREPEAT), "?": (0, 1)}[ch]
        op = MAX_REPEAT
        if self.peek() == "?":
            op, self.at = MIN_REPEAT, self.at + 1
        elif self.peek() == "+":
            op, self.at = POSSESSIVE_REPEAT, self.at + 1
        return op, (lo, hi, Seq([item]))

    def item(self) -> tuple:
        ch = self.take()
        if ch == "(":
            return self.group()
        if ch == "[":
            return IN, self.char_class()
        if ch == ".":
            return ANY, None
        if ch == "^":
            return AT, AT_BEGINNING
        if ch == "$":
            return AT, AT_END
        if ch == "\\":
            return self.escape()
        return LITERAL, ord(ch)

    def escape(self) -> tuple:
        ch = self.take()
        if ch in _CATEGORIES:
            return IN, [(CATEGORY, _CATEGORIES[ch])]
        if ch in _ANCHORS:
            return AT, _ANCHORS[ch]
        return LITERAL, self.escaped_char(ch)

    def escaped_char(self, ch: str) -> int:
        """The code point an escape stands for, its backslash and ``ch`` read."""
        if ch in _CONTROLS:
            return ord(_CONTROLS[ch])
        if ch in _HEX_DIGITS:
            digits = self.text[self.at:self.at + _HEX_DIGITS[ch]]
            if len(digits) != _HEX_DIGITS[ch] or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise Unsupported(f"a bad \\{ch} escape")
            self.at += len(digits)
            return int(digits, 16)
        if ch.isascii() and ch.isalnum():
            raise Unsupported(f"the escape \\{ch}")  # backreferences, octal, \N{...}
        return ord(ch)

    def char_class(self) -> list:
        members: list = []
        if self.peek() == "^":
            self.at += 1
            members.append((NEGATE, None))
        first = True
        while True:
            ch = self.take()
            if ch == "]" and not first:
                return members
            first = False
            if ch == "[" and self.peek() == ":" or ch in "&~|-" and self.peek() == ch:
                raise Unsupported("a set operation or a POSIX class")  # FutureWarning syntax
            if ch == "\\":
                esc = self.take()
                if esc in _CATEGORIES:
                    members.append((CATEGORY, _CATEGORIES[esc]))
                    continue
                low = 8 if esc == "b" else self.escaped_char(esc)
            else:
                low = ord(ch)
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.at += 1
                end = self.take()
                if end == "\\":
                    esc = self.take()
                    if esc in _CATEGORIES:
                        raise Unsupported("a range ending in a category")
                    high = 8 if esc == "b" else self.escaped_char(esc)
                else:
                    high = ord(end)
                if high < low:
                    raise Unsupported("a reversed range")
                members.append((RANGE, (low, high)))
            else:
                members.append((LITERAL, low))

    def group(self) -> tuple:
        if self.peek() != "?":
            self.groups += 1
            number = self.groups
            return SUBPATTERN, (number, 0, 0, self.body())
        self.at += 1
        kind = self.take()
        if kind == ":":
            return SUBPATTERN, (None, 0, 0, self.body())
        if kind == "P" and self.peek() == "<":
            end = self.text.find(">", self.at)
            if end < 0 or not self.text[self.at + 1:end].isidentifier():
                raise Unsupported("a bad group name")
            self.at = end + 1
            self.groups += 1
            number = self.groups
            return SUBPATTERN, (number, 0, 0, self.body())
        if kind in "=!":
            return (ASSERT if kind == "=" else ASSERT_NOT), (1, self.body())
        if kind == "<" and self.peek() in ("=", "!"):
            kind = self.take()
            return (ASSERT if kind == "=" else ASSERT_NOT), (-1, self.body())
        if kind == ">":
            return ATOMIC_GROUP, self.body()
        if kind in _FLAGS or kind == "-":
            return self.scoped_flags(kind)
        raise Unsupported(f"the group (?{kind}")

    def scoped_flags(self, ch: str) -> tuple:
        """``(?i:...)``, ``(?-i:...)``, ``(?s-i:...)``: flags for the group only
        (flags for the whole pattern, ``(?i)``, are not read)."""
        add = remove = 0
        removing = False
        while True:
            if ch == "-":
                if removing:
                    raise Unsupported("two '-' in flags")
                removing = True
            elif ch in _FLAGS:
                if removing:
                    remove |= _FLAGS[ch]
                else:
                    add |= _FLAGS[ch]
            elif ch == ":":
                break
            else:
                raise Unsupported("global inline flags" if ch == ")" else f"the flag {ch!r}")
            ch = self.take()
        if (add | remove) & re.VERBOSE:
            raise Unsupported("a verbose group")
        return SUBPATTERN, (None, add, remove, self.body())

    def body(self) -> Seq:
        """A group's contents up to its closing parenthesis (read too)."""
        seq = self.alternation()
        if self.take() != ")":
            raise Unsupported("a group that is not closed")
        return seq


def _max_width(items: list) -> int:
    total = 0
    for op, av in items:
        if op in (LITERAL, IN, ANY):
            total += 1
        elif op is SUBPATTERN:
            total += _max_width(av[-1].data)
        elif op is ATOMIC_GROUP:
            total += _max_width(av.data)
        elif op is BRANCH:
            total += max(_max_width(alt.data) for alt in av[1])
        elif op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
            total += min(av[1] * _max_width(av[2].data), MAXREPEAT)
        # AT, ASSERT, ASSERT_NOT: zero width
    return min(total, MAXREPEAT)


__all__ = ["MAXREPEAT", "Seq", "Unsupported", "parse"]
