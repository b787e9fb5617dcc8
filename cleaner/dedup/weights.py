"""How distinctive a word is: the weight it carries when two passages are
compared (``verify``). A copy shares distinctive words; a stock phrase or a
template ("How much does it cost to hire ...", "Frequently asked questions
about ...") shares only common ones, and its own words (the names, the
numbers) differ.

The weight comes from the word's Zipf frequency (log10 of its frequency per
billion words) in the table built by ``training/word_weights.py`` from
wordfreq's lists of 42 languages; a word not in the table is rarer than every
listed one, and a number is always decisive.
"""

from __future__ import annotations

import functools
from importlib import resources

import numba
import numpy as np

COMMON_ZIPF = 7.0
"""Zipf frequency at and above which a word weighs WEIGHT_FLOOR: "the", "of",
"and" (7.3-7.7 in English), "de", "la" in Romance languages."""
RARE_ZIPF = 3.0
"""Zipf frequency at and below which a word weighs 1: once in a million words
("movers", "tirzepatide", most names). Between the two the weight falls
linearly with the logarithm of the frequency."""
WEIGHT_FLOOR = 0.05
"""The least a word weighs: shared function words still tell a little about
order and wording."""


@functools.cache
def _table() -> tuple[np.ndarray, np.ndarray]:
    """The shipped table, loaded without pickles (plain arrays in an npz), as
    an open-addressing hash table: word hash -> Zipf frequency in tenths."""
    with resources.files("cleaner").joinpath("data/word_weights.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            keys, zipf = data["hashes"], data["zipf"]
    bits = max(10, int(len(keys) * 2 - 1).bit_length())
    slots = np.zeros(1 << bits, dtype=np.uint64)  # key << 8 | zipf, 0 = empty
    _fill(slots, keys.astype(np.uint64), zipf.astype(np.uint64))
    return slots, np.array([bits], dtype=np.int64)


@numba.njit(cache=True, nogil=True)
def _fill(slots, keys, zipf):  # pragma: no cover - compiled
    mask = slots.shape[0] - 1
    for i in range(keys.shape[0]):
        k = (keys[i] * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        j = np.int64(k) & mask
        while slots[j] != 0:
            j = (j + 1) & mask
        slots[j] = ((keys[i] + np.uint64(1)) << np.uint64(8)) | zipf[i]


@numba.njit(cache=True, nogil=True)
def _zipf(slots, hashes, out):  # pragma: no cover - compiled
    """Zipf frequency of each hash (0 for a word not in the table)."""
    mask = slots.shape[0] - 1
    for i in range(hashes.shape[0]):
        key = np.uint64(hashes[i])
        k = (key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        j = np.int64(k) & mask
        out[i] = 0.0
        while slots[j] != 0:
            if (slots[j] >> np.uint64(8)) == key + np.uint64(1):
                out[i] = (slots[j] & np.uint64(0xFF)) / 10.0
                break
            j = (j + 1) & mask


def weight_of(zipf: np.ndarray) -> np.ndarray:
    """Zipf frequency -> weight in [WEIGHT_FLOOR, 1] (0 Zipf: unknown, rare)."""
    w = (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)
    return np.clip(w, WEIGHT_FLOOR, 1.0).astype(np.float32)


def word_weights(hashes: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """Weight of each word (``units.words`` hashes), numbers at 1."""
    slots, _ = _table()
    z = np.empty(len(hashes), dtype=np.float32)
    _zipf(slots, hashes, z)
    w = weight_of(z)
    w[digit] = 1.0
    return w
