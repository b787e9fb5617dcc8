"""Output bytes do not depend on the number of worker processes."""

from __future__ import annotations

import os
import random

import orjson

import cleaner
from cleaner.write import dumps

PARA = ("The council approved the harbour plan on {d}, after a debate that lasted {n} hours and ended with "
        "a narrow vote, officials said.")


def _write_corpus(path, n=120):
    rng = random.Random(3)
    with open(path, "wb") as f:
        for i in range(n):
            body = "\n".join(PARA.format(d=rng.choice(["Monday", "Tuesday"]), n=rng.randint(1, 9)) + f" Item {i}-{k}."
                             for k in range(rng.randint(2, 6)))
            if i % 3 == 0:
                rec = {"id": f"h{i}", "url": f"https://a{i % 4}.example/{i}",
                       "html": f"<html><head><title>Story {i}</title></head><body><nav>Home News</nav>"
                               f"<article><h1>Story {i}</h1>{''.join('<p>' + p + '</p>' for p in body.split(chr(10)))}"
                               f"</article><footer>© 2025 Example</footer></body></html>"}
            else:
                rec = {"id": f"t{i}", "url": f"https://a{i % 4}.example/{i}", "text": "Home\nNews\n" + body}
            f.write(orjson.dumps(rec) + b"\n")


def _bytes(path, workers):
    opts = cleaner.Options(workers=workers, dedup="off")
    return b"".join(dumps(r.to_dict()) for r in cleaner.clean([str(path)], opts))


def test_same_bytes_for_any_number_of_workers(tmp_path):
    path = tmp_path / "in.jsonl"
    _write_corpus(path)
    one = _bytes(path, 1)
    assert one.count(b"\n") == 120
    assert _bytes(path, 2) == one
    assert _bytes(path, 3) == one


class _FakeExecutor:
    """Runs tasks when their results are asked for, and records how many
    characters were queued at the most."""

    workers, batch_size = 2, 3

    def __init__(self):
        self.queued, self.most = {}, 0

    def submit(self, fn, batch, extra):
        handle = object()
        self.queued[handle] = (fn, batch, extra)
        self.most = max(self.most, sum(len(x) for _, b, _ in self.queued.values() for x in b))
        return handle

    def result(self, handle):
        fn, batch, extra = self.queued.pop(handle)
        return fn(batch, extra)


def test_ordered_map_keeps_order_and_bounds_the_characters_queued(monkeypatch):
    from cleaner import executors

    monkeypatch.setattr(executors, "IN_FLIGHT_CHARS", 100)
    rng = random.Random(5)
    items = ["x" * rng.choice([1, 5, 40, 90]) if i % 7 else None for i in range(300)]
    ex = _FakeExecutor()
    batches = []

    def fn(batch, extra):
        batches.append(batch)
        return [f"{extra}{len(x)}" for x in batch]

    out = list(executors.ordered_map(ex, fn, items, "n", passthrough=lambda x: x is None, weight=len))
    assert out == [None if x is None else f"n{len(x)}" for x in items]
    # A task holds at most the cap's characters but for its last document.
    assert all(sum(map(len, b)) - len(b[-1]) < 100 for b in batches)
    assert any(len(b) < ex.batch_size and sum(map(len, b)) >= 100 for b in batches)
    # Beyond the cap by at most the task just submitted (a full batch of the largest items).
    assert 100 < ex.most <= 100 + ex.batch_size * 90
    unbounded = _FakeExecutor()
    list(executors.ordered_map(unbounded, lambda batch, extra: batch, items, None, passthrough=lambda x: x is None))
    assert unbounded.most > ex.most


def test_ordered_map_in_this_process_runs_batches_in_order(monkeypatch):
    """One process (workers=1) gets the tasks a worker would: full batches,
    cut short by a passthrough item or by the characters they hold, the
    results in input order."""
    from cleaner import executors

    monkeypatch.setattr(executors, "IN_FLIGHT_CHARS", 100)
    rng = random.Random(7)
    items = ["x" * rng.choice([1, 5, 40, 90]) if i % 150 else None for i in range(400)]
    calls = []

    def fn(batch, extra):
        calls.append(list(batch))
        return [f"{extra}{len(x)}" for x in batch]

    ex = executors.SerialExecutor()
    out = list(executors.ordered_map(ex, fn, items, "n", passthrough=lambda x: x is None, weight=len))
    assert out == [None if x is None else f"n{len(x)}" for x in items]
    assert [x for c in calls for x in c] == [x for x in items if x is not None]
    assert all(len(c) <= ex.batch_size and sum(map(len, c)) - len(c[-1]) < 100 for c in calls)
    assert max(map(len, calls)) > 1
    calls.clear()
    monkeypatch.setattr(executors, "IN_FLIGHT_CHARS", 10**9)
    list(executors.ordered_map(ex, fn, items, "n", passthrough=lambda x: x is None, weight=len))
    # Full batches but where a passthrough item (at 150 and 300) ends one early.
    assert [len(c) for c in calls] == [64, 64, 21, 64, 64, 21, 64, 35]


def test_results_directories_of_runs_that_are_gone_are_swept(tmp_path):
    """A run killed with its workers leaves its results directory behind; the
    next run removes it, and only such: not one whose run still holds its
    lock, not one without a lock file, not a link or another name."""
    import fcntl

    from cleaner import executors

    def spool(name, lock=True):
        d = tmp_path / (executors.SPOOL_PREFIX + name)
        d.mkdir(mode=0o700)
        (d / "result").write_bytes(b"a pickled result")
        if lock:
            (d / ".lock").write_bytes(b"")
        return d

    dead, alive, unlocked = spool("dead"), spool("alive"), spool("new", lock=False)
    other = tmp_path / "other-dir"
    other.mkdir()
    (other / ".lock").write_bytes(b"")
    target = tmp_path / "target"
    target.mkdir()
    (target / ".lock").write_bytes(b"")
    (tmp_path / (executors.SPOOL_PREFIX + "link")).symlink_to(target)
    held = os.open(alive / ".lock", os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        assert executors.sweep_spools(str(tmp_path)) == [str(dead)]
    finally:
        os.close(held)
    assert not dead.exists() and (alive / "result").exists() and (unlocked / "result").exists()
    assert other.exists() and (target / ".lock").exists()
    assert executors.sweep_spools(str(tmp_path)) == [str(alive)]


def test_a_runs_own_results_directory_is_locked_until_it_ends(tmp_path, monkeypatch):
    import tempfile

    from cleaner import executors

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spool, lock = executors._new_spool()
    assert os.path.dirname(spool) == str(tmp_path) and os.listdir(spool) == [".lock"]
    assert executors.sweep_spools(str(tmp_path)) == []  # another run's sweep leaves it
    os.close(lock)
    assert executors.sweep_spools(str(tmp_path)) == [spool]


# --- overlapped: collecting results beside the ordered stage ----------------------------


class _Elsewhere:
    """An executor whose results are collected beside the ordered stage, as
    local worker processes are: ``overlapped`` uses a thread."""

    workers = 2
    overlaps = True


def test_only_local_worker_processes_overlap():
    from cleaner.executors import DaskExecutor, ProcessExecutor, SerialExecutor

    assert ProcessExecutor.overlaps is True
    assert SerialExecutor.overlaps is False
    assert DaskExecutor.overlaps is False


def test_overlapped_keeps_every_item_in_order():
    from cleaner.executors import overlapped

    assert list(overlapped(_Elsewhere(), iter(range(1000)), depth=3)) == list(range(1000))


def test_overlapped_passes_items_through_in_this_process():
    import threading

    from cleaner.executors import SerialExecutor, overlapped

    seen = []

    def items():
        for i in range(3):
            seen.append(threading.current_thread() is threading.main_thread())
            yield i

    assert list(overlapped(SerialExecutor(), items())) == [0, 1, 2]
    assert seen == [True, True, True]


def test_overlapped_raises_the_producers_error_in_the_callers_thread():
    import pytest

    from cleaner.errors import WorkerLostError
    from cleaner.executors import overlapped

    def items():
        yield 1
        yield 2
        raise WorkerLostError("a worker process died")

    got = []
    with pytest.raises(WorkerLostError, match="worker process died"):
        for x in overlapped(_Elsewhere(), items()):
            got.append(x)
    assert got == [1, 2]


def test_overlapped_stops_its_thread_when_the_caller_stops():
    import threading

    from cleaner.executors import overlapped

    produced = []

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    gen = overlapped(_Elsewhere(), items(), depth=2)
    assert next(gen) == 0
    gen.close()  # as after an error or Ctrl-C downstream
    assert not any(t.name == "cleaner-overlapped" for t in threading.enumerate())
    n = len(produced)
    assert n < 10  # it ran at most a few items ahead, and stopped
    import time

    time.sleep(0.2)
    assert len(produced) == n


def test_lsh_bands_are_bounded():
    from cleaner.dedup.signatures import MAX_BANDS, lsh_params

    for threshold in (0.2, 0.3, 0.4, 0.5, 0.7, 0.9):
        bands, rows = lsh_params(threshold, 128)
        assert 1 <= bands <= MAX_BANDS and bands * rows <= 128
    assert lsh_params(0.4, 128) == (32, 3)


def test_a_workers_result_leaves_the_page_behind():
    """What a worker sends back is the cleaned document, not the page again:
    the main process holds results in the site-wide window and the dedup
    queue, and a page of megabytes there was held whole (and pickled both
    ways) for nothing that reads it."""
    import pickle

    from cleaner.options import Options
    from cleaner.pipeline import process_batch
    from cleaner.records import Cleaned, Document

    body = "".join(f"<p>Paragraph {i} of the story about the harbour bridge, long enough to be kept.</p>"
                   for i in range(5))
    script = "var tracking = [" + ",".join(str(i) for i in range(40000)) + "];"  # markup, not text
    html = (f"<html><head><title>Bridge</title><script>{script}</script></head><body><nav><a href='/'>Home</a>"
            f"</nav><article>{body}</article></body></html>")
    doc = Document(ordinal=3, id="p1", source="in.jsonl:4", content=html, kind="html", url="https://example.org/a",
                   metadata={"crawl": "2025-01"})
    [got] = process_batch([doc], Options())
    assert isinstance(got, Cleaned) and "harbour bridge" in got.text
    assert got.doc.content == "" and (got.doc.id, got.doc.source, got.doc.ordinal, got.doc.url, got.doc.metadata) == \
        ("p1", "in.jsonl:4", 3, "https://example.org/a", {"crawl": "2025-01"})
    assert len(pickle.dumps(got)) < len(html) // 4
    assert cleaner.clean_html(html, url="https://example.org/a").text == got.text


def test_collector_threshold_in_cleaners_own_processes_only():
    """cleaner's workers run with gcpolicy's threshold; a library caller's
    own process keeps its setting (gcpolicy changes speed, never output: the
    byte-for-byte comparisons above run with it)."""
    import gc

    from cleaner import gcpolicy
    from cleaner.executors import executor_for
    from cleaner.options import Options

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with executor_for(Options(workers=2)) as ex:
            got = [ex.result(ex.submit(gc.get_threshold)) for _ in range(4)]
        assert got == [(gcpolicy.GEN0_THRESHOLD, 10, 10)] * 4
        list(cleaner.clean([{"id": "a", "text": "Home\n" + PARA.format(d="Monday", n=3)}]))
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
