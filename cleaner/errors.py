"""Exceptions raised by cleaner.

    CleanerError            base class; catch this to catch everything cleaner raises
     ├── InputError         one file or record cannot be read, decoded or parsed;
     │                      the pipeline turns it into a rejects line and goes on
     ├── OptionsError       an option value is invalid; raised before any work starts
     ├── DedupIndexError    a persistent dedup index cannot be loaded (not an index
     │                      of this format, damaged) or does not match the run's
     │                      parameters, or the index's temporary signature file
     │                      cannot be written
     ├── WorkerLostError    a Dask worker died and took state the run cannot rebuild
     │                      (its share of the dedup index), or a task kept killing workers
     └── OutputError        an output file (records, rejects, a part, the index)
                            cannot be written: disk full, permission denied, its
                            directory gone; what was written so far is kept

Third-party exceptions (gzip, zstandard, lxml, sqlite) are translated into these
at the edge so callers never need to know which library failed.
"""


class CleanerError(Exception):
    """Base class of every error cleaner raises."""


class InputError(CleanerError):
    """One input (file or record) is unusable. ``reason`` is a short machine-friendly
    code, the message says what went wrong in words."""

    def __init__(self, message: str, reason: str = "invalid-input"):
        super().__init__(message)
        self.reason = reason


class OptionsError(CleanerError):
    """An option is invalid; nothing has been done yet."""


class DedupIndexError(CleanerError):
    """A persistent index is unreadable or was built with other parameters, or
    the signature file (see cleaner.dedup.Signatures) cannot be written."""


class WorkerLostError(CleanerError):
    """A Dask worker was lost with state the run needs: the shards of the dedup
    index it held (or a task killed worker after worker). Records written so far
    are whole; the command line continues from them as ``--resume`` does, on
    fresh workers. Translated from distributed's errors at the edge."""


class OutputError(CleanerError):
    """An output file cannot be written. The message is one line naming the file
    and what to do next; ``resumable`` says whether ``--resume`` can continue
    from what was written (a compressed single file cannot be continued)."""

    def __init__(self, path: str, exc: OSError, what: str = "the output", *, resumable: bool = True):
        import errno

        self.path, self.errno, self.resumable = path, exc.errno, resumable
        again = "run the same command again with --resume" if resumable else "run the same command again"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            why, step = "no space left on the device", f"free some space, then {again}"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            why, step = "permission denied", f"choose a place you may write to, then {again}"
        elif exc.errno == errno.ENOENT:
            why, step = "its directory is gone", f"create the directory again, then {again}"
        else:
            why, step = exc.strerror or str(exc), f"fix the cause, then {again}"
        super().__init__(f"cannot write {what} {path}: {why}; {step}")
