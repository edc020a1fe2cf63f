"""/health/live, /health/ready and /metrics as a load balancer and Prometheus see them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from monitoring.models import WorkerHeartbeat
from publishing.models import PublishingLog
from publishing.services.retries import account_pause
from tests.fixtures.publishing import TaskFactory, XAccountFactory


def scrape(client, **headers) -> dict[tuple, float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_to(found: dict, endpoint: str, status: str = "2xx") -> float:
    labels = (("endpoint", endpoint), ("method", "GET"), ("status", status))
    return found.get(("twitterpub_http_requests_total", labels), 0.0)


@pytest.fixture(autouse=True)
def fresh_metrics(settings):
    settings.MONITORING_METRICS_CACHE_SECONDS = 0
    settings.MONITORING_METRICS_TOKEN = ""


@pytest.fixture
def healthy(db, settings):
    settings.MONITORING_READY_DISK_PERCENT = 100.1
    WorkerHeartbeat.objects.create(host="worker-1", pid=1, beat_at=timezone.now())


# --- health ---------------------------------------------------------------------------


def test_live_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django makes any query here an error.
    response = client.get("/health/live")
    assert response.json() == {"status": "ok"}


def test_ready_lists_every_check_and_is_200_when_all_pass(client, healthy):
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "worker", "x_credentials", "disk"}
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_ready_is_503_when_no_worker_has_checked_in_lately(client, healthy):
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=10))
    response = client.get("/health/ready")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["status"] == "fail"
    assert "600 s ago" in worker["detail"]


def test_ready_fails_when_x_refused_an_accounts_credentials(client, healthy):
    account = XAccountFactory()
    account_pause(account=account, reason="401", actor="dispatcher")
    PublishingLog.objects.create(
        task=TaskFactory(account=account),
        status="failure",
        error_class="auth",
        http_status=401,
        execution_time=0.1,
    )
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["x_credentials"]["status"] == "fail"
    assert account.handle not in response.content.decode()  # no names to strangers


def test_ready_fails_when_the_disk_is_fuller_than_allowed(client, healthy, settings):
    settings.MONITORING_READY_DISK_PERCENT = 0.0
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"]["status"] == "fail"


def test_a_check_that_raises_fails_without_leaking_its_message(client, healthy, monkeypatch):
    def broken():
        raise RuntimeError("password=hunter2")

    monkeypatch.setattr("monitoring.health.get_broker", broken)
    response = client.get("/health/ready")
    assert response.json()["checks"]["broker"] == {
        "status": "fail",
        "detail": "check raised RuntimeError",
    }
    assert "hunter2" not in response.content.decode()


# --- /metrics -------------------------------------------------------------------------


def test_requests_are_counted_per_url_name(client, db):
    before = requests_to(scrape(client), "health-live")
    client.get("/health/live")
    client.get("/health/live")
    assert requests_to(scrape(client), "health-live") == before + 2


def test_unknown_paths_share_one_label_so_scanners_cannot_blow_up_cardinality(client, db):
    before = requests_to(scrape(client), "<unmatched>", "4xx")
    for path in ["/wp-login.php", "/.env", "/phpmyadmin/index.php"]:
        client.get(path)
    found = scrape(client)
    assert requests_to(found, "<unmatched>", "4xx") == before + 3
    assert not any("wp-login" in str(labels) for _, labels in found)


def test_latency_is_a_histogram_per_endpoint(client, db):
    client.get("/health/live")
    found = scrape(client)
    count = found[
        ("twitterpub_http_request_duration_seconds_count", (("endpoint", "health-live"),))
    ]
    assert count >= 1


def test_business_gauges_come_from_the_database(client, db):
    TaskFactory.create_batch(2, status="pending", text="See https://example.com")
    found = scrape(client)
    assert found[("twitterpub_tasks", (("status", "pending"),))] == 2
    assert found[("twitterpub_queue_projected_cost_dollars", ())] == 0.4
    assert ("twitterpub_alerts_firing", (("severity", "critical"),)) in found
    assert found[("twitterpub_notifications", (("status", "failed"),))] == 0


def test_a_token_protects_metrics_when_set(client, db, settings):
    settings.MONITORING_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics")
    assert response["WWW-Authenticate"].startswith("Bearer")
    scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-token")


def test_metrics_refuses_writes(client, db):
    assert client.post("/metrics").status_code == 405


def test_a_failing_database_still_answers_with_request_metrics(client, db, monkeypatch):
    from django.db import OperationalError

    def down():
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("monitoring.selectors.metrics_latest", down)
    client.get("/health/live")
    found = scrape(client)
    assert found[("twitterpub_database_up", ())] == 0
    assert requests_to(found, "health-live") >= 1
    assert ("twitterpub_tasks", (("status", "pending"),)) not in found


def test_database_up_is_1_when_the_gauges_were_read(client, db):
    assert scrape(client)[("twitterpub_database_up", ())] == 1
