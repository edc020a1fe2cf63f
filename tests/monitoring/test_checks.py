"""Start-up checks refuse monitoring settings that would bill wrongly or lose data."""

from monitoring.checks import monitoring_settings


def ids(errors) -> list[str]:
    return [e.id for e in errors]


def test_the_default_settings_pass():
    assert monitoring_settings() == []


def test_a_negative_or_missing_price_is_refused(settings):
    settings.X_API_PRICES = {"post": -1, "post_with_url": 0.2}
    errors = monitoring_settings()
    assert ids(errors) == ["monitoring.E001"]
    assert "post, media_metadata" in errors[0].msg


def test_raw_data_kept_longer_than_its_rollups_is_refused(settings):
    settings.MONITORING_RETENTION = {"raw_days": 30, "hour_days": 7, "day_days": 365}
    assert ids(monitoring_settings()) == ["monitoring.E002"]


def test_unusable_notification_retries_are_refused(settings):
    settings.MONITORING_NOTIFY_RETRY = {"base": 60, "cap": 10, "max_attempts": 3}
    assert ids(monitoring_settings()) == ["monitoring.E003"]


def test_a_missing_multiprocess_folder_is_a_warning(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    assert ids(monitoring_settings()) == ["monitoring.W001"]
