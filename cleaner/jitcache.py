"""Where numba may keep cleaner's compiled kernels.

numba caches a kernel compiled with ``cache=True`` beside its source (the
package's ``__pycache__``) or in the user's cache directory
(``$XDG_CACHE_HOME`` or ``~/.cache``). Where neither can be written (an image
with a read-only file system, a service user whose home is not writable) it
raises RuntimeError ("no locator available") as the kernel's module is
imported, and cleaner could not start at all. There the kernels are cached in
a private directory of this run instead (made by ``tempfile.mkdtemp``, so no
other user can plant compiled code in it; the worker processes inherit it;
removed at exit): each run compiles them once, about as long as a first run
takes anywhere.

Called by ``cleaner/__init__.py``, so before any module of the package imports
numba; ``NUMBA_CACHE_DIR`` set by the user is left as it is.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

_KERNEL_DIRS = ("model", "dedup")
"""The package's directories that hold numba kernels (cleaner/model/trees.py,
cleaner/dedup/*.py)."""


def _can_write(directory: str) -> bool:
    """Whether ``directory`` can be made and written, tried as numba tries it
    (a parent that access(2) calls writable may still refuse, as /proc does)."""
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def _in_tree() -> bool:
    here = os.path.dirname(os.path.abspath(__file__))
    return all(_can_write(os.path.join(here, d, "__pycache__")) for d in _KERNEL_DIRS)


def _user_wide() -> bool:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return _can_write(os.path.join(base, "numba"))


def ensure_cache_dir() -> str | None:
    """Point numba at a private cache directory where it could cache nowhere
    else; the directory, or None when nothing had to change."""
    if os.environ.get("NUMBA_CACHE_DIR") or _in_tree() or _user_wide():
        return None
    path = tempfile.mkdtemp(prefix="cleaner-numba-")
    os.environ["NUMBA_CACHE_DIR"] = path
    pid = os.getpid()
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(path, ignore_errors=True))
    numba = sys.modules.get("numba")
    if numba is not None:  # imported before cleaner: its configuration was read already
        numba.config.CACHE_DIR = path
    return path
