"""The Gemini settings come from the environment, and a bad value stops the start with
the variable's name (not a failed call per post later)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.GEMINI_MODEL, s.GEMINI_TEMPERATURE, s.GEMINI_TIMEOUT_SECONDS, "
    "s.GEMINI_MAX_OUTPUT_TOKENS, s.GEMINI_MAX_REGENERATIONS)"
)


def start(**environment: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "twitterpub.settings.test",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_model_temperature_timeout_and_token_limits_come_from_the_environment():
    done = start(
        GEMINI_MODEL="gemini-flash-latest",
        GEMINI_TEMPERATURE="0.2",
        GEMINI_TIMEOUT_SECONDS="7.5",
        GEMINI_MAX_OUTPUT_TOKENS="300",
        GEMINI_MAX_REGENERATIONS="0",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["gemini-flash-latest", "0.2", "7.5", "300", "0"]


def test_the_defaults_are_a_current_flash_model_and_bounded_retries():
    done = start()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["gemini-2.5-flash", "0.7", "20.0", "1024", "2"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GEMINI_TEMPERATURE", "3", "GEMINI_TEMPERATURE must be between 0.0 and 2.0, got 3.0"),
        ("GEMINI_TIMEOUT_SECONDS", "soon", "GEMINI_TIMEOUT_SECONDS must be a number"),
        ("GEMINI_MAX_REGENERATIONS", "50", "GEMINI_MAX_REGENERATIONS must be between 0 and 10"),
    ],
)
def test_a_bad_value_stops_the_start_with_its_name(variable, value, message):
    done = start(**{variable: value})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr
