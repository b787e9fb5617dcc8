"""The one place where cleaner's defaults live.

The CLI builds an :class:`Options` from its flags (same names, dashes for
underscores); library users build one directly. Nothing else in the package
defines a default for a tunable value.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import re
from dataclasses import dataclass
from typing import Any

from .errors import OptionsError

FORMATS = ("auto", "html", "text", "jsonl", "warc", "parquet")
DEDUP_MODES = ("mark", "drop", "off")


def all_cores() -> int:
    """The command line's default for ``--workers``: every core. The library's
    default stays 1 (see ``Options.workers``)."""
    return os.cpu_count() or 1


WORKERS_PER_CORE = 4
MIN_MAX_WORKERS = 64
"""``workers`` is at most the larger of MIN_MAX_WORKERS and
WORKERS_PER_CORE per core (``max_workers()``). Extraction and stripping are
CPU-bound and single-threaded, so one process per core already keeps the
machine busy and more only add memory (each worker loads the page and line
models); but a few more than the cores is a setting people use (README's
``--engine dask --workers 8`` on a laptop), so the bound only stops a typo
(``-w 100000`` started some 4,900 processes before the system refused more)
before a single process starts."""


def max_workers() -> int:
    """The largest ``workers`` accepted on this machine (see MIN_MAX_WORKERS)."""
    return max(MIN_MAX_WORKERS, WORKERS_PER_CORE * all_cores())


MAX_PASSAGE_CHARS = 600
"""The longest passage dedup can index: a unit longer than 2 x
``cleaner.dedup.units.WINDOW`` (300) characters is cut into windows, so no
passage is longer (kept here as a number: this module must not import the
dedup code, which loads numba). It bounds ``min_passage_chars`` and
``shingle``, since beyond it nothing would be indexed and dedup would be off
without saying so."""
MIN_DOC_TIMEOUT = 0.01
"""Shortest ``doc_timeout`` (seconds). An ordinary page takes milliseconds,
so a shorter limit would reject nearly every document; and it would fall
within the latency of the timer itself: at a microsecond the alarm went off
before the limit was armed, and the process was killed by SIGALRM (exit 142)
without a word."""
MAX_DOC_TIMEOUT = 24 * 60 * 60.0
"""Longest ``doc_timeout``: one day, which no document should need (the
default is a minute), and the way to say "no limit". The limit becomes a
timer and a deadline on the system clock, which overflow beyond some 1e10 s
(``inf`` rejected every document as an internal error)."""
MAX_MAX_BYTES = 2**40
"""Largest ``max_bytes``: 1 TiB, more than any machine reads one document
into memory; far larger numbers overflow the 64-bit sizes of the readers
and of the --resume record (a traceback at 2**64)."""


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20, "gi": 2**30,
          "gib": 2**30, "ti": 2**40, "tib": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def parse_size(text: str) -> int:
    """``64MiB``, ``64 MB``, ``1.5GiB`` or a plain number of bytes -> bytes.
    Binary units (KiB, MiB, GiB) are powers of 1024, decimal ones (KB, MB, GB)
    powers of 1000, as the SI and IEC define them (and as ``ls`` and ``du`` do
    with --si and without)."""
    m = _SIZE.fullmatch(str(text))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise OptionsError(f"not a size: {text!r} (write e.g. 64MiB, 500MB or 1048576)")
    return int(float(m.group(1)) * _UNITS[unit])


def format_size(n: int) -> str:
    """Bytes in the largest binary unit that divides them (``67108864`` -> ``64 MiB``),
    else with one decimal."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n // size} {unit}" if n % size == 0 else f"{n / size:.1f} {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class Options:
    # --- reading ---------------------------------------------------------
    format: str = "auto"
    """How to read inputs: sniffed from the suffix (and content for stdin) unless forced."""
    html_field: str = "html"
    """Field of a JSONL or Parquet record (or of a dict passed to ``clean``)
    holding HTML. A dotted name (``page.html``) reaches into nested objects when
    the record has no field of that exact name; so do the three below."""
    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    follow_symlinks: bool = False
    """Read files that symbolic links inside the inputs point at outside them.
    Off: such a link is reported ``outside-input``, so cleaning a folder others
    can write to never publishes what their links point at."""
    max_bytes: int = 64 * 1024 * 1024
    """Largest document (decoded bytes) accepted; bigger ones go to rejects, so one
    giant page cannot exhaust memory. Also caps decompressed size (bomb guard)."""

    # --- extraction ------------------------------------------------------
    favor_precision: bool = False
    """Kept for compatibility: HTML no longer goes through trafilatura (the page
    model decides, cleaner.model), so this has no effect. It still excludes
    ``favor_recall`` (on by default), as it did: pass ``favor_recall=False``
    with it. On the command line ``--favor-precision`` alone turns
    ``--favor-recall`` off."""
    favor_recall: bool = True
    """Kept for compatibility, without effect (see favor_precision)."""

    # --- stripping -------------------------------------------------------
    strip: bool = True
    """Run the chrome classifier (off: keep extracted text as it is)."""
    line_model: bool = True
    """Text dumps: decide line by line with the learned line model
    (cleaner.model.lines, the rules' verdicts among its evidence) instead of the
    rule classifier alone. On by default: out-of-fold it scores 0.811 on WCXB's
    1,497 text dumps against the rules' 0.738, and 0.923 on ScrapingHub's 61,
    where the rules score 0.980 fitted (they were tuned on those pages) and
    scored 0.908 on 120 ScrapingHub dumps they were not tuned on (issue 15's
    table) (training/REPORT.md, docs/extraction.md); off (``--no-line-model``) runs
    the rules alone, about two and a half times as fast (10.47x against 4.37x
    trafilatura's pages/s on ScrapingHub's dumps, benchmarks/extraction.py)."""
    site_boilerplate: bool = True
    """Cross-document stage: lines recurring on many pages of one site are chrome."""
    site_min_pages: int = 3
    """A line must recur on at least this many pages of one site (and on at least
    ``site_min_share`` of them) to count as that site's boilerplate. At least 2
    (a line on one page recurs nowhere) and at most ``site_window`` (a window
    never holds more pages, so the stage would never remove anything)."""
    site_min_share: float = 0.3
    """A site's template varies by section and page kind, so a chrome line
    stands on a part of its pages only, and the per-page classifier already
    removes it on some: on ``devdata/dedup`` an outlet's ownership line ("The
    Elmwood Star is part of Rockport Media Group.") is on 12 of its 20 pages
    in one window and 19 of 38 in the other, and at 0.5 it stayed on 15 pages
    and was reported as copied across them. Any share from 0.2 to 0.3 removed
    every such line there and kept every content line that 0.5 kept (a long
    quotation never counts, ``sitewide._QUOTED``); 0.4 did no better than 0.5.
    In (0, 1]: above 1 no line is ever common enough, and the stage would be
    off without saying so."""
    site_window: int = 1000
    """Streaming window (documents) for the site-boilerplate stage; at least 1
    (a --resume cuts what was written back to whole windows)."""

    # --- dedup -----------------------------------------------------------
    dedup: str = "mark"
    """mark: annotate duplicates; drop: remove later copies' passages; off: skip."""
    threshold: float = 0.4
    """Estimated Jaccard similarity of character shingles at which an earlier
    passage becomes a candidate, to be compared word by word (the comparison,
    not this, decides what is a copy: cleaner/dedup/verify.py). 0.4 on
    character 5-grams: a quote re-punctuated, re-attributed and with three
    words swapped still scores above it, two different sentences on one topic
    score below 0.2; a passage mostly (65%) contained in the other is a
    candidate down to 0.8 x threshold. Lowering it to 0.25 found no more
    copies on the shared development corpora, only more candidates."""
    shingle: int = 5
    """Character n-gram size on normalised text (works without word spaces).
    From 1 to MAX_PASSAGE_CHARS: a passage shorter than the n-gram has none and
    is not indexed, so a larger one would index nothing."""
    num_perm: int = 128
    """MinHash permutations; LSH bands/rows are derived from threshold and this."""
    doc_threshold: float = 0.7
    """Share of the shorter document covered by shared spans that makes the whole
    document a near duplicate (truncated and extended copies included). A
    rewrite quoting a few paragraphs stays well below it."""
    min_passage_chars: int = 10
    """Passages shorter than this are not indexed. What keeps "Read more" or a
    dateline out is the word comparison (at least four aligned words holding
    some distinctive weight: cleaner/dedup/verify.py), so this only skips
    fragments that could never pass it; a one-line quote or a headline of
    six words is a passage (at 40 characters, headline recall on the shared
    synthetic corpus was 0.55 instead of 0.78). At least 1: at 0 or below the
    empty piece between two adjacent sentence ends would be a passage too. At
    most MAX_PASSAGE_CHARS: no passage is longer, so above it dedup would
    index nothing (``dedup="off"`` says that)."""
    index: str | None = None
    """Path of a persistent dedup index to load and extend."""

    # --- execution -------------------------------------------------------
    workers: int = 1
    """Worker processes for extract+strip. 1 in the library: a process pool
    starts only when the caller asks for one, since under the ``spawn`` start
    method (macOS, Windows) a pool re-imports the caller's script, which breaks
    every script without an ``if __name__ == "__main__"`` guard. The command
    line asks for every core (``all_cores()``), being its own main module. At
    most ``max_workers()`` (see MIN_MAX_WORKERS) where they run on this
    machine: a Dask cluster named by ``scheduler`` has cores of its own, and
    ``workers`` there only sizes the tasks in flight."""
    engine: str = "local"
    scheduler: str | None = None
    doc_timeout: float = 60.0
    """Seconds one document may take in extract+strip before it is rejected;
    from MIN_DOC_TIMEOUT (0.01) to MAX_DOC_TIMEOUT (one day)."""

    # --- output ----------------------------------------------------------
    include_removed_text: bool = True
    """Keep removed text in ``removed[]``; off writes kinds and rules only."""

    def __post_init__(self) -> None:
        self._check_types()
        if self.format not in FORMATS:
            raise OptionsError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.dedup not in DEDUP_MODES:
            raise OptionsError(f"dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if not 0.0 < self.threshold < 1.0:
            raise OptionsError(f"threshold must be between 0 and 1 (exclusive), not {self.threshold}")
        if not 0.0 < self.doc_threshold <= 1.0:
            raise OptionsError(f"doc_threshold must be in (0, 1], not {self.doc_threshold}")
        if not 1 <= self.shingle <= MAX_PASSAGE_CHARS:
            raise OptionsError(f"shingle must be between 1 and {MAX_PASSAGE_CHARS} (the longest passage), "
                               f"not {self.shingle}")
        if self.num_perm < 16 or self.num_perm > 1024:
            raise OptionsError(f"num_perm must be between 16 and 1024, not {self.num_perm}")
        if self.workers < 1:
            raise OptionsError(f"workers must be at least 1, not {self.workers}")
        if self.workers > max_workers() and not (self.engine == "dask" and self.scheduler):
            raise OptionsError(f"workers must be at most {max_workers()} (this machine has {all_cores()} cores, "
                               f"and the work is CPU-bound: more processes only take memory), not {self.workers}")
        if self.engine not in ("local", "dask"):
            raise OptionsError(f"engine must be local or dask, not {self.engine!r}")
        if self.favor_precision and self.favor_recall:
            raise OptionsError("favor_precision and favor_recall exclude each other; pass --no-favor-recall "
                               "with --favor-precision")
        if not 1024 <= self.max_bytes <= MAX_MAX_BYTES:
            raise OptionsError(f"max_bytes must be between 1024 and {MAX_MAX_BYTES} (1 TiB), not {self.max_bytes}")
        if self.site_window < 1:
            raise OptionsError(f"site_window must be at least 1, not {self.site_window}")
        if self.site_min_pages < 2:
            raise OptionsError(f"site_min_pages must be at least 2, not {self.site_min_pages}")
        if self.site_min_pages > self.site_window:
            raise OptionsError(f"site_min_pages ({self.site_min_pages}) must be at most site_window "
                               f"({self.site_window}): a window never holds more pages of a site, so the "
                               f"site-boilerplate stage would remove nothing")
        if not 0.0 < self.site_min_share <= 1.0:  # NaN fails every comparison
            raise OptionsError(f"site_min_share must be in (0, 1], not {self.site_min_share}")
        if not 1 <= self.min_passage_chars <= MAX_PASSAGE_CHARS:
            raise OptionsError(f"min_passage_chars must be between 1 and {MAX_PASSAGE_CHARS} (the longest "
                               f"passage), not {self.min_passage_chars}")
        if not MIN_DOC_TIMEOUT <= self.doc_timeout <= MAX_DOC_TIMEOUT:
            raise OptionsError(f"doc_timeout must be between {MIN_DOC_TIMEOUT:g} and {MAX_DOC_TIMEOUT:g} seconds "
                               f"(one day), not {self.doc_timeout}")
        if self.index == "":
            raise OptionsError("index must name a file, not ''")

    def _check_types(self) -> None:
        """A value of the wrong type (``workers="2"``, a dict for a number) is an
        OptionsError naming the option, not a TypeError deep inside a run."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            want = _TYPES[f.type]
            if value is None and "None" in f.type:
                continue
            if isinstance(value, bool) and bool not in want:
                ok = False
            else:
                ok = isinstance(value, want)
            if ok and f.type in ("int", "float") and type(value) not in (int, float):
                # numpy's numbers and the like: kept as plain Python numbers
                object.__setattr__(self, f.name, int(value) if f.type == "int" else float(value))
            if not ok:
                names = {"str": "str", "int": "int", "float": "float or int", "bool": "bool"}[f.type.split(" ")[0]] \
                    + (" or None" if "None" in f.type else "")
                raise OptionsError(f"{f.name} must be {names}, not {type(value).__name__} ({value!r})")

    def replace(self, **changes: Any) -> "Options":
        return dataclasses.replace(self, **changes)


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "str | None": (str,), "int": (numbers.Integral,), "float": (numbers.Real,), "bool": (bool,),
}
