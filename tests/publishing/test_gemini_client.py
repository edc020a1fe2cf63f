"""publishing.geminiclient: the real google-genai client against the loopback emulator."""

import pytest

from publishing.geminiclient import GeminiError, generate

PROMPT = "Title: The Moon Landing\nDescription: How Apollo 11 got there.\nHashtags: #Space\n"


def ask(**overrides):
    options = {"model": "gemini-2.5-flash", "temperature": 0.5, "max_output_tokens": 512}
    return generate(PROMPT, **{**options, **overrides})


def failure(**overrides) -> GeminiError:
    with pytest.raises(GeminiError) as caught:
        ask(**overrides)
    return caught.value


def test_it_posts_to_v1_generate_content_with_the_key_in_a_header(gemini_settings):
    ask()
    (request,) = gemini_settings.requests()
    assert (request["api_version"], request["model"]) == ("v1", "gemini-2.5-flash")
    assert request["key_source"] == "header"
    assert request["prompt"] == PROMPT
    assert request["generation_config"] == {
        "temperature": 0.5,
        "maxOutputTokens": 512,
        "candidateCount": 1,
    }


def test_the_answer_carries_text_model_and_token_counts(gemini_settings):
    result = ask()
    assert result.text.startswith("Watch: The Moon Landing — How Apollo 11 got there.")
    assert result.model == "gemini-2.5-flash"
    assert result.prompt_tokens > 0 and result.output_tokens > 0


@pytest.mark.parametrize(
    ("mode", "kind", "status"),
    [("quota", "quota", 429), ("error", "server", 500)],
)
def test_refusals_carry_their_kind_and_status(gemini_settings, mode, kind, status):
    gemini_settings.configure(mode=mode)
    error = failure()
    assert (error.kind, error.status) == (kind, status)


def test_the_quota_message_says_what_google_said(gemini_settings):
    gemini_settings.configure(mode="quota")
    assert str(failure()).startswith(
        "Gemini quota exhausted (429 RESOURCE_EXHAUSTED): You exceeded your current quota"
    )


def test_a_slow_answer_is_a_timeout(gemini_settings, settings):
    settings.GEMINI_TIMEOUT_SECONDS = 0.2
    gemini_settings.configure(mode="timeout")
    error = failure()
    assert (error.kind, str(error)) == ("timeout", "Gemini did not answer within 0.2 s")


def test_a_wrong_key_is_an_auth_error(gemini_settings, settings):
    settings.GEMINI_API_KEY = "not-the-key"
    error = failure()
    assert (error.kind, error.status) == ("auth", 400)  # Google's answer to an unknown key
    assert "API key not valid" in str(error)


def test_no_key_is_an_auth_error_without_a_request(gemini_settings, settings):
    settings.GEMINI_API_KEY = ""
    assert str(failure()) == "no GEMINI_API_KEY configured"
    assert gemini_settings.requests() == []


def test_an_unknown_model_is_a_bad_request(gemini_settings):
    error = failure(model="no-such-model")
    assert (error.kind, error.status) == ("bad_request", 404)


def test_an_answer_cut_at_the_token_limit_is_garbage(gemini_settings):
    error = failure(max_output_tokens=3)
    assert error.kind == "garbage"
    assert "MAX_TOKENS" in str(error)


def test_an_unreachable_server_is_a_server_error(gemini_settings, settings):
    settings.GEMINI_API_BASE_URL = "http://127.0.0.1:9"  # discard: nothing answers
    error = failure()
    assert error.kind == "server"
    assert str(error).startswith("cannot reach Gemini at http://127.0.0.1:9")
