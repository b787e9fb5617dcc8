"""The ``cleaner`` command: parses options, calls the library, reports on stderr.

Exit codes: 0 all documents done; 3 done, but some inputs were rejected (see
the rejects file); 2 usage error (bad option, or an output that would
overwrite an input or another output; nothing was written); 1 fatal error
(nothing or only part was written; the output file is not replaced); 4 an
output could not be written (disk full, permission denied, directory gone:
what was written is kept for --resume).
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__
from .errors import CleanerError, OptionsError, OutputError, WorkerLostError
from .options import Options
from .pipeline import Summary, run
from .records import Reject
from .write import (JsonlWriter, Outputs, PartitionedWriter, cut_parts, default_rejects_path, keep_records,
                    is_special, open_writer, read_partial, refuse_overwrites, resume_parts)

EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_REJECTS, EXIT_WRITE = 0, 1, 2, 3, 4
MAX_RESTARTS = 3
"""Times a run that lost a worker (and the dedup index shards it held) is
continued from its own partial output before the error is final."""

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn messy web documents into clean, de-duplicated JSONL.")

_DEFAULTS = Options(workers=1)


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
    inputs: List[str] = typer.Argument(..., help="Files, directories (recursive), globs, or '-' for stdin."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output JSONL ('-' or omitted: stdout; "
                                         ".gz/.zst compress)."),
    rejects: Optional[str] = typer.Option(None, "--rejects", help="Rejects JSONL (default: OUTPUT.rejects.jsonl "
                                          "next to the output, stderr when writing to stdout)."),
    format: str = typer.Option(_DEFAULTS.format, "--format", help="auto|html|text|jsonl."),
    html_field: str = typer.Option(_DEFAULTS.html_field, "--html-field", help="JSONL field holding HTML."),
    text_field: str = typer.Option(_DEFAULTS.text_field, "--text-field", help="JSONL field holding text."),
    id_field: str = typer.Option(_DEFAULTS.id_field, "--id-field", help="JSONL field holding the id."),
    url_field: str = typer.Option(_DEFAULTS.url_field, "--url-field", help="JSONL field holding the url."),
    dedup: str = typer.Option(_DEFAULTS.dedup, "--dedup", help="mark|drop|off."),
    threshold: float = typer.Option(_DEFAULTS.threshold, "--threshold", help="Passage similarity threshold."),
    shingle: int = typer.Option(_DEFAULTS.shingle, "--shingle", help="Character n-gram size."),
    num_perm: int = typer.Option(_DEFAULTS.num_perm, "--num-perm", help="MinHash permutations."),
    doc_threshold: float = typer.Option(_DEFAULTS.doc_threshold, "--doc-threshold",
                                        help="Share of a document covered by shared spans that makes it a "
                                             "near duplicate."),
    min_passage_chars: int = typer.Option(_DEFAULTS.min_passage_chars, "--min-passage-chars",
                                          help="Shortest passage indexed for dedup."),
    index: Optional[str] = typer.Option(None, "--index", help="Persistent dedup index to load and extend."),
    strip: bool = typer.Option(_DEFAULTS.strip, "--strip/--no-strip", help="Remove site chrome."),
    site_boilerplate: bool = typer.Option(_DEFAULTS.site_boilerplate, "--site-boilerplate/--no-site-boilerplate",
                                          help="Remove lines repeated across pages of one site."),
    site_min_pages: int = typer.Option(_DEFAULTS.site_min_pages, "--site-min-pages"),
    site_min_share: float = typer.Option(_DEFAULTS.site_min_share, "--site-min-share"),
    site_window: int = typer.Option(_DEFAULTS.site_window, "--site-window",
                                    help="Documents per window of the site-boilerplate stage."),
    favor_precision: bool = typer.Option(_DEFAULTS.favor_precision, "--favor-precision/--no-favor-precision",
                                         help="Ask trafilatura for precision over recall."),
    favor_recall: bool = typer.Option(_DEFAULTS.favor_recall, "--favor-recall/--no-favor-recall",
                                      help="Ask trafilatura for recall (cleaner's classifier restores precision)."),
    include_removed_text: bool = typer.Option(_DEFAULTS.include_removed_text,
                                              "--include-removed-text/--no-include-removed-text",
                                              help="Keep the removed text in removed[]."),
    follow_symlinks: bool = typer.Option(_DEFAULTS.follow_symlinks, "--follow-symlinks",
                                         help="Read files that links inside the inputs point at outside them "
                                              "(default: rejected as outside-input)."),
    max_bytes: int = typer.Option(_DEFAULTS.max_bytes, "--max-bytes", help="Largest document accepted."),
    doc_timeout: float = typer.Option(_DEFAULTS.doc_timeout, "--doc-timeout", help="Seconds per document."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Worker processes (default: all cores)."),
    engine: str = typer.Option(_DEFAULTS.engine, "--engine", help="local|dask."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from .OUTPUT.partial."),
    part_records: int = typer.Option(0, "--part-records", help="Write the output as numbered parts of this many "
                                     "records (OUT-00000.jsonl, ...); 0: one file."),
) -> None:
    """Clean INPUTS into one JSONL record per document."""
    try:
        kwargs = dict(format=format, html_field=html_field, text_field=text_field, id_field=id_field,
                      url_field=url_field, dedup=dedup, threshold=threshold, shingle=shingle, num_perm=num_perm,
                      doc_threshold=doc_threshold, min_passage_chars=min_passage_chars, index=index, strip=strip,
                      site_boilerplate=site_boilerplate, site_min_pages=site_min_pages,
                      site_min_share=site_min_share, site_window=site_window, favor_precision=favor_precision,
                      favor_recall=favor_recall, follow_symlinks=follow_symlinks,
                      include_removed_text=include_removed_text, max_bytes=max_bytes, doc_timeout=doc_timeout,
                      engine=engine, scheduler=scheduler)
        if workers is not None:
            kwargs["workers"] = workers
        options = Options(**kwargs)
    except OptionsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    if resume and (output in (None, "-") or is_special(output)):
        typer.echo("Error: --resume needs an output file (-o OUT), not stdout", err=True)
        raise typer.Exit(EXIT_USAGE)
    if part_records and output in (None, "-"):
        typer.echo("Error: --part-records needs an output file name (-o OUT) to number, not stdout", err=True)
        raise typer.Exit(EXIT_USAGE)
    if part_records < 0:
        typer.echo("Error: --part-records must be 0 (one file) or more", err=True)
        raise typer.Exit(EXIT_USAGE)
    rejects_path = rejects or default_rejects_path(output)
    outputs = Outputs(output, rejects_path, index, part_records)
    try:
        refuse_overwrites(inputs, outputs, resume=resume)
    except OptionsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    summary = Summary()
    try:
        if index and options.dedup != "off" and os.path.exists(index):
            from .dedup import check_index

            check_index(index, options)  # a wrong file stops the run before anything is written
        for attempt in range(MAX_RESTARTS + 1):
            try:
                code = _run(inputs, output, rejects_path, rejects is not None, options, summary, quiet, resume,
                            part_records, outputs)
                break
            except WorkerLostError as exc:
                # What was written is whole records: continue from it on fresh
                # workers, as --resume would (stdout cannot be continued).
                if output in (None, "-") or is_special(output) or attempt == MAX_RESTARTS:
                    raise
                if not quiet:
                    typer.echo(f"Warning: {exc}; continuing from the {output} written so far", err=True)
                resume, summary = True, Summary()
    except OutputError as exc:
        _quiet_stdout_if_gone(exc)
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_WRITE)
    except OptionsError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE)
    except CleanerError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(EXIT_FATAL)
    except KeyboardInterrupt:
        typer.echo("Interrupted; the output file was not written.", err=True)
        raise typer.Exit(130)
    raise typer.Exit(code)


def _resume_state(output: str, rejects_path: str | None, options: Options, part_records: int):
    """What an interrupted run already wrote: the records to keep (cut back to a
    whole site-boilerplate window, so windows fall where they fell before), the
    rejects already reported and, for partitioned output, where to go on
    (part number and the records of that part to write again)."""
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
    done = [(str(r.get("id")), str(r.get("text", ""))) for r in records[:keep]]
    seen = set()
    if rejects_path:
        seen = {(r.get("source"), r.get("line"), r.get("reason")) for r in read_partial(rejects_path)}
    return done, seen, where


def _quiet_stdout_if_gone(exc: OutputError) -> None:
    """A reader that closed standard output (``| head``) would make the
    interpreter's last flush fail with a second message: point it elsewhere."""
    if exc.path == "(standard output)":
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass


def _run(inputs, output, rejects_path, rejects_named: bool, options, summary: Summary, quiet: bool,
         resume: bool = False, part_records: int = 0, outputs: Outputs | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    show = not quiet and console.is_terminal
    progress = Progress(TextColumn("cleaning"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]:.0f} docs/s  rejected {task.fields[rej]}"),
                        TimeElapsedColumn(), console=console, disable=not show, transient=True)
    done, seen_rejects, (first_part, again) = (_resume_state(output, rejects_path, options, part_records)
                                               if resume else ([], set(), (0, [])))
    writer = (PartitionedWriter(output, part_records, first_part=first_part, keep=again) if part_records
              else open_writer(output, append=resume))
    rejects_writer = (JsonlWriter(rejects_path, append=resume, what="the rejects file") if rejects_path
                      else _StderrRejects())
    exclude = outputs.is_output if outputs is not None else None
    with writer as out, rejects_writer as rej, progress:
        task = progress.add_task("clean", total=None, rate=0.0, rej=0)

        def on_reject(r: Reject) -> None:
            if (r.source, r.line, r.reason) not in seen_rejects:
                rej.write(r.to_dict())
            progress.update(task, rej=summary.rejected)

        for record in run(inputs, options, on_reject=on_reject, summary=summary, done=done, exclude=exclude):
            out.write(record.to_dict())
            if show:
                elapsed = progress.tasks[0].elapsed or 1e-9
                progress.update(task, advance=1, rate=summary.documents_out / elapsed)
    if rejects_path and summary.rejected == 0 and not rejects_named:
        # Leave no empty rejects file behind unless the user asked for one by name.
        try:
            os.unlink(rejects_path)
        except OSError:
            pass
    if not quiet:
        console.print(
            f"documents in {summary.documents_in}, out {summary.documents_out}, rejected {summary.rejected}"
            f"{' (' + str(rejects_path) + ')' if summary.rejected and rejects_path else ''}; "
            f"characters removed {summary.removed_share:.1%}; duplicate passages {summary.duplicate_passages}; "
            f"near-duplicate documents {summary.near_duplicates}"
            + (f"; dedup index {summary.index_passages} passages, {summary.index_bytes / 2**20:.0f} MB "
               f"({summary.index_bytes / summary.index_passages:.0f} bytes each)" if summary.index_passages else ""),
            highlight=False, soft_wrap=True)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


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
    try:
        app()
    except SystemExit as exc:
        # click reports usage errors with exit code 2 already; keep it.
        raise exc
