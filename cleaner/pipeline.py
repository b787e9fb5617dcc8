"""read -> extract -> strip -> site-wide -> dedup -> records, joined in one place.

Per-document work (extract + strip) is a pure function of the document and
the options, so it can run in worker processes; results are consumed in input
order, which keeps every later stage, and the output bytes, independent of
the number of workers. Cross-document stages (site boilerplate, dedup) run in
the parent in input order.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import queue
import signal
import threading
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .dates import ambiguous, localise, parse_date_line
from .errors import CleanerError, InputError
from .executors import executor_for, ordered_map, overlapped
from .extract import Extracted, extract, host_of, meta_str
from .options import Options
from .read import Reader, prepared_content
from .model import clean_page
from .model.decide import DATELINE_RULE
from .model.features import page_language
from .model.lines import finish_text, judge_text
from .records import Cleaned, Document, Record, Reject, Removal, removal_slots
from .sitewide import site_boilerplate
from .strip import Judged, Stripped, strip_chrome

if TYPE_CHECKING:
    from .dedup import DedupResult


@dataclass
class Summary:
    """Counts the CLI prints at the end; updated as records stream out."""

    documents_in: int = 0
    documents_out: int = 0
    rejected: int = 0
    chars_in: int = 0
    chars_out: int = 0
    duplicate_passages: int = 0
    near_duplicates: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    index_passages: int = 0
    """Passages in the dedup index at the end (earlier batches' included)."""
    index_bytes: int = 0
    """Memory of the dedup index at the end: the number that grows with the corpus."""
    skipped: dict[str, int] = field(default_factory=dict)
    """WARC records that hold no page (request, metadata, revisit, warcinfo), by type."""
    bytes_read: int = 0
    """Bytes of input files read so far (of their size on disk): the progress bar's measure."""

    @property
    def removed_share(self) -> float:
        return 1.0 - self.chars_out / self.chars_in if self.chars_in else 0.0


class _Timeout(BaseException):
    """Not an Exception: the libraries underneath (trafilatura, lxml callbacks)
    and extract's own fallbacks catch Exception, and must not swallow the time
    limit or report it as something else."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _Timeout in this thread once ``seconds`` have passed.

    In a process's main thread (the serial and process-pool engines) that is
    SIGALRM. Dask runs tasks in worker threads, where signals cannot be used:
    there the process's watchdog thread (_Watchdog) raises the exception in
    the task's thread (PyThreadState_SetAsyncExc). Both are delivered between
    Python bytecodes, so a single C call that never returns (one giant regex
    or parse) is not interrupted by either; the size limits bound those. One
    limit per thread at a time: limits are not nested (a document's two
    halves have one each, in turn)."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        armed = [True]
        due = time.monotonic() + seconds

        def on_alarm(signum, frame):  # noqa: ARG001
            # Python runs a signal's handler at the next bytecode, with the
            # handler in place then: an alarm the previous document's timer
            # sent just before it was disarmed can reach this one's handler.
            # It is not this limit's; the timer repeats after the real one.
            if armed[0] and time.monotonic() >= due:
                raise _Timeout()

        # The alarm repeats every 50 ms until the body has stopped: an exception
        # raised while a finaliser runs (garbage collection) is printed and
        # dropped, and one alarm alone would then be lost.
        old = signal.signal(signal.SIGALRM, on_alarm)
        try:
            # Armed inside the try: a limit so short that the alarm comes before
            # the next statement (a document's leftover microseconds) must still
            # be disarmed below; armed before it, the timer went on repeating
            # after the limit's end, and once the old handler (the default) was
            # back, its next alarm killed the process.
            signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
            yield
        finally:
            while True:  # a late alarm may interrupt this very block: retry until disarmed
                try:
                    armed[0] = False
                    break
                except _Timeout:
                    continue
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        return
    tid = threading.get_ident()
    try:
        _WATCHDOG.arm(tid, seconds)  # inside the try: a limit that goes off at once is still disarmed
        yield
    finally:
        while True:  # a late delivery may interrupt this very block: retry until disarmed
            try:
                fired = _WATCHDOG.disarm(tid)
                break
            except _Timeout:
                continue
        if fired:  # not delivered yet: it must not go off later, elsewhere
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)


class _Watchdog:
    """One thread per process that raises _Timeout in the threads whose time
    limit has passed (PyThreadState_SetAsyncExc), and again every REPEAT
    seconds until the limit is disarmed: an asynchronous exception raised
    while a finaliser runs (garbage collection in that thread) is printed and
    dropped, and one alone would then be lost.

    It replaced a timer thread started for every document: under Dask (a
    task's documents in a worker thread, thousands a minute) a worker was
    once left stuck inside such a thread start, and its run waiting on the
    task for ever. Now a document only adds and removes an entry.

    A thread that may receive the exception touches only C objects here (a
    plain lock, whose ``with`` an asynchronous exception cannot split, and a
    SimpleQueue to wake the watchdog), so no lock is left held; the watchdog
    thread is never interrupted. It is woken only for a limit due before it
    would wake anyway: the others (a document's limit is tens of seconds; it
    is done in milliseconds) cost a document two short locked updates."""

    REPEAT = 0.05

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._due: dict[int, float] = {}
        self._fired: set[int] = set()
        self._thread: threading.Thread | None = None
        self._asleep_until = -math.inf
        """When the watchdog wakes next (a limit due sooner wakes it at once)."""

    def arm(self, tid: int, seconds: float) -> None:
        """Thread ``tid``'s limit, ``seconds`` from now (one per thread)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="cleaner-time-limits", daemon=True)
                    self._thread.start()
        when = time.monotonic() + seconds
        with self._lock:
            self._due[tid] = when
            wake = when < self._asleep_until
        if wake:  # the watchdog sleeps past this limit; most limits end long before it wakes
            self._wake.put(None)

    def disarm(self, tid: int) -> bool:
        """Whether the exception was raised in ``tid`` (it may still be pending)."""
        with self._lock:
            self._due.pop(tid, None)
            fired = tid in self._fired
            self._fired.discard(tid)
        return fired

    def _run(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for tid, when in list(self._due.items()):
                    if when <= now:
                        self._fired.add(tid)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(_Timeout))
                        self._due[tid] = now + self.REPEAT
                nearest = min(self._due.values(), default=None)
                self._asleep_until = math.inf if nearest is None else nearest
            try:
                self._wake.get(timeout=None if nearest is None else max(nearest - time.monotonic(), 0.0))
            except queue.Empty:
                pass


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's threads: it starts its own watchdog.
    os.register_at_fork(after_in_child=_WATCHDOG.__init__)


def process(doc: Document, options: Options) -> Cleaned | Reject:
    """Extract and strip one document. Never raises for bad input: the failure
    becomes a Reject carrying the reason."""
    got = _begin(doc, options)
    if isinstance(got, _Judging):
        return _end(got, None, options, 0.0)
    return got


@dataclass
class _Judging:
    """A text dump the rules have judged, waiting for the line model's
    probabilities: a batch's dumps get theirs from one matrix and one model
    call (cleaner.model.linebatch) instead of a call each."""

    doc: Document
    ex: Extracted
    judged: Judged
    spent: float
    """Seconds of the document's time limit used so far."""


def _begin(doc: Document, options: Options) -> Cleaned | Reject | _Judging:
    """All of ``process`` for a document, or, for a text dump the line model
    cleans, the rules' judgement of its lines."""
    t0 = time.monotonic()
    got = _guarded(doc, options, options.doc_timeout, _extract_and_strip, doc, options)
    if isinstance(got, _Judging):
        got.spent = time.monotonic() - t0
    return got


def _end(j: _Judging, probs: np.ndarray | None, options: Options, batch_seconds: float) -> Cleaned | Reject:
    """A judged dump finished with its probabilities (None: its own model
    call); ``batch_seconds`` is its share of the batch's model call, counted
    against its time limit with the first half's."""
    left = options.doc_timeout - j.spent - batch_seconds
    return _guarded(j.doc, options, left, _finish_judged, j, probs)


def process_batch(docs: list[Document], options: Options) -> list[Cleaned | Reject]:
    """The per-document work of a task: extract and strip; the task's text
    dumps share one line-model call."""
    _load_models(docs, options)
    got = [_begin(d, options) for d in docs]
    judging = [g for g in got if isinstance(g, _Judging)]
    if not judging:
        return got  # type: ignore[return-value]
    share = [0.0] * len(judging)
    probs: list[np.ndarray | None]
    try:
        from .model.linebatch import predict_pages
        from .model.lines import shipped_lines

        t0 = time.monotonic()
        probs = predict_pages(shipped_lines(), [(g.judged, g.ex.url) for g in judging])  # type: ignore[assignment]
        seconds = time.monotonic() - t0
        lines = sum(len(g.judged.lines) for g in judging) or 1
        share = [seconds * len(g.judged.lines) / lines for g in judging]
    except Exception:  # noqa: BLE001 - each page then calls the model alone, its failure its own reject
        probs = [None] * len(judging)
    done = iter(_end(g, p, options, s) for g, p, s in zip(judging, probs, share))
    return [next(done) if isinstance(g, _Judging) else g for g in got]


def _guarded(doc: Document, options: Options, seconds: float, fn: Callable, *args) -> Any:
    """``fn(*args)`` within ``seconds`` of the document's time limit; a
    failure becomes the document's Reject carrying the reason."""
    try:
        if seconds <= 0:
            raise _Timeout()
        with _deadline(seconds):
            return fn(*args)
    except _Timeout:
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason="timeout",
                      message=f"processing took longer than {options.doc_timeout:g} s (doc_timeout)")
    except InputError as exc:
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason=exc.reason,
                      message=str(exc))
    except RecursionError:
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason="too-deep",
                      message="document structure is nested too deeply to process")
    except MemoryError:
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason="too-large",
                      message="document needs more memory than available")
    except Exception as exc:  # noqa: BLE001 - a bug on one page must not stop the batch
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason="internal-error",
                      message=f"cleaner failed on this document ({exc.__class__.__name__}: {exc}, at "
                              f"{Path(where.filename).name}:{where.lineno}); please report it with the input")


def _extract_and_strip(doc: Document, options: Options) -> Cleaned | Reject | _Judging:
    ex = extract(doc, options)
    roles: tuple[str, ...] = ()
    if ex.prepared is not None:
        title, author, date = ex.title, ex.author, ex.date
        if options.strip:
            d = clean_page(ex.prepared)
            text, removed, slots, roles = d.text, tuple(d.removed), removal_slots(d.sequence), d.roles
            title, author = d.title or title, author or d.author
            if not date:  # from a date line: 05/06/2024 is day first in Europe
                # The text's own dateline first: a date removed above it can
                # be a masthead's today.
                lines = [r.text for r in sorted(removed, key=lambda r: r.rule != DATELINE_RULE) if r.kind == "date"]
                date = next(filter(None, map(parse_date_line, lines)), None)
                date = localise(date, lines, lang=ex.lang, url=ex.url) if date else None
        else:
            text, removed, slots = ex.text, (), ()
            roles = tuple(b.role for b in ex.prepared.blocks)
        date = date or ex.date_hint
    elif options.strip:
        given = dict(title=ex.title, author=ex.author, date=ex.date, url=ex.url, headings=ex.headings,
                     standfirst=ex.standfirst)
        if options.line_model and not ex.is_html:
            # The learned line model (cleaner.model.lines), the rules' verdicts among its evidence.
            return _Judging(doc, ex, judge_text(ex.text, **given), 0.0)
        return _from_stripped(doc, ex, strip_chrome(ex.text, is_html=ex.is_html, **given))
    else:
        text = "\n".join(line.strip() for line in ex.text.split("\n") if line.strip())
        removed, title, author, date, slots = (), ex.title, ex.author, ex.date or ex.date_hint, ()
    return _result(doc, ex, text, removed, slots, title, author, date, roles)


def _finish_judged(j: _Judging, probs: np.ndarray | None) -> Cleaned | Reject:
    return _from_stripped(j.doc, j.ex, finish_text(j.judged, probs, url=j.ex.url))


def _from_stripped(doc: Document, ex: Extracted, st: Stripped) -> Cleaned | Reject:
    removed = tuple(st.removed)
    date = st.date
    if date is not None and not ex.date:  # from a date line: 05/06/2024 is day first in Europe
        date_lines = [r.text for r in removed if r.kind == "date"]
        lang = ex.lang
        if lang is None and not ex.is_html and any(map(ambiguous, date_lines)):
            # A text dump declares no language: its words tell it ("Le
            # 04/02/2024" on a French page is 4 February).
            lang = page_language(st.text.split("\n"), None)
        date = localise(date, date_lines, lang=lang, url=ex.url)
    return _result(doc, ex, st.text, removed, st.removal_slots(), st.title, st.author, date or ex.date_hint, ())


_INVISIBLE_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
"""Characters outside the control, format and separator categories that show
nothing on their own: the combining grapheme joiner, the Hangul fillers and
the Khmer inherent vowels (Unicode's Default_Ignorable_Code_Point list, less
what those categories already hold); with the variation selectors below."""


def has_visible(text: str) -> bool:
    """Whether ``text`` shows anything: a character that is not white space, a
    control or format character (zero-width space, joiners, BOM, soft hyphen,
    bidi marks), a separator or another default-ignorable one. A record of
    such characters alone is as empty as whitespace."""
    for c in text:
        if c.isspace() or c in _INVISIBLE_LETTERS or "\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef":
            continue
        if unicodedata.category(c)[0] not in "CZ":
            return True
    return False


def _result(doc: Document, ex: Extracted, text: str, removed: tuple[Removal, ...], slots: tuple, title: str | None,
            author: str | None, date: str | None, roles: tuple[str, ...]) -> Cleaned | Reject:
    if not has_visible(text):
        # Record policy: an empty record is not clean data. A page of scripts
        # and styles, an empty body, a page that is all chrome, or text of
        # zero-width and control characters alone is reported like an empty
        # text file, not written as an empty record.
        why = (f"nothing is left after removing {len(removed)} lines of chrome" if removed and has_visible(ex.text)
               else "the page has no visible text" if doc.kind == "html"
               else "the text is empty" if not text.strip() else "the text has no visible characters")
        return Reject(source=doc.source, line=doc.line, id=doc.id, ordinal=doc.ordinal, reason="no-content",
                      message=why)
    meta = doc.metadata
    site = ex.site or meta_str(meta, "site") or None
    # The document's content stays behind: nothing after this stage reads it.
    # Sent back from the worker and held until written, it doubled what a
    # task moves between processes, and the site-wide window and the dedup
    # queue held every page whole (cleaning WCXB's 1,497 HTML pages, the main
    # process grew to 1.4 GB).
    return Cleaned(doc=replace(doc, content=""), text=text, title=title or meta_str(meta, "title"),
                   author=author or meta_str(meta, "author"), date=date or meta_str(meta, "date"),
                   site=site, lang=ex.lang, url=ex.url, removed=removed, chars_in=len(ex.text),
                   removal_slots=slots, roles=roles)


def _load_models(docs: list[Document], options: Options) -> None:
    """Load (once per process) the models this run uses, before any
    document's time limit starts: reading a model and compiling its tree
    walker take a second or more the first time, a cost of the process, not
    of the document that happens to come first (a 0.5 s ``doc_timeout``
    rejected it). A model that cannot be loaded is left to fail in
    ``process``, where the failure becomes each document's reject."""
    if not options.strip:
        return
    try:
        if any(d.kind == "html" for d in docs):
            from .model.model import shipped

            shipped()
        if options.line_model and any(d.kind != "html" for d in docs):
            from .model.lines import shipped_lines

            shipped_lines()
    except Exception:  # noqa: BLE001 - reported per document by process()
        pass


def run(inputs: Iterable[str], options: Options | None = None, *,
        on_reject: Callable[[Reject], None] | None = None,
        on_record: Callable[[Record], None] | None = None,
        summary: Summary | None = None,
        done: Sequence[tuple[str, str, str | None] | tuple[str, str, str | None, Sequence[str] | None]] = (),
        defer_index: bool = False,
        exclude: Callable[[str], bool] | None = None) -> Iterator[Record]:
    """Yield one Record per readable input document, in input order; every other
    input unit is passed to ``on_reject``.

    ``exclude`` (a path found while walking the inputs -> bool) leaves out files
    that are not inputs: the run's own outputs, when they lie inside an input
    directory (see write.Outputs).

    ``done`` lists ``(id, text, title, roles)`` of records an earlier,
    interrupted run already wrote: those documents are skipped, and their texts are replayed into the
    dedup index so later documents still link to them.

    ``defer_index``: the completed run's ``--index`` is saved beside its path,
    and put in place by ``dedup.commit_index`` once the caller has written the
    records (the command: after its outputs are published).
    """
    options = options or Options()
    summary = summary if summary is not None else Summary()
    done_ids = {d[0] for d in done}

    def reject(r: Reject) -> None:
        summary.rejected += 1
        summary.rejects_by_reason[r.reason] = summary.rejects_by_reason.get(r.reason, 0) + 1
        if on_reject is not None:
            on_reject(r)

    def cleaned_only(stream: Iterable[Cleaned | Reject]) -> Iterator[Cleaned]:
        for item in stream:
            if isinstance(item, Reject):
                reject(item)
            else:
                yield item

    def counted(stream: Iterable[Document | Reject]) -> Iterator[Document | Reject]:
        for item in stream:
            if isinstance(item, Document):
                if item.id in done_ids:
                    continue
                summary.documents_in += 1
            yield item

    with executor_for(options) as executor:
        deduper, taken = None, ()
        if options.dedup != "off":
            from .dedup import Deduper

            deduper = Deduper.on(executor, options)
            # Ids of a loaded dedup index are taken: a record never gets the
            # id of one it could be linked to. (Not those replayed below: they
            # are this run's own, and skipped by id.)
            taken = set(deduper.doc_ids)
            for batch in _batches(done, executor.call_batch):
                deduper.add_many(batch)
        reader = Reader(options, exclude, summary, taken=taken)
        mapped = ordered_map(executor, process_batch, counted(reader.read(inputs)), options,
                             passthrough=lambda item: isinstance(item, Reject),
                             weight=lambda doc: len(doc.content))
        stream = cleaned_only(mapped)
        if options.strip and options.site_boilerplate:
            stream = site_boilerplate(stream, options)
        pairs = deduper.signed(stream, executor) if deduper else ((c, None) for c in stream)
        yield from _finish(pairs, deduper, options, summary, on_record, executor, defer_index)


def _finish(pairs: Iterable[tuple[Cleaned, object]], deduper, options: Options, summary: Summary,
            on_record: Callable[[Record], None] | None, executor, defer_index: bool = False) -> Iterator[Record]:
    """Records of ``(document, dedup units)`` pairs, in order; the dedup index
    is consulted and extended a batch at a time, while the batches after it
    are collected (``overlapped``)."""
    completed = False
    try:
        for batch in overlapped(executor, _batches(pairs, executor.call_batch)):
            results = (deduper.add_many([(c.doc.id, c.text, c.title, c.roles or None) for c, _ in batch],
                                        [u for _, u in batch]) if deduper else [None] * len(batch))
            for (c, _), result in zip(batch, results):
                yield _counted(_to_record(c, result, options), c, summary, on_record)
        completed = True
        if deduper is not None:
            summary.index_passages = deduper.n_pass
            summary.index_bytes = deduper.nbytes
    finally:
        if deduper is not None:
            # The index is saved only when the run completed: after a failure it
            # would hold documents whose records were never written, and a
            # --resume would then add them twice. Deferred, it is saved beside
            # --index for the caller to put in place once the records are.
            deduper.close(save=completed, commit=not defer_index)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _counted(record: Record, c: Cleaned, summary: Summary, on_record: Callable[[Record], None] | None) -> Record:
    summary.documents_out += 1
    summary.chars_in += c.chars_in
    summary.chars_out += len(record.text)
    summary.duplicate_passages += len(record.duplicates) + sum(1 for r in record.removed if r.kind == "duplicate")
    summary.near_duplicates += record.near_duplicate_of is not None
    if on_record is not None:
        on_record(record)
    return record


def _to_record(c: Cleaned, result: DedupResult | None, options: Options) -> Record:
    text, removed = c.text, c.removed
    roles = c.roles if len(c.roles) == c.text.count("\n") + 1 else ()
    duplicates: tuple = ()
    near = None
    if result is not None:
        text, duplicates, near = result.text, result.duplicates, result.near_duplicate_of
        if result.dropped:
            removed = _in_order(removed, c.removal_slots, result)
        if result.lines is not None and roles:
            roles = tuple(roles[i] for i in result.lines)
    if not options.include_removed_text:
        removed = tuple(Removal(r.kind, "", r.rule) for r in removed)
    doc = c.doc
    url = c.url or doc.url
    stats = {"chars_in": c.chars_in, "chars_out": len(text), "lines_removed": len(removed)}
    return Record(id=doc.id, source=doc.source, url=url, site=c.site or host_of(url), title=c.title,
                  author=c.author, date=c.date, lang=c.lang, text=text, removed=removed,
                  duplicates=duplicates, near_duplicate_of=near, stats=stats, metadata=dict(doc.metadata),
                  roles=roles if text else ())


def _in_order(removed: tuple[Removal, ...], slots: tuple[int, ...], result: DedupResult) -> tuple[Removal, ...]:
    """The cleaning's removals and the passages dedup dropped, in document
    order: a removal sits before kept line ``slot`` of the cleaned text, a
    dropped passage in the line where it began (after the removals before
    that line)."""
    dropped = [Removal("duplicate", t, "near-duplicate-passage") for t in result.dropped]
    if len(slots) != len(removed) or len(result.dropped_at) != len(dropped):
        return removed + tuple(dropped)
    keyed = [((slot, 0, i), r) for i, (slot, r) in enumerate(zip(slots, removed))]
    keyed += [((line, 1, i), r) for i, (line, r) in enumerate(zip(result.dropped_at, dropped))]
    return tuple(r for _, r in sorted(keyed, key=lambda kr: kr[0]))


def clean_one(content: str, kind: str, url: str | None, options: Options | None) -> Record:
    options = options or Options()
    doc = Document(ordinal=0, id="document", source="<string>", content=prepared_content(content), kind=kind,
                   url=url)
    _load_models([doc], options)
    result = process(doc, options)
    if isinstance(result, Reject):
        raise InputError(result.message, result.reason)
    return _to_record(result, None, options)


__all__ = ["run", "process", "Summary", "clean_one", "CleanerError"]
