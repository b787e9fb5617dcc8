"""Where per-document work runs: in this process, in local worker processes, or
on a Dask cluster. Executors decide *where*, never *what*: each one maps the
same function over batches of documents and hands results back in input order,
so every downstream stage (and the output bytes) is the same for all of them.

Work is submitted in batches with a bounded number in flight, so memory stays
bounded by the options, not by the size of the input.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from .dedup.buckets import SHARDS, BucketIndex, ShardTables
from .errors import OptionsError, WorkerLostError
from .options import Options

T = TypeVar("T")
R = TypeVar("R")

BATCH_SIZE = 64
"""Documents per task: large enough to amortise pickling and scheduling, small
enough that a slow page does not hold up many others."""
SCHEDULER_TIMEOUT = 10
"""Seconds to wait for a remote Dask scheduler before giving up with a clear error."""
IN_FLIGHT_PER_WORKER = 8
"""Tasks queued per worker. Results are consumed in input order by one process
that also deduplicates and writes them; with a shallow queue (2 per worker) the
workers ran dry while it did, and a 100,000-document run on 2 cores took 106 s
instead of 93 s (benchmarks/scale.py million --docs 100000)."""
IN_FLIGHT_CHARS = 64 * 2**20
"""Characters of documents queued, at most (beyond the first task): pages of
megabytes queue less deep, so memory stays bounded by this, not by
IN_FLIGHT_PER_WORKER x BATCH_SIZE x max_bytes."""
LOOKUP_BATCH = 64
"""Documents whose dedup lookups go to the bucket index together (the results
are those of one-by-one lookups for any batch size; see Deduper.add_many)."""


class Executor(Protocol):
    workers: int
    batch_size: int
    lookup_batch: int

    def submit(self, fn: Callable[..., R], *args: Any) -> Any: ...

    def result(self, handle: Any) -> Any: ...

    def bucket_index(self) -> BucketIndex: ...


class SerialExecutor:
    workers = 1
    batch_size = BATCH_SIZE
    lookup_batch = LOOKUP_BATCH

    def submit(self, fn, *args):
        return fn(*args)

    def result(self, handle):
        return handle

    def bucket_index(self) -> BucketIndex:
        return BucketIndex()


class ProcessExecutor:
    batch_size = BATCH_SIZE
    lookup_batch = LOOKUP_BATCH

    def __init__(self, pool: ProcessPoolExecutor, workers: int):
        self.pool, self.workers = pool, workers

    def submit(self, fn, *args):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool as exc:
            raise WorkerLostError(f"a worker process died ({exc})") from exc

    def result(self, handle):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool as exc:
            raise WorkerLostError(f"a worker process died ({exc})") from exc

    def bucket_index(self) -> BucketIndex:
        # The one process that sees every document in order owns the index:
        # shipping lookups to the workers would only add round trips.
        return BucketIndex()


class DaskExecutor:
    # Every task and every call to a bucket shard costs a few milliseconds of
    # scheduling and messaging (more while the worker's thread holds the GIL),
    # so work travels in larger pieces than between local processes.
    batch_size = 4 * BATCH_SIZE
    lookup_batch = 16 * LOOKUP_BATCH

    def __init__(self, client, workers: int):
        self.client, self.workers = client, workers

    def submit(self, fn, *args):
        # pure=False: identical batches (e.g. two empty ones) must still be two tasks.
        # A batch carries its documents (at most BATCH_SIZE x max_bytes): Dask's
        # "large graph" advice is about graphs rebuilt from data, not this.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
            return self.client.submit(fn, *args, pure=False)

    def result(self, handle):
        # A task whose worker dies is run again elsewhere by the scheduler; only
        # a task that killed worker after worker gets here.
        from distributed import KilledWorker

        try:
            return handle.result()
        except KilledWorker as exc:
            raise WorkerLostError(f"a task kept killing Dask workers ({exc})") from exc

    def bucket_index(self) -> BucketIndex:
        """LSH buckets grouped across the cluster: the bucket tables (most of
        the dedup index's memory) are split by key into shards held by actors,
        one per worker, so the index grows with the cluster, not with the
        driver. Each batch of lookups is one call per worker, all at once; the
        driver keeps the per-passage arrays and resolves matches in input
        order, so the results are the local engine's, byte for byte."""
        workers = sorted(self.client.scheduler_info()["workers"])
        hosts = []
        for i, address in enumerate(workers):
            shards = [s for s in range(SHARDS) if s % len(workers) == i]
            hosts.append(_Guarded(self.client.submit(ShardTables, shards, actor=True, workers=[address],
                                                     pure=False).result()))
        return BucketIndex(hosts)


class _Guarded:
    """A Dask actor whose loss is a WorkerLostError: its worker died and the
    shards it held are gone (an actor is not moved or rebuilt by Dask)."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any) -> _GuardedFuture:
            try:
                return _GuardedFuture(getattr(self._actor, name)(*args))
            except Exception as exc:  # noqa: BLE001 - distributed raises RuntimeError, CommClosedError, ...
                raise _lost(exc) from exc
        return call


class _GuardedFuture:
    def __init__(self, future: Any) -> None:
        self._future = future

    def result(self) -> Any:
        try:
            return self._future.result()
        except Exception as exc:  # noqa: BLE001
            raise _lost(exc) from exc


def _lost(exc: BaseException) -> WorkerLostError:
    return WorkerLostError(f"a Dask worker holding part of the dedup index was lost "
                           f"({exc.__class__.__name__}: {exc})")


@contextlib.contextmanager
def executor_for(options: Options) -> Iterator[Executor]:
    if options.engine == "dask":
        with _dask_client(options) as client:
            workers = max(1, sum(client.nthreads().values()))
            yield DaskExecutor(client, workers)
    elif options.workers <= 1:
        yield SerialExecutor()
    else:
        with ProcessPoolExecutor(max_workers=options.workers) as pool:
            yield ProcessExecutor(pool, options.workers)


@contextlib.contextmanager
def _dask_client(options: Options):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise OptionsError("the dask engine needs the dask extra: pip install 'cleaner[dask]'") from exc
    if options.scheduler:
        try:
            client = Client(options.scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise OptionsError(f"cannot reach the Dask scheduler at {options.scheduler}: {exc}") from exc
        with client:
            yield client
        return
    # One single-threaded worker process per requested worker: extraction is
    # CPU-bound Python, so threads would only contend for the GIL.
    with LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster, Client(cluster) as client:
        yield client


def ordered_map(executor: Executor, fn: Callable[[list[T], Any], list[R]], items: Iterable[T | Any],
                extra: Any, passthrough: Callable[[Any], bool],
                weight: Callable[[T], int] = lambda _: 0) -> Iterator[R | Any]:
    """``fn(batch, extra)`` over batches of ``items``, results in input order.
    Items for which ``passthrough`` is true (e.g. rejects) are not sent to
    workers but keep their place in the output order. At most
    IN_FLIGHT_CHARS of ``weight`` (document characters) wait in the queue."""
    if isinstance(executor, SerialExecutor):
        for item in items:
            yield item if passthrough(item) else fn([item], extra)[0]
        return
    pending: deque[tuple[str, Any, int]] = deque()
    max_in_flight = executor.workers * IN_FLIGHT_PER_WORKER
    batch: list[T] = []
    batch_chars = queued_chars = 0

    def submit() -> None:
        nonlocal batch, batch_chars, queued_chars
        pending.append(("task", executor.submit(fn, batch, extra), batch_chars))
        queued_chars += batch_chars
        batch, batch_chars = [], 0

    def drain(limit: int) -> Iterator[R | Any]:
        nonlocal queued_chars
        while len(pending) > limit or (len(pending) > 1 and queued_chars > IN_FLIGHT_CHARS):
            kind, head, chars = pending.popleft()
            queued_chars -= chars
            yield from (head if kind == "local" else executor.result(head))

    for item in items:
        if passthrough(item):
            if batch:
                submit()
            pending.append(("local", [item], 0))
        else:
            batch.append(item)
            batch_chars += weight(item)
            if len(batch) >= executor.batch_size:
                submit()
        yield from drain(max_in_flight)
    if batch:
        submit()
    yield from drain(0)
