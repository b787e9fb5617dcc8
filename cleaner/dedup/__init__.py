"""Near-duplicate passages across documents: one stage in parts.

* ``units``: the folded text of a document, its words and its passages
  (sentences, quotes, the title);
* ``weights``: how distinctive a word is;
* ``signatures``: MinHash signatures and LSH band keys of passages, and the
  first check of candidates on them;
* ``verify``: the word-by-word comparison that decides whether a candidate is
  a copy;
* ``buckets``: the LSH bucket index (band key -> earliest passage);
* ``index``: what is kept of every passage (in memory and in temporary
  files) and the index file;
* ``stage``: the streaming stage that links each passage to the earliest
  record holding it, merges spans and judges whole documents.
"""

from .index import FORMAT_VERSION, PassageIndex, Signatures, commit_index, discard_index, read_index
from .signatures import FLOOR, SIG_BITS, Permutations, Signer, estimate, shingle_hashes, signer_for
from .stage import Deduper, DedupResult, check_index, index_params, sign
from .units import normalise, passages

__all__ = ["Deduper", "DedupResult", "check_index", "commit_index", "discard_index", "index_params", "read_index", "sign", "FORMAT_VERSION", "Signer", "signer_for", "Signatures", "PassageIndex", "Permutations",
           "estimate", "shingle_hashes", "normalise", "passages", "FLOOR", "SIG_BITS"]
