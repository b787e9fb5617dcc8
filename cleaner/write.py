"""Records to JSONL bytes, written atomically.

A reader never sees a half-written output file: lines go to a temporary file
in the destination's directory, which replaces the destination only when the
run completes. ``.gz`` and ``.zst`` suffixes compress. orjson options are fixed
so the same records always give the same bytes.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
from typing import IO, Any

import orjson

_DUMPS_OPTIONS = orjson.OPT_APPEND_NEWLINE


def dumps(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj, option=_DUMPS_OPTIONS)


class JsonlWriter:
    """Context manager: ``with JsonlWriter(path) as w: w.write(dict)``.

    ``path`` None or '-' writes to stdout (no atomicity possible there). On an
    exception inside the block the temporary file is removed and any earlier
    file at ``path`` is left untouched.
    """

    def __init__(self, path: str | None):
        self.path = None if path in (None, "-") else path
        self._tmp: str | None = None
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] | None = None
        self.count = 0

    def __enter__(self) -> "JsonlWriter":
        if self.path is None:
            self._out = sys.stdout.buffer
            return self
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix=".cleaner-", suffix=".tmp", dir=directory)
        self._raw = os.fdopen(fd, "wb")
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

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.path is None:
            if self._out is not None:
                self._out.flush()
            return
        assert self._raw is not None and self._out is not None and self._tmp is not None
        try:
            if self._out is not self._raw:
                self._out.close()
            self._raw.flush()
            if exc_type is None:
                os.fsync(self._raw.fileno())
            self._raw.close()
            if exc_type is None:
                os.chmod(self._tmp, 0o644)
                os.replace(self._tmp, self.path)
                self._tmp = None
        finally:
            if self._tmp is not None and os.path.exists(self._tmp):
                os.unlink(self._tmp)


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
