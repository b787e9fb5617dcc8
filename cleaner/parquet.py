"""Parquet in and out, with pyarrow (the optional extra ``cleaner[parquet]``).

In: every row is a record, its columns read as a JSONL record's fields
(``read.Reader._from_object``), a row group at a time. A value pyarrow cannot
turn into a Python object (a date or time beyond what ``datetime`` holds, a
nanosecond, a string that is not UTF-8) is written out as text instead, so no
value takes down its row, let alone the file; a row that still cannot be read,
or that is larger than ``max_bytes``, is a :class:`RowError` of its own.

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

import datetime
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


class RowError(InputError):
    """One row cannot be taken (a value that cannot be read, a row over the
    size limit); the rows after it can. It is an InputError, so a reader that
    knows only "the file breaks off here" still reports it."""


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


def rows(source: BinaryIO, max_bytes: int | None = None) -> Iterator[dict[str, Any] | InputError]:
    """The rows of a Parquet file as dicts, a row group at a time. A row that
    cannot be read (its row group's pages damaged, a value unreadable), or
    whose record as a JSONL line would be longer than ``max_bytes`` (the
    limit a JSONL line has), yields a :class:`RowError` in its place, and
    reading goes on; a file whose footer is unreadable raises InputError."""
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
    for group in range(pf.num_row_groups):
        # A row group at a time: one whose pages are damaged costs its own
        # rows (each a reject, so every later row keeps its number), and the
        # groups after it are read (batches that span groups lost them too).
        left = pf.metadata.row_group(group).num_rows
        batches = pf.iter_batches(batch_size=256, row_groups=[group])
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as exc:
                for _ in range(left):
                    yield RowError(f"Parquet row group {group} is damaged ({exc})", "invalid-parquet")
                break
            left -= batch.num_rows
            for row in _batch_rows(pa, batch):
                if max_bytes is not None and isinstance(row, dict) and _json_size(row) > max_bytes:
                    row = RowError(f"row exceeds the size limit of {max_bytes} bytes", "too-large")
                yield row


def _batch_rows(pa, batch) -> list[dict[str, Any] | RowError]:
    """The rows of a record batch as pyarrow gives them (``to_pylist``). When
    pyarrow cannot convert a value (a date32 of 2**31-1 days, a timestamp
    beyond the year 9999, a nanosecond) it raises for the whole batch: then
    the batch is taken column by column and the failing column value by value,
    every value pyarrow can convert being kept exactly as it gives it, and a
    row holding a value that not even :func:`_value` can read becomes a
    RowError."""
    try:
        return batch.to_pylist()
    except Exception:  # noqa: BLE001 - pyarrow raises what Python's constructors raise
        pass
    columns: dict[str, tuple[list[Any], dict[int, str]]] = {}
    for name, column in zip(batch.schema.names, batch.columns):
        # A repeated column name keeps the last column, as to_pylist does.
        try:
            columns[name] = column.to_pylist(), {}
            continue
        except Exception:  # noqa: BLE001 - as above; now value by value
            pass
        values, bad = [], {}
        for i in range(len(column)):
            try:
                values.append(_value(pa, column[i]))
            except Exception as exc:  # noqa: BLE001 - the row is rejected, saying what failed
                values.append(None)
                bad[i] = f"column {name!r} holds a value that cannot be read ({type(exc).__name__}: {exc})"
        columns[name] = values, bad
    out: list[dict[str, Any] | RowError] = []
    for i in range(batch.num_rows):
        why = next((bad[i] for _, bad in columns.values() if i in bad), None)
        out.append(RowError(why, "invalid-parquet") if why is not None
                   else {name: values[i] for name, (values, _) in columns.items()})
    return out


_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_DAY_MS = 86_400_000


def _value(pa, scalar) -> Any:
    """``scalar.as_py()``, or, where Python's types cannot hold the value, a
    lossless text in the same style: dates and times in ISO 8601 (a year
    beyond 0001-9999 with its sign, ``+5881580-07-11``; nanoseconds as nine
    digits; an instant that ``datetime`` cannot hold, or in a time zone
    Python does not know, in UTC), durations as ``str(timedelta)`` writes
    them. A string that is not UTF-8 is decoded with U+FFFD for the invalid
    bytes, as a JSONL line is; a struct whose fields share a name keeps the
    second as ``name#2``, as a record's metadata does. Raises when the value
    is none of these."""
    try:
        return scalar.as_py()
    except Exception as exc:  # noqa: BLE001 - what this function is for
        if not scalar.is_valid:
            raise
        error = exc
    types, t = pa.types, scalar.type
    if types.is_date32(t):
        return _iso_date(scalar.value)
    if types.is_date64(t):
        return _iso_date(scalar.value // _DAY_MS)
    if types.is_timestamp(t):
        return _iso_timestamp(pa, scalar)
    if types.is_time(t):
        return _clock(scalar.value, t.unit)
    if types.is_duration(t):
        return _duration(scalar.value, t.unit)
    if types.is_string(t) or types.is_large_string(t) or types.is_string_view(t):
        return bytes(scalar.as_buffer()).decode("utf-8", "replace")
    if types.is_list(t) or types.is_large_list(t) or types.is_fixed_size_list(t) or types.is_list_view(t) \
            or types.is_large_list_view(t):
        return [_value(pa, item) for item in scalar.values]
    if types.is_map(t):
        return [(_value(pa, entry[0]), _value(pa, entry[1])) for entry in scalar.values]
    if types.is_struct(t):
        fields: dict[str, Any] = {}
        for name, item in scalar.items():
            key, n = name, 1
            while key in fields:  # a repeated field name: pyarrow has no dict for it
                n += 1
                key = f"{name}#{n}"
            fields[key] = _value(pa, item)
        return fields
    if types.is_dictionary(t) or types.is_union(t) or types.is_run_end_encoded(t) \
            or isinstance(t, pa.BaseExtensionType):
        return _value(pa, scalar.value)
    raise error


_EPOCH = datetime.date(1970, 1, 1)
_DAYS_400_YEARS = 146_097
"""The Gregorian calendar repeats every 400 years, so any day is a day of
``datetime``'s range moved by whole cycles."""


def _iso_date(days: int) -> str:
    """The date ``days`` after 1970-01-01, any number of them."""
    cycles, rest = divmod(days, _DAYS_400_YEARS)
    date = _EPOCH + datetime.timedelta(days=rest)
    year = date.year + 400 * cycles
    return f"{year:04d}-{date.month:02d}-{date.day:02d}" if 0 <= year <= 9999 else \
        f"{year:+05d}-{date.month:02d}-{date.day:02d}"


def _fraction(fraction: int, unit: str) -> str:
    """Fractional seconds as ``datetime`` writes them (six digits, none when
    zero), nine for nanoseconds."""
    if not fraction:
        return ""
    if unit == "ns":
        return f".{fraction:09d}"
    return f".{fraction * (1_000_000 // _PER_SECOND[unit]):06d}"


def _clock(value: int, unit: str) -> str:
    seconds, fraction = divmod(value, _PER_SECOND[unit])
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{_fraction(fraction, unit)}"


def _iso_timestamp(pa, scalar) -> str:
    t, value = scalar.type, scalar.value
    if t.unit == "ns":
        # Within datetime's range: pyarrow's own datetime for the microsecond
        # (in the column's time zone), with the nanoseconds written in.
        try:
            start = pa.scalar(value - value % 1000, type=t).as_py()
        except Exception:  # noqa: BLE001 - out of range, or a zone Python does not know
            start = None
        if start is not None:
            text = start.isoformat(timespec="seconds")
            return f"{text[:19]}{_fraction(value % 1_000_000_000, 'ns')}{text[19:]}"
    seconds, fraction = divmod(value, _PER_SECOND[t.unit])
    days, seconds = divmod(seconds, 86_400)
    return f"{_iso_date(days)}T{_clock(seconds, 's')}{_fraction(fraction, t.unit)}{'+00:00' if t.tz else ''}"


def _duration(value: int, unit: str) -> str:
    """As ``str(timedelta)``: ``-1 day, 23:59:59``, ``3 days, 4:05:06.000007``."""
    seconds, fraction = divmod(value, _PER_SECOND[unit])
    days, seconds = divmod(seconds, 86_400)
    clock = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{_fraction(fraction, unit)}"
    return f"{days} day{'' if abs(days) == 1 else 's'}, {clock}" if days else clock


def _json_size(row: dict[str, Any]) -> int:
    """The length of the row as a JSONL line: what ``max_bytes`` limits there
    (values JSON has no type for counted as the reader writes them)."""
    from .read import _jsonable

    try:
        return len(orjson.dumps(row, default=_jsonable))
    except orjson.JSONEncodeError:
        return 0  # nested deeper than orjson writes: the reader rejects it as too-deep


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
        "roles": pa.list_(string),
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
            elif name == "roles" and value is None:
                continue  # a text dump's record has none, as in JSONL
            rec[name] = value
        out.append(rec)
    return out
