"""Records to JSONL bytes, written atomically and resumably.

A reader never sees a half-written output file: lines go to ``.OUT.partial`` in
the destination's directory, which replaces ``OUT`` only when the run completes.
The partial file holds only whole lines plus at most one torn line at the end
(it is flushed line by line), so a killed run can be resumed from it: the torn
tail is cut off and writing continues after the last whole record.
``.gz`` and ``.zst`` suffixes compress (those outputs cannot be resumed, since a
compressed stream cut at an arbitrary byte cannot be appended to); ``.parquet``
writes Parquet (cleaner.parquet; not resumable either, its index being at the
end). orjson options are fixed so the same records always give the same bytes.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

import orjson

from .errors import OptionsError, OutputError

_DUMPS_OPTIONS = orjson.OPT_APPEND_NEWLINE
SYNC_SECONDS = 2.0
"""How often the partial output is fsynced: bounds what a power loss can cost
without paying an fsync per record."""


def dumps(obj: dict[str, Any]) -> bytes:
    """One JSON line. Every reader replaces lone surrogates, which UTF-8
    cannot hold, but a value can still come from elsewhere (a library
    caller's metadata, a field a page's markup gave): such a record is
    written with them replaced (U+FFFD), never left to stop the run."""
    try:
        return orjson.dumps(obj, option=_DUMPS_OPTIONS)
    except orjson.JSONEncodeError:
        from .read import scrub_tree

        return orjson.dumps(scrub_tree(obj), option=_DUMPS_OPTIONS)


def partial_path(path: str) -> str:
    """``dir/out.jsonl`` -> ``dir/.out.jsonl.partial``: hidden, so a run whose output
    lies inside its own input directory does not read its own partial output."""
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.partial")


def compressed(path: str) -> bool:
    """Whether an output cannot be continued where it stopped: a compressed
    stream, or Parquet (whose index is written last)."""
    return path.endswith((".gz", ".zst", ".zstd")) or is_parquet(path)


def is_parquet(path: str | None) -> bool:
    return path is not None and path.lower().endswith((".parquet", ".pq"))


def open_writer(path: str | None, *, append: bool = False, what: str = "the output"):
    """The writer for ``path``: Parquet for ``.parquet``, else JSONL."""
    if is_parquet(path):
        from .parquet import ParquetWriter

        return ParquetWriter(path, what=what)  # type: ignore[arg-type]
    return JsonlWriter(path, append=append, what=what)


def read_partial(path: str) -> list[dict[str, Any]]:
    """Whole records already in ``OUT.partial``; a torn last line is cut off the
    file so appending continues on a line boundary."""
    part = partial_path(path)
    if compressed(path):
        raise OptionsError("--resume needs an uncompressed JSONL output file (a .gz/.zst stream or a Parquet file "
                           "cannot be continued; --part-records keeps the finished parts of those)")
    if not os.path.lexists(part):
        return []
    _own_partial(part)
    records: list[dict[str, Any]] = []
    good = 0
    with open(part, "rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            if not isinstance(obj, dict):
                break
            records.append(obj)
            good += len(line)
    with open(part, "r+b") as f:
        f.truncate(good)
    return records


def _own_partial(part: str) -> None:
    """--resume cuts the partial file back: never through a link planted under its name."""
    st = os.lstat(part)
    if os.path.islink(part) or not os.path.isfile(part) or st.st_nlink > 1:
        raise OptionsError(f"{part} is not a plain partial output file (a link?); remove it and run again without "
                           f"--resume")


def keep_records(path: str, count: int) -> None:
    """Cut ``OUT.partial`` down to its first ``count`` records."""
    part = partial_path(path)
    if not os.path.lexists(part):
        return
    _own_partial(part)
    size = 0
    with open(part, "rb") as f:
        for n, line in enumerate(f):
            if n >= count:
                break
            size += len(line)
    with open(part, "r+b") as f:
        f.truncate(size)



def publish(f: IO[bytes], tmp: str, path: str) -> None:
    """Make a finished temporary output the file ``path``: its bytes on disk
    first (flush, fsync), then readable as a normal file, then renamed over
    ``path`` in one step, so a reader sees the old file or the whole new one.
    Raises OSError (the callers name the file and the next step)."""
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)

class JsonlWriter:
    """Context manager: ``with JsonlWriter(path) as w: w.write(dict)``.

    ``path`` None or '-' writes to stdout (no atomicity possible there). On an
    exception inside the block the partial file is kept (for ``--resume``) and
    any earlier file at ``path`` is left untouched. ``append`` continues an
    existing partial file instead of starting a new one.
    """

    def __init__(self, path: str | None, *, append: bool = False, what: str = "the output"):
        self.path = None if path in (None, "-") else path
        self.append = append
        self.what = what
        self.direct = self.path is not None and is_stream(self.path)
        self._tmp: str | None = None
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] | None = None
        self._synced = time.monotonic()
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        if self.path is None:
            self._out = sys.stdout.buffer
            return self
        if self.direct:
            # A device or pipe (/dev/stdout, /dev/null, a FIFO) is written as it
            # is: replacing it by a regular file would break it for everyone.
            # Appending: a file the shell opened for it (``-o /dev/stdout >>
            # log``) keeps what it held, as the shell's own writes would.
            try:
                self._raw = self._out = open(self.path, "ab")
            except OSError as exc:
                raise self._error(exc) from exc
            return self
        self._tmp = partial_path(self.path)
        try:
            directory = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(directory, exist_ok=True)
            self._raw = _open_partial(self._tmp, append=self.append and not compressed(self.path))
        except OSError as exc:
            raise self._error(exc) from exc
        if self.path.endswith(".gz"):
            # mtime=0 and no file name: the same records give the same bytes.
            self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        elif self.path.endswith((".zst", ".zstd")):
            import zstandard

            self._out = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
        else:
            self._out = self._raw
        return self

    def _error(self, exc: OSError) -> OutputError:
        if self.path is None:
            return OutputError("(standard output)", exc, "the output", resumable=False)
        return OutputError(self.path, exc, self.what, resumable=not compressed(self.path) and not self.direct)

    def write(self, obj: dict[str, Any]) -> None:
        assert self._out is not None
        try:
            self._out.write(dumps(obj))
            self.count += 1
            if self._out is self._raw:
                # Whole lines reach the file as they are produced, so a killed run
                # leaves a partial file that --resume can continue.
                self._raw.flush()
                now = time.monotonic()
                # A pipe or device cannot be fsynced (EINVAL), and is no partial file to keep.
                if now - self._synced > SYNC_SECONDS and not self.direct:
                    os.fsync(self._raw.fileno())
                    self._synced = now
        except OSError as exc:
            raise self._error(exc) from exc

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            # The run failed: keep what was written for --resume, and let
            # nothing here (a full disk fails the flush too) hide the first error.
            self._abandon()
            return
        try:
            if self.path is None:
                if self._out is not None:
                    self._out.flush()
                return
            assert self._raw is not None and self._out is not None
            if self.direct:
                self._raw.close()
                return
            assert self._tmp is not None
            if self._out is not self._raw:
                self._out.close()
            publish(self._raw, self._tmp, self.path)
        except OSError as exc:
            self._abandon()
            raise self._error(exc) from exc

    def _abandon(self) -> None:
        if self.path is None or self._raw is None:
            return
        for step in ((self._out.close if self._out is not self._raw else None), self._raw.flush, self._raw.close):
            if step is not None:
                try:
                    step()
                except (OSError, ValueError):
                    pass


def _open_partial(path: str, *, append: bool) -> IO[bytes]:
    """The hidden partial file, opened without following a link planted under
    its name (a symbolic or hard link to another file would have the output
    written into that file): a fresh run replaces whatever is there, a resumed
    one continues only a plain file of its own."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if append and os.path.lexists(path):
        st = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path) or st.st_nlink > 1:
            raise OptionsError(f"{path} is not a plain partial output file (a link?); remove it and run again "
                               f"without --resume")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | nofollow)
        return os.fdopen(fd, "ab")
    return open_fresh(path)


def open_fresh(path: str) -> IO[bytes]:
    """A new file at ``path`` for writing, whatever was there: a link planted
    under the name (symbolic or hard) is removed, never written through, and
    the file is created anew (O_EXCL, O_NOFOLLOW), so a scratch file (a
    partial output, a fingerprint's or an index's temporary) can never be
    another file, an input among them."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    return os.fdopen(fd, "wb")


def is_special(path: str) -> bool:
    """A device, pipe or socket (through links too): nothing a run could
    overwrite, so no input to protect from it (``refuse_overwrites``)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


_FD_LINK = re.compile(r"/(?:proc/(?:self|thread-self|\d+)|dev)/fd/\d+")


def is_stream(path: str) -> bool:
    """An output written as it is, never replaced by a file of its own: a
    device, pipe or socket, or a name for an open file descriptor
    (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``, or a link to one)
    whatever it points at. ``-o /dev/stdout > out.jsonl`` points at a regular
    file; publishing there by renaming would replace the system's link (or
    the user's) instead of writing into what the shell opened."""
    return is_special(path) or _names_descriptor(path)


def _names_descriptor(path: str) -> bool:
    seen = 0
    while seen < 40:  # the kernel's own limit on links followed
        if _FD_LINK.fullmatch(os.path.normpath(os.path.abspath(path))):
            return True
        try:
            target = os.readlink(path)
        except OSError:  # not a link (or gone): the end of the chain
            return False
        path = os.path.join(os.path.dirname(os.path.abspath(path)), target)
        seen += 1
    return False


def default_rejects_path(output: str | None) -> str | None:
    """``out.jsonl`` -> ``out.rejects.jsonl`` (compression suffix kept); stdout,
    or a device such as /dev/stdout, -> None (stderr)."""
    if output in (None, "-") or is_stream(output):
        return None
    base, comp = output, ""
    for suffix in (".gz", ".zst", ".zstd"):
        if base.endswith(suffix):
            base, comp = base[: -len(suffix)], suffix
            break
    for suffix in (".jsonl", ".ndjson", ".json", ".parquet", ".pq"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}.rejects.jsonl{comp}"


def part_path(path: str, k: int) -> str:
    """``out/data.jsonl.gz`` -> ``out/data-00003.jsonl.gz``: the part number goes
    before the suffixes, so every part keeps the format the name promises."""
    head, tail = os.path.split(path)
    stem, dot, suffixes = tail.partition(".")
    return os.path.join(head, f"{stem}-{k:05d}{dot}{suffixes}")


def read_records(path: str) -> list[dict[str, Any]]:
    """Every record of a finished output file (compressed or not, or Parquet)."""
    if is_parquet(path):
        from .parquet import read_records as read_parquet

        return read_parquet(path)
    if path.endswith(".gz"):
        f: IO[bytes] = gzip.open(path, "rb")
    elif path.endswith((".zst", ".zstd")):
        import zstandard

        f = zstandard.open(path, "rb")
    else:
        f = open(path, "rb")
    with f:
        return [orjson.loads(line) for line in f if line.strip()]


class PartitionedWriter:
    """Output as numbered parts of ``part_records`` records each (the last one
    shorter): ``-o out/data.jsonl --part-records N`` writes ``out/data-00000.jsonl``,
    ``out/data-00001.jsonl``, ... as other tools (Spark, Dask, Hugging Face
    datasets) read them. Each part appears atomically once it is full, so a
    reader may consume finished parts while the run goes on; the part being
    written sits in its hidden ``.partial`` file like a single output does.

    ``keep`` (resuming) is the records a killed run already wrote in the
    current part; they are written again into a fresh part file, which also
    works for compressed parts."""

    def __init__(self, path: str, part_records: int, *, first_part: int = 0,
                 keep: list[dict[str, Any]] | None = None):
        if part_records < 1:
            raise OptionsError("--part-records must be at least 1")
        self.path, self.part_records = path, part_records
        self.part = first_part
        self._keep = keep or []
        self._writer: Any = None

    def __enter__(self) -> "PartitionedWriter":
        self._open()
        for obj in self._keep:
            self._writer.write(obj)
        return self

    def _open(self) -> None:
        self._writer = open_writer(part_path(self.path, self.part)).__enter__()

    def write(self, obj: dict[str, Any]) -> None:
        assert self._writer is not None
        if self._writer.count >= self.part_records:
            self._writer.__exit__(None, None, None)
            self.part += 1
            self._open()
        self._writer.write(obj)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer is None:
            return
        empty_tail = exc_type is None and self._writer.count == 0 and self.part > 0
        self._writer.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return
        if empty_tail:  # the previous part ended exactly at the last record
            os.unlink(part_path(self.path, self.part))
            self.part -= 1
        # Parts an earlier, longer run left behind would read as part of this one.
        k = self.part + 1
        while os.path.exists(part_path(self.path, k)):
            os.unlink(part_path(self.path, k))
            k += 1


def resume_parts(path: str) -> list[dict[str, Any]]:
    """Records of an interrupted partitioned run, in order: the finished parts,
    then the whole lines of the current part's partial file."""
    records: list[dict[str, Any]] = []
    k = 0
    while os.path.exists(part_path(path, k)):
        records.extend(read_records(part_path(path, k)))
        k += 1
    current = part_path(path, k)
    if not compressed(path) and os.path.exists(partial_path(current)):
        records.extend(read_partial(current))
    return records


def cut_parts(path: str, part_records: int, keep: int) -> tuple[int, int]:
    """Remove what lies past the first ``keep`` records of a partitioned output:
    later parts and partial files are deleted. Returns (the part to continue,
    how many of its records to write again)."""
    first, again = divmod(keep, part_records)
    k = first
    while True:
        done, part = part_path(path, k), partial_path(part_path(path, k))
        found = False
        for p in (done, part):
            if os.path.exists(p):
                os.unlink(p)
                found = True
        if not found and k > first:
            break
        k += 1
    return first, again


# --- outputs never overwrite inputs ------------------------------------------------

PART_PATTERN = re.compile(r"-\d{5}")


@dataclass(frozen=True)
class Outputs:
    """The files a run writes: the output (or its numbered parts), the rejects
    file, the dedup index. Known before anything is written, so that they can be
    checked against the inputs (``refuse_overwrites``) and left out of a walk
    of an input directory that holds them (``is_output``)."""

    output: str | None
    rejects: str | None = None
    index: str | None = None
    part_records: int = 0

    def paths(self) -> list[tuple[str, str]]:
        """(what, path) of each named file; parts as their first part's name."""
        out = []
        if self.output not in (None, "-"):
            out.append(("-o", part_path(self.output, 0) if self.part_records else self.output))
        if self.rejects:
            out.append(("--rejects", self.rejects))
        if self.index:
            out.append(("--index", self.index))
        return out

    def _part_of_output(self, path: str) -> bool:
        """Whether ``path`` is (or would be) one of the numbered parts."""
        if not self.part_records or self.output in (None, "-"):
            return False
        head, tail = os.path.split(self.output)
        stem, dot, suffixes = tail.partition(".")
        phead, ptail = os.path.split(path)
        if not (ptail.startswith(stem) and ptail.endswith(dot + suffixes)):
            return False
        middle = ptail[len(stem): len(ptail) - len(dot + suffixes)]
        return bool(PART_PATTERN.fullmatch(middle)) and _same_dir(head, phead)

    def scratch(self) -> list[tuple[str, str]]:
        """(what, path) of the files a run writes beside its named outputs and
        then renames or removes: the hidden partial files, the resume
        fingerprint, the index's temporary file. Naming one of them as an
        input (or as another output) would have the run destroy it."""
        from .resume import fingerprint_path

        out = []
        for what, path in self.paths():
            if is_stream(path):
                continue
            if what == "--index":
                out.append((what, temp_path(path)))
                continue
            out.append((what, partial_path(path)))
            if what == "-o":
                out.append((what, fingerprint_path(self.output)))  # type: ignore[arg-type]
                out.append((what, fingerprint_path(self.output) + ".tmp"))  # type: ignore[arg-type]
        return out

    def _scratch_of_parts(self, path: str) -> bool:
        """Whether ``path`` is (or would be) a numbered part's partial file."""
        head, tail = os.path.split(path)
        return tail.startswith(".") and tail.endswith(".partial") and \
            self._part_of_output(os.path.join(head, tail[1:-len(".partial")]))

    def is_output(self, path: str) -> bool:
        """Whether a file found while walking the inputs is one of this run's
        outputs or of the files it writes beside them (``scratch``): a glob
        such as ``d/.*`` matches the hidden partial output, which would be
        read back as it grows, without end."""
        name = os.path.basename(path)
        for out in self._written:
            if os.path.basename(out) == name and _same_dir(os.path.dirname(out), os.path.dirname(path)):
                return True
        return self._part_of_output(path) or self._scratch_of_parts(path)

    @cached_property
    def _written(self) -> tuple[str, ...]:
        """The paths of ``paths`` and ``scratch``, worked out once a run."""
        return tuple(p for _, p in [*self.paths(), *self.scratch()])


def temp_path(path: str) -> str:
    """``dir/index.npz`` -> ``dir/.index.npz.tmp``: where a file written whole
    at the end (the dedup index) is made before it is renamed over ``path``."""
    return os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.tmp")


def _same_dir(a: str, b: str) -> bool:
    return os.path.realpath(a or ".") == os.path.realpath(b or ".")


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _same_file(a: str, b: str) -> bool:
    """Same path once links are resolved, or (both existing) the same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def refuse_overwrites(inputs: list[str], outputs: Outputs, *, resume: bool = False) -> None:
    """Raise OptionsError, before anything is written, when an output would
    overwrite an input or another output: the same path, the same file through a
    link, or an existing file inside an input directory, where the walk would
    read it as input and the run then replace it."""
    from .read import expand_glob

    named = outputs.paths()
    scratch = outputs.scratch()
    for what_a, a in named:
        side = next((what_b for what_b, b in scratch if _same_file(a, b)), "-o" if outputs._scratch_of_parts(a)
                    else None)
        if side is not None:
            raise OptionsError(f"{what_a} {a} is a file cleaner writes for {side} while it runs and then "
                               f"renames or removes; choose another {what_a} file")
    for i, (what_a, a) in enumerate(named):
        for what_b, b in named[i + 1:]:
            # Two streams may share what they point at (``-o /dev/stdout
            # --rejects /dev/stderr`` on one terminal, or with ``2>&1``): both
            # are written in place, line by line, and neither replaces the other.
            same = _same_file(a, b) and not (what_b != "--index" and is_stream(a) and is_stream(b))
            if same or (what_b != "-o" and outputs._part_of_output(b)):
                raise OptionsError(f"{what_a} {a} and {what_b} {b} are the same file; give them different names")
    files: list[str] = []
    dirs: list[str] = []
    for given in inputs:
        if given == "-":
            continue
        if os.path.isdir(given):
            dirs.append(given)
        elif os.path.lexists(given):
            files.append(given)
        elif set("*?[") & set(given):
            for m in expand_glob(given):
                (dirs if os.path.isdir(m) else files).append(m)
    # Identities first: one stat per input, however many a glob gave.
    # A device or pipe (/dev/stdout) is written, never replaced: nothing to protect.
    targets = [(what, out, _identity(out), os.path.realpath(out)) for what, out in named if not is_special(out)]
    # Standard output redirected into a file (``>> in.jsonl``) is that file:
    # appended to while it is read, it grew without end.
    redirected = _stdout_file() if outputs.output in (None, "-") else None
    if redirected is not None:
        targets.append(("standard output", "(redirected)", redirected[0], "\0"))
    for f in files:
        ident = _identity(f)
        for what, out, out_ident, out_real in targets:
            same = (ident is not None and ident == out_ident) or \
                (ident is None or os.path.islink(f)) and os.path.realpath(f) == out_real
            if same and what == "standard output":
                raise OptionsError(f"standard output is redirected into the input {f}: cleaner never overwrites "
                                   f"its inputs (it would read what it appends, without end); redirect it "
                                   f"elsewhere, or write with -o")
            if same or (what == "-o" and outputs._part_of_output(f)):
                raise OptionsError(f"{what} {out} is the input {f}: cleaner never overwrites its inputs; "
                                   f"choose another {what} file")
        for what, side in scratch:
            if (ident is not None and ident == _identity(side)) or os.path.realpath(f) == os.path.realpath(side) \
                    or (what == "-o" and outputs._scratch_of_parts(f)):
                raise OptionsError(f"the input {f} is a file cleaner writes for {what} while it runs and then "
                                   f"renames or removes: cleaner never overwrites its inputs; rename the input, or "
                                   f"choose another {what} file")
    for what, out in named:
        if what == "--index":
            continue  # an existing index is loaded first (a file that is not one stops the run), never clobbered
        real = os.path.realpath(out)
        for d in dirs:
            root = os.path.realpath(d)
            if not real.startswith(root.rstrip(os.sep) + os.sep):
                continue
            rel = os.path.relpath(real, root)
            hidden = any(part.startswith(".") for part in rel.split(os.sep))
            exists = [p for p in _existing(out, outputs if what == "-o" else None)]
            if exists and not hidden and not (resume and what == "-o" and outputs.part_records):
                raise OptionsError(f"{what} {exists[0]} already exists inside the input directory {d}, where it "
                                   f"would be read as input and then replaced: remove it, or write {what} outside "
                                   f"{d}")
    if redirected is not None and redirected[1] is not None:
        for d in dirs:
            root = os.path.realpath(d)
            if redirected[1].startswith(root.rstrip(os.sep) + os.sep):
                raise OptionsError(f"standard output is redirected into {redirected[1]}, inside the input directory "
                                   f"{d}, where it would be read as input while it grows: write it outside {d}")


def _stdout_file() -> tuple[tuple[int, int], str | None] | None:
    """The identity of the regular file standard output is redirected into,
    and its path where the system names it (``/proc/self/fd/1``); None for a
    terminal, a pipe or a device."""
    try:
        fd = sys.stdout.fileno()
        st = os.fstat(fd)
    except (OSError, ValueError, AttributeError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    real = os.path.realpath(f"/proc/self/fd/{fd}")
    return (st.st_dev, st.st_ino), (real if os.path.isabs(real) and os.path.isfile(real) else None)


def _existing(out: str, outputs: Outputs | None) -> list[str]:
    """``out`` if it exists; for partitioned output every existing part."""
    if outputs is None or not outputs.part_records:
        return [out] if os.path.lexists(out) else []
    # Every file named as a part, not only a run from -00000 up: a lone
    # out-00002.jsonl inside an input directory was left out of the walk (as
    # a part of the output) and then removed as a longer run's leftover.
    head, tail = os.path.split(outputs.output)  # type: ignore[arg-type]
    stem, dot, suffixes = tail.partition(".")
    named = re.compile(re.escape(stem) + r"-\d{5,}" + re.escape(dot + suffixes))
    try:
        names = os.listdir(head or ".")
    except OSError:
        return []
    return sorted(os.path.join(head, n) for n in names if named.fullmatch(n))
