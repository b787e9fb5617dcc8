"""cleaner: messy web documents to clean, de-duplicated JSONL.

    import cleaner
    for record in cleaner.clean(["pages/"], cleaner.Options(dedup="mark")):
        print(record.id, record.text[:80])

    cleaner.clean([{"id": "a", "html": page}])              # in-memory records
    cleaner.clean_text(dump, url="https://example.com/a")   # one plain-text dump
    cleaner.clean_html(html, url="https://example.com/a")   # one HTML page (str or bytes)

The pipeline (trafilatura, numba, the rule tables) is imported on first use,
not on ``import cleaner``: the command line's ``--help`` and a script that
only builds Options stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .errors import CleanerError, DedupIndexError, InputError, OptionsError, OutputError, WorkerLostError
from .jitcache import ensure_cache_dir

ensure_cache_dir()  # before any module of the package imports numba (cleaner/jitcache.py says why)
from .options import Options
from .records import Document, DuplicateSpan, Record, Reject, Removal

if TYPE_CHECKING:
    from .pipeline import Summary

__version__ = "0.1.0"

__all__ = [
    "clean", "clean_text", "clean_html", "Options", "Record", "Removal", "DuplicateSpan", "Reject", "Document",
    "Summary", "CleanerError", "InputError", "OptionsError", "DedupIndexError", "OutputError", "WorkerLostError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Summary":  # lives with the pipeline, which is imported on first use
        from .pipeline import Summary

        return Summary
    raise AttributeError(f"module 'cleaner' has no attribute {name!r}")


def clean(inputs: Iterable[str | os.PathLike[str] | dict[str, Any] | Document], options: Options | None = None, *,
          on_reject: Callable[[Reject], None] | None = None, summary: Summary | None = None) -> Iterator[Record]:
    """Clean documents; yields :class:`Record` in input order.

    ``inputs`` is a list (or any iterable) of paths (files, directories, globs,
    '-' for stdin), or of in-memory records: dicts read like JSONL lines (the
    same ``html_field``, ``text_field``, ``id_field`` and ``url_field``) or
    :class:`Document` objects. An iterable of records is read lazily, so a
    generator of millions streams. Inputs that cannot be used are passed to
    ``on_reject`` (a :class:`Reject` with source, line, id and reason) instead
    of stopping the run.
    """
    options = _check_options(options, "clean")
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise TypeError(f"inputs must be a list of paths or records, not a single {type(inputs).__name__}: "
                        f"pass clean([{_short(inputs)}]); to clean a string of text or HTML, use "
                        f"cleaner.clean_text(text) or cleaner.clean_html(html)")
    if isinstance(inputs, (dict, Document)):
        raise TypeError(f"inputs must be a list of records, not a single {type(inputs).__name__}: pass "
                        f"clean([record])")
    if not isinstance(inputs, Iterable):
        raise TypeError(f"inputs must be a list (or other iterable) of paths, dicts or cleaner.Document, not "
                        f"{type(inputs).__name__}")
    if on_reject is not None and not callable(on_reject):
        raise TypeError(f"on_reject must be a function taking a cleaner.Reject, not {type(on_reject).__name__}")
    from .pipeline import run

    return run(inputs, options, on_reject=on_reject, summary=summary)  # type: ignore[arg-type]


def clean_text(text: str | bytes, url: str | None = None, options: Options | None = None) -> Record:
    """Clean one plain-text page dump (no cross-document stages). Bytes are
    decoded as a text file's are; a document with nothing left raises
    :class:`InputError` with the reason a file would be rejected for."""
    return _clean_one(text, "text", url, _check_options(options, "clean_text"), "clean_text")


def clean_html(html: str | bytes, url: str | None = None, options: Options | None = None) -> Record:
    """Clean one HTML page (no cross-document stages). Bytes are decoded as an
    HTML file's are: byte-order mark, then ``<meta charset>``, then UTF-8, then
    detection."""
    return _clean_one(html, "html", url, _check_options(options, "clean_html"), "clean_html")


def _clean_one(content: str | bytes, kind: str, url: str | None, options: Options, what: str) -> Record:
    if isinstance(content, (bytes, bytearray, memoryview)):
        from .decode import decode_bytes

        content, _ = decode_bytes(bytes(content), html=kind == "html")
    elif not isinstance(content, str):
        hint = (" (to clean files, use cleaner.clean([path]))" if isinstance(content, (os.PathLike, list, tuple))
                else "")
        raise TypeError(f"{what}() takes the document as str or bytes, not {type(content).__name__}{hint}")
    if url is not None and not isinstance(url, str):
        raise TypeError(f"url must be a str or None, not {type(url).__name__}")
    from .pipeline import clean_one

    return clean_one(content, kind, url, options)


def _check_options(options: object, what: str) -> Options:
    if options is None:
        return Options()
    if isinstance(options, Options):
        return options
    if isinstance(options, dict):
        raise TypeError(f"options must be a cleaner.Options, not a dict: pass {what}(..., "
                        f"options=cleaner.Options(**{_short(options)}))")
    raise TypeError(f"options must be a cleaner.Options, not {type(options).__name__}")


def _short(value: object) -> str:
    text = repr(os.fspath(value) if isinstance(value, os.PathLike) else value)
    return text if len(text) <= 60 else text[:56] + "...'"
