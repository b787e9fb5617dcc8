"""What ``--resume`` checks before it continues a partial output: that the
inputs and the options are those the partial output was made from.

A partial output made from other inputs (a file added, changed or removed) or
under other options (``--dedup mark`` then ``off``) would be continued into a
file that no single run could have written. So a run that writes a file
records, beside its partial output, a fingerprint: each input file's name,
size and modification time, and every option that changes the records (not
``workers``, ``engine`` or ``scheduler``, which change where the work runs,
never its output). ``--resume`` compares it with the run's own and stops with
an OptionsError (exit code 2) naming what differs. The record is the hidden
file ``.OUTPUT.resume.json`` beside the output; it is removed with the partial
output when the run completes.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import orjson

from .errors import OptionsError, OutputError
from .options import Options
from .read import InputFile

FORMAT = 1
WHERE_ONLY = ("workers", "engine", "scheduler")
"""Options that decide where the work runs, never what it writes."""


def fingerprint_path(output: str) -> str:
    head, tail = os.path.split(output)
    return os.path.join(head, f".{tail}.resume.json")


def fingerprint(files: list[InputFile], options: Options, part_records: int = 0) -> dict[str, Any]:
    """``files``: what ``read.survey`` finds for the run's inputs."""
    opts = {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name not in WHERE_ONLY}
    opts["part_records"] = part_records
    return {"format": FORMAT, "inputs": [[f.path or "-", f.size, f.mtime_ns] for f in files], "options": opts}


def save(output: str, fp: dict[str, Any]) -> None:
    """Written before the partial output is, so that every partial output has one."""
    path = fingerprint_path(output)
    tmp = path + ".tmp"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        from .write import open_fresh

        with open_fresh(tmp) as f:
            f.write(orjson.dumps(fp, option=orjson.OPT_INDENT_2))
        os.replace(tmp, path)
    except OSError as exc:  # the output's directory is where the trouble is
        raise OutputError(output, exc) from exc


def remove(output: str) -> None:
    try:
        os.unlink(fingerprint_path(output))
    except OSError:
        pass


def check(output: str, fp: dict[str, Any]) -> None:
    """Raise OptionsError unless the partial output of ``output`` was made from
    the inputs and options of ``fp``."""
    path = fingerprint_path(output)
    try:
        with open(path, "rb") as f:
            old = orjson.loads(f.read())
    except FileNotFoundError:
        raise OptionsError(f"cannot resume: {output} has no record of the inputs and options of an interrupted "
                           f"run (the run finished, or its partial output was made by an older cleaner); run "
                           f"without --resume to write it again") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise OptionsError(f"cannot resume: {path} is unreadable ({exc}); run without --resume to start again"
                           ) from exc
    if not isinstance(old, dict) or old.get("format") != FORMAT:
        raise OptionsError(f"cannot resume: {path} is not a fingerprint this cleaner writes; run without --resume "
                           f"to start again")
    differences = _differences(old, fp)
    if differences:
        raise OptionsError(f"cannot resume {output}: it was made from other " + "; ".join(differences)
                           + ". Run with the same inputs and options, or without --resume to start again")


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    before = {name: (size, mtime) for name, size, mtime in old.get("inputs", [])}
    now = {name: (size, mtime) for name, size, mtime in new["inputs"]}
    changes = []
    for name in now:
        if name not in before:
            changes.append(f"{name} is new")
        elif now[name] != before[name]:
            (s0, m0), (s1, m1) = before[name], now[name]
            changes.append(f"{name} changed (size {s0} -> {s1})" if s0 != s1 else f"{name} changed (modified since)")
    changes += [f"{name} is gone" for name in before if name not in now]
    if changes:
        more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
        out.append("inputs: " + ", ".join(changes[:3]) + more)
    elif list(before) != list(now):
        out.append("inputs: the same files in another order")
    old_opts, new_opts = old.get("options", {}), new["options"]
    opts = [f"--{k.replace('_', '-')} was {_show(old_opts.get(k))}, now {_show(new_opts.get(k))}"
            for k in new_opts if old_opts.get(k) != new_opts.get(k)]
    if opts:
        out.append("options: " + ", ".join(opts))
    return out


def _show(value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
