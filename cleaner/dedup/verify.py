"""Is a candidate really a copy? Verification of the passages LSH proposes."""

from __future__ import annotations

import numba
import numpy as np

from .signatures import _sketch_equal, estimate

CONTAINMENT = 0.65


@numba.njit(cache=True, nogil=True)
def _verify(hits, roots, sketches, g_ids, g_sigs, tail_start, tail, sizes, sig, sig_sketch, size, threshold, floor,
            containment, cut, out_root, out_sim, missing, need) -> int:  # pragma: no cover
    """Compiled body of ``Deduper._match``: per passage, every proposed
    candidate and its cluster root, compared on all signature values; the most
    similar accepted one wins, ties going to the earliest.

    Full signatures of passages from ``tail_start`` on are in ``tail``; for
    earlier ones (in the file) the in-memory 2-bit sketch is compared first,
    and only a candidate above ``cut`` needs its full signature, looked up in
    ``g_ids``/``g_sigs`` (gathered from the file). Candidates needed but not
    gathered are written to ``missing`` and counted in the return value, and
    their passages flagged in ``need``: a passage's result is final unless it
    is flagged (see ``Deduper._match``)."""
    k = sig.shape[1]
    n_missing = 0
    for q in range(hits.shape[0]):
        best_eq, best_c = -1, -1
        for band in range(hits.shape[1]):
            c0 = hits[q, band]
            if c0 < 0:
                continue
            for t in range(2):
                c = c0 if t == 0 else roots[c0]
                if t == 1 and c == c0:
                    continue
                eq = 0
                if c < tail_start:
                    e2 = _sketch_equal(sketches[c], sig_sketch[q], k) / k
                    if (e2 - 0.25) / 0.75 < cut:
                        continue
                    r = np.searchsorted(g_ids, c)
                    if r == g_ids.shape[0] or g_ids[r] != c:
                        missing[n_missing] = c
                        n_missing += 1
                        need[q] = True
                        continue
                    for p in range(k):
                        eq += g_sigs[r, p] == sig[q, p]
                else:
                    for p in range(k):
                        eq += tail[c - tail_start, p] == sig[q, p]
                if eq < best_eq or (eq == best_eq and c >= best_c):
                    continue
                sim = estimate(eq, k)
                ok = sim >= threshold
                if not ok and sim >= threshold * floor:
                    a, b = float(size[q]), float(sizes[c])
                    shared = sim * (a + b) / (1.0 + sim)
                    ok = shared / max(1.0, min(a, b)) >= containment
                if ok:
                    best_eq, best_c = eq, c
        if best_c >= 0:
            out_root[q] = roots[best_c]
            out_sim[q] = estimate(best_eq, k)
    return n_missing

