"""The ``cleaner`` command: parses options, calls the library, reports on stderr.

Exit codes: 0 all documents done; 3 done, but some inputs were rejected (see
the rejects file); 2 usage error (bad option, or an output that would
overwrite an input or another output; nothing was written); 1 fatal error
(nothing or only part was written; the output file is not replaced); 4 an
output could not be written (disk full, permission denied, directory gone:
what was written is kept for --resume); 130 interrupted by Ctrl-C (SIGINT),
143 stopped by SIGTERM (what was written is kept for --resume).
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__
from .errors import CleanerError, OptionsError, OutputError, WorkerLostError
from .options import FORMATS, Options, all_cores, format_size, parse_size

# Only typer and cleaner's small modules are imported here: ``cleaner --help``
# must not pay for the pipeline (trafilatura, numba, the rule tables), which
# the command imports when it runs.

EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_REJECTS, EXIT_WRITE = 0, 1, 2, 3, 4
MAX_PART_RECORDS = 1 << 40
"""More records a part than any file will hold (a trillion): the bound only
keeps the number one JSON writes (a larger one stopped the run with a
traceback, its fingerprint half written)."""
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""128 + SIGTERM, as a shell reports a process the signal ended."""
MAX_RESTARTS = 3
"""Times a run that lost a worker (and the dedup index shards it held) is
continued from its own partial output before the error is final."""

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode=None, help="Turn messy web documents into clean, de-duplicated JSONL.",
                  # The group's --help flag, not given, would be None, which typer
                  # converts, importing pydantic for it: a tenth of a second of
                  # every `cleaner clean` start. False needs no conversion.
                  context_settings={"default_map": {"help": False}})

_DEFAULTS = Options()




def _size(text: str | int) -> int:
    try:
        return parse_size(str(text))
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    """Turn messy web documents into clean, de-duplicated JSONL."""


@app.command()
def clean(
    ctx: typer.Context,
    inputs: List[str] = typer.Argument(..., metavar="INPUT", show_default=False,
                                       help="Files (HTML, text, JSONL, WARC/WET, Parquet; compressed or not), "
                                            "directories (recursive), globs, or '-' for stdin."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH",
                                         help="Output file: JSONL, compressed by a .gz/.zst suffix, or Parquet "
                                              "(.parquet). '-' or omitted: JSONL on stdout."),
    rejects: Optional[str] = typer.Option(None, "--rejects", metavar="PATH",
                                          help="Rejects JSONL (default: OUTPUT.rejects.jsonl next to the output, "
                                               "stderr when writing to stdout)."),
    format: str = typer.Option(_DEFAULTS.format, "--format", metavar="|".join(FORMATS),
                               help="Input format; auto: by content for WARC and Parquet, else by suffix, else "
                                    "sniffed."),
    html_field: str = typer.Option(_DEFAULTS.html_field, "--html-field", metavar="NAME",
                                   help="Field holding HTML in JSONL/Parquet records (a.b reaches into objects)."),
    text_field: str = typer.Option(_DEFAULTS.text_field, "--text-field", metavar="NAME",
                                   help="Field holding plain text."),
    id_field: str = typer.Option(_DEFAULTS.id_field, "--id-field", metavar="NAME", help="Field holding the id."),
    url_field: str = typer.Option(_DEFAULTS.url_field, "--url-field", metavar="NAME",
                                  help="Field holding the page URL (e.g. metadata.url)."),
    dedup: str = typer.Option(_DEFAULTS.dedup, "--dedup", metavar="mark|drop|off",
                              help="Mark reused passages, drop them from later copies, or skip dedup."),
    threshold: float = typer.Option(_DEFAULTS.threshold, "--threshold", metavar="F",
                                    help="Passage similarity (Jaccard) above which passages are reuse."),
    shingle: int = typer.Option(_DEFAULTS.shingle, "--shingle", metavar="N", help="Character n-gram size."),
    num_perm: int = typer.Option(_DEFAULTS.num_perm, "--num-perm", metavar="N", help="MinHash permutations."),
    doc_threshold: float = typer.Option(_DEFAULTS.doc_threshold, "--doc-threshold", metavar="F",
                                        help="Share of a document covered by shared spans that makes it a "
                                             "near duplicate."),
    min_passage_chars: int = typer.Option(_DEFAULTS.min_passage_chars, "--min-passage-chars", metavar="N",
                                          help="Shortest passage indexed for dedup."),
    index: Optional[str] = typer.Option(None, "--index", metavar="PATH",
                                        help="Persistent dedup index to load and extend."),
    strip: bool = typer.Option(_DEFAULTS.strip, "--strip/--no-strip", help="Remove site chrome."),
    line_model: bool = typer.Option(_DEFAULTS.line_model, "--line-model/--no-line-model",
                                    help="Text dumps: judge lines with the learned line model "
                                         "(--no-line-model: the rules alone, faster, less accurate)."),
    site_boilerplate: bool = typer.Option(_DEFAULTS.site_boilerplate, "--site-boilerplate/--no-site-boilerplate",
                                          help="Remove lines repeated across pages of one site."),
    site_min_pages: int = typer.Option(_DEFAULTS.site_min_pages, "--site-min-pages", metavar="N",
                                       help="A site-wide line recurs on at least this many pages of the site..."),
    site_min_share: float = typer.Option(_DEFAULTS.site_min_share, "--site-min-share", metavar="F",
                                         help="...and on at least this share of the site's pages in the window."),
    site_window: int = typer.Option(_DEFAULTS.site_window, "--site-window", metavar="N",
                                    help="Documents per window of the site-boilerplate stage."),
    favor_precision: bool = typer.Option(_DEFAULTS.favor_precision, "--favor-precision/--no-favor-precision",
                                         help="Kept for compatibility, no effect (HTML no longer goes through "
                                              "trafilatura); given alone it turns --favor-recall off."),
    favor_recall: bool = typer.Option(_DEFAULTS.favor_recall, "--favor-recall/--no-favor-recall",
                                      help="Kept for compatibility, no effect."),
    include_removed_text: bool = typer.Option(_DEFAULTS.include_removed_text,
                                              "--include-removed-text/--no-include-removed-text",
                                              help="Keep the removed text in removed[] (off: kinds and rules)."),
    follow_symlinks: bool = typer.Option(_DEFAULTS.follow_symlinks, "--follow-symlinks",
                                         help="Read files that links inside the inputs point at outside them "
                                              "(default: rejected as outside-input)."),
    max_bytes: int = typer.Option(_DEFAULTS.max_bytes, "--max-bytes", metavar="SIZE", parser=_size,
                                  show_default=False,
                                  help="Largest document, and largest decompressed file, accepted (64MiB, "
                                       f"500MB, 1048576).  [default: {format_size(_DEFAULTS.max_bytes)}]"),
    doc_timeout: float = typer.Option(_DEFAULTS.doc_timeout, "--doc-timeout", metavar="SECONDS",
                                      help="Time one document may take in extract+strip."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", metavar="N",
                                          help="Worker processes.  [default: all cores]"),
    engine: str = typer.Option(_DEFAULTS.engine, "--engine", metavar="local|dask",
                               help="Run on local processes or on a Dask cluster."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                            help="Dask scheduler to connect to (default: a local cluster)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from what it wrote (same "
                                "inputs and options)."),
    part_records: int = typer.Option(0, "--part-records", metavar="N",
                                     help="Write the output as numbered parts of N records (OUT-00000.jsonl, "
                                          "...); 0: one file."),
) -> None:
    """Clean INPUTs into one record per document.

    Exit codes: 0 all cleaned; 3 done, some inputs rejected (see the rejects
    file); 2 usage error; 1 fatal error; 4 an output could not be written;
    130 interrupted (Ctrl-C); 143 stopped by SIGTERM.
    """
    if favor_precision and _not_given(ctx, "favor_recall"):
        # Both flags are kept for compatibility and have no effect; favor_recall
        # is on by default and the two exclude each other, so --favor-precision
        # alone means recall off (both given is still a usage error).
        favor_recall = False
    try:
        kwargs = dict(format=format, html_field=html_field, text_field=text_field, id_field=id_field,
                      url_field=url_field, dedup=dedup, threshold=threshold, shingle=shingle, num_perm=num_perm,
                      doc_threshold=doc_threshold, min_passage_chars=min_passage_chars, index=index, strip=strip,
                      line_model=line_model,
                      site_boilerplate=site_boilerplate, site_min_pages=site_min_pages,
                      site_min_share=site_min_share, site_window=site_window, favor_precision=favor_precision,
                      favor_recall=favor_recall, follow_symlinks=follow_symlinks,
                      include_removed_text=include_removed_text, max_bytes=max_bytes, doc_timeout=doc_timeout,
                      engine=engine, scheduler=scheduler, workers=workers if workers is not None else all_cores())
        options = Options(**kwargs)
        _refuse_unnamed_files(output, rejects)
    except OptionsError as exc:
        _fail(exc, EXIT_USAGE)
    from .write import Outputs, compressed, default_rejects_path, is_parquet, is_stream, refuse_overwrites

    if resume and (output in (None, "-") or is_stream(output)):
        _fail("--resume needs an output file (-o OUT), not stdout", EXIT_USAGE)
    from_stdin = any(str(i) == "-" for i in inputs)
    if resume and from_stdin:
        # Nothing can tell whether standard input holds what the interrupted
        # run read: continued over other data, the output mixes two inputs.
        _fail("--resume cannot check that standard input holds what the interrupted run read: save the input "
              "to a file and clean that", EXIT_USAGE)
    if part_records and (output in (None, "-") or is_stream(output)):
        _fail("--part-records needs an output file name (-o OUT) to number, not stdout or a device", EXIT_USAGE)
    if part_records < 0 or part_records > MAX_PART_RECORDS:
        _fail(f"--part-records must be 0 (one file) to {MAX_PART_RECORDS:,} records a part", EXIT_USAGE)
    rejects_path = rejects or default_rejects_path(output)
    outputs = Outputs(output, rejects_path, index, part_records)
    fingerprint = None
    from . import resume as resuming
    from .read import survey

    try:
        _refuse_directories(outputs)
        refuse_overwrites(inputs, outputs, resume=resume)
        if is_parquet(output):
            from .parquet import require

            require()
        files = survey(inputs, options, outputs.is_output)
        if output not in (None, "-") and not is_stream(output):
            fingerprint = resuming.fingerprint(files, options, part_records)
            # A fingerprint without a partial output is still a run to continue
            # (its partial output deleted, or written as parts): checked too, or
            # the run went on over another run's rejects and parts.
            if resume and (_has_partial(output, part_records)
                           or os.path.lexists(resuming.fingerprint_path(output))):
                if not part_records and not compressed(output):
                    from .write import _own_partial, partial_path

                    if os.path.lexists(partial_path(output)):
                        _own_partial(partial_path(output))  # a link planted there is refused first
                resuming.check(output, fingerprint)
            elif resume and os.path.lexists(output):
                # Nothing is left to continue: the run that wrote it finished.
                # Going on would write it all again and add every document to
                # --index a second time (each then a copy of itself).
                raise OptionsError(f"cannot resume: {output} is complete, its run finished and left nothing to "
                                   f"continue; run without --resume to write it again")
    except OptionsError as exc:
        _fail(exc, EXIT_USAGE)
    from .pipeline import Summary

    summary = Summary()
    # The progress bar's total: the inputs' bytes, when all are files.
    total = sum(f.size for f in files) if files and all(f.size is not None for f in files) else None  # type: ignore
    _quiet_workers_on_ctrl_c()
    try:
        if index and options.dedup != "off" and os.path.exists(index):
            from .dedup import check_index

            check_index(index, options)  # a wrong file stops the run before anything is written
        if fingerprint is not None:
            resuming.save(output, fingerprint)  # type: ignore[arg-type]
        for attempt in range(MAX_RESTARTS + 1):
            try:
                code = _run(inputs, output, rejects_path, rejects is not None, options, summary, quiet, resume,
                            part_records, outputs, total)
                break
            except WorkerLostError as exc:
                if _ctrl_c_seen():  # the workers left because of Ctrl-C or SIGTERM: not a loss to recover from
                    raise KeyboardInterrupt from exc
                # What was written is whole records: continue from it on fresh
                # workers, as --resume would (stdout cannot be continued; a
                # compressed or Parquet file is written again).
                if output in (None, "-") or is_stream(output) or from_stdin or attempt == MAX_RESTARTS:
                    raise  # (standard input cannot be read again from its start)
                again = part_records > 0 or not compressed(output)  # type: ignore[arg-type]
                if not quiet:
                    typer.echo(f"Warning: {exc}; " + (f"continuing from the {output} written so far" if again
                                                      else f"writing {output} again"), err=True)
                resume, summary = again, Summary()
        if fingerprint is not None:
            resuming.remove(output)  # type: ignore[arg-type]
        _ignore_ctrl_c()  # the output is whole: a late Ctrl-C has nothing left to stop
    except Exception as exc:
        if _ctrl_c_seen():
            # Ctrl-C ended the workers first and their loss surfaced as an
            # error before the signal's own exception did; or the signal's
            # KeyboardInterrupt was raised inside a compiled extension, which
            # hands it on wrapped (numba loading a kernel's cache gives a
            # SystemError "returned a result with an exception set"). Either
            # way it is an interrupt, and what was written can be resumed.
            typer.echo(_interrupted(output, part_records, summary.documents_out), err=True)
            raise typer.Exit(_interrupt_code()) from exc
        if not isinstance(exc, CleanerError):
            raise
        if isinstance(exc, OutputError):
            _quiet_stdout_if_gone(exc)
            _fail(exc, EXIT_WRITE)
        _fail(exc, EXIT_USAGE if isinstance(exc, OptionsError) else EXIT_FATAL)
    except KeyboardInterrupt:
        typer.echo(_interrupted(output, part_records, summary.documents_out), err=True)
        raise typer.Exit(_interrupt_code())
    raise typer.Exit(code)


def _quiet_workers_on_ctrl_c() -> None:
    """Ctrl-C reaches every process of the terminal's foreground group: the
    worker processes (forked, so they share this handler) leave at once and in
    silence, instead of printing a traceback each; this process stops the run
    and says how to resume it.

    SIGTERM (``kill``, a service manager, a container runtime stopping the
    run) ends the run the same way, with exit code 143. It reaches this
    process only: the handler sends it on to the worker processes
    (``executors.stop_workers``), which then leave as they do on Ctrl-C, instead
    of being left running on their own with the results' directory; without
    the handler this process died at once, and left both behind."""
    import signal

    main_pid = os.getpid()
    _CTRL_C.clear()

    def on_signal(signum, frame):  # noqa: ARG001
        if os.getpid() != main_pid:
            os._exit(128 + signum)
        _CTRL_C.append(signum)
        if signum != signal.SIGINT:
            executors = sys.modules.get("cleaner.executors")  # not imported: no worker was started
            if executors is not None:
                executors.stop_workers(signum)
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
    except ValueError:  # not the main thread (the command called from a thread): leave it be
        pass


_CTRL_C: list[int] = []
"""The signals (SIGINT: Ctrl-C, or SIGTERM) the handler of this process has
seen: Ctrl-C reaches the workers too (SIGTERM is sent on to them), and their
exit can surface (as a WorkerLostError from the pool) before the handler's
own KeyboardInterrupt does."""


def _ctrl_c_seen() -> bool:
    return bool(_CTRL_C)


def _terminated() -> bool:
    """Whether the run was stopped by SIGTERM rather than Ctrl-C."""
    import signal

    return bool(_CTRL_C) and _CTRL_C[0] == signal.SIGTERM


def _interrupt_code() -> int:
    return EXIT_TERMINATED if _terminated() else EXIT_INTERRUPTED


def _ignore_ctrl_c() -> None:
    """The output is whole: neither Ctrl-C nor SIGTERM has anything left to stop
    (nor should it report the run as unfinished)."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except ValueError:  # not the main thread: leave it be
        pass


def _not_given(ctx: typer.Context, name: str) -> bool:
    """Whether the flag of ``name`` was left at its default. Compared by the
    source's name: a typer may carry a click of its own (this one does),
    whose ParameterSource is another class than click's."""
    return getattr(ctx.get_parameter_source(name), "name", "DEFAULT") in ("DEFAULT", "DEFAULT_MAP")


def _refuse_unnamed_files(output: str | None, rejects: str | None) -> None:
    """An empty name for a file is a usage error, before anything is written
    (``-o ''`` wrote ``..partial`` and ``.rejects.jsonl`` into the current
    directory, then failed at the end asking for a --resume; ``Options``
    refuses an empty ``index``)."""
    for flag, path in (("-o", output), ("--rejects", rejects)):
        if path == "":
            raise OptionsError(f"{flag} needs a file name, not {path!r}")


def _refuse_directories(outputs) -> None:
    """An output, rejects file or index naming a directory (or ending in a path
    separator) is a usage error, before anything is written: the run did all
    its work beside it, then failed to put the file in its place (exit 4, with
    a --resume that could never succeed)."""
    named = list(outputs.paths())
    if outputs.part_records and outputs.output not in (None, "-"):
        named.append(("-o", outputs.output))  # its parts are named after it
    for flag, path in named:
        if path.endswith(("/", os.sep)) or os.path.isdir(path):
            what, example = _FILES[flag]
            raise OptionsError(f"{flag} {path} names a directory: name a file for {what} "
                               f"(e.g. {os.path.join(path, example)})")


_FILES = {"-o": ("the output", "out.jsonl"), "--rejects": ("the rejects", "rejects.jsonl"),
          "--index": ("the dedup index", "index.npz")}


def _fail(message: object, code: int):
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _has_partial(output: str, part_records: int) -> bool:
    """Whether an earlier run left something to continue."""
    from .write import part_path, partial_path

    if not part_records:
        return os.path.lexists(partial_path(output))
    return os.path.lexists(part_path(output, 0)) or os.path.lexists(partial_path(part_path(output, 0)))


def _interrupted(output: str | None, part_records: int, written: int) -> str:
    """What Ctrl-C (or SIGTERM) leaves, and how to go on from it."""
    from .write import compressed, is_stream

    stopped = "Terminated (SIGTERM)" if _terminated() else "Interrupted"
    if output in (None, "-") or is_stream(output):
        return f"{stopped} after {written} records."
    if part_records or not compressed(output):
        return (f"{stopped} after {written} records; {output} was not finished. Run the same command with "
                f"--resume to continue from the records written.")
    return (f"{stopped} after {written} records; {output} was not written (a compressed or Parquet file cannot "
            f"be continued: run the command again, or write parts with --part-records so that --resume can).")


def _roles_of(record: dict) -> tuple[str, ...] | None:
    """A written record's line roles, for the replay into the dedup index (a
    code block is one passage there, as it was when the record was first
    written); None when the record has none or they are not a list of strings."""
    roles = record.get("roles")
    if isinstance(roles, list) and roles and all(isinstance(x, str) for x in roles):
        return tuple(roles)
    return None


def _resume_state(output: str, rejects_path: str | None, options: Options, part_records: int):
    from .write import compressed, cut_parts, keep_records, read_partial, resume_parts

    # What an interrupted run already wrote: the records to keep (cut back to a
    # whole site-boilerplate window, so windows fall where they fell before), the
    # rejects already reported and, for partitioned output, where to go on (part
    # number and the records of that part to write again).
    if part_records:
        records = resume_parts(output)
    else:
        records = read_partial(output)
    keep = len(records)
    if options.strip and options.site_boilerplate:
        keep -= keep % options.site_window
    if part_records:
        first, again = cut_parts(output, part_records, keep)
        where = (first, records[first * part_records: first * part_records + again])
    else:
        keep_records(output, keep)
        where = (0, [])
    done = [(str(r.get("id")), str(r.get("text", "")), r.get("title") if isinstance(r.get("title"), str) else None,
             _roles_of(r)) for r in records[:keep]]
    seen = set()
    if rejects_path and not compressed(rejects_path):
        seen = {(r.get("source"), r.get("line"), r.get("reason")) for r in read_partial(rejects_path)}
    # A compressed rejects file cannot be continued: it is written again whole
    # (every reject comes again as the inputs are read again, and the
    # documents rejected while cleaning are not among the records kept).
    return done, seen, where


def _quiet_stdout_if_gone(exc: OutputError) -> None:
    """A reader that closed standard output (``| head``) would make the
    interpreter's last flush fail with a second message: point it elsewhere."""
    if exc.path == "(standard output)":
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass


def _run(inputs, output, rejects_path, rejects_named: bool, options, summary, quiet: bool,
         resume: bool = False, part_records: int = 0, outputs=None, total: int | None = None) -> int:
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from .pipeline import run
    from .write import JsonlWriter, PartitionedWriter, compressed, open_writer

    console = Console(stderr=True)
    show = not quiet and console.is_terminal
    # With the inputs' size known the bar measures bytes read of the total (so
    # it has an end and an ETA, however many documents a file holds); from
    # stdin it counts documents.
    columns = [TextColumn("cleaning")]
    if total:
        columns += [BarColumn(), DownloadColumn(binary_units=True), TextColumn("eta"), TimeRemainingColumn()]
    columns += [TextColumn("{task.fields[docs]} docs, {task.fields[rate]:.0f}/s, rejected {task.fields[rej]}"),
                TimeElapsedColumn()]
    progress = Progress(*columns, console=console, disable=not show, transient=True)
    done, seen_rejects, (first_part, again) = (_resume_state(output, rejects_path, options, part_records)
                                               if resume else ([], set(), (0, [])))
    writer = (PartitionedWriter(output, part_records, first_part=first_part, keep=again) if part_records
              else open_writer(output, append=resume))
    rejects_writer = (JsonlWriter(rejects_path, append=resume and not compressed(rejects_path),
                                  what="the rejects file") if rejects_path else _StderrRejects())
    exclude = outputs.is_output if outputs is not None else None
    # The index goes in place after the outputs do: saved before them, an
    # interrupt between the two left an index holding records the output did
    # not, and --resume added them again (every id "X#2", each its own copy).
    deferred = bool(options.index) and options.dedup != "off"
    try:
        with writer as out, rejects_writer as rej, progress:
            task = progress.add_task("clean", total=total or None, docs=0, rate=0.0, rej=0)

            def on_reject(r) -> None:
                if (r.source, r.line, r.reason) not in seen_rejects:
                    rej.write(r.to_dict())
                progress.update(task, rej=summary.rejected)

            for record in run(inputs, options, on_reject=on_reject, summary=summary, done=done, exclude=exclude,
                              defer_index=deferred):
                out.write(record.to_dict())
                if show:
                    elapsed = progress.tasks[0].elapsed or 1e-9
                    progress.update(task, completed=summary.bytes_read if total else None, docs=summary.documents_out,
                                    rate=summary.documents_out / elapsed)
        if deferred:
            from .dedup import commit_index

            commit_index(options.index)
            deferred = False
    finally:
        if deferred:
            from .dedup import discard_index

            discard_index(options.index)
    if rejects_path and summary.rejected == 0 and not rejects_named:
        # Leave no empty rejects file behind unless the user asked for one by name.
        try:
            os.unlink(rejects_path)
        except OSError:
            pass
    if not quiet:
        console.print(_summary_line(summary, rejects_path), highlight=False, soft_wrap=True)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


def _summary_line(summary, rejects_path: str | None) -> str:
    line = (f"documents in {summary.documents_in}, out {summary.documents_out}, rejected {summary.rejected}"
            f"{' (' + str(rejects_path) + ')' if summary.rejected and rejects_path else ''}")
    if summary.skipped:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.skipped.items()))
        line += f"; skipped {sum(summary.skipped.values())} WARC records ({kinds})"
    line += (f"; characters removed {summary.removed_share:.1%}; duplicate passages {summary.duplicate_passages}; "
             f"near-duplicate documents {summary.near_duplicates}")
    if summary.index_passages:
        # Memory, not the --index file; the tables' fixed part (some 9 MB)
        # makes a per-passage figure meaningless for small runs, so none is given.
        line += f"; dedup index {summary.index_passages} passages in {summary.index_bytes / 2**20:.0f} MB of memory"
    return line


class _StderrRejects:
    """Rejects go to stderr as JSONL when the output itself is stdout."""

    def __enter__(self):
        return self

    def write(self, obj) -> None:
        from .write import dumps

        try:
            sys.stderr.buffer.write(dumps(obj))
            sys.stderr.flush()
        except OSError as exc:
            raise OutputError("(standard error)", exc, "the rejects", resumable=False) from exc

    def __exit__(self, *exc) -> None:
        return None


def run_cli() -> None:
    from .gcpolicy import relax

    relax()  # this process is the command's own (cleaner/gcpolicy.py says why)
    try:
        app()
    except SystemExit as exc:
        # click reports usage errors with exit code 2 already; keep it.
        raise exc
