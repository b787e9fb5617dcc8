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
