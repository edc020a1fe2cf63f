"""Monitoring against what the real publisher records: the dispatcher sends to the
loopback X emulator, which refuses a revoked credential with 401."""

from django.core import mail
from django.utils import timezone

from monitoring.health import check_x_credentials
from monitoring.models import AlertRule, ErrorGroup
from monitoring.services.passes import monitor_pass
from publishing.services.dispatch import dispatch_once
from tests.fixtures.publishing import TaskFactory, XAccountFactory


def test_refused_credentials_alert_fail_readiness_and_reach_the_error_center(
    xsandbox_settings, xsandbox, email_channel
):
    AlertRule.objects.exclude(check_name="x_auth_paused").delete()  # not the machine's load
    account = XAccountFactory(consumer_secret="revoked")
    TaskFactory(account=account)
    dispatch_once()

    report = monitor_pass(now=timezone.now())

    assert report["alerts"]["fired"] == [f"X credentials refused @{account.handle}"]
    assert (
        mail.outbox[0].subject == f"[twitterpub CRITICAL] X credentials refused @{account.handle}"
    )
    assert check_x_credentials(timezone.now())[0] is False
    group = ErrorGroup.objects.get()
    assert (group.error_class, group.count, group.examples[0]["http_status"]) == ("auth", 1, 401)
