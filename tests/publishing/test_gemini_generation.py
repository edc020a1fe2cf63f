"""post_generate against the Gemini emulator, through the real google-genai client."""

import logging
import re

import pytest
import time_machine

from publishing import prompts
from publishing.composer import compose_post
from publishing.gemini_emulator import GARBAGE_STYLES
from publishing.models import GeneratedText
from publishing.services.generation import NO_KEY_REASON, gemini_outage, post_generate
from publishing.textcount import weighted_length

pytestmark = pytest.mark.django_db

META = {
    "title": "The Moon Landing, Explained",
    "description": "How Apollo 11 got there and back. Ten minutes, no jargon.",
    "summary": "A short history of the first Moon landing.",
    "keywords": ["space", "apollo"],
    "hashtags": ["#Space", "#Apollo11"],
}
META_BY_LANGUAGE = {
    "en": META,
    "cn": {"title": "测试卡之梦", "description": "两秒钟的纯粹校准。", "hashtags": ["#测试卡"]},
    "ja": {
        "title": "テストカードの夢",
        "description": "二秒間の純粋な調整。",
        "hashtags": ["#テスト"],
    },
}


def generate(meta=META, language="en", limit=280, **kwargs):
    return post_generate(meta=meta, language=language, limit=limit, **kwargs)


def direct_text(meta=META, language="en", limit=280):
    return compose_post(meta, language, limit=limit).text


# --- Gemini's answer used ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "cn", "ja"])
def test_a_good_rewrite_is_used_with_its_provenance_and_token_counts(gemini_settings, language):
    meta = META_BY_LANGUAGE[language]
    post = generate(meta, language)
    assert post.mode == "gemini"
    assert meta["title"] in post.text
    assert post.text != direct_text(meta, language)
    assert post.weighted_length == weighted_length(post.text) <= 280
    assert (post.model, post.prompt_version) == ("gemini-2.5-flash", prompts.PROMPT_VERSION)
    assert post.prompt_tokens > 0 and post.output_tokens > 0
    assert (post.fallback_reason, post.cached, post.attempts) == ("", False, 1)
    assert GeneratedText.objects.get().text == post.text


def test_the_same_input_twice_costs_one_request(gemini_settings):
    first = generate()
    second = generate()
    assert len(gemini_settings.requests()) == 1
    assert second.text == first.text
    assert second.cached and second.prompt_tokens == first.prompt_tokens


def test_other_metadata_a_new_limit_or_a_new_model_ask_again(gemini_settings, settings):
    generate()
    generate({**META, "summary": "Another summary."})
    generate(limit=200)
    settings.GEMINI_MODEL = "gemini-2.5-flash-lite"
    generate()
    assert len(gemini_settings.requests()) == 4


def test_a_new_prompt_version_asks_again(gemini_settings, monkeypatch):
    generate()
    monkeypatch.setattr(prompts, "PROMPT_VERSION", "2099-01-01.1")
    post = generate()
    assert len(gemini_settings.requests()) == 2
    assert post.prompt_version == "2099-01-01.1" and not post.cached


# --- rejected answers ---------------------------------------------------------------


@pytest.mark.parametrize("style", GARBAGE_STYLES)
def test_scaffolding_is_rejected_and_a_clean_answer_asked_for(gemini_settings, style):
    gemini_settings.configure(mode="garbage", style=style, count=1)
    post = generate()
    assert post.mode == "gemini" and post.attempts == 2
    requests = gemini_settings.requests()
    assert [r["mode"] for r in requests] == ["garbage", "echo-compose"]
    assert prompts.RETRY_NOTE.split(":")[0] in requests[1]["prompt"]
    assert "Here is" not in post.text and "```" not in post.text


def test_garbage_every_time_falls_back_to_direct_mode_after_the_bound(gemini_settings, settings):
    settings.GEMINI_MAX_REGENERATIONS = 2
    gemini_settings.configure(mode="garbage")
    post = generate()
    assert len(gemini_settings.requests()) == 3
    assert post.mode == "direct" and post.text == direct_text()
    assert post.fallback_reason.startswith(
        "Gemini's answer was rejected 3 times (last: it contains"
    )
    assert post.attempts == 3 and post.output_tokens > 0  # the rejected answers were paid for


def test_a_fallback_after_rejected_answers_is_not_paid_for_again(gemini_settings):
    gemini_settings.configure(mode="garbage")
    first = generate()
    again = generate()
    assert len(gemini_settings.requests()) == 3
    assert again.cached and again.mode == "direct"
    assert again.fallback_reason == first.fallback_reason


def test_a_too_long_answer_is_asked_for_again(gemini_settings):
    gemini_settings.configure(mode="too_long", count=1)
    post = generate()
    requests = gemini_settings.requests()
    assert post.mode == "gemini" and post.weighted_length <= 280
    assert re.search(r"too long: 6\d\d weighted characters, limit 280", requests[1]["prompt"])


def test_too_long_every_time_falls_back_with_the_reason(gemini_settings, settings):
    settings.GEMINI_MAX_REGENERATIONS = 1
    gemini_settings.configure(mode="too_long")
    post = generate()
    assert len(gemini_settings.requests()) == 2
    assert post.mode == "direct"
    assert re.search(
        r"\(last: it is too long: 6\d\d weighted characters, limit 280\)$", post.fallback_reason
    )


def test_the_account_limit_is_asked_for_and_kept(gemini_settings):
    post = generate(limit=60)
    assert "at most 60 weighted characters" in gemini_settings.requests()[0]["prompt"]
    assert post.mode == "gemini" and post.weighted_length <= 60


def test_a_duplicate_of_a_recent_post_is_asked_for_again(gemini_settings):
    published = generate().text
    recent = ["  " + published.upper().replace("\n\n", " ") + "!"]  # compared loosely
    post = generate(recent_texts=recent)
    assert post.mode == "gemini" and post.text != published
    modes = [r["mode"] for r in gemini_settings.requests()]
    assert modes == ["echo-compose"] * 3  # first answer, its duplicate, the new one
    assert "it repeats a recent post" in gemini_settings.requests()[2]["prompt"]


def test_a_duplicate_every_time_falls_back_with_the_reason(gemini_settings, settings):
    published = generate().text
    settings.GEMINI_MAX_REGENERATIONS = 0
    post = generate(recent_texts=[published])
    assert post.mode == "direct"
    assert post.fallback_reason.endswith("(last: it repeats a recent post)")


# --- failed calls -------------------------------------------------------------------


def test_quota_falls_back_at_once_and_the_cool_down_skips_gemini(gemini_settings, caplog):
    gemini_settings.configure(mode="quota")
    with caplog.at_level(logging.ERROR, logger="publishing.services.generation"):
        post = generate()
    assert len(gemini_settings.requests()) == 1  # no retry storm
    assert post.mode == "direct" and post.text == direct_text()
    assert "quota exhausted (429 RESOURCE_EXHAUSTED)" in post.fallback_reason
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert "Gemini outage" in caplog.records[0].getMessage()

    later = generate({**META, "title": "Another video"})
    assert len(gemini_settings.requests()) == 1
    assert later.mode == "direct" and later.attempts == 0
    assert later.fallback_reason.startswith("Gemini skipped during an outage cool-down (quota:")


def test_gemini_is_asked_again_once_the_cool_down_ends(gemini_settings, settings):
    settings.GEMINI_OUTAGE_COOLDOWN_SECONDS = 300
    gemini_settings.configure(mode="error", count=1)
    with time_machine.travel(0, tick=False) as traveller:
        assert generate().mode == "direct"
        assert "server error (500 INTERNAL)" in gemini_outage()
        traveller.shift(301)
        post = generate()
    assert post.mode == "gemini"
    assert len(gemini_settings.requests()) == 2


def test_a_failed_call_is_not_cached(gemini_settings, settings):
    settings.GEMINI_OUTAGE_COOLDOWN_SECONDS = 0
    gemini_settings.configure(mode="error", count=1)
    assert generate().mode == "direct"
    assert generate().mode == "gemini"
    assert not GeneratedText.objects.filter(mode="direct").exists()


def test_a_timeout_falls_back_within_the_client_timeout(gemini_settings, settings):
    settings.GEMINI_TIMEOUT_SECONDS = 0.2
    gemini_settings.configure(mode="timeout")
    post = generate()
    assert post.mode == "direct" and post.text == direct_text()
    assert post.fallback_reason == "Gemini failed: Gemini did not answer within 0.2 s"
    assert len(gemini_settings.requests()) == 1
    assert gemini_outage().startswith("timeout:")


def test_a_wrong_key_falls_back_with_an_auth_reason(gemini_settings, settings):
    settings.GEMINI_API_KEY = "not-the-key"
    post = generate()
    assert post.mode == "direct"
    assert post.fallback_reason == (
        "Gemini failed: Gemini refused the API key (400 INVALID_ARGUMENT): "
        "API key not valid. Please pass a valid API key."
    )
    assert gemini_outage().startswith("auth:")


def test_without_a_key_it_composes_directly_without_a_request(gemini_settings, settings):
    settings.GEMINI_API_KEY = ""
    post = generate()
    assert post.mode == "direct" and post.text == direct_text()
    assert post.fallback_reason == NO_KEY_REASON == "no GEMINI_API_KEY configured"
    assert gemini_settings.requests() == []
    assert not GeneratedText.objects.exists()


def test_a_hand_written_text_is_never_rewritten(gemini_settings):
    post = generate({"text": "Exactly these words."})
    assert (post.mode, post.text) == ("direct", "Exactly these words.")
    assert gemini_settings.requests() == []
