"""The dedup stage: passages linked to the earliest record holding them.

How duplicates are reported: every candidate, and its cluster root, is
verified on the full signatures (``Deduper._match``); each passage joins the
cluster of its best match, whose first member (the earliest passage in input
order) is what ``of``/``of_start``/``of_end`` point to. Matched passages that
follow each other in both documents are merged into one span, so a reused
stretch of three paragraphs is one duplicate entry.

Memory per indexed passage: a 32-byte 2-bit sketch of the signature (the
full ``num_perm``-byte signature, the low 8 bits of each minimum, goes to a
temporary file and is read back only for candidates the sketch cannot settle:
see ``Signatures``), 18 bytes of offsets, document, cluster root and size, and
about 6 bytes per new band key in the bucket tables (cleaner/dedup/buckets.py), plus
about 200 MB that does not grow (the recent keys' tables and the directories).
Measured with ``python benchmarks/dedup.py --memory-child 100000``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import DedupIndexError
from ..options import Options
from ..records import DuplicateSpan
from .buckets import BucketIndex
from .signatures import FLOOR, Signatures, _Units, sketch, sketch_cut, signer_for
from .units import NORMALISATION_VERSION
from .verify import CONTAINMENT, _verify

FORMAT_VERSION = 3
DROP_ROUNDS = 4


@dataclass(frozen=True)
class DedupResult:
    text: str
    duplicates: tuple[DuplicateSpan, ...]
    near_duplicate_of: str | None
    dropped: tuple[str, ...]


class Deduper:
    """Streaming: call :meth:`add` once per document, in input order."""

    def __init__(self, options: Options, buckets: BucketIndex | None = None):
        """``buckets``: where the bucket tables live (default: in this process;
        the Dask engine passes one whose shards are spread over the cluster)."""
        self.options = options
        self.signer = signer_for(options)
        self.n = options.shingle
        self.num_perm = options.num_perm
        self.bands, self.rows = self.signer.bands, self.signer.rows
        # documents
        self.doc_ids: list[str] = []
        self.doc_lens: list[int] = []
        # passages (parallel growable arrays)
        self._cap = 0
        self.p_doc = np.zeros(0, dtype=np.int32)
        self.p_start = np.zeros(0, dtype=np.int32)
        self.p_end = np.zeros(0, dtype=np.int32)
        self.p_root = np.zeros(0, dtype=np.int32)
        self.p_size = np.zeros(0, dtype=np.uint16)
        self.sigs = Signatures(self.num_perm)
        self.cut = sketch_cut(options.threshold, options.num_perm)
        self._no_sigs = np.zeros((0, self.num_perm), dtype=np.uint8)
        self.n_pass = 0
        self.buckets = buckets if buckets is not None else BucketIndex()
        if options.index and os.path.exists(options.index):
            self._load(options.index)

    # --- public -------------------------------------------------------------------

    def add(self, doc_id: str, text: str) -> DedupResult:
        return self.add_many([(doc_id, text)])[0]

    def add_many(self, docs: Sequence[tuple[str, str]],
                 units: Sequence[_Units | None] | None = None) -> list[DedupResult]:
        """Documents in input order; the same results as adding them one by one.

        The bucket lookups and inserts of the whole batch are one compiled
        pass, in input order, so within the batch a document sees the passages
        of the ones before it, exactly as if they had been added one at a time.
        ``units`` may hold each text's :meth:`Signer.units`, computed elsewhere
        (a worker); None where they are not known."""
        if self.options.dedup == "drop":
            return [self._add_dropping(doc_id, text) for doc_id, text in docs]
        if not docs:
            return []
        given = units or [None] * len(docs)
        units = [u if u is not None and u.chars == len(text) else self.signer.units(text)
                 for (_, text), u in zip(docs, given)]
        counts = np.array([len(u.spans) for u in units], dtype=np.int64)
        keys = np.concatenate([u.keys for u in units]).ravel() if counts.sum() else np.zeros(0, dtype=np.uint64)
        pids = self.n_pass + np.arange(len(keys)) // self.bands
        first_of_doc = self.n_pass + np.concatenate(([0], np.cumsum(counts)[:-1]))
        floors = np.repeat(np.repeat(first_of_doc, counts), self.bands)
        hits = self.buckets.match_and_insert(keys, pids, floors)
        results, offset = [], 0
        for (doc_id, text), u, count in zip(docs, units, counts.tolist()):
            doc = len(self.doc_ids)
            self.doc_ids.append(doc_id)
            self.doc_lens.append(len(text))
            match = self._match(u, hits[offset * self.bands:(offset + count) * self.bands].reshape(count, self.bands))
            dups = self._align(u, match)
            results.append(DedupResult(text, tuple(d for d, _ in dups), self._near_duplicate(text, dups), ()))
            self._store(doc, u, match)
            offset += count
        self.sigs.settle()
        return results

    def _add_dropping(self, doc_id: str, text: str) -> DedupResult:
        doc = len(self.doc_ids)
        self.doc_ids.append(doc_id)
        self.doc_lens.append(len(text))
        units = self.signer.units(text)
        dups = self._align(units, self._match(units, self._lookup(units)))
        near = self._near_duplicate(text, dups)
        dropped: tuple[str, ...] = ()
        out_text = text
        # Dropping a span can leave a remainder that is itself a copy (the
        # attribution after a removed quote): match again until nothing is left.
        for _ in range(DROP_ROUNDS):
            if not dups:
                break
            out_text, more = _drop(out_text, [d for d, _ in dups])
            dropped += more
            units = self.signer.units(out_text)
            dups = self._align(units, self._match(units, self._lookup(units)))
        self.doc_lens[doc] = len(out_text)
        self._store(doc, units, _Match.none(len(units.spans)))
        self.buckets.insert(units.keys.ravel(), np.repeat(np.arange(self.n_pass - len(units.spans), self.n_pass),
                                                          self.bands))
        self.sigs.settle()
        return DedupResult(out_text, (), near, dropped)

    def _lookup(self, units: _Units) -> np.ndarray:
        return self.buckets.lookup(units.keys.ravel()).reshape(units.keys.shape)

    def close(self) -> None:
        try:
            if self.options.index:
                self._save(self.options.index)
        finally:
            self.sigs.close()

    # --- steps ----------------------------------------------------------------------

    def _match(self, units: _Units, hits: np.ndarray) -> _Match:
        """Best verified earlier passage per passage: its cluster root and the
        estimated similarity. Every candidate the buckets propose (``hits``) is
        checked, and so is its cluster root: a heavily edited copy may be
        closest to an earlier copy rather than to the original.

        A candidate is reuse when the estimated Jaccard similarity reaches the
        threshold, or when the smaller passage is mostly contained in the other
        (a sentence trimmed to its first clause, or padded with a new one): the
        shared shingles, J(|A|+|B|)/(1+J), cover CONTAINMENT of the smaller one,
        and J is at least FLOOR x threshold, so that a short stock phrase
        ("the company said in a statement") inside a long sentence does not
        count. On the synthetic corpus of benchmarks/dedup.py containment
        recovers about a quarter of the heavily edited passages the threshold
        alone misses, at a passage precision still above 0.99."""
        match = _Match.none(len(units.spans))
        if not len(units.spans) or not (hits >= 0).any():
            return match
        # First pass: what the sketches cannot settle and memory does not hold
        # is listed; a second pass over the passages that needed it, with
        # those read from the file.
        missing = np.empty(2 * hits.size, dtype=np.int64)
        need = np.zeros(len(hits), dtype=np.bool_)
        n = _verify(hits, self.p_root, self.sigs.sketches, _NO_IDS, self._no_sigs, self.sigs.n_disk,
                    self.sigs.tail, self.p_size, units.sig, units.sketch, units.size, self.options.threshold, FLOOR,
                    CONTAINMENT, self.cut, match.root, match.sim, missing, need)
        if not n:
            return match
        g_ids = np.unique(missing[:n])
        g_sigs = self.sigs.gather(g_ids)
        rows = np.nonzero(need)[0]
        again = _Match.none(len(rows))
        n = _verify(hits[rows], self.p_root, self.sigs.sketches, g_ids, g_sigs, self.sigs.n_disk, self.sigs.tail,
                    self.p_size, units.sig[rows], units.sketch[rows], units.size[rows], self.options.threshold, FLOOR,
                    CONTAINMENT, self.cut, again.root, again.sim, missing, need[rows])
        if not n:
            match.root[rows], match.sim[rows] = again.root, again.sim
            return match
        raise AssertionError("signatures gathered for verification were not found")

    def _align(self, units: _Units, match: _Match) -> list[tuple[DuplicateSpan, int]]:
        """Matched passages -> spans (with the index of the earlier document);
        neighbours matched into the same earlier document, in the same order
        there, merge into one maximal span."""
        items = []
        for k in np.nonzero(match.root >= 0)[0].tolist():
            root = int(match.root[k])
            items.append([int(units.spans[k, 0]), int(units.spans[k, 1]), int(self.p_doc[root]),
                          int(self.p_start[root]), int(self.p_end[root]), float(match.sim[k]), root, 1])
        if not items:
            return []
        # Where a quote and its sentence both matched, keep the closer match: a
        # quote re-attributed by another outlet matches as a quote, not as a
        # sentence whose other half was rewritten.
        items.sort(key=lambda x: (x[0], -x[1]))
        kept: list[list] = []
        for it in items:
            if kept and it[0] < kept[-1][1]:  # overlaps the previous span
                if it[5] > kept[-1][5]:
                    kept[-1] = it
                continue
            kept.append(it)
        merged: list[list] = []
        unmatched = units.spans[match.root < 0].tolist()
        for it in kept:
            if merged:
                prev = merged[-1]
                gap_clear = not any(prev[1] <= s and e <= it[0] for s, e in unmatched)
                if prev[2] == it[2] and gap_clear and it[3] >= prev[3] and it[0] >= prev[0]:
                    prev[1] = max(prev[1], it[1])
                    prev[4] = max(prev[4], it[4])
                    prev[5] += it[5]
                    prev[7] += 1
                    continue
            merged.append(list(it))
        out = []
        for s, e, doc, of_s, of_e, sim_sum, root, count in merged:
            out.append((DuplicateSpan(start=s, end=e, of=self.doc_ids[doc], of_start=of_s, of_end=of_e,
                                      similarity=round(sim_sum / count, 4), cluster=self._cluster_id(root)), doc))
        return out

    def _near_duplicate(self, text: str, dups: list[tuple[DuplicateSpan, int]]) -> str | None:
        """The earliest document whose shared spans cover ``doc_threshold`` of
        the shorter of the two: a truncated or extended copy still counts."""
        if not dups or not text:
            return None
        covered: dict[int, list[tuple[int, int]]] = {}
        for d, doc in dups:
            covered.setdefault(doc, []).append((d.start, d.end))
        for doc in sorted(covered):
            shorter = min(len(text.strip()), self.doc_lens[doc])
            if shorter and _union_length(covered[doc]) / shorter >= self.options.doc_threshold:
                return self.doc_ids[doc]
        return None

    def _cluster_id(self, root: int) -> str:
        key = f"{self.doc_ids[self.p_doc[root]]}\x00{self.p_start[root]}\x00{self.p_end[root]}"
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def _store(self, doc: int, units: _Units, match: _Match) -> None:
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
        self.p_root[sl] = np.where(match.root >= 0, match.root, pids)
        self.p_size[sl] = units.size
        self.sigs.append(units.sig, units.sketch)
        self.n_pass += n

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
        per = sum(a.itemsize * (a.shape[1] if a.ndim > 1 else 1)
                  for a in (self.p_doc, self.p_start, self.p_end, self.p_root, self.p_size))
        return per * self.n_pass + self.sigs.nbytes + self.buckets.nbytes

    @property
    def bytes_per_passage(self) -> float:
        return self.nbytes / max(1, self.n_pass)

    # --- persistence ---------------------------------------------------------------

    def _params(self) -> dict[str, float | int]:
        return {"format": FORMAT_VERSION, "normalisation": NORMALISATION_VERSION, "threshold": self.options.threshold,
                "shingle": self.n, "num_perm": self.num_perm, "bands": self.bands, "rows": self.rows,
                "min_passage_chars": self.options.min_passage_chars}

    def _save(self, path: str) -> None:
        tmp = path + ".tmp"
        n = self.n_pass
        with open(tmp, "wb") as f:
            np.savez(f, params=np.array(repr(sorted(self._params().items()))),
                     doc_ids=np.array(self.doc_ids, dtype=object), doc_lens=np.array(self.doc_lens, dtype=np.int64),
                     p_doc=self.p_doc[:n], p_start=self.p_start[:n], p_end=self.p_end[:n], p_root=self.p_root[:n],
                     p_size=self.p_size[:n], p_sig=self.sigs.all()[:n], **self.buckets.arrays())
        os.replace(tmp, path)

    def _load(self, path: str) -> None:
        try:
            with np.load(path, allow_pickle=True) as data:
                params = str(data["params"])
                mine = repr(sorted(self._params().items()))
                if params != mine:
                    raise DedupIndexError(f"index {path} was built with other parameters: {params}; "
                                          f"this run uses {mine}. Use the same --threshold/--shingle/--num-perm/"
                                          f"--min-passage-chars, or a new index file.")
                doc_ids = [str(x) for x in data["doc_ids"]]
                doc_lens = [int(x) for x in data["doc_lens"]]
                arrays = {k: data[k] for k in ("p_doc", "p_start", "p_end", "p_root", "p_size", "p_sig")}
                self.buckets.load_arrays(data)
        except DedupIndexError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same error to the user
            raise DedupIndexError(f"cannot read dedup index {path}: {exc}") from exc
        self.doc_ids, self.doc_lens = doc_ids, doc_lens
        n = len(arrays["p_doc"])
        self._grow(max(1024, n))
        for name in ("p_doc", "p_start", "p_end", "p_root", "p_size"):
            getattr(self, name)[:n] = arrays[name]
        self.sigs.append(arrays["p_sig"], sketch(arrays["p_sig"]))
        self.n_pass = n


_NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass
class _Match:
    root: np.ndarray
    sim: np.ndarray

    @classmethod
    def none(cls, m: int) -> _Match:
        return cls(np.full(m, -1, dtype=np.int64), np.zeros(m))


def _union_length(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


_EMPTY_QUOTE = re.compile(r"[“\"«„「]\s*[,.;:!?]?\s*[”\"»“」]")


def _drop(text: str, dups: list[DuplicateSpan]) -> tuple[str, tuple[str, ...]]:
    """Remove the duplicate spans; lines left empty disappear with them."""
    pieces, dropped, last = [], [], 0
    for d in sorted(dups, key=lambda d: d.start):
        if d.start < last:
            continue
        pieces.append(text[last:d.start])
        dropped.append(text[d.start:d.end])
        last = d.end
    pieces.append(text[last:])
    # A quotation removed from its sentence leaves its marks behind (“,”): drop them
    # so the attribution reads as a sentence of its own.
    joined = _EMPTY_QUOTE.sub("", "".join(pieces))
    lines = [" ".join(line.split()) for line in joined.split("\n")]
    return "\n".join(line for line in lines if line), tuple(dropped)
