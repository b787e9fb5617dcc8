"""Near-duplicate passages across documents, one stage in four parts.

* ``units``: the folded text of a document and its passages (sentences, quotes);
* ``signatures``: MinHash signatures and LSH band keys of passages, and the
  store that keeps full signatures on disk;
* ``buckets``: the LSH bucket index (band key -> earliest passage);
* ``verify``: whether a proposed candidate really is a copy;
* ``stage``: the streaming stage that links each passage to the earliest
  record holding it, merges spans and judges whole documents.
"""

from .signatures import FLOOR, SIG_BITS, Permutations, Signatures, Signer, estimate, shingle_hashes, signer_for
from .stage import Deduper, DedupResult
from .units import normalise, passages

__all__ = ["Deduper", "DedupResult", "Signer", "signer_for", "Signatures", "Permutations", "estimate",
           "shingle_hashes", "normalise", "passages", "FLOOR", "SIG_BITS"]
