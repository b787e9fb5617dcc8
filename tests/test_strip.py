"""Behaviour of the line classifier on short dumps written for the test."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cleaner.strip import count_words, strip_chrome

P1 = ("The city council approved a plan on Tuesday to rebuild the old harbour bridge, ending two years of debate "
      "about how to pay for the work.")
P2 = ("Engineers said the new bridge would carry twice as much traffic and would be built to withstand stronger "
      "storms, which have become more frequent along the coast.")
P3 = ("Construction is expected to begin next spring and take about three years, according to the city's "
      "transport department, which will publish a detailed timetable in the coming weeks.")
P4 = ("Residents who live near the harbour will be offered free parking permits while the work is under way, "
      "the mayor's office said in a statement.")
BODY = [P1, P2, P3, P4]


def run(lines, **kw):
    return strip_chrome("\n".join(lines), is_html=kw.pop("is_html", False), **kw)


def kinds(result):
    return {(r.kind, r.text) for r in result.removed}


def test_body_kept_and_navigation_removed():
    lines = ["Home", "News", "Sport", "Weather", "Council backs harbour bridge rebuild", *BODY,
             "© 2025 Harbour Gazette. All rights reserved."]
    r = run(lines)
    assert r.text.split("\n") == BODY
    assert ("navigation", "Home") in kinds(r)
    assert ("copyright", "© 2025 Harbour Gazette. All rights reserved.") in kinds(r)


def test_title_byline_date_move_to_fields():
    lines = ["Mar 4, 2025", "5 min read", "Council backs harbour bridge rebuild", "Council backs harbour bridge rebuild",
             "By Jane Porter", *BODY]
    r = run(lines)
    assert r.title == "Council backs harbour bridge rebuild"
    assert r.author == "Jane Porter"
    assert r.date == "2025-03-04"
    assert r.text.split("\n") == BODY
    assert {k for k, _ in kinds(r)} >= {"title", "byline", "date", "read-time"}


def test_the_headline_the_url_names_is_the_title():
    # A headline in title case reads like a name, and the last headline-shaped
    # line above the body is the dateline: the URL's slug says which line the
    # headline is.
    url = "https://www.harbour-gazette.example/news/2024/01/01/council-backs-harbour-bridge-rebuild-b6f0"
    lines = ["The Harbour Gazette", "Newsletters", "Council Backs Harbour Bridge Rebuild",
             "By Michael Smith | The Harbour Gazette", "Posted: Jan. 1, 2024 / 9:59 AM", *BODY]
    r = run(lines, url=url)
    assert r.title == "Council Backs Harbour Bridge Rebuild"
    assert r.date == "2024-01-01"
    assert r.text.split("\n") == BODY
    # The page's own address, printed on the page, holds every word of the
    # slug; it is not the headline.
    r = run([url, *lines[2:]], url=url)
    assert r.title == "Council Backs Harbour Bridge Rebuild"


def test_bare_name_byline_next_to_header_lines():
    lines = ["Council backs harbour bridge rebuild", "The harbour crane at dusk. Photo: Tom Reed / Reuters",
             "Maria Lopez", "Updated:", "0:00", *BODY]
    r = run(lines)
    assert r.author == "Maria Lopez"
    assert r.text.split("\n") == BODY


def test_donation_appeal_after_article_removed():
    appeal = ["A Message from the Harbour Gazette:", "Dear readers,",
              "We are facing unprecedented challenges. Our newsroom depends on readers like you to keep reporting "
              "independently on the stories that matter to this city.",
              "Your support, no matter how small, makes a world of difference. If you can, please support us monthly "
              "starting from just $2. It's quick to set up.", "Once", "Monthly", "Annual", "Remind me later."]
    r = run(["Council backs harbour bridge rebuild", *BODY, *appeal])
    assert r.text.split("\n") == BODY
    assert all(k == "donation-appeal" for k, t in kinds(r) if t in appeal)


def test_comment_thread_and_related_list_removed():
    tail = ["Comments", "harbourwatcher says:", "March 4, 2025 at 6:34 am",
            "About time. The old bridge has been an eyesore for years and the traffic is unbearable every morning.",
            "Reply", "Related Articles >", "Mayor opens new library wing", "Mar 2, 2025",
            "The new wing adds 40,000 books and a children's reading room..."]
    r = run(["Council backs harbour bridge rebuild", *BODY, *tail])
    assert r.text.split("\n") == BODY


def test_glued_widget_label_is_cut():
    glued = "More StoriesEarlier this month, the council had delayed the vote after a dispute over the budget."
    r = run([P1, P2, "Top Stories Now", glued, P3])
    assert "Earlier this month, the council had delayed the vote after a dispute over the budget." in r.text.split("\n")
    assert "More Stories" not in r.text
    assert ("promo-widget", "More Stories") in kinds(r)


def test_a_glued_label_in_capitals_is_cut():
    glued = "ADVERTISEMENTNo serious injuries were reported, the fire service said on Tuesday evening."
    r = run([P1, P2, glued, P3])
    assert "No serious injuries were reported, the fire service said on Tuesday evening." in r.text.split("\n")
    assert "ADVERTISEMENT" not in r.text
    line = "DVDs and CEOs stay whole, as the company's annual report to its shareholders said."
    assert line in run([P1, line, P2]).text.split("\n")


def test_names_with_inner_capitals_are_not_cut():
    line = "McDonald said the restaurant chain would open forty new locations across the region next year."
    r = run([P1, line, P2])
    assert line in r.text.split("\n")


def test_inline_chrome_inside_article():
    r = run([P1, "Advertisement", P2, "READ MORE: Mayor opens new library wing", P3, "Share", "Facebook", P4])
    assert r.text.split("\n") == BODY


def test_repeated_block_kept_once():
    r = run([P1, P2, P2, P3])
    assert r.text.split("\n") == [P1, P2, P3]
    assert ("repeated-block", P2) in kinds(r)


def test_sentence_mentioning_newsletter_is_kept():
    line = ("She said the newsletter she founded in 2009 now has more than 40,000 readers, most of whom pay "
            "for it, and that she has no plans to sell.")
    r = run([P1, P2, line, P3])
    assert line in r.text.split("\n")


def test_html_text_keeps_structure_and_removes_known_title():
    r = run(["Council backs harbour bridge rebuild", *BODY, "Photo: Tom Reed / Reuters"], is_html=True,
            title="Council backs harbour bridge rebuild")
    assert r.text.split("\n") == BODY


def test_japanese_without_spaces():
    body = ["市議会は火曜日、老朽化した港の橋を架け替える計画を承認し、二年間に及んだ議論に決着をつけた。",
            "技術者によると、新しい橋は現在の二倍の交通量に対応でき、より強い嵐にも耐えられるよう設計される。",
            "工事は来年春に始まり、約三年かかる見通しだと市の交通局は説明している。"]
    r = run(["ホーム", "ニュース", "港の橋、架け替えへ", *body, "関連記事", "図書館の新館が開館", "無断転載を禁じます。"])
    assert r.text.split("\n") == body
    assert count_words(body[0]) >= 20


def test_empty_and_whitespace_input():
    assert strip_chrome("", is_html=False).text == ""
    assert strip_chrome(" \n\n\t\n", is_html=False).text == ""


TEASERS = ["Mayor defends budget cuts at packed town hall", "Storm damage closes coastal road for a week",
           "Local bakery wins national bread award", "Ferry operator adds late sailings this summer",
           "School board votes to keep four-day week"]


def test_run_of_headlines_inside_the_article_is_a_teaser_list():
    # A video playlist or "more stories" box between paragraphs: headlines in a row.
    r = run(["Council backs harbour bridge rebuild", P1, P2, *TEASERS, P3, P4])
    assert r.text.split("\n") == BODY
    assert {("related-articles", t) for t in TEASERS} <= kinds(r)


def test_lists_and_short_runs_are_not_teasers():
    tour = ["Sept. 12 -- Shoreline Amphitheatre, Mountain View", "Sept. 18 -- The Forum, Los Angeles",
            "Sept. 20 -- Ak-Chin Pavilion, Phoenix", "Sept. 22 -- Toyota Music Factory, Irving"]
    ingredients = ["Pears, cored and peeled", "Lemon juice from two lemons", "Fruit pectin powder",
                   "Ground cinnamon and nutmeg"]
    for middle in (tour, ["You will need:", *ingredients], TEASERS[:3]):
        r = run(["Council backs harbour bridge rebuild", P1, P2, *middle, P3, P4])
        assert r.text.split("\n") == [P1, P2, *middle, P3, P4], middle


def test_caption_above_a_credit_in_its_own_block():
    caption = "The mayor walks across the old harbour bridge, which will be closed next spring, on Monday."
    credit = "Jane Roe | Harbour Gazette | Getty Images"
    page = "\n\n".join(["Council backs harbour bridge rebuild", P1, P2, f"{caption}\n{credit}", P3, P4])
    r = strip_chrome(page, is_html=False)
    assert r.text.split("\n") == BODY
    assert ("photo-caption", caption) in kinds(r)
    # At the top of the article, right under a widget label.
    page = "\n\n".join(["Council backs harbour bridge rebuild", f"Shares\n{caption}\n{credit}", P1, P2, P3, P4])
    r = strip_chrome(page, is_html=False)
    assert r.text.split("\n") == BODY
    # Without blank lines the pair is not set apart: a paragraph before a credit stays.
    r = run(["Council backs harbour bridge rebuild", P1, P2, caption, credit, P3, P4])
    assert caption in r.text.split("\n")


def test_subheading_that_echoes_the_headline_is_not_the_headline():
    # The URL slug matches the short subheading at least as well as the headline;
    # the article still starts under the headline.
    lines = ["Home", "News", "How to rebuild a harbour bridge without closing the port",
             "Jane Roe, Harbour Gazette", P1, P2, "How to rebuild a harbour bridge", P3, P4]
    r = run(lines, url="https://harbour.example/how-to-rebuild-a-harbour-bridge-steps")
    assert r.text.split("\n") == [P1, P2, "How to rebuild a harbour bridge", P3, P4]
    assert r.title == "How to rebuild a harbour bridge without closing the port"
    # The same with a teaser of the story, words in another order, in a box further down.
    lines = ["Home", "News", "How to rebuild a harbour bridge without closing the port",
             "Jane Roe, Harbour Gazette", P1, P2, "More on this story", "Harbour bridge: how to rebuild",
             "Ferry strike ends", P3, P4]
    r = run(lines, url="https://harbour.example/how-to-rebuild-a-harbour-bridge-steps")
    assert r.title == "How to rebuild a harbour bridge without closing the port"
    assert r.text.split("\n")[:2] == [P1, P2]


def test_list_label_between_paragraphs_does_not_end_the_article():
    # "Trending" whose items were pictures: the article continues under the label.
    p5 = ("The harbour master said ships would keep their usual berths during the first year of work, and that "
          "a temporary pontoon would serve the ferry.")
    p6 = ("The council will hold two public meetings in March, where residents can see the final design and "
          "ask the engineers questions about noise.")
    more = [f"Paragraph {w} of the report covers the {w} stage of the works in detail, with costs, dates and the "
            f"names of the firms that bid for the contract last year." for w in ("second", "third", "fourth", "fifth", "sixth")]
    r = run(["Council backs harbour bridge rebuild", *BODY, *more, "Trending", p5, p6])
    assert r.text.split("\n") == [*BODY, *more, p5, p6]
    # Under a comments header, sentences are comments.
    comment = ("I have crossed that bridge every morning for thirty years and I am glad the council finally "
               "decided to fix it properly.")
    comment2 = ("Thirty years of potholes on that bridge, and now three more years of roadworks; I will believe "
                "it when I see the first crane on the quay.")
    r = run(["Council backs harbour bridge rebuild", *BODY, *more, "Comments", comment, comment2])
    assert r.text.split("\n") == [*BODY, *more]
    # Below another teaser list, the sentences under "Most read" are its teasers.
    teaser = "The ferry strike is over, and the union says the deal is fair to everyone involved."
    r = run(["Council backs harbour bridge rebuild", P1, P2, P3, P4, "Related stories", *TEASERS[:3],
             "Most read", teaser])
    assert r.text.split("\n") == BODY


def test_paragraph_ending_with_an_invitation_to_comment_is_kept():
    closing = ("Picking the winners was hard, and the jury argued for a week. Some of your favourite designs "
               "surely did not make the list. Leave a comment and let us know which bridge you would have picked.")
    r = run(["Council backs harbour bridge rebuild", *BODY, closing, "Comments", "Log in to comment"])
    assert r.text.split("\n") == [*BODY, closing]
    # The phrase alone, or with little before it, is the widget's.
    r = run(["Council backs harbour bridge rebuild", *BODY, "Leave a comment and let us know what you think."])
    assert r.text.split("\n") == BODY


def test_a_press_release_keeps_its_issuer_boilerplate():
    release = ["Harbour Energy opens second terminal",
               "Rotterdam, March 4, 2024 /PRNewswire/ -- Harbour Energy today opened its second liquefied gas "
               "terminal at the port, doubling the capacity it can offer to shipping lines in the region.",
               *BODY,
               "About Harbour Energy",
               "Harbour Energy runs gas terminals in four European ports and employs 1,200 people. It was founded "
               "in 1998 and is listed in Amsterdam.",
               "Media contact: press@harbour-energy.example"]
    r = run(release)
    assert "About Harbour Energy" in r.text.split("\n")
    assert "Harbour Energy runs gas terminals" in r.text
    # Under an article, "About Jane Doe" opens the author's bio, which is chrome.
    article = ["Council backs harbour bridge rebuild", *BODY, "About Jane Doe",
               "Jane Doe is a senior reporter covering transport and the port for the Harbour News."]
    r = run(article)
    assert r.text.split("\n") == BODY
    assert any(x.kind == "author-bio" for x in r.removed)


def test_a_line_opening_with_a_dateline_is_the_first_paragraph():
    dek = "ISTANBUL (AFP) — We compare four of the harbour cranes on the market to help ports choose the right one"
    r = run(["Home | News | Sport", "Council backs harbour bridge rebuild", "By Jane Doe", dek, *BODY])
    assert r.text.split("\n") == [dek, *BODY]
    release = "Geneva, June 16, 2024 /PRNewswire/ - Harbour Energy opens a second terminal at the port"
    r = run(["Council backs harbour bridge rebuild", release, *BODY])
    assert r.text.split("\n")[0] == release
    # A menu with dashes is not a dateline.
    r = run(["Council backs harbour bridge rebuild", "Home - News - Sport", *BODY])
    assert r.text.split("\n") == BODY


def test_one_long_sentence_without_commas_is_prose():
    from cleaner.strip import Line, is_prose

    lead = ("The harbour council says the old bridge will close for good next spring once the engineers have "
            "finished their very last survey of the stone piers.")
    cloud = "harbour bridge council ferry port engineers piers survey spring traffic storms parking permits " * 2
    assert is_prose(Line(0, lead, count_words(lead)))
    assert not is_prose(Line(0, cloud.strip(), count_words(cloud)))


def test_a_long_sentence_sharing_the_slug_words_is_not_the_headline():
    intro = ("If you are like me and do not follow football all season, you can always find something to love "
             "about the big match.")
    hook = ("As a coach and a keen home cook, I want to help you enjoy everything about game day, including those "
            "delicious snacks!")
    lines = ["Home", "Blog", "How to tackle the big match buffet", "February 1, 2019 | By Jane Roe", intro, hook,
             *BODY]
    r = run(lines, url="https://harbour.example/blog/jane-roe-game-day-snacks")
    assert r.text.split("\n") == [intro, hook, *BODY]


# Symbols that fold to a word break (curly quotes, dashes, ellipsis, spaces, ©)
# and look-alikes that do not: letters and digits after NFKC (™ ½ ¹ ª µ),
# combining marks (´ ¨ after NFKC, U+0301), a CJK mark (・), the underscore.
_TRICKY = "’“”‘—–…•·«»©®°±×÷\u00a0\u2009\u200b\u2028™½¹ªµ´¨\u0301・_ﬁ"


@settings(max_examples=600, derandomize=True)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F) | st.sampled_from("ÉéßİЖж’“—"), max_size=60)
       | st.text(alphabet=st.sampled_from("ABCDEFGH ÉЖİ’—|abc[`@{"), min_size=15, max_size=60)
       | st.text(alphabet=st.characters(max_codepoint=0x7F) | st.sampled_from(_TRICKY), max_size=60)
       | st.text(alphabet=st.characters(max_codepoint=0x7F) | st.characters(min_codepoint=0x80, max_codepoint=0x2FFF),
                 max_size=40)
       | st.text(alphabet=st.sampled_from("中文新闻报道。、「」ひらがなカタカナｶﾀ한국어 ab12_"), max_size=40))
def test_fast_paths_agree_with_the_general_definitions(text):
    import unicodedata

    from cleaner.strip import (_CAMEL, _CJK, _NON_WORD, _WORD, Line, _all_caps_teaser, _camel, _features_now,
                               _fold_now, _glue_split)

    assert _fold_now(text) == _NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    assert _camel(text) == bool(_CAMEL.search(text))
    cjk = len(_CJK.findall(text))
    assert count_words(text) == len(_WORD.findall(_CJK.sub(" ", text))) + (cjk + 1) // 2
    features = _features_now(text)
    assert (features or ("", 0))[1] == count_words(text)
    if features:
        assert features[6] == _glue_split(features[0])  # the camel-case prefilter drops no glued label
    line = Line(0, text, 8)
    letters, upper = sum(map(str.isalpha, text)), sum(map(str.isupper, text))
    expected = "|" not in text and letters >= 20 and upper >= 0.9 * letters and not _CJK.search(text)
    assert _all_caps_teaser(line) == expected


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.sampled_from(["updated", "Last", "last updated", "Veröffentlicht", "公開日", "дата", ":", " ", "x",
                                 "release date", "date"]), max_size=6).map("".join))
def test_a_date_label_alone_is_read_with_a_length_bound(raw):
    import re

    from cleaner.rules import normalize_line
    from cleaner.strip import _DATE_LABEL_ONLY, _date_label

    text = normalize_line(raw)
    unbounded = re.compile(_DATE_LABEL_ONLY.pattern.replace(r"\s?:?", r"\s*:?"), re.I)
    assert _date_label(text) == bool(unbounded.fullmatch(text))
    assert _date_label("Updated:") and _date_label("Mis à jour :") and not _date_label("Updated: the story")
    assert _date_label("ſ") is False and _date_label("DATUM") and _date_label("更新日：") is False


def test_first_characters_of_a_pattern_include_both_cases_and_the_case_hazards():
    import re

    from cleaner.rules import CASE_HAZARDS, first_chars
    from cleaner.strip import _DATE_LABEL_FIRST

    assert _DATE_LABEL_FIRST is not None and {"u", "U", "о", "О", "更"} <= _DATE_LABEL_FIRST
    assert first_chars(re.compile("(ab|c)d", re.I)) == frozenset("aAcC") | CASE_HAZARDS
    assert first_chars(re.compile(r"\d+x")) is None and first_chars(re.compile("a?")) is None


@pytest.mark.parametrize("line", [
    "More ShortsEarlier this month, the council voted to close the old harbour road for good.",
    "More ShortsEarlier this month, the council’s vote closed the old harbour road — for good.",
    "Read MoreEarlier this month, the café owner in Zürich said the old harbour road would close.",
])
def test_a_glued_label_is_found_on_ascii_punctuated_and_other_lines(line):
    from cleaner.strip import _features_now

    split = _features_now(line)[6]
    assert split is not None and split[0] in ("More Shorts", "Read More")


@settings(max_examples=500, derandomize=True)
@given(st.text(alphabet=st.sampled_from("ab AB.!?:;)(”’'»\n\t。"), max_size=30))
@example("Crash on the road? Police say two were hurt")
@example("Crash on the road! Police say two were hurt")
@example("Crash on the road. Police say two were hurt")
def test_sentence_end_tests_agree_with_their_regexes(text):
    from cleaner.strip import _TERMINAL, _TERMINAL_LAST, _TWO_SENTENCES, Line, _terminal, _title_shaped

    assert _terminal(text) == (text.rstrip()[-1:] in _TERMINAL_LAST or bool(_TERMINAL.search(text)))
    if text and _TWO_SENTENCES.search(text):  # two sentences are never a headline, prefilter or not
        assert not _title_shaped(Line(0, text, count_words(text), prose=False))


def test_the_headline_is_the_line_a_byline_follows_not_a_label_below_it():
    """The last headline-shaped line above the body was taken for the title:
    a label between the byline and the body ("Special to the Times") won."""
    body = ["The quake struck shortly after dawn, cutting roads to a dozen villages in the valley, officials said.",
            "Rescue teams reached the first of them by helicopter on Tuesday afternoon, the regional governor said.",
            "Aid groups said tents, blankets and water were the most urgent needs as night temperatures fell."]
    for label in ("Special to the Times", "Photographs by Luis Gomez", "Reporting from Lisbon"):
        page = "\n".join(["Home", "World", "Rescuers search for survivors after quake hits mountain villages",
                          "By Ana Pereira", label, "March 3, 2024", *body, "© 2024 The Times"])
        st = strip_chrome(page, is_html=False)
        assert st.title == "Rescuers search for survivors after quake hits mountain villages", (label, st.title)
