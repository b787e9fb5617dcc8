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
    """The shipped table: sorted word hashes and their Zipf frequency in tenths.
    Loaded without pickles (plain arrays in an npz)."""
    with resources.files("cleaner").joinpath("data/word_weights.npz").open("rb") as f:
        with np.load(f, allow_pickle=False) as data:
            return data["hashes"].copy(), data["zipf"].astype(np.float32) / 10.0


def weight_of(zipf: np.ndarray) -> np.ndarray:
    """Zipf frequency -> weight in [WEIGHT_FLOOR, 1] (0 Zipf: unknown, rare)."""
    w = (COMMON_ZIPF - zipf) / (COMMON_ZIPF - RARE_ZIPF)
    return np.clip(w, WEIGHT_FLOOR, 1.0).astype(np.float32)


def word_weights(hashes: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """Weight of each word (``units.words`` hashes), numbers at 1."""
    keys, zipf = _table()
    at = np.searchsorted(keys, hashes)
    at = np.minimum(at, len(keys) - 1)
    found = keys[at] == hashes
    z = np.where(found, zipf[at], 0.0)
    w = weight_of(z)
    w[digit] = 1.0
    return w
