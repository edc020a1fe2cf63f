"""Production settings pass Django's deployment checklist with realistic values, and
refuse to start without the values that have no safe default."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

KEY = "Vq3nS0tX7mK2pL9wR4yB8cF1hJ6dG5aE0uZ3iO7eN2sT4vW8xQ1rY6bC9kM5jH"


def run_check(tmp_path, **overrides: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "twitterpub.settings.production",
        "DJANGO_SECRET_KEY": KEY,
        "DJANGO_ALLOWED_HOSTS": "publisher.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://publisher.example.org",
        "FIELD_ENCRYPTION_KEYS": settings.FIELD_ENCRYPTION_KEYS[0],
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "BACKUP_DIR": str(tmp_path / "backups"),
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checklist_passes_with_production_values(tmp_path):
    done = run_check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_a_weak_secret_key_fails_the_checklist(tmp_path):
    done = run_check(tmp_path, DJANGO_SECRET_KEY="changeme")
    assert done.returncode != 0
    assert "security.W009" in done.stderr


def test_a_secret_key_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(KEY)
    done = run_check(tmp_path, DJANGO_SECRET_KEY="", DJANGO_SECRET_KEY_FILE=str(secret))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set"),
        ("DJANGO_ALLOWED_HOSTS", "", "DJANGO_ALLOWED_HOSTS must be set in production"),
        ("DJANGO_ALLOWED_HOSTS", "*", "DJANGO_ALLOWED_HOSTS must name hosts, not '*'"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "", "DJANGO_CSRF_TRUSTED_ORIGINS must be set"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "http://x.org", "must be https:// origins"),
        ("FIELD_ENCRYPTION_KEYS", "", "FIELD_ENCRYPTION_KEYS must be set in production"),
    ],
)
def test_a_missing_or_unsafe_value_stops_the_start_with_its_name(
    tmp_path, variable, value, message
):
    # Set to empty rather than removed: a developer's .env must not fill the gap.
    done = run_check(tmp_path, **{variable: value})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert message in done.stderr
