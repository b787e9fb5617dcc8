"""Records to JSONL bytes, written atomically and resumably.

A reader never sees a half-written output file: lines go to ``.OUT.partial`` in
the destination's directory, which replaces ``OUT`` only when the run completes.
The partial file holds only whole lines plus at most one torn line at the end
(it is flushed line by line), so a killed run can be resumed from it: the torn
tail is cut off and writing continues after the last whole record.
``.gz`` and ``.zst`` suffixes compress (those outputs cannot be resumed, since a
compressed stream cut at an arbitrary byte cannot be appended to). orjson
options are fixed so the same records always give the same bytes.
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from typing import IO, Any

import orjson

from .errors import OptionsError

_DUMPS_OPTIONS = orjson.OPT_APPEND_NEWLINE
SYNC_SECONDS = 2.0
"""How often the partial output is fsynced: bounds what a power loss can cost
without paying an fsync per record."""


def dumps(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj, option=_DUMPS_OPTIONS)


def partial_path(path: str) -> str:
    """``dir/out.jsonl`` -> ``dir/.out.jsonl.partial``: hidden, so a run whose output
    lies inside its own input directory does not read its own partial output."""
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.partial")


def compressed(path: str) -> bool:
    return path.endswith((".gz", ".zst", ".zstd"))


def read_partial(path: str) -> list[dict[str, Any]]:
    """Whole records already in ``OUT.partial``; a torn last line is cut off the
    file so appending continues on a line boundary."""
    part = partial_path(path)
    if compressed(path):
        raise OptionsError("--resume needs an uncompressed output file (a .gz/.zst stream cannot be resumed)")
    if not os.path.exists(part):
        return []
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


def keep_records(path: str, count: int) -> None:
    """Cut ``OUT.partial`` down to its first ``count`` records."""
    part = partial_path(path)
    if not os.path.exists(part):
        return
    size = 0
    with open(part, "rb") as f:
        for n, line in enumerate(f):
            if n >= count:
                break
            size += len(line)
    with open(part, "r+b") as f:
        f.truncate(size)


class JsonlWriter:
    """Context manager: ``with JsonlWriter(path) as w: w.write(dict)``.

    ``path`` None or '-' writes to stdout (no atomicity possible there). On an
    exception inside the block the partial file is kept (for ``--resume``) and
    any earlier file at ``path`` is left untouched. ``append`` continues an
    existing partial file instead of starting a new one.
    """

    def __init__(self, path: str | None, *, append: bool = False):
        self.path = None if path in (None, "-") else path
        self.append = append
        self._tmp: str | None = None
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] | None = None
        self._synced = time.monotonic()
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        if self.path is None:
            self._out = sys.stdout.buffer
            return self
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        self._tmp = partial_path(self.path)
        self._raw = open(self._tmp, "ab" if self.append and not compressed(self.path) else "wb")
        if self.path.endswith(".gz"):
            # mtime=0 and no file name: the same records give the same bytes.
            self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        elif self.path.endswith((".zst", ".zstd")):
            import zstandard

            self._out = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
        else:
            self._out = self._raw
        return self

    def write(self, obj: dict[str, Any]) -> None:
        assert self._out is not None
        self._out.write(dumps(obj))
        self.count += 1
        if self._out is self._raw:
            # Whole lines reach the file as they are produced, so a killed run
            # leaves a partial file that --resume can continue.
            self._raw.flush()
            now = time.monotonic()
            if now - self._synced > SYNC_SECONDS:
                os.fsync(self._raw.fileno())
                self._synced = now

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path is None:
            if self._out is not None:
                self._out.flush()
            return
        assert self._raw is not None and self._out is not None and self._tmp is not None
        if self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        if exc_type is None:
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)


def default_rejects_path(output: str | None) -> str | None:
    """``out.jsonl`` -> ``out.rejects.jsonl`` (compression suffix kept); stdout -> None (stderr)."""
    if output in (None, "-"):
        return None
    base, comp = output, ""
    for suffix in (".gz", ".zst", ".zstd"):
        if base.endswith(suffix):
            base, comp = base[: -len(suffix)], suffix
            break
    for suffix in (".jsonl", ".ndjson", ".json"):
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
    """Every record of a finished output file (compressed or not)."""
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
        self._writer: JsonlWriter | None = None

    def __enter__(self) -> "PartitionedWriter":
        self._open()
        for obj in self._keep:
            self._writer.write(obj)
        return self

    def _open(self) -> None:
        self._writer = JsonlWriter(part_path(self.path, self.part)).__enter__()

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
