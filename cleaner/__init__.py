"""cleaner: messy web documents to clean, de-duplicated JSONL.

    import cleaner
    for record in cleaner.clean(["pages/"], cleaner.Options(dedup="mark")):
        print(record.id, record.text[:80])

    cleaner.clean_text(dump, url="https://example.com/a")   # one plain-text dump
    cleaner.clean_html(html, url="https://example.com/a")   # one HTML page
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .errors import CleanerError, DedupIndexError, InputError, OptionsError, OutputError, WorkerLostError
from .options import Options
from .pipeline import Summary, clean_one, run
from .records import DuplicateSpan, Record, Reject, Removal

__version__ = "0.1.0"

__all__ = [
    "clean", "clean_text", "clean_html", "Options", "Record", "Removal", "DuplicateSpan", "Reject",
    "Summary", "CleanerError", "InputError", "OptionsError", "DedupIndexError", "OutputError", "WorkerLostError",
    "__version__",
]


def clean(inputs: Iterable[str] | str, options: Options | None = None, *,
          on_reject: Callable[[Reject], None] | None = None, summary: Summary | None = None):
    """Clean files, directories, globs or '-' (stdin); yields :class:`Record` in input order.

    Inputs that cannot be used are passed to ``on_reject`` (a :class:`Reject`
    with source, line, id and reason) instead of stopping the run.
    """
    if isinstance(inputs, str):
        inputs = [inputs]
    return run(inputs, options, on_reject=on_reject, summary=summary)


def clean_text(text: str, url: str | None = None, options: Options | None = None) -> Record:
    """Clean one plain-text page dump (no cross-document stages)."""
    return clean_one(text, "text", url, options)


def clean_html(html: str, url: str | None = None, options: Options | None = None) -> Record:
    """Clean one HTML page (no cross-document stages)."""
    return clean_one(html, "html", url, options)
