"""The dedup stage: passages linked to the earliest record holding them.

Per document, in input order: its passages (``Signer.units``, usually
computed in a worker) are looked up in the LSH buckets; every candidate, and
its cluster root, is checked on the signatures (``signatures.candidates``),
and the best few are compared word by word and judged (``verify.judge``).
Each passage joins the cluster of the earliest verified copy, which is what
``of``/``of_start``/``of_end`` point to. Matched passages that follow each
other in both documents merge into one span, so a reused stretch of three
paragraphs is one duplicate entry. A document whose spans cover most of an
earlier one, with enough distinctive text on both sides, is its near
duplicate.
"""

from __future__ import annotations

import bisect

import hashlib
import os
import re
from dataclasses import dataclass, fields
from collections import deque
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..options import Options
from ..records import DuplicateSpan
from .buckets import SHARDS, BucketIndex, ShardTables
from .index import PassageIndex, check_header
from .signatures import CONTAINMENT, FLOOR, TOP, UnitsBatch, _Units, candidates, signer_for, sketch_cut
from .units import NORMALISATION_VERSION
from .verify import MIN_WORDS, STRONG, compare, judge, unpack

DROP_ROUNDS = 4
TEMPLATE_MIN = 2
"""Passages that differ from their source in a name or a figure and make half
of what a document shares with an earlier one mark the two as one template
filled in twice: nothing between them is reported. Half, not a quarter (until
2026-12-07): a copy whose headline and two of six sentences wrote a figure
another way ("48 million euros", "€48m") was hidden whole, though the other
four sentences were the same word for word. On devdata/dedup the change
found 13 more copied lines and 2 more copied documents with no more false
ones; on WCXB's pages (reusecheck) one more copy and one more look-alike
(174/179 against 173/177)."""
DOC_MIN_SHARE = 0.25
"""Near-duplicate documents are of comparable length: the shorter holds at
least this share of the longer's characters. A paywall stub whose one
remaining paragraph is an article's lede (a wire lede is 40 to 60 words,
past DOC_MIN_WORDS) copies that lede, not the article. Chosen on
devdata/dedup (documents, P/R): none 0.9935/0.9564, 0.25 0.9957/0.9564 (one
stub less, no copy lost), 0.4 0.9957/0.9523, 0.5 0.9956/0.9357 (truncated
copies lost): a choice made on that corpus, which a held-out one decides."""
DOC_MIN_WORDS = 40
"""Aligned words a near-duplicate document shares at least: two or three
sentences. A paywall or cookie stub whose few remaining lines are copies, or
a short notice, is not the same document as a full article that holds them."""
TITLE_PASSAGES = 4
"""Passages of each headline compared (``_title_of_copy``): a headline is a
sentence or two; a "title" of thousands of sentences (hostile input) must not
make the comparison quadratic."""
TITLE_COVER = 0.4
"""The headline of a near-duplicate document is a copy of the earlier
document's headline when their aligned words hold this much of the weight of
each (``_title_of_copy``): an outlet republishing a wire story rewrites a
word or two of its headline ("For buyers, business side leaks" / "For
manufacturers, ..."), which alone is what a template looks like, but next to
a whole copied article it is the same headline. Chosen on one half of
``devdata/dedup`` (split by story hash) among 0.3-0.7: 0.3 and 0.4 found 149
and 147 of its 170 copied headlines (0.7: 136), none wrongly; the higher is
kept, as a lower bar can only add look-alikes. On the other half headline
recall went from 0.859 to 0.906."""


@dataclass(frozen=True)
class DedupResult:
    text: str
    duplicates: tuple[DuplicateSpan, ...]
    near_duplicate_of: str | None
    dropped: tuple[str, ...]
    lines: tuple[int, ...] | None = None
    """Where ``dropped`` changed the text: for each line of ``text``, the line
    of the text given that it is what is left of (so the lines' roles follow
    them); None where the text is the one given."""
    dropped_at: tuple[int, ...] = ()
    """For each of ``dropped``, the line of the text given where it began (so
    the removals can be listed in document order)."""


def sign(docs: list[tuple[str, str | None] | tuple[str, str | None, Sequence[str] | None]],
         options: Options) -> list[_Units]:
    """The half of the stage that needs nothing but the document (its passages,
    signatures and words), for ``(text, title)`` pairs or ``(text, title,
    roles)`` triples: what an executor runs on its workers
    (``Deduper.signed``)."""
    signer = signer_for(options)
    return UnitsBatch(signer.units(*doc) for doc in docs)


def index_params(options: Options) -> dict[str, float | int]:
    """What an index must have been built with to be extended by a run with
    ``options``."""
    signer = signer_for(options)
    return {"normalisation": NORMALISATION_VERSION, "threshold": options.threshold, "shingle": options.shingle,
            "num_perm": options.num_perm, "bands": signer.bands, "rows": signer.rows,
            "min_passage_chars": options.min_passage_chars}


def check_index(path: str, options: Options) -> None:
    """Refuse (DedupIndexError) a file at ``path`` that is not an index this
    run can extend, reading its header only."""
    check_header(path, index_params(options))


class Deduper:
    """Streaming: call :meth:`add` (or :meth:`add_many`) once per document, in
    input order."""

    def __init__(self, options: Options, buckets: BucketIndex | None = None):
        """``buckets``: where the bucket tables live (default: in this process;
        the Dask engine passes one whose shards are spread over the cluster)."""
        self.options = options
        self.signer = signer_for(options)
        self.num_perm = options.num_perm
        self.bands = self.signer.bands
        self.index = PassageIndex(options.num_perm, buckets)
        self.cut = sketch_cut(options.threshold, options.num_perm)
        self._no_sigs = np.zeros((0, self.num_perm), dtype=np.uint8)
        if options.index and os.path.exists(options.index):
            self.index.load(options.index, index_params(options))

    @classmethod
    def on(cls, executor, options: Options) -> "Deduper":
        """A deduper for a run on ``executor``: where the executor has workers
        of its own (a Dask cluster), the bucket tables, most of the index's
        memory, are split by key into shards held next to them, so the index
        grows with the cluster; each batch of lookups is one call per worker,
        all at once, and the results are the local ones, byte for byte."""
        hosts = executor.place(ShardTables, lambda i, n: ([s for s in range(SHARDS) if s % n == i],))
        return cls(options, BucketIndex(hosts) if hosts else None)

    def signed(self, stream: Iterable, executor) -> Iterator[tuple]:
        """``(document, units)`` for each document of ``stream`` (anything
        with ``text``, ``title`` and ``roles``), in order, the units computed
        where the executor runs work: after every stage that changes the
        text, so they are the final text's."""
        from ..executors import ordered_map

        waiting: deque = deque()

        def texts():
            for doc in stream:
                waiting.append(doc)
                # Roles only where they make a difference (a code block), so
                # that a record without code ships no more than its text.
                yield doc.text, doc.title, doc.roles if "code" in doc.roles else None

        for units in ordered_map(executor, sign, texts(), self.options, passthrough=lambda _: False,
                                 weight=lambda item: len(item[0])):
            yield waiting.popleft(), units

    @property
    def doc_ids(self) -> list[str]:
        """Ids of every document in the index, earlier runs' included."""
        return self.index.doc_ids

    @property
    def n_pass(self) -> int:
        return self.index.n_pass

    @property
    def nbytes(self) -> int:
        return self.index.nbytes

    @property
    def bytes_per_passage(self) -> float:
        return self.nbytes / max(1, self.n_pass)

    # --- public -------------------------------------------------------------------

    def add(self, doc_id: str, text: str, title: str | None = None,
            roles: Sequence[str] | None = None) -> DedupResult:
        return self.add_many([(doc_id, text, title, roles)])[0]

    def add_many(self, docs: Sequence[tuple[str, str] | tuple[str, str, str | None]
                                      | tuple[str, str, str | None, Sequence[str] | None]],
                 units: Sequence[_Units | None] | None = None) -> list[DedupResult]:
        """Documents in input order; the same results as adding them one by one.

        The bucket lookups and inserts of the whole batch are one compiled
        pass, in input order, so within the batch a document sees the passages
        of the ones before it, exactly as if they had been added one at a time.
        ``units`` may hold each text's :meth:`Signer.units`, computed elsewhere
        (a worker); None where they are not known. A document is
        ``(id, text)``, ``(id, text, title)`` or ``(id, text, title, roles)``:
        titles are compared with titles and with passages of the text; with
        the text's line roles, a code block is one passage."""
        docs = [(d[0], d[1], d[2] if len(d) > 2 else None, d[3] if len(d) > 3 else None) for d in docs]
        if self.options.dedup == "drop":
            # Dropping edits the text only; a title stays what it is.
            return [self._add_dropping(doc_id, text, roles) for doc_id, text, _, roles in docs]
        if not docs:
            return []
        given = units or [None] * len(docs)
        units = [u if u is not None and u.fit(text, title) else self.signer.units(text, title, roles)
                 for (_, text, title, roles), u in zip(docs, given)]
        counts = np.array([len(u.spans) for u in units], dtype=np.int64)
        keys = np.concatenate([u.keys for u in units]).ravel() if counts.sum() else np.zeros(0, dtype=np.uint64)
        base = self.index.n_pass
        pids = base + np.arange(len(keys)) // self.bands
        first_of_doc = base + np.concatenate(([0], np.cumsum(counts)[:-1]))
        floors = np.repeat(np.repeat(first_of_doc, counts), self.bands)
        hits = self.index.buckets.match_and_insert(keys, pids, floors).reshape(-1, self.bands)
        per_doc = np.split(hits, np.cumsum(counts)[:-1])
        # A document whose candidates are all in the index from before this
        # batch is matched with the others like it, in one pass; one with a
        # candidate among this batch's earlier documents waits for them to be
        # stored.
        ahead = [i for i, h in enumerate(per_doc) if not (h >= base).any()]
        early = dict(zip(ahead, self._match_many([units[i] for i in ahead], [per_doc[i] for i in ahead])))
        results = []
        for i, ((doc_id, text, title, _), u) in enumerate(zip(docs, units)):
            doc = self.index.add_document(doc_id, len(text), u.lead)
            match = early[i] if i in early else self._match(u, per_doc[i])
            dups, copied = self._align(u, match, f"{title}\n{text}" if title else text)
            near = self._near_duplicate(text, dups, copied)
            if near is not None and u.lead and not any(d.field == "title" for d, _ in dups):
                title_dup = self._title_of_copy(u, match, near)
                if title_dup is not None:
                    dups.insert(0, (title_dup, near))
            results.append(DedupResult(text, tuple(d for d, _ in dups),
                                       None if near is None else self.index.doc_ids[near], ()))
            self.index.store(doc, u, match.root)
        self.index.settle()
        return results

    def _add_dropping(self, doc_id: str, text: str, roles: Sequence[str] | None = None) -> DedupResult:
        doc = self.index.add_document(doc_id, len(text), 0)
        units = self.signer.units(text, None, roles)
        dups, copied = self._align(units, self._match(units, self._lookup(units)), text)
        near = self._near_duplicate(text, dups, copied)
        near = None if near is None else self.index.doc_ids[near]
        dropped: tuple[str, ...] = ()
        dropped_at: tuple[int, ...] = ()
        out_text = text
        lines: list[int] | None = None
        # Dropping a span can leave a remainder that is itself a copy (the
        # attribution after a removed quote): match again until nothing is left.
        for _ in range(DROP_ROUNDS):
            if not dups:
                break
            out_text, more, left, began = _drop(out_text, [d for d, _ in dups])
            dropped_at += tuple(began) if lines is None else tuple(lines[i] for i in began)
            lines = left if lines is None else [lines[i] for i in left]
            dropped += more
            units = self.signer.units(out_text, None, [roles[i] for i in lines] if roles else None)
            dups, _ = self._align(units, self._match(units, self._lookup(units)), out_text)
        self.index.doc_lens[doc] = len(out_text)
        self.index.store(doc, units, _Match.none(len(units.spans)).root)
        n = self.index.n_pass
        self.index.buckets.insert(units.keys.ravel(), np.repeat(np.arange(n - len(units.spans), n), self.bands))
        self.index.settle()
        return DedupResult(out_text, (), near, dropped, tuple(lines) if lines is not None else None, dropped_at)

    def _lookup(self, units: _Units) -> np.ndarray:
        return self.index.buckets.lookup(units.keys.ravel()).reshape(units.keys.shape)

    def close(self, save: bool = True, commit: bool = True) -> None:
        """Release the temporary files; with ``save`` (a completed run) write
        the index to ``--index`` first (without ``commit``, beside it, for
        ``index.commit_index`` to put in place)."""
        try:
            if save and self.options.index:
                self.index.save(self.options.index, index_params(self.options), commit)
        finally:
            self.index.close()

    # --- steps ----------------------------------------------------------------------

    def _match(self, units: _Units, hits: np.ndarray) -> _Match:
        """Per passage, the earliest verified copy among its candidates (see
        :meth:`_match_many`)."""
        return self._match_many([units], [hits])[0]

    def _match_many(self, units: Sequence[_Units], hits: Sequence[np.ndarray]) -> list[_Match]:
        """Per passage of each document, the earliest verified copy among its
        candidates.

        Every candidate the buckets propose (``hits``) is checked on the
        signatures, and so is its cluster root (a heavily edited copy may be
        closest to an earlier copy rather than to the original); the TOP best
        are compared word by word and judged (``verify.judge``).

        Each passage's answer depends only on the index as it stands and on
        the passage itself, so the passages of several documents are matched
        in one pass (one call of each compiled step): the caller hands over
        together only documents whose candidates are all already in the
        index."""
        ix = self.index
        counts = [len(u.spans) for u in units]
        match = _Match.none(sum(counts))
        parts = match.split(counts)
        if not match.root.shape[0]:
            return parts
        hits = np.concatenate(hits)
        if not (hits >= 0).any():
            return parts

        def stacked(name: str) -> np.ndarray:
            return np.concatenate([getattr(u, name) for u in units])

        sig, sig_sketch, size = stacked("sig"), stacked("sketch"), stacked("size")
        cand = np.full((len(hits), TOP), -1, dtype=np.int64)
        cand_eq = np.zeros((len(hits), TOP), dtype=np.int64)
        # First pass: what the sketches cannot settle and memory does not hold
        # is listed; a second pass over the passages that needed it, with
        # those read from the file.
        missing = np.empty(2 * hits.size, dtype=np.int64)
        need = np.zeros(len(hits), dtype=np.bool_)
        args = (ix.p_root, ix.sigs.sketches)
        cached = ix.sigs.cached()
        n = candidates(hits, *args, _NO_IDS, self._no_sigs, *cached, ix.sigs.n_disk, ix.sigs.tail, ix.p_size, sig,
                       sig_sketch, size, self.options.threshold, FLOOR, CONTAINMENT, self.cut, cand, cand_eq,
                       missing, need)
        if n:
            g_ids = np.unique(missing[:n])
            g_sigs = ix.sigs.gather(g_ids)
            rows = np.nonzero(need)[0]
            c2 = np.full((len(rows), TOP), -1, dtype=np.int64)
            e2 = np.zeros((len(rows), TOP), dtype=np.int64)
            n = candidates(hits[rows], *args, g_ids, g_sigs, *cached, ix.sigs.n_disk, ix.sigs.tail, ix.p_size,
                           sig[rows], sig_sketch[rows], size[rows], self.options.threshold, FLOOR,
                           CONTAINMENT, self.cut, c2, e2, missing, need[rows])
            if n:
                raise AssertionError("signatures gathered for verification were not found")
            cand[rows], cand_eq[rows] = c2, e2
            ix.sigs.remember(g_ids, g_sigs)
        if not (cand[:, 0] >= 0).any():
            return parts
        words, spans, quoted = stacked("words"), stacked("spans"), stacked("quoted")
        word_off = np.zeros(len(hits) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([np.diff(u.word_off) for u in units]), out=word_off[1:])
        b_ids = np.unique(cand[cand >= 0])
        b_words, b_off = ix.words.gather(b_ids)
        pick = np.full(len(cand), -1, dtype=np.int64)
        judge(cand, words, word_off, spans[:, 0], spans[:, 1], quoted, b_ids, b_off, b_words,
              ix.p_start[b_ids].astype(np.int64), ix.p_end[b_ids].astype(np.int64), pick, match.grade,
              match.a_start, match.a_end, match.b_start, match.b_end, match.sim, match.aligned, match.subs)
        found = np.nonzero(pick >= 0)[0]
        src = cand[found, pick[found]]
        match.src[found] = src
        match.root[found] = ix.p_root[src]
        return parts

    def _align(self, units: _Units, match: _Match,
               whole: str | None = None) -> tuple[list[tuple[DuplicateSpan, int]], list[tuple]]:
        """Matched passages -> spans (with the index of the earlier document);
        neighbours matched into the same earlier document, in the same order
        there, merge into one maximal span. Also returns the accepted
        passages of the text as (start, end, cluster root, aligned words), for
        the verdict on the whole document.

        A WEAK match (a short passage with a word changed) stands only next to
        a match into the same document: copied text comes in stretches, a
        template sentence alone."""
        items = []
        for k in np.nonzero(match.root >= 0)[0].tolist():
            src = int(match.src[k])
            items.append([int(match.a_start[k]), int(match.a_end[k]), int(self.index.p_doc[src]),
                          int(match.b_start[k]), int(match.b_end[k]), float(match.sim[k]), int(match.root[k]), 1,
                          int(match.grade[k]), int(match.aligned[k]), int(match.subs[k])])
        if not items:
            return [], []
        # The same sentences with other names or figures in them, again and
        # again: a template filled in twice (two market reports, two listings),
        # whatever the sentences between them share.
        per_doc: dict[int, list[int]] = {}
        for it in items:
            per_doc.setdefault(it[2], [0, 0])[it[10] > 0] += 1
        templates = {d for d, (plain, filled) in per_doc.items() if filled >= TEMPLATE_MIN and filled * 2 >= plain + filled}
        items = [it for it in items if it[2] not in templates]
        if not items:
            return [], []
        # Where a quote and its sentence both matched, keep the better match: a
        # quote re-attributed by another outlet matches as a quote, not as a
        # sentence whose other half was rewritten.
        items.sort(key=lambda x: (x[0], -x[1]))
        kept: list[list] = []
        for it in items:
            if kept and it[0] < kept[-1][1]:  # overlaps the previous span
                if (it[8], it[5]) > (kept[-1][8], kept[-1][5]):
                    kept[-1] = it
                continue
            kept.append(it)
        left = units.spans[match.root < 0]
        left_starts, left_ends = left[:, 0].tolist(), left[:, 1].tolist()  # by start, as units are

        def unmatched_within(start: int, end: int) -> bool:
            """A passage of this text that matched nothing lies in [start, end)."""
            return _span_within(left_starts, left_ends, start, end)
        lead = units.lead

        theirs: dict[int, tuple[list[int], list[int]]] = {}

        def skipped_there(doc: int, start: int, end: int, room: int) -> bool:
            """The earlier document has a passage of its own in [start, end)
            more than twice as long as the ``room`` this text has in the same
            place: text this one did not copy, which a span's source side
            must not take in. (Where this text has half as much between, that
            may be the passage rewritten too far to match, and the copy goes
            on around it, as it does around a short line here.)"""
            if doc not in theirs:
                sl = self.index.passages_of(doc)
                theirs[doc] = (self.index.p_start[sl].tolist(), self.index.p_end[sl].tolist())
            starts, ends = theirs[doc]  # by start (a document's passages are stored in text order)
            return _span_within(starts, ends, start, end, longer=2 * room)

        def joins(prev: list, it: list) -> bool:
            """``it`` continues ``prev``: same earlier document, same field on
            both sides, after it there, nothing unmatched between on either
            side. After: a line printed twice copies one earlier line twice,
            and one span over both would be twice the passage it names as its
            source. Nothing between there: two sentences copied from either
            side of a paragraph this text left out are two spans, or the
            source side of one would name the paragraph as copied too."""
            return (prev[2] == it[2] and (prev[0] < lead) == (it[0] < lead)
                    and (prev[3] < self.index.doc_leads[prev[2]]) == (it[3] < self.index.doc_leads[it[2]])
                    and it[3] >= prev[4] and not unmatched_within(prev[1], it[0])
                    and not skipped_there(prev[2], prev[4], it[3], it[0] - prev[1]))

        def near(a: list, b: list) -> bool:
            return a[2] == b[2] and b[3] >= a[3] and not unmatched_within(a[1], b[0])

        accepted = [it[8] == STRONG for it in kept]
        changed = True
        while changed:
            changed = False
            for i, it in enumerate(kept):
                if accepted[i]:
                    continue
                if (i > 0 and accepted[i - 1] and near(kept[i - 1], it)) or \
                        (i + 1 < len(kept) and accepted[i + 1] and near(it, kept[i + 1])):
                    accepted[i] = changed = True
        copied = [(it[0] - lead, it[1] - lead, it[6], it[9]) for it, ok in zip(kept, accepted) if ok and it[0] >= lead]
        merged: list[list] = []
        for it, ok in zip(kept, accepted):
            if not ok:
                continue
            if merged and joins(merged[-1], it):
                prev = merged[-1]
                prev[1] = max(prev[1], it[1])
                prev[4] = max(prev[4], it[4])
                prev[5] += it[5]
                prev[7] += 1
                prev[9] += it[9]
                continue
            merged.append(list(it))
        out = []
        for s, e, doc, of_s, of_e, sim_sum, root, count, _, aligned, _ in merged:
            if whole is not None and _repetitive(whole[s:e]):
                continue
            of_lead = self.index.doc_leads[doc]
            field, shift = ("title", 0) if s < lead else ("text", lead)
            of_field, of_shift = ("title", 0) if of_s < of_lead else ("text", of_lead)
            out.append((DuplicateSpan(start=s - shift, end=e - shift, of=self.index.doc_ids[doc], of_start=of_s - of_shift,
                                      of_end=of_e - of_shift, similarity=round(sim_sum / count, 4),
                                      cluster=self._cluster_id(root), field=field, of_field=of_field,
                                      words=aligned), doc))
        return out, copied

    def _near_duplicate(self, text: str, dups: list[tuple[DuplicateSpan, int]], copied: list[tuple]) -> int | None:
        """The earliest document (its number in the index) whose copied passages cover ``doc_threshold``
        of the shorter of the two, measured on each side (a truncated or
        extended copy still counts), and hold DOC_MIN_WORDS aligned words (a stub's leftovers, a shared
        footer or a statement quoted in two articles are not a document), the
        shorter at least DOC_MIN_SHARE of the longer.

        A passage counts for an earlier document when it is in a cluster that
        document has a passage in: a press release's boilerplate paragraph is
        linked to the first release that had it, yet it is just as much a copy
        of this one's other earlier copies."""
        if not dups or not text:
            return None
        ix = self.index
        for doc in sorted({doc for _, doc in dups}):
            sl = ix.passages_of(doc)
            their_roots = ix.p_root[sl]
            roots = set(their_roots.tolist())
            mine = [(s, e, n, root) for s, e, root, n in copied if root in roots]
            shorter = min(len(text.strip()), ix.doc_lens[doc])
            longer = max(len(text.strip()), ix.doc_lens[doc])
            if not shorter or not mine or sum(n for _, _, n, _ in mine) < DOC_MIN_WORDS \
                    or shorter < DOC_MIN_SHARE * longer:
                continue
            need = self.options.doc_threshold * shorter
            # The merged spans into that document count too: the text between
            # two matched passages (a sentence too short to be a unit, a
            # dateline) is part of the copy the reader sees flagged.
            into = [d for d, other in dups if other == doc and d.field == "text"]
            if _union_length([(s, e) for s, e, _, _ in mine] + [(d.start, d.end) for d in into]) < need:
                continue
            # Covered on both sides: a passage this text repeats five times
            # covers one passage of the other document, not five (a page
            # repeating a placeholder paragraph that a short page also holds).
            # The other document's own repeats of a covered passage (the same
            # sketch) are covered too: an exact copy of a page that repeats
            # itself covers all of it. (Read only when the cover by clusters
            # falls short, which a plain copy's does not.)
            lead = int(ix.doc_leads[doc])
            starts, ends = ix.p_start[sl], ix.p_end[sl]
            body = starts >= lead
            theirs = np.isin(their_roots, [r for *_, r in mine]) & body
            spans_there = [(d.of_start, d.of_end) for d in into if d.of_field == "text"]
            if _cover(starts, ends, theirs, lead, spans_there) < need:
                sketches = ix.sigs.sketches[sl]
                seen = {row.tobytes() for row in sketches[theirs]}
                theirs |= body & np.fromiter((row.tobytes() in seen for row in sketches), dtype=bool,
                                             count=len(sketches))
                if _cover(starts, ends, theirs, lead, spans_there) < need:
                    continue
            return doc
        return None

    def _title_of_copy(self, units: _Units, match: _Match, doc: int) -> DuplicateSpan | None:
        """The headline of a document judged a near duplicate of ``doc``,
        compared with ``doc``'s headline at a lower bar than passages
        (``TITLE_COVER`` of each side's weight, MIN_WORDS aligned words, no name
        or figure swapped): the whole copied article is the evidence the
        headline alone cannot give. The headline joins the cluster of the one
        it copies (``match.root``), so a later copy finds it too."""
        ix = self.index
        mine = np.nonzero(units.spans[:, 1] <= units.lead)[0][:TITLE_PASSAGES]
        sl = ix.passages_of(doc)
        theirs = np.arange(sl.start, sl.stop)[ix.p_start[sl] < ix.doc_leads[doc]][:TITLE_PASSAGES]
        if not len(mine) or not len(theirs):
            return None
        b_words, b_off = ix.words.gather(theirs)
        their_words = [_unpacked(b_words[b_off[r]:b_off[r + 1]]) for r in range(len(theirs))]
        out = np.zeros(14)
        best = None
        for k in mine.tolist():
            a = _unpacked(units.words[units.word_off[k]:units.word_off[k + 1]])
            for pid, b in zip(theirs.tolist(), their_words):
                compare(*a, *b, out)
                if out[0] < MIN_WORDS or out[9] > 0:
                    continue
                cover = min(out[1] / max(out[2], 1e-9), out[1] / max(out[3], 1e-9))
                if cover >= TITLE_COVER and (best is None or cover > best[0]):
                    best = (cover, k, pid, out[10] / max(1e-9, out[11] + out[12] - out[10]), int(out[0]))
        if best is None:
            return None
        _, k, pid, sim, aligned = best
        match.root[k] = ix.p_root[pid]
        return DuplicateSpan(start=int(units.spans[k, 0]), end=int(units.spans[k, 1]), of=ix.doc_ids[doc],
                             of_start=int(ix.p_start[pid]), of_end=int(ix.p_end[pid]), similarity=round(min(1.0, float(sim)), 4),
                             cluster=self._cluster_id(int(ix.p_root[pid])), field="title", of_field="title",
                             words=aligned)

    def _cluster_id(self, root: int) -> str:
        ix = self.index
        key = f"{ix.doc_ids[ix.p_doc[root]]}\x00{ix.p_start[root]}\x00{ix.p_end[root]}"
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_NO_IDS = np.zeros(0, dtype=np.int64)


def _unpacked(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A passage's packed words as (hashes, weights, decisive), ``compare``'s input."""
    h, w, d = np.empty(len(packed), np.uint32), np.empty(len(packed)), np.empty(len(packed), np.bool_)
    unpack(packed, h, w, d)
    return h, w, d


@dataclass
class _Match:
    root: np.ndarray
    sim: np.ndarray
    src: np.ndarray
    """The verified earlier passage each passage copies (-1: none)."""
    a_start: np.ndarray
    a_end: np.ndarray
    """The copied part of each passage (its aligned words, first to last)."""
    b_start: np.ndarray
    b_end: np.ndarray
    """The same part of the earlier passage."""
    grade: np.ndarray
    """verify.STRONG or verify.WEAK (NONE where nothing matched)."""
    aligned: np.ndarray
    """Words aligned in the copied part."""
    subs: np.ndarray
    """Names or numbers the two passages have in different places."""

    @classmethod
    def none(cls, m: int) -> _Match:
        z = lambda: np.full(m, -1, dtype=np.int64)  # noqa: E731
        n = lambda: np.zeros(m, dtype=np.int64)  # noqa: E731
        return cls(z(), np.zeros(m), z(), z(), z(), z(), z(), n(), n(), n())

    def split(self, counts: Sequence[int]) -> list[_Match]:
        """Consecutive parts of ``counts`` passages each, as views: what is
        written into this one is in them."""
        if len(counts) == 1:
            return [self]
        ends = np.cumsum(counts).tolist()
        arrays = [getattr(self, f.name) for f in fields(self)]
        return [_Match(*(a[e - c:e] for a in arrays)) for c, e in zip(counts, ends)]


def _cover(starts: np.ndarray, ends: np.ndarray, chosen: np.ndarray, lead: int,
           spans: list[tuple[int, int]]) -> int:
    """Characters of a document's text under its ``chosen`` passages or under
    ``spans`` (the merged spans copied from it)."""
    return _union_length(list(zip((starts[chosen] - lead).tolist(), (ends[chosen] - lead).tolist())) + spans)


def _union_length(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


_EMPTY_QUOTE = re.compile(r"[“\"«„「]\s*[,.;:!?]?\s*[”\"»“」]")
_CLOSE_LEFT = re.compile(r"^\s*[,;:]?\s*[”\"»’」]+(?=\s|$)")
"""The closing mark of a quotation whose words a dropped span took, left at
the start of what follows it (``," Peeters said.``): it goes with them."""
_OPEN_LEFT = re.compile(r"(?<=\s)[“\"«„「]\s*$|^[“\"«„「]\s*$")
"""The opening mark of a quotation whose words a dropped span took, left at
the end of what precedes it (``Peeters said: “``)."""


def _span_within(starts: list[int], ends: list[int], start: int, end: int, longer: int = -1) -> bool:
    """One of the spans ``[starts[k], ends[k])`` (sorted by start) lies within
    [start, end) and is longer than ``longer`` characters."""
    for k in range(bisect.bisect_left(starts, start), len(starts)):
        if starts[k] >= end:
            break
        if ends[k] <= end and ends[k] - starts[k] > longer:
            return True
    return False


_TOKEN = re.compile(r"\w+")


def _repetitive(span: str) -> bool:
    """A span of MIN_WORDS words and more that holds fewer than MIN_WORDS
    distinct ones ("Yes | Yes | Yes | Yes", a table's row of ticks shared by
    two comparison pages): a run of equal words, but one word said again,
    which no one copies. (A script without spaces is one token a sentence,
    and never counts as repetitive.)"""
    words = _TOKEN.findall(span.casefold())
    return len(words) >= MIN_WORDS and len(set(words)) < MIN_WORDS


def _drop(text: str, dups: list[DuplicateSpan]) -> tuple[str, tuple[str, ...], list[int], list[int]]:
    """Remove the duplicate spans; lines left empty disappear with them. Line
    by line: what is left of a line stays a line of its own (a span across a
    line break does not join the line before it to the one after). The third
    value lists, for each line left, which line of ``text`` it was; the
    fourth, for each span dropped, the line of ``text`` where it began."""
    spans, dropped, began, last = [], [], [], 0
    for d in sorted(dups, key=lambda d: d.start):
        if d.start < last:
            continue
        spans.append((d.start, d.end))
        dropped.append(text[d.start:d.end])
        began.append(text.count("\n", 0, d.start))
        last = d.end
    out, left, start, k = [], [], 0, 0
    for i, line in enumerate(text.split("\n")):
        end = start + len(line)
        pieces, at = [], start
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        j = k
        while j < len(spans) and spans[j][0] < end:
            before = text[at:max(at, spans[j][0])]
            pieces.append(_OPEN_LEFT.sub("", before))
            at = max(at, spans[j][1])
            j += 1
        after = text[at:end] if at < end else ""
        pieces.append(_CLOSE_LEFT.sub("", after) if j > k else after)
        # A quotation removed from its sentence leaves its marks behind (“,”):
        # drop them so the attribution reads as a sentence of its own. A line
        # a span cut down to punctuation alone (the opening “ a sentence's
        # span leaves out) goes with the span.
        if j == k:
            kept = line  # untouched: as it was (a line of code keeps its indentation)
        else:
            kept = " ".join(_EMPTY_QUOTE.sub("", "".join(pieces)).split())
            if kept and not any(ch.isalnum() for ch in kept):
                kept = ""
        if kept:
            out.append(kept)
            left.append(i)
        start = end + 1
    return "\n".join(out), tuple(dropped), left, began
