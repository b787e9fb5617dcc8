"""Exceptions raised by cleaner.

    CleanerError            base class; catch this to catch everything cleaner raises
     ├── InputError         one file or record cannot be read, decoded or parsed;
     │                      the pipeline turns it into a rejects line and goes on
     ├── OptionsError       an option value is invalid; raised before any work starts
     └── DedupIndexError    a persistent dedup index cannot be loaded or does not
                            match the run's parameters, or the index's temporary
                            signature file cannot be written

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
