"""The one place where cleaner's defaults live.

The CLI builds an :class:`Options` from its flags (same names, dashes for
underscores); library users build one directly. Nothing else in the package
defines a default for a tunable value.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field

from .errors import OptionsError

FORMATS = ("auto", "html", "text", "jsonl")
DEDUP_MODES = ("mark", "drop", "off")


def _default_workers() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Options:
    # --- reading ---------------------------------------------------------
    format: str = "auto"
    """How to read inputs: sniffed from the suffix (and content for stdin) unless forced."""
    html_field: str = "html"
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
    """Passed to trafilatura. Off by default: cleaner's own classifier removes the
    chrome trafilatura keeps, so recall from trafilatura matters more."""
    favor_recall: bool = True
    """Passed to trafilatura. On by default for the same reason; measured on the
    development pages it also keeps fewer widget lines than the default mode."""

    # --- stripping -------------------------------------------------------
    strip: bool = True
    """Run the chrome classifier (off: keep extracted text as it is)."""
    site_boilerplate: bool = True
    """Cross-document stage: lines recurring on many pages of one site are chrome."""
    site_min_pages: int = 3
    """A line must recur on at least this many pages of one site (and on at least
    ``site_min_share`` of them) to count as that site's boilerplate."""
    site_min_share: float = 0.5
    site_window: int = 1000
    """Streaming window (documents) for the site-boilerplate stage."""

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
    """Character n-gram size on normalised text (works without word spaces)."""
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
    synthetic corpus was 0.55 instead of 0.78)."""
    index: str | None = None
    """Path of a persistent dedup index to load and extend."""

    # --- execution -------------------------------------------------------
    workers: int = field(default_factory=_default_workers)
    engine: str = "local"
    scheduler: str | None = None
    doc_timeout: float = 60.0
    """Seconds one document may take in extract+strip before it is rejected."""

    # --- output ----------------------------------------------------------
    include_removed_text: bool = True
    """Keep removed text in ``removed[]``; off writes kinds and rules only."""

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise OptionsError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.dedup not in DEDUP_MODES:
            raise OptionsError(f"dedup must be one of {', '.join(DEDUP_MODES)}, not {self.dedup!r}")
        if not 0.0 < self.threshold < 1.0:
            raise OptionsError(f"threshold must be between 0 and 1 (exclusive), not {self.threshold}")
        if not 0.0 < self.doc_threshold <= 1.0:
            raise OptionsError(f"doc_threshold must be in (0, 1], not {self.doc_threshold}")
        if self.shingle < 1:
            raise OptionsError(f"shingle must be at least 1, not {self.shingle}")
        if self.num_perm < 16 or self.num_perm > 1024:
            raise OptionsError(f"num_perm must be between 16 and 1024, not {self.num_perm}")
        if self.workers < 1:
            raise OptionsError(f"workers must be at least 1, not {self.workers}")
        if self.engine not in ("local", "dask"):
            raise OptionsError(f"engine must be local or dask, not {self.engine!r}")
        if self.favor_precision and self.favor_recall:
            raise OptionsError("favor_precision and favor_recall exclude each other; pass --no-favor-recall "
                               "with --favor-precision")
        if self.max_bytes < 1024:
            raise OptionsError(f"max_bytes must be at least 1024, not {self.max_bytes}")
        if self.site_min_pages < 2:
            raise OptionsError("site_min_pages must be at least 2")
        if math.isnan(self.doc_timeout) or self.doc_timeout <= 0:
            raise OptionsError("doc_timeout must be positive")

    def replace(self, **changes) -> "Options":
        return dataclasses.replace(self, **changes)
