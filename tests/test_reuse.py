"""What counts as reuse: copies against look-alikes, titles, short quotes, stubs,
other scripts; and the word comparison checked against a plain definition."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Options
from cleaner.dedup import Deduper
from cleaner.dedup.index import Words, _offsets
from cleaner.dedup.units import normalise, words
from cleaner.dedup.verify import MAX_WORDS, NONE, STRONG, WEAK, compare, pack, unpack, verdict
from cleaner.dedup.weights import word_weights

STORY = [
    "The harbour authority said the new cranes would arrive in the spring and double the port's capacity.",
    "Local fishermen complained that the construction noise had driven shoals away from the bay all summer.",
    "The city council will vote on the budget for the second phase of the project next month.",
    "Engineers tested the foundations of the old pier and found them sound enough to carry the new deck.",
]
OTHER = [
    "A bakery on the high street won a national prize for its rye bread this week.",
    "The school board postponed its decision on the new timetable until after the holidays.",
    "Volunteers planted two hundred trees along the river path on Saturday morning.",
]


def run(docs, **kw):
    d = Deduper(Options(workers=1, **kw))
    out = [d.add(*doc) for doc in docs]
    d.close()
    return out


def flagged(res, text, title=None):
    return [(title if d.field == "title" else text)[d.start:d.end] for d in res.duplicates]


# --- look-alikes are not copies ------------------------------------------------------------


def test_a_stock_question_with_other_words_is_not_a_copy():
    a = "How much does it cost to hire local movers in NY?"
    b = "How much does it cost to hire a blockchain SEO agency?"
    res = run([("a", OTHER[0] + "\n" + a), ("b", OTHER[1] + "\n" + b)])
    assert res[1].duplicates == ()


def test_a_template_filled_in_again_is_not_a_copy():
    a = "What is the best travel insurance for Japan?\nFrequently Asked Questions About AC Repair Services"
    b = "What is the best travel insurance for seniors?\nFrequently asked questions about one time cleaning services"
    res = run([("a", a), ("b", b)])
    assert res[1].duplicates == ()


def test_a_report_with_other_figures_and_names_is_not_a_copy():
    a = ("Shares of Northwind Traders rose 4.2% to $31.10 in early trading on Tuesday after the company raised its "
         "forecast.\nAnalysts at Contoso Bank said the results beat expectations by a wide margin this quarter.")
    b = ("Shares of Fabrikam Industries rose 1.7% to $88.45 in early trading on Tuesday after the company raised its "
         "forecast.\nAnalysts at Woodgrove Bank said the results beat expectations by a wide margin this quarter.")
    res = run([("a", a), ("b", b)])
    assert res[1].duplicates == ()


def test_a_copy_with_figures_written_another_way_is_a_copy_in_both_modes():
    # Three sentences of six differ in how a figure is written: a copy, not a
    # template filled in again (most of what the two share would differ).
    body = [STORY[0].replace("the new cranes", "48 million euros of new cranes"), STORY[1], STORY[2],
            STORY[3].replace("found them", "after almost eighteen months found them"), OTHER[0], OTHER[1]]
    copy = [body[0].replace("48 million euros", "€48m"), body[1], body[2],
            body[3].replace("almost eighteen", "nearly 18"), body[4], body[5]]
    title = "Port to spend 48 million euros on cranes"
    docs = [("a", "\n".join(body), title), ("b", "\n".join(copy), title.replace("48 million euros", "€48m"))]
    marked = run(docs)[1]
    text = "\n".join(copy)
    assert marked.near_duplicate_of == "a"
    covered = {i for d in marked.duplicates if d.field == "text" for i in range(d.start, d.end)}
    for line in (body[1], body[2], body[4], body[5]):
        at = text.index(line)
        assert set(range(at, at + len(line))) <= covered
    dropped = run(docs, dedup="drop")[1]
    assert dropped.near_duplicate_of == "a" and not any(line in dropped.text for line in (body[1], body[2], body[4]))


def test_the_same_story_told_twice_is_not_a_copy():
    a = "A video showing the dramatic moment a kidnapped 8-year-old Fort Worth girl was rescued has been released."
    b = "Police released dramatic video showing the rescue of a 8-year-old Fort Worth girl who had been kidnapped."
    assert run([("a", a), ("b", b)])[1].duplicates == ()


def test_short_chrome_and_datelines_are_not_copies():
    a = "Read more\nWASHINGTON (AP) —\nShare this article\n" + OTHER[0]
    b = "Read more\nWASHINGTON (AP) —\nShare this article\n" + OTHER[1]
    assert run([("a", a), ("b", b)])[1].duplicates == ()


# --- copies are --------------------------------------------------------------------------


def test_a_one_sentence_quote_shared_by_three_outlets_links_to_the_first():
    quote = "“We will not let the harbour close while I am mayor of this city,” she said."
    docs = [("a", OTHER[0] + "\n" + quote), ("b", quote + "\n" + OTHER[1]), ("c", OTHER[2] + "\n" + quote)]
    res = run(docs)
    for (doc_id, text), r in zip(docs[1:], res[1:]):
        assert [d.of for d in r.duplicates] == ["a"]
        assert "will not let the harbour close" in text[r.duplicates[0].start:r.duplicates[0].end]
    assert res[1].duplicates[0].cluster == res[2].duplicates[0].cluster


def test_a_shared_headline_is_found_in_the_title():
    title = "Harbour cranes to double port capacity by spring"
    res = run([("a", "\n".join(STORY), title), ("b", OTHER[0] + "\n" + OTHER[1], title)])
    (d,) = res[1].duplicates
    assert (d.field, d.of_field, d.of) == ("title", "title", "a")
    assert title[d.start:d.end] == title and title[d.of_start:d.of_end] == title


def test_the_rewritten_headline_of_a_copied_article_is_a_copy():
    # An outlet republishing the wire story changed two words of its headline:
    # alone that is what a template looks like, next to the whole copied
    # article it is the same headline.
    wire_title = "Harbour cranes to double port capacity by spring"
    copy_title = "Harbour cranes set to double the port's size by spring"
    text = "\n".join(STORY)
    res = run([("wire", text, wire_title), ("copy", text, copy_title)])
    assert res[1].near_duplicate_of == "wire"
    (d,) = [d for d in res[1].duplicates if d.field == "title"]
    assert (d.of, d.of_field, copy_title[d.start:d.end]) == ("wire", "title", copy_title)
    assert wire_title[d.of_start:d.of_end] == wire_title and d.words >= 5
    # The same two headlines over different articles: not a copy.
    res = run([("wire", text, wire_title), ("other", "\n".join(OTHER), copy_title)])
    assert not res[1].duplicates
    # A headline about something else over the copied article is not one either.
    res = run([("wire", text, wire_title), ("copy", text, "Fishermen blame construction noise for empty bay")])
    assert res[1].near_duplicate_of == "wire" and not [d for d in res[1].duplicates if d.field == "title"]


def test_a_list_copied_to_another_site_is_a_copy():
    # No item is long enough to be a passage; the list is one.
    recipe = ["250 g rye flour", "120 ml warm water", "2 tsp caraway seeds", "1 tbsp dark treacle",
              "7 g dried yeast", "1 tsp sea salt"]
    res = run([("a", OTHER[0] + "\n" + "\n".join(recipe) + "\n" + OTHER[1]),
               ("b", OTHER[2] + "\n" + "\n".join(recipe[:5]) + "\n" + STORY[0])])
    text_b = OTHER[2] + "\n" + "\n".join(recipe[:5]) + "\n" + STORY[0]
    (d,) = res[1].duplicates
    assert d.of == "a" and text_b[d.start:d.end] == "\n".join(recipe[:5])
    # A short title over a list is two passages: a span never runs from one field into the other.
    res = run([("a", "\n".join(recipe), "Rye bread"), ("b", "\n".join(recipe), "Rye loaf")])
    assert all(d.field == "text" for d in res[1].duplicates) and res[1].duplicates


def test_a_whole_copy_beats_an_earlier_copy_of_half_the_passage():
    half = "The harbour authority said the new cranes would arrive in the spring and double the port's capacity."
    whole = half[:-1] + (", while the fishermen of the bay warned that the noise of the building site would drive "
                         "the shoals away for good.")
    res = run([("a", OTHER[0] + "\n" + half), ("b", OTHER[1] + "\n" + whole), ("c", OTHER[2] + "\n" + whole)])
    text_c = OTHER[2] + "\n" + whole
    (d,) = res[2].duplicates
    assert d.of == "b" and text_c[d.start:d.end] == whole


def test_a_line_printed_twice_is_two_copies_of_one_line():
    # One span over both would be twice the passage it names as its source.
    line = "Harbour cranes to double port capacity by spring"
    res = run([("a", OTHER[0] + "\n" + line + "\n" + OTHER[1]), ("b", line + "\n" + line + "\n" + OTHER[2])])
    spans = sorted((d.start, d.end, d.of_start, d.of_end) for d in res[1].duplicates)
    text_a = OTHER[0] + "\n" + line + "\n" + OTHER[1]
    assert len(spans) == 2 and all(e - s == len(line) and text_a[os_:oe] == line for s, e, os_, oe in spans)


def test_sentences_copied_from_either_side_of_a_left_out_paragraph_are_two_spans():
    # One span would name the left-out paragraph as copied on its source side.
    early = "\n".join([STORY[0], OTHER[0], OTHER[1], STORY[1]])
    later = "\n".join([STORY[0], STORY[1]])
    res = run([("a", early), ("b", later)])
    got = sorted((later[d.start:d.end], early[d.of_start:d.of_end]) for d in res[1].duplicates)
    assert got == sorted([(STORY[0], STORY[0]), (STORY[1], STORY[1])])


def test_sentences_copied_in_a_row_are_one_span():
    early = "\n".join([OTHER[0], STORY[0], STORY[1], STORY[2]])
    later = "\n".join([STORY[0], STORY[1], STORY[2], OTHER[2]])
    (d,) = run([("a", early), ("b", later)])[1].duplicates
    assert later[d.start:d.end] == early[d.of_start:d.of_end] == "\n".join(STORY[:3])


def test_a_headline_reused_as_a_sentence():
    title = "Harbour cranes to double port capacity by spring, officials say"
    res = run([("a", OTHER[0], title), ("b", OTHER[1] + "\n" + title + ".\n" + OTHER[2])])
    (d,) = res[1].duplicates
    assert (d.field, d.of_field) == ("text", "title")


def test_an_edited_wire_copy_is_found_whole_and_is_a_near_duplicate():
    wire = "\n".join(STORY)
    edited = wire.replace("spring", "summer").replace("all summer", "for months").replace("next month", "in May")
    res = run([("wire", wire), ("copy", edited + "\n" + OTHER[0])])
    assert res[1].near_duplicate_of == "wire"
    assert sum(d.end - d.start for d in res[1].duplicates) >= 0.9 * len(edited)


def test_a_stub_is_not_a_near_duplicate_of_the_article():
    article = "\n".join(STORY + OTHER)
    stub = STORY[0] + "\nSubscribe to continue reading.\nAlready a subscriber? Log in."
    res = run([("article", article), ("stub", stub)])
    assert res[1].duplicates and res[1].near_duplicate_of is None


def test_a_passage_repeated_on_a_long_page_covers_a_short_page_once():
    # A long page repeats one placeholder paragraph that a short page also
    # holds: five copies of it cover the short page's one passage, not five.
    filler = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
              "et dolore magna aliqua.")
    short = "\n".join([OTHER[0], filler, OTHER[1]])
    long = "\n".join([STORY[0], filler, STORY[1], filler, STORY[2], filler, STORY[3], filler, OTHER[2], filler])
    res = run([("short", short), ("long", long)])
    assert res[1].duplicates and res[1].near_duplicate_of is None
    # The same paragraphs in the same amounts on both sides: a near duplicate.
    res = run([("a", long), ("b", long.replace("spring", "summer"))])
    assert res[1].near_duplicate_of == "a"


def test_a_copy_that_kept_the_quotes_and_rewrote_around_them_is_a_near_duplicate():
    # A quote matches better than its rewritten sentence and stands for it:
    # the document's cover is the merged span the reader sees flagged, not
    # only the passages that won.
    q1 = "“a promise kept to every family living on both banks of the old river”"
    q2 = "“the strongest crossing this harbour town has ever been able to afford”"
    first = [f"Standing beside the new span on Friday morning, the mayor told a crowd of several hundred residents "
             f"that it was {q1}.", STORY[0],
             f"The chief engineer, who has worked on the project since the first survey nine years ago, called the "
             f"structure {q2}.", STORY[1]]
    later = [f"At the opening ceremony, in front of hundreds of local people, the mayor described the bridge as {q1}.",
             STORY[0], f"Its chief engineer, a veteran of the scheme since the earliest surveys almost a decade back, "
             f"said it was {q2}.", STORY[1]]
    res = run([("first", "\n".join(first)), ("later", "\n".join(later))])
    assert res[1].near_duplicate_of == "first"


def test_other_scripts():
    zh = "市政府星期二批准了重建港口大桥的计划，结束了长达两年的争论。新桥将能承受两倍的交通量。"
    ja = "市議会は火曜日、老朽化した港の橋を架け替える計画を承認し、二年間に及んだ議論に決着をつけた。"
    th = ("สภาเมืองอนุมัติแผนสร้างสะพานท่าเรือใหม่เมื่อวันอังคาร หลังจากการถกเถียงกันมานานถึงสองปี "
          "สะพานใหม่จะรองรับการจราจรได้มากเป็นสองเท่า")
    ar = "وافق المجلس البلدي يوم الثلاثاء على خطة إعادة بناء جسر الميناء بعد نقاش دام عامين. سيتحمل الجسر الجديد ضعف حركة المرور."
    for text in (zh, ja, th, ar):
        later = text.replace("两", "二") if text is zh else text
        res = run([("a", text), ("b", "—\n" + later), ("c", OTHER[0])])
        assert [d.of for d in res[1].duplicates] == ["a"], text[:20]
        assert res[2].duplicates == ()
    other_zh = "学校董事会将新课程表的决定推迟到假期之后，家长们对此表示不满。"
    assert run([("a", zh), ("b", other_zh)])[1].duplicates == ()


def test_combining_marks_belong_to_their_word():
    # Indic vowel signs and accents written apart are part of the word: a
    # word is whole, and a copy's span does not end before its last mark.
    for text, want in (("बनाई गयी है", ["बनाई", "गयी", "है"]), ("cafe\u0301 noir", ["cafe\u0301", "noir"]),
                       ("ม่าน ok", ["ม่", "า", "น", "ok"])):
        cps, pos = normalise(text)
        _, s, e, _ = words(cps, pos, len(text))
        assert [text[a:b] for a, b in zip(s.tolist(), e.tolist())] == want
    hi = ("नगर परिषद ने मंगलवार को पुराने बंदरगाह पुल के पुनर्निर्माण की योजना को मंजूरी दी गयी और "
          "दो साल से चल रही बहस समाप्त हो गयी")
    fr = "Le conseil municipal a approuve\u0301 mardi le projet de reconstruction du vieux pont du port de\u0301ja\u0300"
    for text in (hi, fr):
        res = run([("a", OTHER[0] + "\n" + text), ("b", text + "\n" + OTHER[1])])
        (d,) = res[1].duplicates
        assert (d.start, d.end) == (0, len(text)), text[:20]


# --- the comparison against its plain definition --------------------------------------------


def _plain_words(text):
    cps, pos = normalise(text)
    h, s, e, d = words(cps, pos, len(text))
    return h, word_weights(h, d), s, e, d


def _plain_lcs(a, b):
    n, m = len(a), len(b)
    dp = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            dp[i][j] = dp[i + 1][j + 1] + 1 if a[i] == b[j] else max(dp[i + 1][j], dp[i][j + 1])
    return dp[0][0]


VOCAB = ["harbour", "the", "of", "Oslo", "cranes", "2024", "said", "and", "port", "new", "Lunde", "a", "deck"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(st.sampled_from(VOCAB), max_size=30), st.lists(st.sampled_from(VOCAB), max_size=30))
def test_compare_matches_a_plain_alignment(a_words, b_words):
    a_text, b_text = " ".join(a_words), " ".join(b_words)
    ah, aw, _, _, ad = _plain_words(a_text)
    bh, bw, _, _, bd = _plain_words(b_text)
    out = np.zeros(14)
    compare(ah, aw.astype(np.float64), ad, bh, bw.astype(np.float64), bd, out)
    assert out[0] == _plain_lcs(list(ah), list(bh))
    assert np.isclose(out[2], aw.sum()) and np.isclose(out[3], bw.sum())
    if out[0]:
        i0, i1, j0, j1 = (int(x) for x in out[4:8])
        assert 0 <= i0 <= i1 < len(ah) and 0 <= j0 <= j1 < len(bh)
        assert ah[i0] == bh[j0] and ah[i1] == bh[j1]
        assert out[13] <= out[0] and out[10] <= out[11] + 1e-9
        # the longest run of aligned words is at most the longest common substring
        longest = max((k for i in range(len(ah)) for j in range(len(bh))
                       for k in range(1, min(len(ah) - i, len(bh) - j) + 1)
                       if list(ah[i:i + k]) == list(bh[j:j + k])), default=0)
        assert out[8] <= longest
    else:
        assert verdict(out) == NONE


def test_verdict_grades():
    def measures(words, weight, run, cover, subs=0):
        m = np.zeros(14)
        m[0], m[1], m[2], m[3], m[8], m[9] = words, weight, weight / cover, weight / cover, run, subs
        return m

    assert verdict(measures(12, 5.0, 10, 1.0)) == STRONG  # ten words in a row
    assert verdict(measures(6, 3.0, 6, 1.0)) == STRONG  # a short passage found whole
    assert verdict(measures(20, 8.0, 4, 0.7)) == STRONG  # a long edited copy
    assert verdict(measures(8, 3.0, 4, 0.8)) == WEAK  # a short one with a word changed
    assert verdict(measures(12, 5.0, 10, 1.0, subs=1)) == WEAK  # a name or figure differs
    assert verdict(measures(8, 3.0, 4, 0.5)) == NONE
    assert verdict(measures(3, 3.0, 3, 1.0)) == NONE  # too few words
    assert verdict(measures(5, 0.3, 5, 1.0)) == NONE  # function words only


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("ab cdé-'12Z。市")), max_size=200), st.integers(0, 50))
def test_packed_words_round_trip(text, origin):
    h, w, s, e, d = _plain_words(text)
    s, e = s + origin, e + origin
    packed = pack(h, w, s, e, d, origin)
    assert len(packed) == len(h)
    hh = np.empty(len(h), np.uint32)
    ww = np.empty(len(h), np.float64)
    dd = np.empty(len(h), np.bool_)
    unpack(packed, hh, ww, dd)
    assert np.array_equal(hh, h) and np.array_equal(dd, d)
    assert np.all(np.abs(ww - w) <= 1 / 30 + 1e-9)
    assert np.array_equal((packed >> np.uint64(32)) & np.uint64(0x7FFF), s - origin)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=300), st.data())
def test_word_offsets_match_the_running_sum(counts, data):
    store = Words()
    k = total = 0
    while k < len(counts):
        n = data.draw(st.integers(1, 40))
        c = np.array(counts[k:k + n], dtype=np.uint16)
        store.append(np.arange(total, total + int(c.sum()), dtype=np.uint64), c)
        total += int(c.sum())
        k += n
    ids = np.array(sorted(set(data.draw(st.lists(st.integers(0, len(counts) - 1), min_size=1)))), dtype=np.int64)
    want = np.concatenate(([0], np.cumsum(counts)))[ids]
    assert np.array_equal(_offsets(ids, store.counts, store.marks, Words.STEP), want)
    got, off = store.gather(ids)
    for i, p in enumerate(ids.tolist()):
        assert np.array_equal(got[off[i]:off[i + 1]], np.arange(want[i], want[i] + counts[p], dtype=np.uint64))


def test_words_beyond_the_cap_are_not_kept():
    text = " ".join(["harbour"] * (MAX_WORDS + 50)) + "."
    d = Deduper(Options(workers=1))
    u = d.signer.units(text)
    assert all(np.diff(u.word_off) <= MAX_WORDS)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("ab cdAB É-'12Z.")), max_size=300))
def test_packing_all_passages_matches_packing_each(text):
    """The compiled packing of every passage equals ``pack`` applied to each,
    with names (capitalised, not first, not in title case) as decisive."""
    from cleaner.dedup.units import capitalised, code_points
    from cleaner.dedup.verify import pack_passages
    from cleaner.dedup.units import passages

    spans = np.array(passages(text, 1) or [(0, 0)], dtype=np.int64)
    h, w, s, e, d = _plain_words(text)
    first = np.searchsorted(s, spans[:, 0], side="left")
    end = np.maximum(first, np.searchsorted(e, spans[:, 1], side="right"))
    cap = capitalised(code_points(text), s)
    off = np.zeros(len(spans) + 1, dtype=np.int64)
    np.cumsum(np.minimum(end - first, MAX_WORDS), out=off[1:])
    out = np.empty(off[-1], dtype=np.uint64)
    pack_passages(h, w, s, e, d, cap, first, end, spans[:, 0], out, off)
    for k, (a, b) in enumerate(zip(first.tolist(), end.tolist())):
        names = cap[a:b].copy()
        if len(names):
            names[0] = False
            if names.sum() * 2 > len(names):
                names[:] = False
        want = pack(h[a:b], w[a:b], s[a:b], e[a:b], d[a:b] | names, int(spans[k, 0]))
        assert np.array_equal(out[off[k]:off[k + 1]], want)


@st.composite
def titled_corpora(draw):
    pool = STORY + OTHER + ["Harbour cranes to double port capacity by spring", "Council backs the new ferry terminal"]
    docs = []
    for i in range(draw(st.integers(2, 6))):
        title = draw(st.one_of(st.none(), st.sampled_from(pool)))
        body = draw(st.sampled_from(["\n", " "])).join(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4)))
        docs.append((f"d{i}", body, title))
    return docs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(titled_corpora())
def test_spans_point_into_the_field_they_name(docs):
    results = run(docs)
    by_id = {d[0]: d for d in docs}
    for (doc_id, text, title), res in zip(docs, results):
        for d in res.duplicates:
            field = title if d.field == "title" else text
            assert field is not None and 0 <= d.start < d.end <= len(field)
            assert field[d.start:d.end] == field[d.start:d.end].strip()
            _, of_text, of_title = by_id[d.of]
            of_field = of_title if d.of_field == "title" else of_text
            assert of_field is not None and 0 <= d.of_start < d.of_end <= len(of_field)
            # the two spans share the copied words, in order
            a = [w for w in _plain_words(field[d.start:d.end])[0]]
            b = [w for w in _plain_words(of_field[d.of_start:d.of_end])[0]]
            assert _plain_lcs(a, b) >= min(4, len(a))


def test_a_title_of_hundreds_of_sentences_is_compared_by_its_first_passages(monkeypatch):
    # Hostile input: both records' "titles" hold hundreds of sentences; the
    # headline comparison reads a few of them, not every pair.
    from cleaner.dedup import stage

    title_a = " ".join(f"Harbour crane number {i} arrives in the port of Leith." for i in range(300))
    title_b = " ".join(f"Ferry number {i} leaves the harbour of Rosyth at noon." for i in range(300))
    text = "\n".join(STORY)
    calls = []
    real = stage.compare

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(stage, "compare", counting)
    res = run([("a", text, title_a), ("b", text, title_b)])
    assert res[1].near_duplicate_of == "a"
    assert 0 < len(calls) <= stage.TITLE_PASSAGES ** 2


def test_dropping_a_quoted_sentence_leaves_no_stray_quotation_mark():
    quote = "“We owe every household in this valley water they can trust,” said the chairwoman of the authority."
    res = run([("a", OTHER[0] + "\n" + quote), ("b", OTHER[1] + "\n" + quote + "\n" + OTHER[2])], dedup="drop")
    assert res[1].text == OTHER[1] + "\n" + OTHER[2] and res[1].dropped


CODE = ["import numpy as np", "import pandas as pd", "def load_frame(path):",
        "    frame = pandas.read_csv(path, index_col=0, parse_dates=True)", "    return frame.dropna(how='all')"]


def test_code_blocks_are_the_runs_of_code_lines():
    from cleaner.dedup.units import code_blocks

    text = "\n".join(["Intro.", *CODE[:2], "Between.", CODE[2]])
    assert code_blocks(text, ("p", "code", "code", "p", "code")) == [(7, 45), (55, 76)]
    assert [text[s:e] for s, e in code_blocks(text, ("p", "code", "code", "p", "code"))] == \
        ["\n".join(CODE[:2]), CODE[2]]
    assert code_blocks(text, ("p", "code")) == [] and code_blocks(text, None) == []  # roles that do not fit


def test_a_code_block_is_one_passage():
    """A code block is copied whole or not at all; its lines alone ("}",
    "import numpy as np") are on any two pages about the same library."""
    from cleaner.dedup.units import code_blocks, quoted_passages

    text = "\n".join(["The loader reads the settings file once, when the service starts up.", *CODE,
                      "Call it with the path of the exported report and keep the frame it returns."])
    roles = ("p", *["code"] * len(CODE), "p")
    [(bs, be)] = code_blocks(text, roles)
    got = [(s, e) for s, e, _ in quoted_passages(text, 20, 0, [(bs, be)])]
    inside = [(s, e) for s, e in got if bs < e and s < be]
    assert len(inside) == 1 and inside[0][0] == bs and be - inside[0][1] <= 2  # trimmed of its closing "')"
    plain = [(s, e) for s, e, _ in quoted_passages(text, 20)]
    assert any(text[s:e] == CODE[3].strip().rstrip(")") for s, e in plain)  # without roles, a line of code was a passage


def test_a_copied_code_block_is_one_span_and_drop_mode_keeps_indentation():
    first = "\n".join(["The loader reads the settings file once, when the service starts up.", *CODE,
                       "Call it with the path of the exported report and keep the frame it returns."])
    second = "\n".join(["Our own guide to loading data starts from the same few lines everyone uses.", *CODE,
                        "    if frame.empty:", "        raise ValueError(path)",
                        "That is all there is to it; the rest of this guide is about the charts."])
    roles_1 = ("p", *["code"] * len(CODE), "p")
    roles_2 = ("p", *["code"] * (len(CODE) + 2), "p")
    [_, res] = run([("a", first, None, roles_1), ("b", second, None, roles_2)])
    [dup] = res.duplicates
    assert second[dup.start:dup.end].startswith("import numpy as np") and dup.of == "a"
    assert first[dup.of_start:dup.of_end].startswith("import numpy as np")
    [_, dropped] = run([("a", first, None, roles_1), ("b", second, None, roles_2)], dedup="drop")
    assert "\n    if frame.empty:\n        raise ValueError(path)\n" in dropped.text  # untouched lines as they were


def test_drop_mode_lists_removals_in_document_order():
    import cleaner

    wire = "\n".join(["Harbour cranes arrive in spring", *STORY])
    copy = "\n".join(["Cranes due at the harbour", "By Wire staff", STORY[0], OTHER[0], STORY[1], OTHER[1],
                      "Share this article"])
    recs = list(cleaner.clean([{"id": "wire", "text": wire}, {"id": "copy", "text": copy}],
                              cleaner.Options(workers=1, dedup="drop")))
    kinds = [(r.kind, r.text) for r in recs[1].removed]
    assert [k for k, _ in kinds] == ["title", "byline", "duplicate", "duplicate", "share-buttons"], kinds
    assert [t for k, t in kinds if k == "duplicate"] == [STORY[0], STORY[1]]


def test_dropping_a_copied_quotation_takes_its_marks_along():
    """A copy's span can end before a quotation's closing mark or begin
    after its opening one: what is left reads as a sentence, not ',\" Peeters
    said.'"""
    wire = "\n".join(["Port strike ends after nine days",
                      "Dock workers at the port of Antwerp voted on Friday to end a nine-day strike that had left "
                      "more than 200 container ships waiting at anchor in the North Sea.",
                      "“We got most of what we asked for, and our members are ready to go back to work on Monday "
                      "morning,” union leader Jan Peeters said at a briefing in the city."])
    copy = "\n".join(["Antwerp dock strike over",
                      "Dock workers at the port of Antwerp voted on Friday to end a nine-day strike that had left "
                      "more than 200 container ships waiting at anchor in the North Sea.",
                      "\"We got most of what we asked for, and our members are ready to go back to work on Monday "
                      "morning,\" Peeters said.",
                      "Shipping lines said it would take weeks to clear the backlog of vessels."])
    [_, res] = run([("wire", wire), ("copy", copy)], dedup="drop")
    lines = res.text.split("\n")
    assert "Peeters said." in lines and not any(line[:1] in ",\"”“" for line in lines), lines


LEDE = ("The harbour authority said on Monday that the two new container cranes ordered from Rotterdam last year "
        "would arrive in the spring, doubling the port's capacity and ending a decade of delays for shippers and "
        "fishermen in the bay, where a dozen trawlers have waited since August for a berth to unload their catch "
        "and repair their nets before the winter storms.")


def test_a_stub_whose_lede_is_past_the_word_floor_is_no_near_duplicate():
    """A wire lede is 40 to 60 words, past DOC_MIN_WORDS: the stub copies the
    lede, not the article, which is four times its length and more."""
    article = "\n".join([LEDE, *STORY, *OTHER, *[s.replace("the", "a") for s in STORY + OTHER],
                         *[s.replace("the", "one") for s in STORY + OTHER]])
    stub = LEDE + "\nSubscribe to continue reading.\nAlready a subscriber? Log in."
    res = run([("article", article), ("stub", stub)])
    assert res[1].duplicates and res[1].near_duplicate_of is None
    half = "\n".join([LEDE, *STORY])  # a copy cut after half the article is still a near duplicate
    assert run([("article", "\n".join([LEDE, *STORY, *OTHER])), ("half", half)])[1].near_duplicate_of == "article"


def test_one_word_said_again_is_no_copy():
    """Two comparison pages share rows of ticks ("Yes | Yes | Yes | Yes"):
    ten equal words in a row, but one word said again, which no one copies."""
    from cleaner.dedup.stage import _repetitive

    assert _repetitive("Yes | Yes | Yes | Yes") and _repetitive("No\nYes | Yes\nNo | No")
    assert not _repetitive(STORY[0]) and not _repetitive("市议会周二批准了重建港口旧桥的计划")
    rows = "\n".join(["Yes | Yes | Yes | Yes"] * 6)
    first = "\n".join([STORY[0], "Feature | Basic | Plus | Pro", rows, STORY[1]])
    second = "\n".join([OTHER[0], "Plan | Starter | Team | Enterprise", rows, OTHER[1]])
    [_, res] = run([("a", first), ("b", second)])
    assert not res.duplicates and res.near_duplicate_of is None
