"""The learned page model.

:mod:`~cleaner.model.features` computes the block features (a DOM-free family
for a block's words, a DOM family for its place in the page),
:mod:`~cleaner.model.pagetype` the page-level features of the page-type model,
:mod:`~cleaner.model.model` loads the three LightGBM models and runs them (one
call each per page), and :mod:`~cleaner.model.decide` turns the probabilities
into the cleaned text, named removals and the title.
"""

from __future__ import annotations

from .decide import Decided, decide


def clean_page(prep, model=None) -> Decided:
    """Judge every block of a prepared page (:func:`cleaner.model.model.prepare`)
    with ``model`` (default: the shipped one)."""
    from .model import shipped

    model = model or shipped()
    probs, types = model.predict(prep)
    blocks = prep.blocks
    keep = keep_mask(probs, model.threshold_for(types))
    islands = model.islands_for(types)
    if islands:
        keep = drop_islands(keep, prep.words_per_block(), *islands)
    return decide([b.text for b in blocks], [b.role for b in blocks], keep, prep.meta.title, model.veto_rules,
                  model.repeats_for(types), [b.shown for b in blocks], [b.shown_role for b in blocks],
                  [b.row for b in blocks], [b.col for b in blocks])


def keep_mask(probs, threshold: float):
    """Blocks at or above the threshold; on a page where none is, its
    highest-scoring block(s): a document is cleaned for its content, and a
    fragment of one paragraph (unlike the pages the model learned from) would
    otherwise come out empty. Measured out-of-fold on WCXB's 1,497 pages, this
    changes 7 outputs and the mean F1 by -0.001 (pages whose truth is empty or
    elsewhere); kept for the fragments."""
    keep = probs >= threshold
    if len(probs) and not keep.any():
        keep = probs >= probs.max()
    return keep


def drop_islands(keep, words, gap: int, min_words: float):
    """Content is contiguous: kept blocks closer than ``gap`` removed blocks
    apart form one run, and every run but the one with the most words is
    dropped when it holds fewer than ``min_words`` words (a "Related" teaser or
    a caption kept far from the article). The parameters are chosen per page
    type by cross-validation (``training/train.py``; none: nothing dropped)."""
    import numpy as np

    idx = np.flatnonzero(keep)
    if len(idx) < 2 or min_words <= 0:
        return keep
    run = np.concatenate(([0], np.cumsum(np.diff(idx) > gap + 1)))  # run of each kept block
    totals = np.bincount(run, weights=np.asarray(words, dtype=np.float64)[idx])
    drop = totals < min_words
    drop[int(np.argmax(totals))] = False
    if not drop.any():
        return keep
    keep = keep.copy()
    keep[idx[drop[run]]] = False
    return keep


__all__ = ["clean_page", "keep_mask", "drop_islands", "Decided", "decide"]
