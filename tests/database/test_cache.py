"""The cache: local memory per process by default, Redis when REDIS_URL is set."""

import os
import uuid

import pytest
from django.core.cache import caches

from twitterpub.settings.base import cache_config


def test_without_redis_url_the_cache_is_local_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert cache_config()["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_selects_redis_and_it_answers(monkeypatch, settings):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    config = cache_config()
    assert config == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }

    settings.CACHES = {"default": config}
    cache = caches["default"]
    key = f"twitterpub-test-{uuid.uuid4().hex}"
    try:
        cache.set(key, {"answer": 42}, timeout=30)
    except Exception as exc:
        # .ci/run starts Redis: a skip there would hide a failure.
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at 127.0.0.1:6379 ({exc})")
    assert cache.get(key) == {"answer": 42}
    assert type(cache).__name__ == "RedisCache"
    cache.delete(key)
