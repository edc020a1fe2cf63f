"""Alert rules of every kind against a controlled clock (time-machine), notified to a
loopback webhook receiver and to Django's locmem mailbox."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from monitoring.models import Alert, AlertRule, Notification
from monitoring.services.alerts import alerts_evaluate
from monitoring.services.notify import notifications_deliver
from publishing.geminiclient import GeminiError
from publishing.models import PublishingLog
from publishing.services import generation
from publishing.services.retries import account_pause, account_resume
from tests.fixtures.publishing import TaskFactory, XAccountFactory

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock(time_machine):
    """Moves the clock; each move evaluates the rules and delivers what is due."""

    class Clock:
        def at(self, when: datetime):
            time_machine.move_to(when, tick=False)
            report = alerts_evaluate(now=timezone.now())
            notifications_deliver(now=timezone.now())
            return report

    time_machine.move_to(T0, tick=False)
    return Clock()


def threshold(name="CPU high", metric="cpu_percent", value=80.0, minutes=5, **extra):
    return AlertRule.objects.create(
        name=name,
        kind="threshold",
        metric=metric,
        operator="gt",
        value=value,
        duration_minutes=minutes,
        **extra,
    )


def events(webhook) -> list[tuple[str, str]]:
    return [(body["event"], body["rule"]) for body in webhook.received]


# --- threshold ------------------------------------------------------------------------


def test_cpu_over_80_fires_only_after_five_minutes(samples, clock, webhook, webhook_channel):
    threshold()
    samples.add("cpu_percent", 40, T0 - MINUTE)
    fired_at = []
    for minute in range(7):
        samples.add("cpu_percent", 93, T0 + minute * MINUTE)
        if clock.at(T0 + minute * MINUTE).fired:
            fired_at.append(minute)
    assert fired_at == [5]
    assert events(webhook) == [("firing", "CPU high")]
    assert "cpu_percent > 80 for 5 min (now 93)" in webhook.received[0]["text"]


def test_a_dip_below_the_threshold_restarts_the_five_minutes(samples, clock, webhook_channel):
    threshold()
    values = [90, 90, 70, 90, 90, 90, 90, 90, 90]
    fired_at = []
    for minute, value in enumerate(values):
        samples.add("cpu_percent", value, T0 + minute * MINUTE)
        if clock.at(T0 + minute * MINUTE).fired:
            fired_at.append(minute)
    assert fired_at == [8]  # five minutes after the dip at minute 2 ended (minute 3)


def test_stale_samples_never_fire_since_a_stopped_sampler_proves_nothing(samples, clock):
    threshold(minutes=0)
    samples.add("cpu_percent", 99, T0)
    assert clock.at(T0 + 10 * MINUTE).fired == []
    assert not Alert.objects.exists()


def test_clearing_sends_a_resolved_notification_by_webhook_and_email(
    samples, clock, webhook, webhook_channel, email_channel
):
    threshold(minutes=0)
    samples.add("cpu_percent", 95, T0)
    clock.at(T0)
    samples.add("cpu_percent", 30, T0 + MINUTE)
    report = clock.at(T0 + MINUTE)

    assert report.resolved == ["CPU high"]
    assert events(webhook) == [("firing", "CPU high"), ("resolved", "CPU high")]
    assert [m.subject for m in mail.outbox] == [
        "[twitterpub WARNING] CPU high",
        "[twitterpub RESOLVED] CPU high",
    ]
    assert mail.outbox[0].to == ["ops@example.com", "oncall@example.com"]
    assert Alert.objects.get().status == Alert.Status.RESOLVED


def test_a_condition_that_stays_true_notifies_once(samples, clock, webhook, webhook_channel):
    threshold(minutes=0)
    for minute in range(10):
        samples.add("cpu_percent", 95, T0 + minute * MINUTE)
        clock.at(T0 + minute * MINUTE)
    assert events(webhook) == [("firing", "CPU high")]
    alert = Alert.objects.get()
    assert alert.last_seen_at == T0 + 9 * MINUTE


def test_flapping_within_the_cool_down_is_not_notified_again(
    samples, clock, webhook, webhook_channel
):
    threshold(minutes=0, cooldown_minutes=30)
    for minute, value in enumerate([95, 20, 95, 20, 95]):
        samples.add("cpu_percent", value, T0 + minute * MINUTE)
        clock.at(T0 + minute * MINUTE)
    assert events(webhook) == [("firing", "CPU high"), ("resolved", "CPU high")]
    assert Alert.objects.count() == 3  # every episode is on record, notified or not

    samples.add("cpu_percent", 20, T0 + 5 * MINUTE)
    clock.at(T0 + 5 * MINUTE)
    samples.add("cpu_percent", 95, T0 + 31 * MINUTE)
    clock.at(T0 + 31 * MINUTE)  # the cool-down is over
    assert events(webhook)[-1] == ("firing", "CPU high")
    assert len(webhook.received) == 3


def test_disabling_a_firing_rule_resolves_its_alert(samples, clock, webhook, webhook_channel):
    rule = threshold(minutes=0)
    samples.add("cpu_percent", 95, T0)
    clock.at(T0)
    AlertRule.objects.filter(pk=rule.pk).update(enabled=False)
    samples.add("cpu_percent", 95, T0 + MINUTE)
    assert clock.at(T0 + MINUTE).resolved == ["CPU high"]
    assert events(webhook) == [("firing", "CPU high"), ("resolved", "CPU high")]


# --- trend ----------------------------------------------------------------------------


def trend_rule(**extra):
    return AlertRule.objects.create(
        name="X API errors rising",
        kind="trend",
        metric="x_api_errors",
        value=3.0,
        duration_minutes=15,
        baseline_minutes=24 * 60,
        floor=0.2,
        **extra,
    )


def baseline(samples, value: float) -> None:
    """A day of samples every ten minutes before the last 15 minutes."""
    for i in range(144):
        samples.add("x_api_errors", value, T0 - timedelta(minutes=16 + 10 * i))


def test_errors_rising_three_times_over_their_baseline_fire(
    samples, clock, webhook, webhook_channel
):
    trend_rule()
    baseline(samples, 0.1)
    samples.minutely("x_api_errors", [2.0] * 15, start=T0 - 14 * MINUTE)
    report = clock.at(T0)
    assert report.fired == ["X API errors rising"]
    assert "2 on average over 15 min, against 0.1" in webhook.received[0]["message"]


def test_errors_at_their_usual_rate_do_not_fire(samples, clock):
    trend_rule()
    baseline(samples, 0.1)
    samples.minutely("x_api_errors", [0.25] * 15, start=T0 - 14 * MINUTE)
    assert clock.at(T0).fired == []


def test_a_few_errors_after_a_quiet_day_stay_under_the_floor(samples, clock):
    trend_rule()
    baseline(samples, 0.0)
    samples.minutely("x_api_errors", [0.0] * 14 + [1.0], start=T0 - 14 * MINUTE)
    assert clock.at(T0).fired == []  # 1/15 per minute: under the floor of 0.2


def test_a_trend_clears_when_errors_fall_back(samples, clock, webhook, webhook_channel):
    trend_rule()
    baseline(samples, 0.1)
    samples.minutely("x_api_errors", [2.0] * 15, start=T0 - 14 * MINUTE)
    clock.at(T0)
    samples.minutely("x_api_errors", [0.0] * 15, start=T0 + MINUTE)
    assert clock.at(T0 + 15 * MINUTE).resolved == ["X API errors rising"]
    assert events(webhook)[-1] == ("resolved", "X API errors rising")


# --- composite ------------------------------------------------------------------------


def composite(combine: str) -> AlertRule:
    # The children are conditions only: disabled, they never notify on their own.
    cpu = threshold(minutes=0, enabled=False)
    memory = threshold(
        name="Memory high", metric="memory_percent", value=85, minutes=0, enabled=False
    )
    rule = AlertRule.objects.create(name="Overloaded", kind="composite", combine=combine)
    rule.children.set([cpu, memory])
    return rule


def test_and_composite_fires_only_when_every_child_holds(samples, clock, webhook, webhook_channel):
    composite("and")
    samples.add("cpu_percent", 95, T0)
    samples.add("memory_percent", 50, T0)
    assert clock.at(T0).fired == []
    samples.add("cpu_percent", 95, T0 + MINUTE)
    samples.add("memory_percent", 90, T0 + MINUTE)
    assert clock.at(T0 + MINUTE).fired == ["Overloaded"]
    assert events(webhook) == [("firing", "Overloaded")]  # the children stay quiet
    assert "CPU high and Memory high" in webhook.received[0]["message"]


def test_or_composite_fires_when_any_child_holds(samples, clock):
    composite("or")
    samples.add("cpu_percent", 10, T0)
    samples.add("memory_percent", 90, T0)
    assert clock.at(T0).fired == ["Overloaded"]
    assert Alert.objects.get().message.startswith("Memory high:")


def test_a_composite_that_contains_itself_is_clear_not_endless(samples, clock):
    rule = AlertRule.objects.create(name="Loop", kind="composite", combine="or")
    rule.children.set([rule])
    assert clock.at(T0).fired == []


# --- built-in checks ------------------------------------------------------------------


def builtin(check: str) -> AlertRule:
    return AlertRule.objects.create(name=check, kind="builtin", check_name=check)


def test_an_account_paused_for_refused_credentials_alerts_until_resumed(
    samples, clock, webhook, webhook_channel
):
    builtin("x_auth_paused")
    account = XAccountFactory()
    task = TaskFactory(account=account)
    account_pause(account=account, reason="X refused the credentials (401)", actor="dispatcher")
    PublishingLog.objects.create(
        task=task, status="failure", error_class="auth", http_status=401, execution_time=0.1
    )
    assert clock.at(T0).fired == [f"x_auth_paused @{account.handle}"]
    assert webhook.received[0]["subject"] == f"@{account.handle}"

    account_resume(account=account, actor="operator")
    assert clock.at(T0 + MINUTE).resolved == [f"x_auth_paused @{account.handle}"]


def test_an_account_paused_by_an_operator_does_not_alert(samples, clock):
    builtin("x_auth_paused")
    account_pause(account=XAccountFactory(), reason="holiday", actor="operator")
    assert clock.at(T0).fired == []


def test_a_gemini_outage_alerts_and_clears(samples, clock, settings, webhook, webhook_channel):
    settings.GEMINI_API_KEY = "test-key"
    builtin("gemini_outage")
    generation.gemini_status_record_failure(GeminiError("quota", "429 RESOURCE_EXHAUSTED"))
    assert clock.at(T0).fired == ["gemini_outage"]
    assert "quota: 429 RESOURCE_EXHAUSTED" in webhook.received[0]["message"]
    generation.gemini_status_record_success()
    assert clock.at(T0 + MINUTE).resolved == ["gemini_outage"]


def test_a_burst_of_refused_logins_alerts_for_its_window(
    samples, clock, settings, webhook, webhook_channel
):
    from security.events import security_event_record

    settings.SECURITY_ALERT_THRESHOLD = 3
    settings.SECURITY_ALERT_WINDOW_MINUTES = 10
    builtin("security_burst")
    for _ in range(3):
        security_event_record(kind="login_failed", username="admin", address="203.0.113.9")
    assert clock.at(T0).fired == ["security_burst"]
    assert "3 refused logins or API keys" in webhook.received[0]["message"]
    assert clock.at(T0 + 11 * MINUTE).resolved == ["security_burst"]


# --- robustness -----------------------------------------------------------------------


def test_a_broken_rule_is_reported_and_the_others_still_fire(samples, clock):
    AlertRule.objects.create(
        name="Broken", kind="threshold", metric="cpu_percent", operator="??", value=1
    )
    threshold(minutes=0)
    samples.add("cpu_percent", 95, T0)
    report = clock.at(T0)
    assert report.broken == ["Broken"]
    assert report.fired == ["CPU high"]


def test_a_rule_naming_channels_notifies_only_those(
    samples, clock, webhook, webhook_channel, email_channel
):
    rule = threshold(minutes=0)
    rule.channels.set([email_channel])
    samples.add("cpu_percent", 95, T0)
    clock.at(T0)
    assert webhook.received == []
    assert len(mail.outbox) == 1
    assert Notification.objects.get().channel == email_channel


def test_two_evaluators_at_once_open_one_alert_and_notify_once(
    samples, clock, webhook, webhook_channel, monkeypatch
):
    """The worker's minute task may run twice at once (two qcluster workers): the one
    that inserts second finds the episode open (a database constraint) and says
    nothing."""
    from monitoring.services import alerts

    rule = threshold(minutes=0)
    samples.add("cpu_percent", 95, T0)
    real = alerts._cooling_down

    def other_evaluator_first(rule_, subject, now):
        # Between this evaluator's read of the open alerts and its insert, the other
        # one opened the same episode and queued its notification.
        other = Alert.objects.create(
            rule=rule, subject=subject, message="m", started_at=now, last_seen_at=now
        )
        alerts.notifications_queue(alert=other, event=Notification.Event.FIRING, now=now)
        return real(rule_, subject, now)

    monkeypatch.setattr(alerts, "_cooling_down", other_evaluator_first)

    report = clock.at(T0)

    assert report.fired == []  # the other evaluator reports it
    assert Alert.objects.filter(status="firing").count() == 1
    assert events(webhook) == [("firing", "CPU high")]
