"""The garbage collector's threshold in the processes cleaner owns: the
``cleaner`` command and its local worker processes (speed machinery: it
changes how often CPython looks for reference cycles, never what is
computed; a library caller's process keeps its own settings).

Why: cleaning allocates containers in bursts (a task's lines, features,
removals and records: thousands at a time), and at CPython's default
threshold of 700 net allocations the collector runs every few documents,
each time walking the young objects and, every hundred runs, everything the
process holds (models, rule tables, the dedup index's Python side). Measured
with a ``gc.callbacks`` timer (2026-12-07): on 2,048 text dumps of
``benchmarks/scale.py``'s corpus in one process, cleaning and signing as a
worker does, 385 collections took 0.24-0.33 ms of 2.4 ms a document; on
5,000 of them through ``cleaner clean --workers 2`` the main process spent
2.4-3.5 s of its 7-8 s of CPU in 980 collections, 0.4-0.75 s in 8 at
50,000; cleaning 400 WCXB HTML pages in one process, 2.15 s of 20 s in 1,555
collections, 0.61 s in 9, with the same peak memory (358 / 363 MB) and
byte-identical outputs. Objects freed by reference counting (nearly all of
them) never count towards the threshold, so what waits longer is cyclic
garbage only: a few megabytes at most.
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000
"""Net container allocations between young-generation collections (CPython's
default: 700). The older generations' multipliers stay CPython's."""


def relax() -> None:
    """Set this process's young-generation threshold to GEN0_THRESHOLD (a
    process-pool initializer, and the command's first step)."""
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)


__all__ = ["GEN0_THRESHOLD", "relax"]
