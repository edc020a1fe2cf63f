"""Receivers that turn refused logins into security events (logic in security.events)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from security.client import client_address
from security.events import Kind, security_event_record


@receiver(user_login_failed, dispatch_uid="security_login_failed")
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))
    address = client_address(request) if request is not None else None
    security_event_record(kind=Kind.LOGIN_FAILED, username=username, address=address)


@receiver(user_locked_out, dispatch_uid="security_locked_out")
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    security_event_record(
        kind=Kind.LOCKOUT,
        username=username or "",
        address=ip_address,
        detail="Too many failed logins: locked for the cool-off time.",
    )
