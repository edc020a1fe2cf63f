"""The Gemini emulator's switches, control API and command."""

import threading

import pytest
import requests
from django.core.management import CommandError, call_command

from publishing.gemini_emulator import TOO_LONG_CHARS, serve_forever

BODY = {"contents": [{"role": "user", "parts": [{"text": "Title: Moon\n(ja)"}]}]}


def call(emulator, body=BODY, key="test-gemini-key", model="gemini-2.5-flash"):
    url = f"{emulator.base_url}/v1/models/{model}:generateContent"
    return requests.post(url, json=body, headers={"x-goog-api-key": key}, timeout=5)


def control(emulator, method, path, **kwargs):
    return requests.request(method, f"{emulator.base_url}/_gemini/{path}", timeout=5, **kwargs)


def test_it_answers_like_gemini(gemini):
    body = call(gemini).json()
    candidate = body["candidates"][0]
    assert candidate["content"]["parts"][0]["text"] == "新作公開｜Moon"
    assert candidate["finishReason"] == "STOP"
    usage = body["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert body["modelVersion"] == "gemini-2.5-flash"


def test_a_mode_with_a_count_applies_to_the_next_requests_only(gemini):
    gemini.configure(mode="error", count=2)
    assert [call(gemini).status_code for _ in range(3)] == [500, 500, 200]


def test_a_mode_without_a_count_applies_until_changed(gemini):
    gemini.configure(mode="too_long")
    texts = [call(gemini).json()["candidates"][0]["content"]["parts"][0]["text"] for _ in "ab"]
    assert [len(text) for text in texts] == [TOO_LONG_CHARS] * 2


def test_keys_are_checked_like_google_checks_them(gemini):
    wrong, missing = call(gemini, key="nope"), call(gemini, key="")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert (missing.status_code, missing.json()["error"]["status"]) == (403, "PERMISSION_DENIED")


def test_quota_answers_resource_exhausted(gemini):
    gemini.configure(mode="quota")
    error = call(gemini).json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")


def test_the_control_api_switches_modes_and_counts_requests(gemini):
    answer = control(gemini, "POST", "config", json={"mode": "garbage", "count": 1})
    assert answer.json()["next_mode"] == "garbage"
    call(gemini)
    call(gemini)
    log = control(gemini, "GET", "requests").json()
    assert log["count"] == 2
    assert [entry["mode"] for entry in log["requests"]] == ["garbage", "echo-compose"]


def test_the_control_api_refuses_unknown_switches(gemini):
    assert control(gemini, "POST", "config", json={"mode": "explode"}).status_code == 400
    assert control(gemini, "POST", "config", json={"colour": "red"}).status_code == 400


def test_reset_restores_the_defaults_and_empties_the_log(gemini):
    gemini.configure(mode="quota", api_key=None)
    call(gemini)
    control(gemini, "POST", "reset")
    assert gemini.requests() == []
    assert call(gemini, key="nope").status_code == 400


def test_the_command_refuses_a_public_address():
    with pytest.raises(CommandError, match=r"refusing to bind 0\.0\.0\.0"):
        call_command("geminisandbox", "--host", "0.0.0.0")


def test_serve_forever_serves_until_stopped():
    stop, ready = threading.Event(), []
    thread = threading.Thread(
        target=serve_forever,
        kwargs={"port": 0, "stop": stop, "on_ready": ready.append},
        daemon=True,
    )
    thread.start()
    try:
        while not ready:
            thread.join(0.01)
        assert call(ready[0]).status_code == 200
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
