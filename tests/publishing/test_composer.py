"""Direct mode: posts composed from metadata, checked against twitter-text-parser."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from publishing.composer import PREFIXES, ComposeError, compose_post
from publishing.textcount import entities, graphemes, is_valid, normalize
from tests.publishing.test_textcount import cjk, emoji_sequences, latin, mixed_text, urls

# The oracle takes milliseconds a post: enough examples to find trouble, few enough to
# keep this file to seconds. Run with more when changing the composer.
PROPERTY = settings(max_examples=250, deadline=None, database=None)
HEAD = "🎥 New Video: T"  # weighs 15
HEAD_WEIGHTS = {"en": 15, "cn": 12, "ja": 16}  # prefix and "T"


def x_length(text: str) -> int:
    return parse_tweet(text).weightedLength


def blocks(text: str) -> list[str]:
    return text.split("\n\n")


# --- layout ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "meta", "expected"),
    [
        (
            "en",
            {"title": "Tokyo at night", "description": "Lights.", "hashtags": ["#Tokyo", "Night"]},
            "🎥 New Video: Tokyo at night\n\nLights.\n\n#Tokyo #Night",
        ),
        (
            "cn",
            {"title": "东京夜景", "description": "灯火通明。", "hashtags": ["#东京"]},
            "🎥 新视频：东京夜景\n\n灯火通明。\n\n#东京",
        ),
        (
            "ja",
            {"title": "東京の夜景", "description": "光の街。", "hashtags": ["東京"]},
            "🎥 新しい動画：東京の夜景\n\n光の街。\n\n#東京",
        ),
    ],
)
def test_it_lays_out_prefix_title_description_and_hashtags(language, meta, expected):
    post = compose_post(meta, language)
    assert post.text == expected
    assert post.weighted_length == x_length(expected)
    assert (post.dropped_hashtags, post.shortened) == ((), False)


def test_it_leaves_out_empty_blocks_with_their_blank_line():
    assert compose_post({"title": "T"}, "en").text == HEAD
    assert compose_post({"title": "T", "description": " ", "hashtags": ["#A"]}, "en").text == (
        f"{HEAD}\n\n#A"
    )


def test_it_normalises_whitespace_and_removes_byte_order_marks():
    meta = {"title": "\ufeff Tokyo\n at   night ", "description": "One.  \n\n\n\nTwo   words."}
    assert compose_post(meta, "en").text == "🎥 New Video: Tokyo at night\n\nOne.\n\nTwo words."


def test_it_does_not_show_keywords_or_summary():
    meta = {"title": "T", "keywords": ["kite"], "summary": "怀旧情感"}
    assert compose_post(meta, "en").text == HEAD


# --- hashtags ------------------------------------------------------------------------


def test_it_never_repeats_a_hashtag_of_the_title_or_the_list_whatever_its_case():
    meta = {
        "title": "Paper Airplane #ChildhoodMemories",
        "hashtags": ["#childhoodmemories", "#DreamBig", "dreambig", "#PaperAirplane"],
    }
    assert blocks(compose_post(meta, "en").text)[-1] == "#DreamBig #PaperAirplane"


def test_it_cleans_hashtags_it_can_and_leaves_out_those_x_would_not_link():
    meta = {"title": "T", "hashtags": ["City Walk", "#Sci-Fi", "#2025", "＃東京", " #Tokyo ", "#"]}
    assert blocks(compose_post(meta, "ja").text)[-1] == "#CityWalk #SciFi #東京 #Tokyo"


def test_it_leaves_out_hashtags_the_description_shows_already():
    meta = {"title": "T", "description": "Made in #Tokyo.", "hashtags": ["#tokyo", "#Japan"]}
    assert blocks(compose_post(meta, "en").text)[-1] == "#Japan"


def test_it_takes_hashtags_given_as_one_string():
    assert blocks(compose_post({"title": "T", "hashtags": "#a  #b"}, "en").text)[-1] == "#a #b"


# --- fitting -----------------------------------------------------------------------

DESCRIPTION = "A paper plane carries our dreams."  # weighs 33


def test_it_drops_hashtags_from_the_end_before_shortening_the_description():
    meta = {"title": "T", "description": DESCRIPTION, "hashtags": ["#One", "#Two", "#Three"]}
    post = compose_post(meta, "en", limit=15 + 2 + 33 + 2 + 9)
    assert post.text == f"{HEAD}\n\n{DESCRIPTION}\n\n#One #Two"
    assert post.dropped_hashtags == ("#Three",)
    assert not post.shortened


def test_it_shortens_the_description_only_once_every_hashtag_is_gone():
    meta = {"title": "T", "description": DESCRIPTION, "hashtags": ["#One"]}
    post = compose_post(meta, "en", limit=15 + 2 + 32)
    assert post.text == f"{HEAD}\n\nA paper plane carries our…"
    assert (post.dropped_hashtags, post.shortened) == (("#One",), True)


def test_it_keeps_the_hashtags_of_the_title_when_it_drops_the_others():
    meta = {"title": "T #Kept", "description": DESCRIPTION, "hashtags": ["#Kept", "#Gone"]}
    post = compose_post(meta, "en", limit=26)
    assert post.text == "🎥 New Video: T #Kept"
    assert post.dropped_hashtags == ("#Gone",)


def test_it_prefers_to_end_the_description_at_a_sentence_end_without_an_ellipsis():
    description = "The first sentence is long enough. Then more words follow here."
    post = compose_post({"title": "T", "description": description}, "en", limit=15 + 2 + 50)
    assert blocks(post.text)[1] == "The first sentence is long enough."


def test_room_a_shortened_description_leaves_goes_back_to_the_hashtags():
    description = "The first sentence is long enough. Then more words follow here."
    meta = {"title": "T", "description": description, "hashtags": ["#One", "#Two", "#Three"]}
    post = compose_post(meta, "en", limit=15 + 2 + 50)
    assert post.text == f"{HEAD}\n\nThe first sentence is long enough.\n\n#One #Two"
    assert (post.dropped_hashtags, post.shortened) == (("#Three",), True)
    dropped = compose_post({**meta, "description": DESCRIPTION}, "en", limit=15 + 2 + 12)
    assert dropped.text == f"{HEAD}\n\n#One #Two"
    assert dropped.description_dropped


def test_it_cuts_at_a_word_with_an_ellipsis_and_no_dangling_comma():
    description = "One long sentence, with commas, that goes on and on without end"
    post = compose_post({"title": "T", "description": description}, "en", limit=49)
    assert blocks(post.text)[1] == "One long sentence, with commas…"
    assert post.weighted_length == x_length(post.text) == 49


def test_a_short_first_sentence_does_not_win_over_a_much_longer_cut():
    description = "Wow. This clip shows a paper plane crossing the whole city at dawn"
    post = compose_post({"title": "T", "description": description}, "en", limit=15 + 2 + 40)
    assert blocks(post.text)[1] == "Wow. This clip shows a paper plane…"


@pytest.mark.parametrize(
    ("language", "description", "room", "kept"),
    [
        ("ja", "東京の夜景を映します。光があふれる街を歩きます。", 26, "東京の夜景を映します。"),
        ("ja", "東京の夜景と光の街を、歩きながら映します。", 25, "東京の夜景と光の街を…"),
        ("cn", "纸飞机承载着童年的梦想，也承载着希望。", 26, "纸飞机承载着童年的梦想…"),
    ],
)
def test_it_cuts_cjk_between_characters_preferring_a_sentence_end(
    language, description, room, kept
):
    limit = HEAD_WEIGHTS[language] + 2 + room
    post = compose_post({"title": "T", "description": description}, language, limit=limit)
    assert blocks(post.text)[1] == kept
    assert post.weighted_length == x_length(post.text) <= limit


def test_it_drops_the_description_when_no_readable_start_fits():
    post = compose_post({"title": "T", "description": DESCRIPTION}, "en", limit=15 + 2 + 12)
    assert post.text == HEAD
    assert post.shortened and post.description_dropped


def test_it_counts_a_url_in_the_description_as_23_characters():
    url = "https://example.com/videos/" + "x" * 150
    post = compose_post({"title": "T", "description": f"Full cut: {url}"}, "en")
    assert blocks(post.text)[1] == f"Full cut: {url}"
    assert post.weighted_length == x_length(post.text) == 15 + 2 + 10 + 23


def test_it_never_cuts_a_url_in_half():
    url = "https://example.com/" + "x" * 60
    description = f"Watch the whole film at {url} tonight"
    for limit in range(30, 90):
        text = compose_post({"title": "T", "description": description}, "en", limit=limit).text
        assert url in text or "https" not in text, limit


def test_it_never_splits_an_emoji_sequence_or_a_flag():
    description = "Family 👨‍👩‍👧‍👦 flag 🇯🇵🇺🇸 keycap 1️⃣ thumbs 👍🏽 wales 🏴󠁧󠁢󠁷󠁬󠁳󠁿 end of the line"
    clusters = graphemes(description)
    starts = {"".join(clusters[:n]) for n in range(len(clusters) + 1)}
    for limit in range(30, 80):
        post = compose_post({"title": "T", "description": description}, "en", limit=limit)
        kept = blocks(post.text)[1:] or [""]
        assert kept[0].removesuffix("…") in starts, limit


def test_paid_accounts_get_25000_characters():
    meta = {"title": "T", "description": "長い説明。" * 2_000, "hashtags": ["#One", "#Two"]}
    assert compose_post(meta, "ja", limit=280).shortened
    post = compose_post(meta, "ja", limit=25_000)
    assert post.text.endswith("長い説明。\n\n#One #Two")
    assert post.weighted_length == 16 + 2 + 20_000 + 2 + 9
    assert is_valid(post.text, limit=25_000)


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "language", "message"),
    [
        (
            {"title": "x" * 300},
            "en",
            "the title does not fit: with the prefix it is 314 weighted characters, limit 280",
        ),
        ({"description": "No title here."}, "en", "the en metadata has no title"),
        ({}, "cn", "the cn metadata has no title"),
        ({"title": "T"}, "de", "unknown language 'de': expected one of en, cn, ja"),
        ({"title": 5}, "en", "title must be text, not int"),
        ({"title": "T", "hashtags": [1]}, "en", "hashtags must be a list of text"),
        ({"text": " \n"}, "en", "text is empty"),
        ({"text": "x" * 281}, "en", "text is 281 weighted characters, limit 280"),
    ],
)
def test_it_refuses_with_a_message_a_person_can_act_on(meta, language, message):
    with pytest.raises(ComposeError) as raised:
        compose_post(meta, language)
    assert str(raised.value) == message


# --- plain posts ---------------------------------------------------------------------


def test_a_plain_text_goes_out_as_written():
    post = compose_post({"text": "  Hello 👋\nworld https://example.com/" + "a" * 200 + "\n"}, "en")
    assert post.text == "Hello 👋\nworld https://example.com/" + "a" * 200
    assert post.weighted_length == x_length(post.text) == 6 + 2 + 7 + 23


def test_a_plain_text_over_the_limit_is_refused_never_cut():
    text = "日" * 141
    with pytest.raises(ComposeError, match="text is 282 weighted characters, limit 280"):
        compose_post({"text": text}, "ja")
    assert compose_post({"text": text}, "ja", limit=25_000).text == text


# --- properties ----------------------------------------------------------------------

words = st.one_of(latin, cjk, emoji_sequences, urls, st.sampled_from(["#Tag", "＃タグ", "@user"]))
titles = st.lists(words, max_size=5).map(" ".join)
sentences = (
    st.lists(words, min_size=1, max_size=8)
    .map(" ".join)
    .flatmap(lambda s: st.sampled_from([s + ". ", s + "! ", s + "。", s + "？", s + ", ", s + " "]))
)
descriptions = st.one_of(st.lists(sentences, max_size=8).map("".join), mixed_text)
hashtag_lists = st.lists(
    st.one_of(st.sampled_from(["#Tag", "tag", "#City Walk", "#Sci-Fi", "#2025", "＃東京"]), words),
    max_size=10,
)
metadata = st.fixed_dictionaries(
    {"title": titles, "description": descriptions, "hashtags": hashtag_lists}
)
languages = st.sampled_from(list(PREFIXES))
limits = st.integers(10, 300)


def cleaned_head(meta: dict, language: str) -> str:
    title = meta["title"].translate(dict.fromkeys(map(ord, "\ufeff\ufffe\uffff")))
    return PREFIXES[language] + " ".join(normalize(title).split())


@settings(max_examples=400, deadline=None, database=None)
@given(metadata, languages, limits)
def test_a_composed_post_is_one_x_accepts_or_its_title_does_not_fit(meta, language, limit):
    head = cleaned_head(meta, language)
    try:
        post = compose_post(meta, language, limit=limit)
    except ComposeError:
        assert head == PREFIXES[language] or x_length(head) > limit
        return
    assert post.weighted_length == x_length(post.text) <= limit
    assert is_valid(post.text, limit)
    assert post.text == head or post.text.startswith(head + "\n\n")  # the title is never cut


@PROPERTY
@given(titles, hashtag_lists, languages)
def test_a_post_never_shows_a_hashtag_of_the_list_twice(title, hashtags, language):
    try:
        text = compose_post({"title": title, "hashtags": hashtags}, language).text
    except ComposeError:
        return
    listed = blocks(text)[1].split() if len(blocks(text)) > 1 else []
    in_title = {tag[1:].casefold() for tag in blocks(text)[0].split() if tag[0] in "#＃"}
    assert len({tag.casefold() for tag in listed}) == len(listed)
    assert not {tag[1:].casefold() for tag in listed} & in_title


@PROPERTY
@given(titles, descriptions, languages, limits, st.integers(0, 4))
def test_a_shortened_description_is_a_start_of_whole_units(
    title, description, language, limit, tag_count
):
    tags = [f"#Zq{n}" for n in range(tag_count)]  # shown nowhere else, so easy to find
    meta = {"title": title, "description": description, "hashtags": tags}
    try:
        post = compose_post(meta, language, limit=limit)
    except ComposeError:
        return
    if not post.shortened or post.description_dropped:
        return
    kept_tags = " ".join(tag for tag in tags if tag not in post.dropped_hashtags)
    body = post.text.split("\n\n", 1)[1].removesuffix(f"\n\n{kept_tags}")
    kept = body.removesuffix("…")
    full = compose_post({"title": title, "description": description}, language, limit=25_000)
    full_description = full.text.split("\n\n", 1)[1]
    clusters = graphemes(full_description)
    assert kept in {"".join(clusters[:n]) for n in range(1, len(clusters))}
    assert not any(e.start < len(kept) < e.end for e in entities(full_description))


@settings(max_examples=80, deadline=None, database=None)
@given(titles, st.lists(sentences, max_size=8).map("".join), hashtag_lists, languages)
def test_a_higher_limit_never_gives_a_shorter_post(title, description, hashtags, language):
    # Not for any text: where a cut makes X read a URL that was not there ("a.b;c.삼성"
    # cut after "c.삼성"), the retry is cautious and may keep less than would fit.
    meta = {"title": title, "description": description, "hashtags": hashtags}
    lengths = []
    for limit in range(20, 301, 11):
        try:
            lengths.append(compose_post(meta, language, limit=limit).weighted_length)
        except ComposeError:
            lengths.append(0)
    assert lengths == sorted(lengths)
