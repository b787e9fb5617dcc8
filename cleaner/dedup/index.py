"""What the dedup index keeps of every passage it has seen, and its file.

Per passage: its document, offsets, cluster root and shingle count in
memory (18 bytes); its MinHash signature (``num_perm`` bytes) and its packed
words (8 bytes a word, ``verify.pack``) in temporary files, read back only for
the candidates that need them; a 2-bit sketch of the signature (32 bytes) in
memory, which settles most candidates without reading the file. Per document:
its id, length and title length.

The file (``--index``) is shared between colleagues and shipped beside
datasets, so opening one must never run anything: it is a zip of plain
``.npy`` arrays (numpy's npz, members stored), read with ``allow_pickle=False``,
every array of a fixed dtype, its declared shape matching its bytes before it
is read, and checked for shape and range before use (the lookups index memory
with these numbers). Strings are UTF-8 bytes plus offsets; the parameters and
the format version are JSON in a uint8 array. It holds what the index holds
and nothing of fixed size, so it grows with the corpus: kilobytes for a few
documents.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass

import numba
import numpy as np
from numpy.lib import format as npy

from ..errors import DedupIndexError, OutputError
from ..write import temp_path
from .buckets import SHARDS, BucketIndex
from .cache import RowCache
from .signatures import sketch

FORMAT_VERSION = 5
"""5: words of every passage, titles, bucket entries instead of tables."""
INDEX_MAGIC = "cleaner-dedup-index"
_DTYPES = {
    "header": np.uint8, "doc_ids": np.uint8, "doc_id_offsets": np.int64, "doc_lens": np.int64,
    "doc_leads": np.int64, "p_doc": np.int32, "p_start": np.int32, "p_end": np.int32, "p_root": np.int32,
    "p_size": np.uint16, "p_sig": np.uint8, "p_words": np.uint16, "words": np.uint64,
    "bucket_counts": np.int64, "bucket_fps": np.uint32, "bucket_pids": np.int32,
}
"""Every member of an index file and its dtype: nothing else is read."""


# --- stores on disk ---------------------------------------------------------------------


@functools.cache
def _pread():
    """A compiled loop of libc ``pread`` calls (a quarter of the cost of
    ``os.pread`` from Python, which matters at a hundred reads a document), or
    None where libc cannot be loaded. Compiled on first use, not cached on
    disk: it holds the address of a C function."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pread = libc.pread
    except (OSError, AttributeError):
        return None
    pread.restype = ctypes.c_ssize_t
    pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64]

    @numba.njit(nogil=True)
    def read(fd, out, dest, src, size):  # pragma: no cover - compiled
        """Bytes src[i]:src[i] + size[i] of the file to dest[i] of ``out``;
        the index of the first short read, or len(src)."""
        base = out.ctypes.data
        for i in range(src.shape[0]):
            if size[i] and pread(fd, base + dest[i], size[i], src[i]) != size[i]:
                return i
        return src.shape[0]

    return read


class _Spill:
    """An unnamed temporary file (in TMPDIR) that rows are appended to and read
    back from by offset. Not a memory map: the kernel maps file pages in large
    folios, and reading a few scattered rows through a map brought megabytes
    of the file into the process each time."""

    def __init__(self, what: str, per: str) -> None:
        self.what, self.per = what, per
        self._file = None
        self.size = 0

    def append(self, data: np.ndarray) -> None:
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="cleaner-dedup-")
            self._file.seek(0, os.SEEK_END)
            self._file.write(data.tobytes())
            self._file.flush()
        except OSError as exc:
            raise DedupIndexError(f"cannot write dedup {self.what} to a temporary file in {tempfile.gettempdir()}: "
                                  f"{exc}; set TMPDIR to a writable directory with room for {self.per}") from exc
        self.size += data.nbytes

    def read(self, out: np.ndarray, dest: np.ndarray, src: np.ndarray, size: np.ndarray) -> None:
        """``size[i]`` bytes at file offset ``src[i]`` to byte ``dest[i]`` of ``out``."""
        if not len(src):
            return
        fd = self._file.fileno()
        read = _pread()
        if read is not None:
            done = read(fd, out, dest, src, size)
            if done != len(src):
                raise OSError(f"short read from the dedup {self.what} file at byte {src[done]}")
            return
        flat = out.reshape(-1).view(np.uint8)
        for d, s, n in zip(dest.tolist(), src.tolist(), size.tolist()):
            flat[d:d + n] = np.frombuffer(os.pread(fd, n, s), dtype=np.uint8)

    def all(self) -> bytes:
        if self._file is None:
            return b""
        self._file.seek(0)
        return self._file.read()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Signatures:
    """Passage signatures, append-only: the recent ones in memory, the rest in
    a temporary file.

    Why a file: at 128 bytes a passage the signatures would be most of the
    index (2.7 GB for a million news articles), yet most candidates the
    buckets propose are far below the threshold. So memory keeps a 2-bit
    sketch of every signature (32 bytes), which settles most candidates, and
    the full signatures of the others are read with ``pread`` (``gather``),
    from the page cache, without entering this process's memory. A run under
    about 3,000 articles never creates the file."""

    CHUNK = 1 << 16

    def __init__(self, width: int) -> None:
        self.width = width
        self.sketches = np.zeros((0, (width + 31) // 32), dtype=np.uint64)
        self.tail = np.zeros((self.CHUNK, width), dtype=np.uint8)
        self.n_tail = 0
        self.n_disk = 0
        self._spill = _Spill("signatures", f"{width} bytes per passage")
        self._cache = RowCache(width)

    def __len__(self) -> int:
        return self.n_disk + self.n_tail

    def append(self, sigs: np.ndarray, sketches: np.ndarray) -> None:
        """``sketches``: ``sketch(sigs)``. The signatures are kept in memory
        until the next ``settle``, so that the passages of a batch stay where
        ``gather`` left them while the batch is matched."""
        n = len(sigs)
        total = len(self)
        if total + n > len(self.sketches):
            # realloc: large blocks move by remapping pages, not by copying;
            # the new part is zero-filled (resident), hence growth by a quarter
            self.sketches.resize((max(1024, (total + n) * 5 // 4), self.sketches.shape[1]), refcheck=False)
        self.sketches[total:total + n] = sketches
        if self.n_tail + n > len(self.tail):
            grown = np.zeros((max(2 * len(self.tail), self.n_tail + n), self.width), dtype=np.uint8)
            grown[:self.n_tail] = self.tail[:self.n_tail]
            self.tail = grown
        self.tail[self.n_tail:self.n_tail + n] = sigs
        self.n_tail += n

    def settle(self) -> None:
        """Between batches: move the in-memory ones to the file once there are
        CHUNK of them."""
        if self.n_tail >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.n_tail:
            return
        self._spill.append(self.tail[:self.n_tail])
        self.n_disk += self.n_tail
        self.n_tail = 0
        if len(self.tail) > self.CHUNK:
            self.tail = np.zeros((self.CHUNK, self.width), dtype=np.uint8)

    def gather(self, ids: np.ndarray) -> np.ndarray:
        """Signatures of passages ``ids`` (sorted, unique, all in the file)."""
        out = np.empty((len(ids), self.width), dtype=np.uint8)
        ids = np.asarray(ids, dtype=np.int64)
        self._spill.read(out, np.arange(len(ids), dtype=np.int64) * self.width, ids * self.width,
                         np.full(len(ids), self.width, dtype=np.int64))
        return out

    def cached(self) -> tuple[np.ndarray, np.ndarray]:
        """The slots of the cache of signatures read from the file
        (``cache.RowCache.slots``): ``signatures.candidates`` looks there
        before listing a signature to read."""
        return self._cache.slots()

    def remember(self, ids: np.ndarray, sigs: np.ndarray) -> None:
        """Keep signatures just gathered in the cache. Called once the
        document's candidates are settled: filling it sooner could evict a
        signature the second pass of ``candidates`` counts on finding there."""
        self._cache.put(ids, sigs)

    def all(self) -> np.ndarray:
        """Every signature as one array (read back from the file)."""
        self.flush()
        return np.frombuffer(self._spill.all(), dtype=np.uint8).reshape(self.n_disk, self.width)

    @property
    def nbytes(self) -> int:
        """Memory held (the file's pages are the page cache's, not ours)."""
        return self.tail.nbytes + len(self) * self.sketches.itemsize * self.sketches.shape[1]

    def close(self) -> None:
        self._spill.close()


@numba.njit(cache=True, nogil=True)
def _offsets(ids, counts, marks, step):  # pragma: no cover - compiled
    """Word offset of each passage: the mark of its block of ``step`` passages
    plus the counts of the passages before it in that block."""
    out = np.empty(ids.shape[0], dtype=np.int64)
    for i in range(ids.shape[0]):
        p = ids[i]
        block = p // step
        o = marks[block]
        for k in range(block * step, p):
            o += counts[k]
        out[i] = o
    return out


class Words:
    """The packed words of every passage (``verify.pack``), append-only: the
    recent ones in memory, the rest in a temporary file, read back for the
    candidates a passage is compared with.

    Memory per passage: its word count (2 bytes), and every STEP passages one
    8-byte offset into the words, from which a passage's offset is the sum of
    the counts before it in its block (at most STEP - 1 additions)."""

    CHUNK = 1 << 19
    STEP = 64

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.uint16)
        self.marks = np.zeros(1, dtype=np.int64)
        self.n = 0
        self.total = 0
        self.tail = np.zeros(0, dtype=np.uint64)
        self.n_tail = 0
        self.n_disk = 0  # words in the file
        self._spill = _Spill("words", "8 bytes per word of text")

    def append(self, words: np.ndarray, counts: np.ndarray) -> None:
        n = len(counts)
        if self.n + n > len(self.counts):
            self.counts.resize(max(1024, (self.n + n) * 5 // 4), refcheck=False)
        self.counts[self.n:self.n + n] = counts
        need = (self.n + n) // self.STEP + 1
        if need > len(self.marks):
            self.marks.resize(max(need, len(self.marks) * 5 // 4 + 1), refcheck=False)
        # the mark of every block whose first passage is among the new ones
        starts = self.total + np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        for b in range(-(-self.n // self.STEP), (self.n + n) // self.STEP + 1):
            self.marks[b] = starts[b * self.STEP - self.n]
        self.n += n
        self.total = int(starts[-1])
        size = self.total - self.n_disk
        if size > len(self.tail):
            grown = np.zeros(max(2 * len(self.tail), size, 1024), dtype=np.uint64)
            grown[:self.n_tail] = self.tail[:self.n_tail]
            self.tail = grown
        self.tail[self.n_tail:size] = words
        self.n_tail = size

    def settle(self) -> None:
        """Between batches: move the in-memory ones to the file once there are
        CHUNK of them (so a passage's words are wholly in one place)."""
        if self.n_tail >= self.CHUNK:
            self._spill.append(self.tail[:self.n_tail])
            self.n_disk += self.n_tail
            self.n_tail = 0
            if len(self.tail) > 2 * self.CHUNK:
                self.tail = np.zeros(self.CHUNK, dtype=np.uint64)

    def gather(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Words of passages ``ids`` (sorted, unique): one array, and where each
        passage's words start in it (len(ids) + 1 offsets)."""
        ids = np.asarray(ids, dtype=np.int64)
        start = _offsets(ids, self.counts, self.marks, self.STEP)
        size = self.counts[ids].astype(np.int64)
        off = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(size, out=off[1:])
        out = np.empty(off[-1], dtype=np.uint64)
        on_disk = start < self.n_disk
        # A passage's words lie wholly in the file or wholly in memory: the
        # file only ever receives whole batches of passages.
        d = np.nonzero(on_disk)[0]
        self._spill.read(out, off[d] * 8, start[d] * 8, size[d] * 8)
        for i in np.nonzero(~on_disk)[0].tolist():
            s = int(start[i]) - self.n_disk
            out[off[i]:off[i + 1]] = self.tail[s:s + int(size[i])]
        return out, off

    def all(self) -> np.ndarray:
        disk = np.frombuffer(self._spill.all(), dtype=np.uint64)
        return np.concatenate((disk, self.tail[:self.n_tail]))

    @property
    def nbytes(self) -> int:
        return self.n * 2 + self.marks.nbytes + self.tail.nbytes

    def close(self) -> None:
        self._spill.close()


# --- the index ------------------------------------------------------------------------------


class PassageIndex:
    """Documents and passages seen so far, in input order (the order that
    decides "earliest"), plus the bucket index that finds them."""

    def __init__(self, num_perm: int, buckets: BucketIndex | None = None) -> None:
        self.num_perm = num_perm
        self.doc_ids: list[str] = []
        self.doc_lens: list[int] = []
        self.doc_leads: list[int] = []
        """Characters of each document's title and the newline after it: its
        passages' offsets count from the title's start (``Signer.units``)."""
        self.doc_first: list[int] = []
        """Each document's first passage: its passages are the ids from there
        to the next document's first."""
        self._cap = 0
        self.p_doc = np.zeros(0, dtype=np.int32)
        self.p_start = np.zeros(0, dtype=np.int32)
        self.p_end = np.zeros(0, dtype=np.int32)
        self.p_root = np.zeros(0, dtype=np.int32)
        self.p_size = np.zeros(0, dtype=np.uint16)
        self.n_pass = 0
        self.sigs = Signatures(num_perm)
        self.words = Words()
        self.buckets = buckets if buckets is not None else BucketIndex()

    def add_document(self, doc_id: str, length: int, lead: int) -> int:
        self.doc_ids.append(doc_id)
        self.doc_lens.append(length)
        self.doc_leads.append(lead)
        self.doc_first.append(self.n_pass)
        return len(self.doc_ids) - 1

    def passages_of(self, doc: int) -> slice:
        end = self.doc_first[doc + 1] if doc + 1 < len(self.doc_first) else self.n_pass
        return slice(self.doc_first[doc], end)

    def store(self, doc: int, units, roots: np.ndarray) -> None:
        """The passages of ``units`` (a ``signatures._Units``) as passages of
        document ``doc``; ``roots[i]`` is passage i's cluster root, -1 for a
        passage that starts a cluster of its own."""
        n = len(units.spans)
        if not n:
            return
        first = self.n_pass
        if first + n > self._cap:
            self._grow(max(1024, (first + n) * 5 // 4))
        pids = np.arange(first, first + n)
        sl = slice(first, first + n)
        self.p_doc[sl] = doc
        self.p_start[sl] = units.spans[:, 0]
        self.p_end[sl] = units.spans[:, 1]
        self.p_root[sl] = np.where(roots >= 0, roots, pids)
        self.p_size[sl] = units.size
        self.sigs.append(units.sig, units.sketch)
        self.words.append(units.words, np.diff(units.word_off).astype(np.uint16))
        self.n_pass += n

    def settle(self) -> None:
        self.sigs.settle()
        self.words.settle()

    def _grow(self, cap: int) -> None:
        # realloc: large blocks move by remapping pages, so growing does not
        # hold the old and the new array at once; the new part is zero-filled
        # (resident), so callers grow by a quarter, not double
        for a in (self.p_doc, self.p_start, self.p_end, self.p_root, self.p_size):
            a.resize((cap,) + a.shape[1:], refcheck=False)
        self._cap = cap

    @property
    def nbytes(self) -> int:
        """Index memory: the per-passage arrays in use plus the bucket tables."""
        per = sum(a.itemsize for a in (self.p_doc, self.p_start, self.p_end, self.p_root, self.p_size))
        return per * self.n_pass + self.sigs.nbytes + self.words.nbytes + self.buckets.nbytes

    def close(self) -> None:
        self.sigs.close()
        self.words.close()

    # --- the file -----------------------------------------------------------------------

    def save(self, path: str, params: dict, commit: bool = True) -> None:
        n = self.n_pass
        ids = [d.encode("utf-8", "surrogatepass") for d in self.doc_ids]
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in ids], out=offsets[1:])
        header = {"format": INDEX_MAGIC, "version": FORMAT_VERSION, "params": params}
        counts, fps, pids = self.buckets.entries()
        arrays = {"header": np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8),
                  "doc_ids": np.frombuffer(b"".join(ids), dtype=np.uint8), "doc_id_offsets": offsets,
                  "doc_lens": np.asarray(self.doc_lens, dtype=np.int64),
                  "doc_leads": np.asarray(self.doc_leads, dtype=np.int64),
                  "p_doc": self.p_doc[:n], "p_start": self.p_start[:n], "p_end": self.p_end[:n],
                  "p_root": self.p_root[:n], "p_size": self.p_size[:n], "p_sig": self.sigs.all()[:n],
                  "p_words": self.words.counts[:n], "words": self.words.all(),
                  "bucket_counts": counts, "bucket_fps": fps, "bucket_pids": pids}
        _write(path, arrays, commit)

    def load(self, path: str, params: dict) -> None:
        """Replace the (empty) index with the one saved at ``path``; refuse one
        built with other parameters or of another format."""
        arrays = read_index(path)
        header = _header(path, arrays)
        if header["params"] != params:
            raise DedupIndexError(f"index {path} was built with other parameters: {header['params']}; this run "
                                  f"uses {params}. Use the same --threshold/--shingle/--num-perm/"
                                  f"--min-passage-chars, or a new index file.")
        body = _body(path, arrays, self.num_perm)
        try:
            self.buckets.load_entries(arrays["bucket_counts"], arrays["bucket_fps"], arrays["bucket_pids"])
        except ValueError as exc:
            raise DedupIndexError(f"{path} is not a valid cleaner dedup index: {exc}") from exc
        self.doc_ids, self.doc_lens, self.doc_leads = body.doc_ids, body.doc_lens, body.doc_leads
        n = len(arrays["p_doc"])
        self.doc_first = np.searchsorted(arrays["p_doc"], np.arange(len(body.doc_ids))).tolist()
        self._grow(max(1024, n))
        for name in ("p_doc", "p_start", "p_end", "p_root", "p_size"):
            getattr(self, name)[:n] = arrays[name]
        self.sigs.append(arrays["p_sig"], sketch(arrays["p_sig"]))
        self.words.append(arrays["words"], arrays["p_words"])
        self.n_pass = n
        self.settle()


def _write(path: str, arrays: dict[str, np.ndarray], commit: bool = True) -> None:
    """Write atomically (a temporary file beside it, then rename), so a failed
    save leaves the previous index whole. Without ``commit`` the renaming is
    left to :func:`commit_index`."""
    from ..write import open_fresh

    tmp = temp_path(path)
    try:
        with open_fresh(tmp) as f:
            np.savez(f, **{k: np.ascontiguousarray(v, dtype=_DTYPES[k]) for k, v in arrays.items()})
            f.flush()
            os.fsync(f.fileno())
        if commit:
            os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(path, exc, "the dedup index") from exc


def commit_index(path: str) -> None:
    """Put an index saved without committing (``PassageIndex.save(...,
    commit=False)``) in place of ``path``: the command does it once the run's
    outputs are in place, so an index never holds documents whose records an
    interrupted run did not write (a --resume would add them twice)."""
    tmp = temp_path(path)
    if not os.path.exists(tmp):
        return
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(path, exc, "the dedup index") from exc


def discard_index(path: str) -> None:
    """Remove an index saved without committing (the run did not finish)."""
    with contextlib.suppress(OSError):
        os.unlink(temp_path(path))


def read_index(path: str, members=None) -> dict[str, np.ndarray]:
    """The arrays of an index file (``members``: only these), or
    DedupIndexError; never unpickles."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file ({exc})") from exc
    names = {i.filename for i in infos}
    if names != {f"{k}.npy" for k in _DTYPES} or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file of format "
                              f"{FORMAT_VERSION} (files from cleaner before format {FORMAT_VERSION} are not loaded: "
                              f"build the index again)")
    out = {}
    try:
        size = os.path.getsize(path)
        with zipfile.ZipFile(path) as z:
            for name, dtype in _DTYPES.items():
                if members is None or name in members:
                    out[name] = _read_member(z, z.getinfo(f"{name}.npy"), np.dtype(dtype), size)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:  # KeyError: a member missing
        raise DedupIndexError(f"cannot read dedup index {path}: {exc}") from exc
    return out


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, dtype: np.dtype, size: int) -> np.ndarray:
    """One array of an index (ValueError if malformed), its header checked
    before its data is read: numpy allocates the array a header declares
    before reading a byte of it, so a shape larger than the data was an
    allocation of up to hundreds of GiB. The header must describe exactly the
    member's bytes, and the member must lie within the file (its sizes in the
    zip directory are as hostile as the rest). Sizes are Python ints, so no
    declared shape can overflow them."""
    name = info.filename[:-len(".npy")]
    if info.file_size != info.compress_size or info.header_offset + info.compress_size > size:
        raise ValueError(f"member {name} claims {info.file_size} bytes that the file does not hold")
    with z.open(info) as f:
        version = npy.read_magic(f)
        read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"member {name} is .npy version {version}, not 1.0 or 2.0")
        shape, _, got = read_header(f)
        if got != dtype or len(shape) != (2 if name == "p_sig" else 1):
            raise ValueError(f"member {name} is {got}[{len(shape)}d], not {dtype}")
        data = info.file_size - f.tell()
        if any(n < 0 for n in shape) or math.prod(shape) * dtype.itemsize != data:
            raise ValueError(f"member {name} declares shape {shape} of {dtype} but holds {data} bytes of data")
        f.seek(0)
        return npy.read_array(f, allow_pickle=False)


def _header(path: str, arrays: dict[str, np.ndarray]) -> dict:
    try:
        header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DedupIndexError(f"cannot read dedup index {path}: its header is not JSON") from exc
    if not isinstance(header, dict) or header.get("format") != INDEX_MAGIC or not isinstance(header.get("params"),
                                                                                            dict):
        raise DedupIndexError(f"cannot read dedup index {path}: not a cleaner index file")
    if header.get("version") != FORMAT_VERSION:
        raise DedupIndexError(f"dedup index {path} has format version {header.get('version')!r}; this cleaner "
                              f"reads version {FORMAT_VERSION}: build the index again")
    return header


@dataclass
class _Body:
    doc_ids: list[str]
    doc_lens: list[int]
    doc_leads: list[int]


def _body(path: str, a: dict[str, np.ndarray], num_perm: int) -> _Body:
    """Documents and passages of an index, checked so that no number in the
    file can point outside the arrays it indexes."""
    def bad(why: str) -> DedupIndexError:
        return DedupIndexError(f"{path} is not a valid cleaner dedup index: {why}")

    offsets, lens, leads, blob = a["doc_id_offsets"], a["doc_lens"], a["doc_leads"], a["doc_ids"].tobytes()
    n_docs = len(lens)
    if len(offsets) != n_docs + 1 or len(leads) != n_docs or offsets[0] != 0 or offsets[-1] != len(blob) \
            or np.any(np.diff(offsets) < 0):
        raise bad("document id offsets do not match the ids")
    try:
        doc_ids = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "surrogatepass") for i in range(n_docs)]
    except UnicodeDecodeError as exc:
        raise bad("a document id is not UTF-8") from exc
    if len(set(doc_ids)) != n_docs:
        raise bad("document ids repeat")
    if np.any(lens < 0) or np.any(leads < 0):
        raise bad("a document length is negative")
    n = len(a["p_doc"])
    if any(len(a[k]) != n for k in ("p_start", "p_end", "p_root", "p_size", "p_sig", "p_words")):
        raise bad("passage arrays differ in length")
    if a["p_sig"].shape[1] != num_perm:
        raise bad(f"signatures have {a['p_sig'].shape[1]} values, not {num_perm}")
    if n and (a["p_doc"].min() < 0 or a["p_doc"].max() >= n_docs or np.any(np.diff(a["p_doc"]) < 0)):
        raise bad("a passage points outside the documents")
    if n and (np.any(a["p_start"] < 0) or np.any(a["p_end"] < a["p_start"])
              or np.any(a["p_end"] > (lens + leads)[a["p_doc"]])):
        raise bad("a passage lies outside its document")
    roots = a["p_root"]
    if n and (roots.min() < 0 or np.any(roots > np.arange(n))):
        raise bad("a passage's cluster root points outside the earlier passages")
    if int(a["p_words"].astype(np.int64).sum()) != len(a["words"]):
        raise bad("word counts do not match the words")
    counts, fps, pids = a["bucket_counts"], a["bucket_fps"], a["bucket_pids"]
    if len(counts) != SHARDS or np.any(counts < 0) or int(counts.sum()) != len(fps) or len(pids) != len(fps):
        raise bad("bucket entries do not match their counts")
    if len(pids) and (pids.min() < 0 or pids.max() >= n):
        raise bad("a bucket names a passage that is not in the index")
    return _Body(doc_ids, [int(x) for x in lens], [int(x) for x in leads])


def check_header(path: str, params: dict) -> None:
    """Raise DedupIndexError unless ``path`` is an index of this format built
    with ``params``: its header alone, so that a run can refuse a wrong file
    before it writes anything (the body is checked when it is loaded)."""
    header = _header(path, read_index(path, ("header",)))
    if header["params"] != params:
        raise DedupIndexError(f"index {path} was built with other parameters: {header['params']}; this run "
                              f"uses {params}. Use the same --threshold/--shingle/--num-perm/"
                              f"--min-passage-chars, or a new index file.")
