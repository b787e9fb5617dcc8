"""Build ``cleaner/data/word_weights.npz``: how common each word is, for dedup's
verification (cleaner/dedup/weights.py), from wordfreq's frequency lists.

    pip install wordfreq && python training/word_weights.py

Why a table of our own instead of wordfreq at run time: wordfreq's data is
58 MB and its lookups go word by word through Python; dedup needs the
commonness of every word of every candidate passage inside a compiled loop.
So the words are hashed exactly as cleaner hashes them (``cleaner.dedup.units``:
folded, joiners skipped, each character a word in scripts without spaces) and
stored as two arrays: the sorted 32-bit hashes and the word's highest Zipf
frequency over all of wordfreq's languages, in tenths (a word common in any
language is common: "die" is a German article).

TOP words per language are kept: the TOP-th word of a large language has a
Zipf frequency near 3 (once in a million words), where a word already counts
as fully distinctive (see ``weights.weight_of``), so rarer words need no entry.
Deterministic: the same wordfreq version gives the same file byte for byte.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "cleaner" / "data" / "word_weights.npz"
TOP = 30_000


def main() -> int:
    try:
        from wordfreq import available_languages, get_frequency_dict
    except ImportError:
        print("wordfreq is not installed (pip install wordfreq); nothing built")
        return 0
    from cleaner.dedup.units import normalise, words

    best: dict[int, int] = {}
    for lang in sorted(available_languages("best")):
        freqs = get_frequency_dict(lang, wordlist="best")
        for word, freq in sorted(freqs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]:
            cps, pos = normalise(word)
            h, _, _, digit = words(cps, pos, len(word))
            if len(h) != 1 or digit[0]:
                continue  # phrases and numbers: numbers are always decisive
            z = int(round(max(0.0, math.log10(freq) + 9) * 10))  # Zipf: log10 of per-billion frequency
            key = int(h[0])
            if z > best.get(key, -1):
                best[key] = z
    keys = np.array(sorted(best), dtype=np.uint32)
    zipf = np.array([best[k] for k in keys.tolist()], dtype=np.uint8)
    buf = io.BytesIO()
    np.savez_compressed(buf, hashes=keys, zipf=zipf)
    OUT.write_bytes(buf.getvalue())
    print(f"{len(keys)} words, {OUT.stat().st_size / 1e6:.1f} MB -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
