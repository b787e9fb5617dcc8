"""Where per-document work runs: in this process, in local worker processes, or
on a Dask cluster. Executors decide *where*, never *what*: each one maps the
same function over batches of documents and hands results back in input order,
so every downstream stage (and the output bytes) is the same for all of them.

Work is submitted in batches with a bounded number in flight, so memory stays
bounded by the options, not by the size of the input.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import stat
import tempfile
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, nothing swept
    fcntl = None  # type: ignore[assignment]

from .errors import OptionsError, WorkerLostError
from .gcpolicy import relax
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
"""Characters of documents queued, at most (beyond the task just formed), and
in one task (beyond its last document): pages of megabytes queue less deep
and go fewer to a task, so memory stays bounded by this, not by
IN_FLIGHT_PER_WORKER x BATCH_SIZE x max_bytes."""
PREFETCH = 4
"""Batches the reading side may run ahead of the consuming side (``overlapped``):
enough to ride over one slow batch, few enough that memory stays bounded by
them (4 x CALL_BATCH documents)."""
CALL_BATCH = 64
"""Items a stage hands to state held elsewhere (``place``) in one call: the
results must not depend on it (the dedup stage's lookups give those of
one-by-one lookups for any batch size)."""


class Executor(Protocol):
    workers: int
    batch_size: int
    call_batch: int
    overlaps: bool
    """Whether results are collected beside the ordered stage (``overlapped``)."""

    def submit(self, fn: Callable[..., R], *args: Any) -> Any: ...

    def result(self, handle: Any) -> Any: ...

    def place(self, factory: Callable[..., Any], args_for: Callable[[int, int], tuple]) -> list | None:
        """State a stage wants next to the workers: one ``factory(*args_for(i,
        n))`` on each of the n workers, as handles whose method calls return
        something with ``.result()``; None where the work runs in this process
        (the stage keeps its state here)."""


class SerialExecutor:
    workers = 1
    batch_size = BATCH_SIZE
    call_batch = CALL_BATCH
    overlaps = False

    def submit(self, fn, *args):
        return fn(*args)

    def result(self, handle):
        return handle

    def place(self, factory, args_for):
        return None


class ProcessExecutor:
    """Local worker processes (a ``ProcessPoolExecutor``) whose results come
    back through files, not through the pool's result pipe.

    Why: a worker killed while it writes a result to the shared pipe (the OOM
    killer, ``kill -9``) leaves a torn message there, and the pool's manager
    thread then waits for the rest of it forever: the run hangs instead of
    noticing the dead worker (seen in tests, with loky's pool too). A result
    written to a file of its own, with only its name (a few hundred bytes,
    written to the pipe in one atomic write) sent back, cannot tear the pipe;
    the pool then sees the death and is broken, which is a WorkerLostError.
    The files live in a private directory of this run and hold what this run's
    own workers wrote (pickles of its own objects, never input data)."""

    batch_size = BATCH_SIZE
    call_batch = CALL_BATCH
    overlaps = True
    """Results are collected beside the ordered stage (``overlapped``)."""

    def __init__(self, pool: ProcessPoolExecutor, workers: int, spool: str):
        self.pool, self.workers, self.spool = pool, workers, spool

    def submit(self, fn, *args):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.pool.submit(_to_file, self.spool, fn, *args)
        except BrokenProcessPool as exc:
            raise WorkerLostError(f"a worker process died ({exc})") from exc

    def result(self, handle):
        import pickle
        from concurrent.futures.process import BrokenProcessPool

        try:
            path = handle.result()
        except BrokenProcessPool as exc:
            raise WorkerLostError(f"a worker process died ({exc})") from exc
        with open(path, "rb") as f:
            out = pickle.load(f)
        os.unlink(path)
        return out

    def place(self, factory, args_for):
        # The one process that sees every document in order owns the state:
        # shipping calls to worker processes would only add round trips.
        return None


class DaskExecutor:
    # Every task and every call to placed state costs a few milliseconds of
    # scheduling and messaging (more while the worker's thread holds the GIL),
    # so work travels in larger pieces than between local processes.
    batch_size = 4 * BATCH_SIZE
    call_batch = 16 * CALL_BATCH
    overlaps = False

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

    def place(self, factory, args_for):
        """One actor per worker (Dask actors stay on their worker and are not
        moved or rebuilt: losing one is a WorkerLostError)."""
        workers = sorted(self.client.scheduler_info()["workers"])
        return [_Guarded(self.client.submit(factory, *args_for(i, len(workers)), actor=True, workers=[address],
                                            pure=False).result())
                for i, address in enumerate(workers)]


class _Guarded:
    """A Dask actor whose loss is a WorkerLostError: its worker died and the
    state it held is gone (an actor is not moved or rebuilt by Dask)."""

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
    return WorkerLostError(f"a Dask worker holding state of the run (part of the dedup index) was lost "
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
        spool, lock = _new_spool()
        try:
            with ProcessPoolExecutor(max_workers=options.workers, initializer=_worker_start,
                                     initargs=(spool,)) as pool:
                yield ProcessExecutor(pool, options.workers, spool)
        finally:
            shutil.rmtree(spool, ignore_errors=True)
            if lock is not None:
                os.close(lock)


SPOOL_PREFIX = "cleaner-results-"
"""The name of a run's results directory (ProcessExecutor), in the system's
temporary directory, begins with this."""
_LOCK = ".lock"


def _new_spool() -> tuple[str, int | None]:
    """A private results directory for this run, and the descriptor of its
    lock, held for the run's life (by this process and the workers it forks).

    Why the lock: a run killed at once with its workers (``kill -9`` of the
    job, the OOM killer taking the group) cannot remove its directory, which
    holds pickles of cleaned documents; each such kill left a few MB of them
    in the temporary directory for good. The kernel releases a lock when its
    holders are gone, however they went, so an unlocked directory belongs to
    no live run, whatever process namespace that run lived in (a process id
    would not say so across containers sharing ``/tmp``), and the next run
    removes it (:func:`sweep_spools`). The lock file is locked before it
    takes its name, so no sweep sees a new run's directory unlocked."""
    sweep_spools(tempfile.gettempdir())
    spool = tempfile.mkdtemp(prefix=SPOOL_PREFIX)
    if fcntl is None:  # pragma: no cover - not POSIX
        return spool, None
    new = os.path.join(spool, _LOCK + ".new")
    fd = os.open(new, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(new, os.path.join(spool, _LOCK))
    return spool, fd


def sweep_spools(tmp: str) -> list[str]:
    """Remove the results directories in ``tmp`` that no live run holds: real
    directories (not links) of this user named SPOOL_PREFIX..., whose lock
    file can be locked. Others are left alone: another user's, one without a
    lock file (being made, or not cleaner's), one whose run is alive.
    Returns the directories removed."""
    if fcntl is None:  # pragma: no cover - not POSIX
        return []
    try:
        names = sorted(n for n in os.listdir(tmp) if n.startswith(SPOOL_PREFIX))
    except OSError:
        return []
    removed = []
    for name in names:
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            fd = os.open(os.path.join(path, _LOCK), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # held: its run is alive
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed


def stop_workers(signum: int) -> None:
    """Send ``signum`` to this process's worker processes (its live
    multiprocessing children: the local pool's workers): what Ctrl-C does to
    the terminal's whole foreground group, for a signal that reached this
    process alone (SIGTERM from ``kill`` or a service manager). Each worker
    then leaves at once (the command's handler, which forked workers share,
    exits; a worker without it dies of the signal), the pool notices, and the
    run unwinds as after Ctrl-C: the pool is shut down and the results'
    directory removed. ``active_children`` only lists children not yet
    reaped, so no id here can be another process's by now."""
    import multiprocessing

    for proc in multiprocessing.active_children():
        with contextlib.suppress(OSError, TypeError):  # gone already (TypeError: a pid of None, not started)
            os.kill(proc.pid, signum)


PARENT_POLL = 1.0
"""Seconds between a worker's looks at whether the process that started it is
still there."""


def _worker_start(spool: str | None = None) -> None:
    """A local worker's first step. The workers are cleaner's own processes:
    the collector's threshold of cleaner/gcpolicy.py, whatever the caller's
    process has. And they leave when the process that started them is gone:
    killed (``kill -9``, the OOM killer), it cannot stop them, and they sat
    idle holding their memory, each of them a few hundred MB. Leaving, they
    remove the run's results directory (``spool``), which the killed process
    could not. The parent is whoever started the worker (the run's process,
    or under the forkserver start method the server, which leaves with the
    run)."""
    relax()
    threading.Thread(target=_leave_with, args=(os.getppid(), spool), name="cleaner-parent-watch",
                     daemon=True).start()


def _leave_with(parent: int, spool: str | None = None) -> None:
    while True:
        time.sleep(PARENT_POLL)
        if os.getppid() != parent:
            if spool is not None:
                shutil.rmtree(spool, ignore_errors=True)
            os._exit(1)


def _to_file(spool: str, fn: Callable[..., Any], *args: Any) -> str:
    """Run ``fn`` in a worker and leave its result in a file of ``spool``
    (see ProcessExecutor)."""
    import pickle

    fd, path = tempfile.mkstemp(dir=spool)
    with os.fdopen(fd, "wb") as f:
        pickle.dump(fn(*args), f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


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
    # CPU-bound Python, so threads would only contend for the GIL. The
    # cluster's own logs are silenced below CRITICAL: a worker that dies (the
    # OOM killer) makes the others log a heartbeat failure with a traceback at
    # ERROR, noise beside the command's own message about the loss.
    with LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
        yield client


def ordered_map(executor: Executor, fn: Callable[[list[T], Any], list[R]], items: Iterable[T | Any],
                extra: Any, passthrough: Callable[[Any], bool],
                weight: Callable[[T], int] = lambda _: 0) -> Iterator[R | Any]:
    """``fn(batch, extra)`` over batches of ``items``, results in input order.
    Items for which ``passthrough`` is true (e.g. rejects) are not sent to
    workers but keep their place in the output order. A batch is
    ``batch_size`` items, fewer where a passthrough item comes or its
    ``weight`` (document characters) reaches IN_FLIGHT_CHARS; at most
    IN_FLIGHT_CHARS of it wait in the queue.

    In this process (``SerialExecutor``) a batch runs when it is formed and
    its results come out before the next one is: nothing waits. It is still
    a batch, not an item at a time, because a task's work is cheaper per
    item in one (the text dumps of a task share one line-model call, whose
    fixed cost was most of its time on a page alone; a task's units are
    signed together). One item at a time, ``cleaner clean --workers 1`` took
    52 s on 20,000 dumps of benchmarks/scale.py's corpus (the line matrix
    alone 0.9 ms a page, against 0.27 ms in a batch of 64); in batches, 34 s,
    the same output bytes (two alternating runs each, 2026-12-08). The
    results are the same for any batch (the stages' batch-independence is
    tested); a result comes at most ``batch_size`` items after its input."""
    pending: deque[tuple[str, Any, int]] = deque()
    max_in_flight = 0 if isinstance(executor, SerialExecutor) else executor.workers * IN_FLIGHT_PER_WORKER
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
            if len(batch) >= executor.batch_size or batch_chars >= IN_FLIGHT_CHARS:
                submit()
        yield from drain(max_in_flight)
    if batch:
        submit()
    yield from drain(0)


def overlapped(executor: Executor, items: Iterable[T], depth: int = PREFETCH) -> Iterator[T]:
    """``items``, in order, produced by a thread of their own while the caller
    works on the ones before, when the per-document work runs elsewhere.

    Why: with worker processes, this process only collects results (reading
    and unpickling them, the site-wide stage) and runs the stage that must see
    every document in order (dedup, whose compiled loops release the GIL). One
    after the other, that chain was the bottleneck of a million-document run
    with both workers half idle; side by side they share the two cores. The
    items and their order are the same either way, so the output is too. In
    this process (``SerialExecutor``) the per-document work would run in the
    thread as well, for no gain: items are passed through. On Dask too
    (``overlaps`` is False there): a worker lost mid-run is handled by
    rebuilding the run on fresh workers, and a producer thread still waiting
    on the lost worker's connection held that up by Dask's 30-second connect
    timeout (seen in tests/test_faults.py); the Dask engine's own scheduling,
    not this process, sets its pace.

    An exception raised while producing is raised here, in the caller's
    thread; when the caller stops early (an error, Ctrl-C, ``close()``), the
    thread stops after its current item and is joined before this returns, so
    nothing runs on behind the caller's back."""
    if not executor.overlaps:
        yield from items
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            put(("error", exc))

    thread = threading.Thread(target=produce, name="cleaner-overlapped", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        thread.join()
