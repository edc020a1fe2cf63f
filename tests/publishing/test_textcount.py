"""X's weighted count, checked against twitter-text-parser itself (the oracle)."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet
from twitter_text.config import config
from twitter_text.regexp.emoji import emoji_list
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

from publishing.textcount import (
    PrefixWeights,
    char_weight,
    entities,
    graphemes,
    is_grapheme_boundary,
    is_valid,
    normalize,
    weighted_length,
)

# The oracle is slow (milliseconds a text), so examples stay short and few enough for
# the whole file to run in seconds; each property still sees hundreds of mixed texts.
PROPERTY = settings(max_examples=300, deadline=None, database=None)
AGREEMENT = settings(max_examples=800, deadline=None, database=None)


# --- strategies (test_composer uses them too) ----------------------------------------

EMOJI = [e.emoji for e in emoji_list]
ZWJ, VS16, KEYCAP = "\u200d", "\ufe0f", "\u20e3"
SKIN_TONES = [chr(c) for c in range(0x1F3FB, 0x1F400)]
REGIONAL = [chr(c) for c in range(0x1F1E6, 0x1F200)]
TAGS = [chr(c) for c in range(0xE0061, 0xE007B)]


def _alternatives(pattern: str) -> list[str]:
    return pattern[pattern.index("(?:(?:") + 6 : pattern.index(")(?=")].split("|")


TLDS = _alternatives(valid_gtld.pattern) + _alternatives(valid_cctld.pattern)

emoji_sequences = st.one_of(
    st.sampled_from(EMOJI),  # everything twitter_text knows, ZWJ families included
    st.tuples(st.sampled_from(EMOJI), st.sampled_from(SKIN_TONES)).map("".join),
    st.lists(st.sampled_from(EMOJI), min_size=2, max_size=4).map(ZWJ.join),
    st.lists(st.sampled_from(REGIONAL), min_size=1, max_size=5).map("".join),  # flags
    st.tuples(st.sampled_from("#*0123456789"), st.sampled_from(["", VS16]), st.just(KEYCAP)).map(
        "".join
    ),  # keycaps, qualified or not
    st.lists(st.sampled_from(TAGS), max_size=6).map(lambda t: "🏴" + "".join(t) + "\U000e007f"),
    st.tuples(st.sampled_from(EMOJI), st.sampled_from([VS16, "\ufe0e", ZWJ])).map("".join),
)

label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
idn_label = st.text("bücherñ日本語例え", min_size=1, max_size=4)
domains = st.tuples(
    st.lists(st.one_of(label, idn_label), min_size=1, max_size=3),
    st.sampled_from(TLDS).flatmap(lambda tld: st.sampled_from([tld, tld.upper()])),
).map(lambda d: ".".join([*d[0], d[1]]))
paths = st.text("abcXYZ019/-_.~%=+!*'()@:;,&#", max_size=20).map(lambda p: "/" + p)
urls = st.one_of(
    st.tuples(
        st.sampled_from(["", "http://", "https://", "HTTPS://"]),
        domains,
        st.sampled_from(["", ":8080"]),
        st.sampled_from(["", "/"]) | paths,
        st.sampled_from(["", "?q=1&x=y", "?a=b."]),
    ).map("".join),
    st.integers(0, 45).map(lambda n: "https://t.co/" + "a1" * (n // 2)),  # slugs over 40 fail
)
cjk = st.text(
    st.characters(min_codepoint=0x3000, max_codepoint=0x30FF)
    | st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
    | st.characters(min_codepoint=0xAC00, max_codepoint=0xAC40)  # Hangul syllables
    | st.characters(min_codepoint=0x1100, max_codepoint=0x11FF)  # Hangul jamo
    | st.characters(min_codepoint=0xFF00, max_codepoint=0xFF65),  # fullwidth forms
    min_size=1,
    max_size=8,
)
marks = st.text(st.characters(categories=["Mn", "Me", "Mc"]), min_size=1, max_size=3)
latin = st.text("aeiouAEIOU xyzéèñçß.,!?-:'\"()", min_size=1, max_size=10)
boundaries = st.sampled_from(
    [
        "",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\u3000",
        ".",
        ",",
        "!",
        "-",
        "/",
        "@",
        "#",
        "＃",
        "：",
        "(",
        ")",
        "\u2026",
        "\u2019",
        "\ufeff",
        "\u200d",
        "\u202a",  # a directional mark: X's URL regex treats it apart
        "https://",
        "?",
        "～",
    ]
)
pieces = st.one_of(
    emoji_sequences, urls, cjk, marks, latin, boundaries, st.text(max_size=6), domains
)
mixed_text = st.lists(pieces, max_size=10).map("".join)


# --- what X counts ------------------------------------------------------------------


def test_140_cjk_characters_fill_a_post():
    text = "日" * 140
    assert weighted_length(text) == 280
    assert is_valid(text)
    assert not is_valid(text + "本")


def test_every_url_counts_23_whatever_its_length():
    long_url = "https://example.com/" + "a" * 200
    assert weighted_length(long_url) == 23
    assert weighted_length(f"see {long_url} and example.org") == 4 + 23 + 5 + 23
    assert weighted_length("see example.org.") == 4 + 23 + 1


def test_text_that_only_looks_like_a_url_counts_per_character():
    assert weighted_length("e.g. 3.14 Node.x") == len("e.g. 3.14 Node.x")


def test_an_emoji_sequence_counts_as_one_emoji():
    for sequence in ["👨‍👩‍👧‍👦", "👍🏽", "🇯🇵", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]:
        assert weighted_length(sequence) == 2, sequence


def test_characters_that_are_emoji_count_two_even_in_the_light_range():
    # © and ® sit in X's weight-1 range, but twitter_text counts them as emoji.
    assert char_weight("©") == 1
    assert weighted_length("©") == 2


def test_it_measures_after_nfc_and_one_line_break_per_line_ending():
    assert weighted_length("e\u0301") == 1
    assert weighted_length("a\r\nb\rc") == 5
    assert normalize("a\r\nb\rc") == "a\nb\nc"


def test_light_and_heavy_characters_follow_xs_ranges():
    assert [char_weight(c) for c in "aé\u2010\u2026日😀"] == [1, 1, 1, 2, 2, 2]


def test_a_post_is_valid_only_when_not_empty_within_the_limit_and_without_bom():
    assert not is_valid("")
    assert not is_valid("hi\ufeff")
    assert is_valid("x" * 280)
    assert not is_valid("x" * 281)
    assert is_valid("x" * 25_000, limit=25_000)


def test_entities_are_the_urls_and_emoji_x_counts_as_units():
    found = entities("go 👍🏽 https://x.com/a ok")
    assert [(e.kind, e.weight) for e in found] == [("emoji", 2), ("url", 23)]
    assert "go 👍🏽 https://x.com/a ok"[found[1].start : found[1].end] == "https://x.com/a"


# --- agreement with twitter_text -----------------------------------------------------


@AGREEMENT
@given(mixed_text)
@example("🎥 New Video: ＫELVIN.ＣOM ſ.com a.K")  # IGNORECASE folds these onto ASCII
@example("访问example.com网站 http://日本語.jp/パス")
@example("x.co.uk/path.\u3000https://t.co/" + "a" * 41)
@example("中文" * 40 + "https://example.com/a?b=1" + "日本" * 40 + "例え.jp。" + "語" * 30)
@example("日本語" * 30 + "example.com:80/パス" + "\u202a" + "y.co")
def test_weighted_length_agrees_with_twitter_text_on_mixed_text(text):
    assert weighted_length(text) == parse_tweet(text).weightedLength


@AGREEMENT
@given(st.text(max_size=40))
def test_weighted_length_agrees_with_twitter_text_on_any_unicode(text):
    assert weighted_length(text) == parse_tweet(text).weightedLength


@PROPERTY
@given(mixed_text, st.sampled_from([1, 10, 40, 280]))
def test_is_valid_agrees_with_twitter_text(text, limit):
    options = {**config["defaults"], "max_weighted_tweet_length": limit}
    assert is_valid(text, limit) == parse_tweet(text, options).valid


# --- prefixes and graphemes ----------------------------------------------------------


@settings(max_examples=200, deadline=None, database=None)
@given(mixed_text)
def test_prefix_weights_match_a_fresh_count_at_every_space(text):
    weights = PrefixWeights(text)
    normalized = weights.text
    assert weights.total == weighted_length(text)
    for pos, char in enumerate(normalized):
        if char in " \n":
            assert weights.at(pos) == weighted_length(normalized[:pos])


@settings(max_examples=200, deadline=None, database=None)
@given(mixed_text)
def test_prefix_weights_never_decrease(text):
    weights = PrefixWeights(text)
    values = [weights.at(pos) for pos in range(len(weights.text) + 1)]
    assert values == sorted(values)
    assert weights.longest_fitting(values[-1] // 2) <= len(weights.text)


def test_prefix_weights_find_the_longest_start_that_fits():
    weights = PrefixWeights("ab 日本 https://example.com/long/path z")
    assert weights.longest_fitting(3) == 3  # "ab "
    assert weights.longest_fitting(6) == 4  # "ab 日", not half of 本
    assert weights.inside_entity(12)
    assert weights.at(12) == weights.at(8)  # inside the URL: the weight before it


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("👨‍👩‍👧‍👦!", ["👨‍👩‍👧‍👦", "!"]),
        ("🇯🇵🇺🇸🇫", ["🇯🇵", "🇺🇸", "🇫"]),
        ("1️⃣👍🏽", ["1️⃣", "👍🏽"]),
        ("e\u0301\u0302x", ["e\u0301\u0302", "x"]),
        ("a\r\nb", ["a", "\r\n", "b"]),
        ("\u1100\u1161\u11a8가", ["\u1100\u1161\u11a8", "가"]),
        ("🏴󠁧󠁢󠁳󠁣󠁴󠁿 ", ["🏴󠁧󠁢󠁳󠁣󠁴󠁿", " "]),
    ],
)
def test_graphemes_keep_user_perceived_characters_whole(text, clusters):
    assert graphemes(text) == clusters


def test_every_emoji_twitter_text_knows_is_one_grapheme():
    assert [e for e in EMOJI if len(graphemes(e)) != 1] == []


@PROPERTY
@given(mixed_text)
def test_a_grapheme_boundary_is_never_inside_a_cluster(text):
    clusters = graphemes(text)
    assert "".join(clusters) == text
    ends = {0}
    for cluster in clusters:
        ends.add(max(ends) + len(cluster))
    for pos in range(len(text) + 1):
        if is_grapheme_boundary(text, pos):
            assert pos in ends
