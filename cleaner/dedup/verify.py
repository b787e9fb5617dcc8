"""Is a candidate really a copy? Verification of the passages LSH proposes.

The signatures have already said which earlier passages share enough
character shingles (``signatures.candidates``); here the words decide
(``compare``), because similar wording is not a copy. Two passages are
aligned word by word (a longest common subsequence of their word hashes), and
what they share is weighed by how distinctive the shared words are
(``weights``): a template ("What is the best travel insurance for Japan?" /
"... for seniors?") shares its common words and differs in the decisive ones,
a copy shares the decisive ones.

A passage's words travel and are stored packed, one 64-bit word each
(``pack``): the word's hash (32 bits), its start in the passage (15 bits), its
length (12 bits), its weight in fifteenths (4 bits) and whether it is
decisive, a number or a name (1 bit), so the index keeps 8 bytes a word and the comparison reads
everything it needs from one array.
"""

from __future__ import annotations

import numba
import numpy as np

MAX_WORDS = 400
"""Words of a passage kept and compared (the alignment costs their product;
a sentence rarely has more than a hundred)."""
_START_BITS, _LEN_BITS, _W_BITS = 15, 12, 4
_START_MAX, _LEN_MAX, _W_MAX = (1 << _START_BITS) - 1, (1 << _LEN_BITS) - 1, (1 << _W_BITS) - 1


def pack(hashes: np.ndarray, weights: np.ndarray, starts: np.ndarray, ends: np.ndarray, decisive: np.ndarray,
         origin) -> np.ndarray:
    """Words as packed 64-bit values, offsets relative to ``origin`` (each
    word's passage start, one for all or one per word). Offsets and lengths
    beyond their bit ranges are capped (at MAX_WORDS words a passage does not
    reach them; an over-long word only shortens a reported span's end)."""
    rel = np.minimum(starts - origin, _START_MAX)
    length = np.minimum(ends - starts, _LEN_MAX)
    code = np.clip(np.rint(weights * _W_MAX), 1, _W_MAX).astype(np.uint64)
    return (hashes.astype(np.uint64) | (rel.astype(np.uint64) << np.uint64(32))
            | (length.astype(np.uint64) << np.uint64(32 + _START_BITS))
            | (code << np.uint64(32 + _START_BITS + _LEN_BITS)) | (decisive.astype(np.uint64) << np.uint64(63)))


@numba.njit(cache=True, nogil=True)
def pack_passages(h, w, s, e, decisive, cap, first, end, origins, out, off) -> None:  # pragma: no cover
    """``pack`` for every passage at once: passage k's words are words
    first[k]..end[k] (at most MAX_WORDS), offsets from origins[k], written to
    ``out`` from off[k] (``off`` holds the running sum of their counts).

    A word is decisive when it is a number, or a name: capitalised (``cap``),
    not the passage's first word, in a passage not written in title case
    ("Edwards" in "... Edwards said the plan ..."). The same sentence with
    another name or figure in it is a template filled in again, not a copy
    (``compare``)."""
    for k in range(first.shape[0]):
        a = first[k]
        n = min(end[k] - a, MAX_WORDS)
        caps = 0
        for i in range(a + 1, a + n):
            caps += cap[i]
        names = caps * 2 <= n
        for t in range(n):
            i = a + t
            rel = min(s[i] - origins[k], _START_MAX)
            length = min(e[i] - s[i], _LEN_MAX)
            code = min(max(np.int64(np.rint(w[i] * _W_MAX)), 1), _W_MAX)
            dec = decisive[i] or (names and t > 0 and cap[i])
            out[off[k] + t] = (np.uint64(h[i]) | (np.uint64(rel) << np.uint64(32))
                               | (np.uint64(length) << np.uint64(32 + _START_BITS))
                               | (np.uint64(code) << np.uint64(32 + _START_BITS + _LEN_BITS))
                               | (np.uint64(dec) << np.uint64(63)))


@numba.njit(cache=True, nogil=True)
def unpack(x, hashes, weights, digits):  # pragma: no cover - compiled
    for i in range(x.shape[0]):
        v = x[i]
        hashes[i] = v & np.uint64(0xFFFFFFFF)
        weights[i] = ((v >> np.uint64(32 + _START_BITS + _LEN_BITS)) & np.uint64(_W_MAX)) / _W_MAX
        digits[i] = (v >> np.uint64(63)) != 0


@numba.njit(cache=True, nogil=True)
def _start(v):
    return np.int64((v >> np.uint64(32)) & np.uint64(_START_MAX))


@numba.njit(cache=True, nogil=True)
def _end(v):
    return _start(v) + np.int64((v >> np.uint64(32 + _START_BITS)) & np.uint64(_LEN_MAX))


@numba.njit(cache=True, nogil=True)
def compare(a, aw, ad, b, bw, bd, out) -> None:  # pragma: no cover - compiled
    """Align words ``a`` with words ``b`` (hashes; weights ``aw``/``bw``;
    ``ad``/``bd`` whether each is decisive: a number or a name) by a longest
    common subsequence
    and write what a verdict and a report need to ``out``:

    0 words aligned, 1 their weight, 2 the weight of all of a, 3 of all of b,
    4/5 the first and last word of a's copied part, 6/7 their partners in b,
    8 the longest run of consecutive aligned words,
    9 names or numbers substituted: gaps of the alignment holding a decisive
    word on both sides (the same sentence with other names or figures is a
    template filled in again, not a copy),
    10 the weight of the words aligned inside the copied part, 11/12 the
    weight of the copied part of a and of b, 13 words aligned inside it.

    The copied part is the stretch of a where aligned words outweigh the
    words between them: a longest common subsequence also pairs stray
    function words far from the copy ("said", "in"), which must not stretch
    the reported span."""
    n = min(a.shape[0], MAX_WORDS)
    m = min(b.shape[0], MAX_WORDS)
    for i in range(out.shape[0]):
        out[i] = 0.0
    for i in range(n):
        out[2] += aw[i]
    for j in range(m):
        out[3] += bw[j]
    out[4] = out[5] = out[6] = out[7] = -1
    if n == 0 or m == 0:
        return
    dp = np.zeros((n + 1, m + 1), dtype=np.int32)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if a[i] == b[j]:
                dp[i, j] = dp[i + 1, j + 1] + 1
            elif dp[i + 1, j] >= dp[i, j + 1]:
                dp[i, j] = dp[i + 1, j]
            else:
                dp[i, j] = dp[i, j + 1]
    partner = np.full(n, -1, dtype=np.int64)
    i = 0
    j = 0
    count = 0
    shared = 0.0
    run = 0
    best_run = 0
    last_i = -2
    last_j = -2
    subs = 0
    while i < n and j < m:
        if a[i] == b[j]:
            if last_i >= 0:
                gap_a = False
                for x in range(last_i + 1, i):
                    if ad[x]:
                        gap_a = True
                gap_b = False
                for y in range(last_j + 1, j):
                    if bd[y]:
                        gap_b = True
                if gap_a and gap_b:
                    subs += 1
            if i == last_i + 1 and j == last_j + 1:
                run += 1
            else:
                run = 1
            if run > best_run:
                best_run = run
            count += 1
            shared += aw[i]
            partner[i] = j
            last_i = i
            last_j = j
            i += 1
            j += 1
        elif dp[i + 1, j] >= dp[i, j + 1]:
            i += 1
        else:
            j += 1
    out[0] = count
    out[1] = shared
    out[8] = best_run
    out[9] = subs
    if count == 0:
        return
    # the copied part: the maximum-sum run of aligned words, each worth its
    # weight less the gap before it (the heavier side of the gap: a word
    # swapped for another costs one word, not two)
    best, cur, s0, s1, start = -1.0, 0.0, 0, 0, 0
    prev_i, prev_j = -1, -1
    for i in range(n):
        j = partner[i]
        if j < 0:
            continue
        step = aw[i]
        if prev_i >= 0:
            ga = 0.0
            for x in range(prev_i + 1, i):
                ga += aw[x]
            gb = 0.0
            for y in range(prev_j + 1, j):
                gb += bw[y]
            step -= max(ga, gb)
        if prev_i < 0 or cur <= 0:
            cur, start = aw[i], i
        else:
            cur += step
        if cur > best:
            best, s0, s1 = cur, start, i
        prev_i, prev_j = i, j
    while partner[s0] < 0:
        s0 += 1
    out[4] = s0
    out[5] = s1
    out[6] = partner[s0]
    out[7] = partner[s1]
    k = 0
    inner = 0.0
    wa = 0.0
    for i in range(s0, s1 + 1):
        wa += aw[i]
        if partner[i] >= 0:
            k += 1
            inner += aw[i]
    wb = 0.0
    for j in range(partner[s0], partner[s1] + 1):
        wb += bw[j]
    out[10] = inner
    out[11] = wa
    out[12] = wb
    out[13] = k

NONE, WEAK, STRONG = 0, 1, 2
MIN_WORDS = 4
"""Fewest aligned words that can make a copy: below it ("Read more", a
dateline) nothing tells a copy from a coincidence."""
MIN_WEIGHT = 1.0
"""Least shared weight (``weights``: 1 for a rare word or a number, 0.05 for
"the"): four function words are not a copy however exactly they match."""
RUN = 10
"""Consecutive equal words that make a copy on their own: ten words in a row
are not written twice by chance (and the web reuse check judges a copy the
same way)."""
VERBATIM = 5
"""A passage of at least this many words found word for word in the other."""
LONG = 15
LONG_COVER = 0.6
LONG_RUN = 3
"""A long edited copy: LONG aligned words covering LONG_COVER of the weight
of one of the two passages, with runs of LONG_RUN words at least (wire copy
with a word changed every few words)."""
QUOTE_WORDS = 8
"""A quotation of this many aligned words, edited as a short passage may be
(WEAK_COVER of its weight shared, runs of LONG_RUN words), is a copy on its
own: a quote is somebody's words, and templates are not written in quotation
marks."""
WEAK_COVER = 0.6
"""A short passage whose aligned words hold this much of the weight of one
side is a copy only next to a stronger one (``stage._align``): one word
swapped in a short sentence is what a template looks like too."""


def indexable(word_ranges: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Passages that could ever be judged a copy: MIN_WORDS words holding
    MIN_WEIGHT of weight."""
    cum = np.concatenate(([0.0], np.cumsum(weights, dtype=np.float64)))
    n = word_ranges[:, 1] - word_ranges[:, 0]
    return (n >= MIN_WORDS) & (cum[word_ranges[:, 1]] - cum[word_ranges[:, 0]] >= MIN_WEIGHT)


@numba.njit(cache=True, nogil=True)
def verdict(m, quoted=False) -> int:  # pragma: no cover - compiled
    """STRONG, WEAK or NONE from ``compare``'s measures ``m``; ``quoted``: the
    later passage is a quotation."""
    if m[0] < MIN_WORDS or m[1] < MIN_WEIGHT:
        return NONE
    cover = max(m[1] / max(m[2], 1e-9), m[1] / max(m[3], 1e-9))
    if m[9] > 0:
        return WEAK if cover >= WEAK_COVER else NONE
    if quoted and m[0] >= QUOTE_WORDS and cover >= WEAK_COVER and m[8] >= LONG_RUN:
        return STRONG
    if m[8] >= RUN:
        return STRONG
    if m[8] == m[0] and m[0] >= VERBATIM and cover >= 0.999:
        return STRONG
    if m[0] >= LONG and cover >= LONG_COVER and m[8] >= LONG_RUN:
        return STRONG
    if cover >= WEAK_COVER:
        return WEAK
    return NONE


@numba.njit(cache=True, nogil=True)
def judge(cand, a_words, a_off, a_start, a_end, a_quoted, b_ids, b_off, b_words, b_start, b_end,
          pick, grade, a_s, a_e, b_s, b_e, sim, aligned, subs) -> None:  # pragma: no cover - compiled
    """Every candidate of every passage compared and judged, in one pass.

    Passage q's words are ``a_words[a_off[q]:a_off[q + 1]]`` (packed, offsets
    from ``a_start[q]``); candidate c's are those of row r = searchsorted(b_ids,
    c) of ``b_words`` (from ``b_start[r]``). Per passage the best verdict wins,
    among equals the one sharing the longest run of equal words (an earlier
    page's whole copy of a code sample over another's copy of half of it),
    then the earliest candidate; which one it is (``pick``, a column of
    ``cand``, -1 where no candidate is a copy), its grade and the copied part
    of both passages (``compare``), extended to the passage's own start and
    end where those are its first and last words (so a sentence copied whole
    is reported whole, punctuation and quotes included), with the evidence:
    the weighted similarity of the two parts (shared weight over the weight
    of their union) and the number of aligned words in them."""
    out = np.zeros(14)
    ah = np.empty(MAX_WORDS, dtype=np.uint32)
    aw = np.empty(MAX_WORDS, dtype=np.float64)
    ad = np.empty(MAX_WORDS, dtype=np.bool_)
    bh = np.empty(MAX_WORDS, dtype=np.uint32)
    bw = np.empty(MAX_WORDS, dtype=np.float64)
    bd = np.empty(MAX_WORDS, dtype=np.bool_)
    for q in range(cand.shape[0]):
        if cand[q, 0] < 0:
            continue
        a = a_words[a_off[q]:a_off[q + 1]][:MAX_WORDS]
        unpack(a, ah, aw, ad)
        na = a.shape[0]
        best, best_grade, best_words = -1, NONE, 0
        for j in range(cand.shape[1]):
            c = cand[q, j]
            if c < 0:
                break
            r = np.searchsorted(b_ids, c)
            b = b_words[b_off[r]:b_off[r + 1]][:MAX_WORDS]
            unpack(b, bh, bw, bd)
            nb = b.shape[0]
            compare(ah[:na], aw[:na], ad[:na], bh[:nb], bw[:nb], bd[:nb], out)
            g = verdict(out, a_quoted[q])
            s = out[10] / max(1e-9, out[11] + out[12] - out[10])
            words = np.int64(out[8])
            if g == NONE or g < best_grade or (g == best_grade and (words < best_words
                                                                   or (words == best_words and c > best))):
                continue
            best, best_grade, best_words = c, g, words
            pick[q] = j
            grade[q] = g
            i0, i1, j0, j1 = np.int64(out[4]), np.int64(out[5]), np.int64(out[6]), np.int64(out[7])
            a_s[q] = a_start[q] if i0 == 0 else a_start[q] + _start(a[i0])
            a_e[q] = a_end[q] if i1 == na - 1 and na == a_off[q + 1] - a_off[q] else a_start[q] + _end(a[i1])
            b_s[q] = b_start[r] if j0 == 0 else b_start[r] + _start(b[j0])
            b_e[q] = b_end[r] if j1 == nb - 1 and nb == b_off[r + 1] - b_off[r] else b_start[r] + _end(b[j1])
            sim[q] = min(1.0, s)
            aligned[q] = np.int64(out[13])
            subs[q] = np.int64(out[9])

