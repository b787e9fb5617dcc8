"""Parquet in and out, with pyarrow (the optional extra ``cleaner[parquet]``).

In: every row is a record, its columns read as a JSONL record's fields
(``read.Reader._from_object``), a row group at a time.

Out: the record schema (``record.schema.json``) as columns. The fixed parts
are typed: strings, ``removed`` as a list of structs ``{kind, text, rule}``,
``duplicates`` as a list of structs ``{start, end, of, of_start, of_end,
similarity, cluster, words, field, of_field}``, ``stats`` as a map from name to count. ``metadata``,
whose fields differ from record to record, is a JSON string (null when the
record has none), as is any other field the schema may gain.

The bytes are a function of the records alone: row groups are cut by count
(``ROW_GROUP_RECORDS``), compression and its level are fixed, and pyarrow
writes no timestamp (its version stands in the footer, so the same records
give the same bytes under the same pyarrow).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import resources
from typing import Any, BinaryIO

import orjson

from .errors import InputError, OptionsError
from .write import publish

ROW_GROUP_RECORDS = 1000
"""Records per row group: a reader (or the Hugging Face viewer) fetches one
group at a time, and the writer holds one in memory (about 10 MB of news
articles)."""
COMPRESSION, COMPRESSION_LEVEL = "zstd", 3
INSTALL = "pip install 'cleaner[parquet]'"


class ParquetMissing(OptionsError):
    """pyarrow is not installed."""


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ParquetMissing(f"reading and writing Parquet needs pyarrow: {INSTALL}") from exc
    return pyarrow, pyarrow.parquet


def require() -> None:
    """Raise :class:`ParquetMissing` (an OptionsError) now, before any work."""
    _pyarrow()


def rows(source: BinaryIO) -> Iterator[dict[str, Any] | InputError]:
    """The rows of a Parquet file as dicts, a row group at a time. A file that
    breaks off mid-way yields an InputError where reading stopped."""
    pa, pq = _pyarrow()
    try:
        pf = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        # A file that starts as Parquet but has no footer was cut off while written or copied.
        source.seek(0)
        if source.read(4) == b"PAR1":
            raise InputError(f"Parquet file is cut off: its footer, which indexes every row, is missing or "
                             f"damaged ({exc}); nothing in it can be read", "truncated") from exc
        raise InputError(f"not a Parquet file ({exc})", "invalid-parquet") from exc
    batches = pf.iter_batches(batch_size=256)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            yield InputError(f"Parquet file is damaged ({exc})", "invalid-parquet")
            return
        yield from batch.to_pylist()


# --- out ---------------------------------------------------------------------------

def _schema():
    pa, _ = _pyarrow()
    string, count = pa.string(), pa.int64()
    known = {
        "removed": pa.list_(pa.struct([("kind", string), ("text", string), ("rule", string)])),
        "duplicates": pa.list_(pa.struct([("start", count), ("end", count), ("of", string),
                                          ("of_start", count), ("of_end", count), ("similarity", pa.float64()),
                                          ("cluster", string), ("words", count), ("field", string),
                                          ("of_field", string)])),
        "stats": pa.map_(string, count),
    }
    props = orjson.loads(resources.files("cleaner").joinpath("record.schema.json").read_bytes())["properties"]
    fields, as_json = [], set()
    for name, spec in props.items():
        types = spec.get("type")
        types = types if isinstance(types, list) else [types]
        if name in known:
            fields.append(pa.field(name, known[name]))
        elif set(types) <= {"string", "null"}:
            fields.append(pa.field(name, string, nullable="null" in types))
        else:
            fields.append(pa.field(name, string))
            as_json.add(name)
    if "metadata" not in props:
        fields.append(pa.field("metadata", string))
        as_json.add("metadata")
    return pa.schema(fields), as_json


class ParquetWriter:
    """Like write.JsonlWriter, for ``.parquet``: records go to the hidden
    partial file in row groups, which replaces the output name when the run
    completes. A partial Parquet file has no footer and cannot be continued, so
    a single Parquet output is written again by ``--resume`` (with
    ``--part-records`` the finished parts are kept)."""

    def __init__(self, path: str, *, what: str = "the output"):
        from .write import partial_path

        self.path, self.what = path, what
        self._tmp = partial_path(path)
        self._rows: list[dict[str, Any]] = []
        self._writer = None
        self._file: BinaryIO | None = None
        self.count = 0
        self._pa, self._pq = _pyarrow()
        self._schema, self._as_json = _schema()
        self._names = self._schema.names

    def _error(self, exc: OSError):
        from .errors import OutputError

        return OutputError(self.path, exc, self.what, resumable=False)

    def __enter__(self) -> "ParquetWriter":
        from .write import _open_partial

        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            self._file = _open_partial(self._tmp, append=False)
            self._writer = self._pq.ParquetWriter(
                self._file, self._schema, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL,
                write_statistics=True)
        except OSError as exc:
            raise self._error(exc) from exc
        return self

    def write(self, obj: dict[str, Any]) -> None:
        extra = set(obj) - set(self._names)
        if extra:
            raise ValueError(f"record fields {sorted(extra)} are not in record.schema.json; add them there")
        row = {}
        for name in self._names:
            value = obj.get(name)
            if name in self._as_json:
                value = None if value is None else orjson.dumps(value).decode()
            elif name == "stats" and value is not None:
                value = list(value.items())
            row[name] = value
        self._rows.append(row)
        self.count += 1
        if len(self._rows) >= ROW_GROUP_RECORDS:
            self._flush_group()

    def _flush_group(self) -> None:
        if not self._rows:
            return
        table = self._pa.Table.from_pylist(self._rows, schema=self._schema)
        self._rows = []
        try:
            self._writer.write_table(table, row_group_size=ROW_GROUP_RECORDS)
        except OSError as exc:
            raise self._error(exc) from exc

    def flush(self) -> None:
        return None  # row groups are written whole

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abandon()
            return
        try:
            self._flush_group()
            self._writer.close()
            publish(self._file, self._tmp, self.path)
        except OSError as exc:
            self._abandon()
            raise self._error(exc) from exc

    def _abandon(self) -> None:
        for step in (getattr(self._writer, "close", None), getattr(self._file, "close", None)):
            if step is not None:
                try:
                    step()
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    pass


def read_records(path: str) -> list[dict[str, Any]]:
    """The records of a finished Parquet output, as the JSONL writer would have
    written them (used to continue a partitioned run)."""
    _, pq = _pyarrow()
    schema, as_json = _schema()
    out = []
    for row in pq.read_table(path).to_pylist():
        rec: dict[str, Any] = {}
        for name in schema.names:
            value = row.get(name)
            if name in as_json:
                if value is None:
                    if name == "metadata":
                        continue
                else:
                    value = orjson.loads(value)
            elif name == "stats" and value is not None:
                value = dict(value)
            rec[name] = value
        out.append(rec)
    return out
