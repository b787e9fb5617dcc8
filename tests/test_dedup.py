"""Dedup stage: known answers, span arithmetic properties, index persistence."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleaner
from cleaner import DedupIndexError, Options
from cleaner.dedup import SIG_BITS, Deduper, Permutations, estimate, normalise, passages, shingle_hashes

A = ("“Rare earth metals are an important area for cooperation, and, of course, we have begun discussions on "
     "various rare earth metals and projects in Russia,” said Dmitriev, according to an English translation of his "
     "remarks.")
B = ("“Rare earth metals are an important area for cooperation, and, of course, we have begun discussions about "
     "various rare earth metals and projects in Russia,” Dmitriev said in an interview with Russia’s Izvestia "
     "newspaper published on March 31.")
C = ("“Rare earth metals are an important area for cooperation, and we have started discussions about various rare "
     "earth metals and projects in Russia,” Kirill Dmitriev told the pro-Kremlin newspaper Izvestia.")
FILLER = [
    "The harbour authority said the new cranes would arrive in the spring and double the port's capacity.",
    "Local fishermen complained that the construction noise had driven shoals away from the bay all summer.",
    "The city council will vote on the budget for the second phase of the project next month.",
    "Engineers tested the foundations of the old pier and found them sound enough to carry the new deck.",
    "A spokesperson for the ferry operator declined to comment on the timetable changes.",
    "Tourism officials expect the renovated waterfront to attract more visitors during the festival season.",
]


def run(docs, **kw):
    d = Deduper(Options(workers=1, **kw))
    out = [d.add(doc_id, text) for doc_id, text in docs]
    d.close()
    return out


def test_reworded_quote_links_all_outlets_to_the_earliest():
    docs = [("a", FILLER[0] + "\n" + A), ("b", FILLER[1] + "\n" + B + "\n" + FILLER[2]), ("c", C + "\n" + FILLER[3])]
    ra, rb, rc = run(docs)
    assert ra.duplicates == ()
    for (doc_id, text), res in zip(docs[1:], (rb, rc)):
        assert len(res.duplicates) == 1
        d = res.duplicates[0]
        assert d.of == "a"
        assert text[d.start:d.end].startswith("Rare earth metals are an important area for cooperation")
        assert docs[0][1][d.of_start:d.of_end].startswith("Rare earth metals are an important area")
    assert rb.duplicates[0].cluster == rc.duplicates[0].cluster


def test_unrelated_sentences_on_one_topic_do_not_match():
    docs = [("a", "\n".join(FILLER[:3])), ("b", "\n".join(FILLER[3:]))]
    assert all(r.duplicates == () for r in run(docs))


def test_consecutive_reused_paragraphs_become_one_span():
    wire = "\n".join(FILLER[:4])
    later = FILLER[5] + "\n" + wire.replace("spring", "summer") + "\nAn unrelated closing line about the weather today."
    _, res = run([("wire", wire), ("copy", later)])
    assert len(res.duplicates) == 1
    d = res.duplicates[0]
    assert later[d.start:d.end].startswith(FILLER[0][:40])
    assert later[d.start:d.end].endswith(FILLER[3][-30:])
    assert (d.of_start, d.of_end) == (0, len(wire))


def test_truncated_copy_is_a_near_duplicate_document():
    full = "\n".join(FILLER)
    truncated = "\n".join(FILLER[:4])
    r = run([("full", full), ("short", truncated), ("other", "A completely different story about a local "
                                                              "bakery that won a national prize for its rye bread.")])
    assert r[1].near_duplicate_of == "full"
    assert r[2].near_duplicate_of is None


def test_japanese_without_spaces():
    ja = "市議会は火曜日、老朽化した港の橋を架け替える計画を承認し、二年間に及んだ議論に決着をつけた。"
    ja2 = "市議会は火曜日、老朽化した港の橋を架け替える計画を承認し、二年に及んだ議論に決着をつけた。"
    other = "工事は来年春に始まり、約三年かかる見通しだと市の交通局は説明している。新しい橋は二倍の交通量に対応する。"
    r = run([("a", ja + other), ("b", ja2)], min_passage_chars=20)
    assert r[1].duplicates and r[1].duplicates[0].of == "a"


def test_estimate_tracks_exact_jaccard():
    rng = random.Random(1)
    perms = Permutations(128)
    words = "harbour bridge council vote budget storm traffic engineer mayor river port ferry tunnel".split()
    for _ in range(40):
        base = [rng.choice(words) for _ in range(40)]
        edited = [w if rng.random() > 0.3 else rng.choice(words) for w in base]
        x, y = " ".join(base), " ".join(edited)
        hx, hy = (shingle_hashes(normalise(t)[0], 5) for t in (x, y))
        exact = len(set(hx) & set(hy)) / len(set(hx) | set(hy))
        sx = perms.minima(hx, np.array([[0, len(hx)]]))[0] & (2**SIG_BITS - 1)
        sy = perms.minima(hy, np.array([[0, len(hy)]]))[0] & (2**SIG_BITS - 1)
        assert abs(float(estimate((sx == sy).sum(), 128)) - exact) < 0.15


def test_normalise_maps_back_to_exact_offsets():
    text = "“Hello”  —  WORLD\u00a0 and\tmore"
    cps, pos = normalise(text)
    assert "".join(map(chr, cps)) == "'hello' - world and more"
    assert all(text[p].casefold() == chr(c) or chr(c) in " '-" for c, p in zip(cps, pos))


def test_index_round_trip_and_parameter_check(tmp_path):
    path = str(tmp_path / "idx.npz")
    run([("old-1", FILLER[0] + "\n" + A)], index=path)
    later = run([("new-1", FILLER[2] + "\n" + B)], index=path)[0]
    assert later.duplicates and later.duplicates[0].of == "old-1"
    assert later.duplicates[0].of_start > 0
    with pytest.raises(DedupIndexError, match="other parameters"):
        Deduper(Options(workers=1, index=path, threshold=0.6))
    (tmp_path / "bad.npz").write_bytes(b"not an index")
    with pytest.raises(DedupIndexError, match="cannot read"):
        Deduper(Options(workers=1, index=str(tmp_path / "bad.npz")))


def test_passages_are_trimmed_and_inside_the_text():
    text = "  “A quotation that is long enough to count,” he said.  Second sentence is right here!\nThird line"
    for s, e in passages(text, 10):
        assert 0 <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()


# --- properties ------------------------------------------------------------------

POOL = FILLER + [A, B, C]


@st.composite
def corpora(draw):
    n = draw(st.integers(2, 6))
    docs = []
    for i in range(n):
        k = draw(st.integers(1, 5))
        parts = []
        for _ in range(k):
            s = draw(st.sampled_from(POOL))
            if draw(st.booleans()):
                s = s.replace(draw(st.sampled_from(["the", "and", "of", "a"])), draw(st.sampled_from(["this", "or"])), 1)
            parts.append(s)
        sep = draw(st.sampled_from(["\n", " ", "\n\n"]))
        docs.append((f"d{i}", sep.join(parts)))
    return docs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(corpora())
def test_span_properties(docs):
    results = run(docs)
    texts = {doc_id: text for doc_id, text in docs}
    order = [doc_id for doc_id, _ in docs]
    for (doc_id, text), res in zip(docs, results):
        assert res.text == text
        last_end = -1
        for d in res.duplicates:
            assert 0 <= d.start < d.end <= len(text)
            assert text[d.start:d.end] == text[d.start:d.end].strip()
            assert d.start >= last_end  # sorted, not overlapping
            last_end = d.end
            assert order.index(d.of) < order.index(doc_id)
            assert 0 <= d.of_start < d.of_end <= len(texts[d.of])
            assert 0.0 < d.similarity <= 1.0 and d.words >= 4
    # Running again with a fresh index changes nothing.
    assert run(docs) == results


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(corpora(), st.lists(st.integers(1, 4), min_size=1, max_size=6))
def test_batches_give_the_same_results_as_one_by_one(docs, sizes):
    """add_many looks buckets up for a whole batch at once; a document must still
    see exactly the passages of the documents before it."""
    one = run(docs)
    d, got, i = Deduper(Options(workers=1)), [], 0
    for size in sizes * len(docs):
        got += d.add_many(docs[i:i + size])
        i += size
    assert got == one


def test_trimmed_copy_is_linked_by_containment_but_a_shared_stock_phrase_is_not():
    source = ("The harbour authority said on Monday that the new cranes would arrive in the spring, that they "
              "would double the capacity of the port and that waiting times for container ships would be halved "
              "within a year.")
    trimmed = "The harbour authority said on Monday that the new cranes would arrive in the spring."
    stock_a = "Fishermen complained that the construction noise had driven the shoals away, the company said in a statement."
    stock_b = "Tourism officials expect many more visitors at the renovated waterfront, the company said in a statement."
    text = FILLER[4] + "\n" + trimmed + "\n" + stock_b
    res = run([("a", source + "\n" + stock_a), ("b", text)], threshold=0.6)[1]
    assert [(text[d.start:d.end], d.of) for d in res.duplicates] == [(trimmed, "a")]
    # the span in the source is the part that was copied, not the whole sentence
    d = res.duplicates[0]
    assert source[d.of_start:d.of_end] == trimmed[:-1] and d.similarity == 1.0 and d.words == 15


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(corpora())
def test_drop_then_rerun_finds_nothing(docs):
    dropped = run(docs, dedup="drop")
    for (doc_id, text), res in zip(docs, dropped):
        # Pieces dropped in a second round may span the gap an earlier removal
        # left, so they are made of the text's words rather than being substrings.
        words = set(re.findall(r"\w+", text))
        assert all(set(re.findall(r"\w+", piece)) <= words for piece in res.dropped)
        assert len(res.text) <= len(text)
    again = run([(doc_id, res.text) for (doc_id, _), res in zip(docs, dropped)])
    assert all(r.duplicates == () for r in again)


@pytest.mark.parametrize("num_perm", [16, 128, 131])
@pytest.mark.parametrize("n", [7, 2045, 7001])
def test_minima_of_overlapping_and_long_ranges(n, num_perm):
    """The compiled minima equal the plain (shingles x permutations) minimum, in
    32-bit arithmetic, for overlapping ranges and ranges ending at the last
    shingle; for numbers of permutations the vectorised loop takes whole (128)
    and with a remainder (131)."""
    rng = np.random.default_rng(n)
    hashes = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    perms = Permutations(num_perm)
    ranges = np.array(sorted({(0, n), (0, min(n, 3)), (1, n), (n // 2, n), (n // 3, n // 3 + 2), (n - 1, n)}))
    got = perms.minima(hashes, ranges)
    x = (hashes >> np.uint64(32)).astype(np.uint32)
    with np.errstate(over="ignore"):
        full = perms.a[:, None] * x[None, :] + perms.b[:, None]
    want = np.stack([full[:, s:e].min(axis=1) for s, e in ranges])
    assert np.array_equal(got, want)


def _wire_corpus(n_docs: int, seed: int) -> list[tuple[str, str]]:
    """Stories of generated sentences; later documents copy some of an earlier
    one's sentences with a word or two changed."""
    rng = random.Random(seed)
    words = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo") for b in ("ba", "de", "fi", "gu",
                                                                                         "ho", "ja", "ke", "lu")]
    docs: list[tuple[str, str]] = []
    for i in range(n_docs):
        sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(9, 16))).capitalize() + "."
                     for _ in range(rng.randint(3, 8))]
        if docs and rng.random() < 0.5:
            earlier = rng.choice(docs)[1].split("\n")
            for s in rng.sample(earlier, min(len(earlier), rng.randint(1, 3))):
                w = s.split()
                w[rng.randrange(len(w))] = rng.choice(words)
                sentences.insert(rng.randrange(len(sentences) + 1), " ".join(w))
        docs.append((f"d{i}", "\n".join(sentences)))
    return docs


def test_signatures_in_the_file_give_the_same_results(monkeypatch):
    """With the full signatures moved to the file after every few passages
    (so candidates are first compared on the in-memory sketches and read back
    only when those cannot settle them), every document gets the same result
    as with all signatures in memory."""
    from cleaner.dedup.index import Signatures

    docs = _wire_corpus(300, seed=5)
    memory = run(docs)
    reads = []
    gather = Signatures.gather
    monkeypatch.setattr(Signatures, "CHUNK", 16)
    monkeypatch.setattr(Signatures, "gather", lambda self, ids: reads.append(len(ids)) or gather(self, ids))
    d = Deduper(Options(workers=1))
    on_disk = []
    for k in range(0, len(docs), 7):
        on_disk += d.add_many(docs[k:k + 7])
    assert d.index.sigs.n_disk > d.n_pass - 7 * 40
    assert on_disk == memory
    assert sum(len(r.duplicates) for r in memory) > 100
    assert sum(reads) > 0


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.integers(16, 200), st.integers(0, 2**32 - 1))
def test_sketches_count_equal_low_bits(k, seed):
    from cleaner.dedup.signatures import _sketch_equal, sketch

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (1, k), dtype=np.uint8)
    b = np.where(rng.random((1, k)) < rng.random(), a, rng.integers(0, 256, (1, k), dtype=np.uint8)).astype(np.uint8)
    assert _sketch_equal(sketch(a)[0], sketch(b)[0], k) == int(((a & 3) == (b & 3)).sum())


def test_words_in_the_file_give_the_same_results(monkeypatch):
    """With the packed words moved to the file after every few passages, the
    word-by-word verification reads them back and answers as from memory."""
    from cleaner.dedup.index import Words

    docs = _wire_corpus(300, seed=5)
    memory = run(docs)
    monkeypatch.setattr(Words, "CHUNK", 50)
    d = Deduper(Options(workers=1))
    on_disk = []
    for k in range(0, len(docs), 7):
        on_disk += d.add_many(docs[k:k + 7])
    assert d.index.words.n_disk > d.index.words.total - 7 * 40 * 30
    assert on_disk == memory


def test_index_round_trip_with_signatures_in_the_file(tmp_path, monkeypatch):
    from cleaner.dedup.index import Signatures, Words

    monkeypatch.setattr(Signatures, "CHUNK", 8)
    monkeypatch.setattr(Words, "CHUNK", 64)
    docs = _wire_corpus(80, seed=6)
    whole = run(docs)
    path = str(tmp_path / "index.npz")
    first = run(docs[:50], index=path)
    rest = run(docs[50:], index=path)
    assert first + rest == whole


def test_unwritable_temporary_directory_is_a_clear_error(tmp_path, monkeypatch):
    import tempfile

    from cleaner.dedup.index import Signatures

    monkeypatch.setattr(Signatures, "CHUNK", 4)
    missing = tmp_path / "gone"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    d = Deduper(Options(workers=1))
    with pytest.raises(DedupIndexError, match="TMPDIR"):
        d.add_many(_wire_corpus(20, seed=7))


def test_ids_stay_unique_across_runs_with_an_index(tmp_path):
    """Day 2's story.html is day2/story.html, never day 1's id; a record id the
    index already holds is made unique, the original kept under metadata."""
    import orjson

    for day, extra in (("day1", ""), ("day2", " It was reported again on the second day.")):
        (tmp_path / day).mkdir()
        (tmp_path / day / "story.txt").write_text("\n".join(FILLER[:3]) + extra)
        (tmp_path / day / "feed.jsonl").write_bytes(orjson.dumps({"id": "a42", "text": A + "\n" + FILLER[4]}) + b"\n")
    index = str(tmp_path / "news.idx")
    import os
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        first = list(cleaner.clean(["day1"], Options(workers=1, index=index)))
        second = list(cleaner.clean(["day2"], Options(workers=1, index=index)))
    finally:
        os.chdir(cwd)
    assert [r.id for r in first] == ["a42", "day1/story.txt"]
    ids = {r.source: r for r in second}
    story, feed = ids["day2/story.txt"], ids["day2/feed.jsonl:1"]
    assert story.id == "day2/story.txt" and {d.of for d in story.duplicates} == {"day1/story.txt"}
    assert story.near_duplicate_of == "day1/story.txt"
    assert feed.id == "a42#2" and feed.metadata["original_id"] == "a42"
    assert feed.duplicates and feed.duplicates[0].of == "a42"
    # the index grows with what it holds: kilobytes for four short documents
    assert os.path.getsize(index) < 64 * 1024


@pytest.mark.parametrize("slots", [4, 1 << 19])
def test_cached_signatures_give_the_same_results(monkeypatch, slots):
    """The cache of signatures read from the file (cache.RowCache) changes
    where ``candidates`` finds a signature, never the result: with the file in
    use, a cache small enough to evict on almost every read and the default
    one both answer as with every signature in memory, and the default one
    saves reads."""
    from cleaner.dedup import cache
    from cleaner.dedup.index import Signatures

    docs = _wire_corpus(300, seed=5)
    memory = run(docs)
    monkeypatch.setattr(Signatures, "CHUNK", 16)
    reads = []
    gather = Signatures.gather
    monkeypatch.setattr(Signatures, "gather", lambda self, ids: reads.append(len(ids)) or gather(self, ids))

    def read_in_batches() -> int:
        reads.clear()
        d = Deduper(Options(workers=1))
        got = []
        for k in range(0, len(docs), 7):
            got += d.add_many(docs[k:k + 7])
        assert got == memory
        return sum(reads)

    monkeypatch.setattr(cache.RowCache.__init__, "__defaults__", (slots,))
    cached = read_in_batches()
    monkeypatch.setattr(cache.RowCache, "put", lambda self, ids, rows: None)  # no cache: the plain definition
    plain = read_in_batches()
    assert plain > 0
    if slots > 4:
        assert cached < plain / 2


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 255)), max_size=60))
def test_row_cache_holds_what_was_put_last(puts):
    """A slot holds the row last put for its id; an id whose slot another
    took is not found (never another id's row)."""
    from cleaner.dedup.cache import RowCache, cached_slot

    c = RowCache(3, size=8)
    last = {}
    for i, v in puts:
        c.put(np.array([i]), np.full((1, 3), v, dtype=np.uint8))
        last[i] = v
    ids, rows = c.slots()
    for i in range(41):
        s = cached_slot(ids, i)
        if s >= 0:
            assert rows[s].tolist() == [last[i]] * 3
        else:
            assert i not in last or any(j != i and j % 8 == i % 8 for j in last)
    assert cached_slot(RowCache(3).slots()[0], 5) == -1
    with pytest.raises(ValueError):
        RowCache(3, size=6)


def test_units_of_a_task_pickle_as_one_set_of_arrays_and_come_back_equal():
    """What a worker returns (stage.sign: a UnitsBatch) unpickles to units
    equal to the ones sent, field by field (values, dtypes, shapes), empty
    texts, titles and a document of one passage included."""
    import dataclasses
    import pickle

    from cleaner.dedup.stage import sign

    docs = [(text, None) for _, text in _wire_corpus(12, seed=8)]
    docs[2:2] = [("", None), ("Short.", "A title of a few words"), (FILLER[0], "Its headline here")]
    sent = sign(docs, Options())
    assert any(len(u.spans) == 0 for u in sent) and any(len(u.spans) > 3 for u in sent)
    back = pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
    assert len(back) == len(sent)
    for a, b in zip(sent, back):
        for f in dataclasses.fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, np.ndarray):
                assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), f.name
            else:
                assert x == y, f.name
    assert pickle.loads(pickle.dumps(sign([], Options()))) == []
