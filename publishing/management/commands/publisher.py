import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from projects.models import Project
from projects.services import project_set_paused
from publishing.models import PublishingTask, XAccount
from publishing.services.reconcile import (
    leases_expire,
    publisher_pause,
    publisher_resume,
    publisher_state,
    tasks_reconcile,
)
from publishing.services.retries import account_pause, account_resume

ACTOR = "cli"


class Command(BaseCommand):
    help = (
        "Control publishing: `publisher status`, `publisher pause [--reason R]`, "
        "`publisher resume`, `publisher pause --project NAME` / `--account HANDLE` (and "
        "resume), and `publisher reconcile` (settle tasks whose outcome on X is unknown)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "pause", "resume", "reconcile"])
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--project", help="Pause or resume one project.")
        target.add_argument("--account", help="Pause or resume one X account (handle).")
        parser.add_argument("--reason", default="paused by an operator")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, action, project, account, reason, json: bool = False, **options):
        try:
            result = getattr(self, f"_{action}")(project=project, account=account, reason=reason)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(_json(result) if json else _text(result))

    def _status(self, **_):
        state = publisher_state()
        return {
            "paused": state.paused,
            "reason": state.reason,
            "reconcile_required": state.reconcile_required,
            "paused_projects": list(
                Project.objects.filter(paused=True).values_list("name", flat=True)
            ),
            "paused_accounts": list(
                XAccount.objects.filter(paused=True).values_list("handle", flat=True)
            ),
            "tasks": _status_counts(),
        }

    def _pause(self, *, project, account, reason):
        if project:
            return {"project": project, "paused": _set_project(project, True)}
        if account:
            done = account_pause(account=_account(account), reason=reason, actor=ACTOR)
            return {"account": account, "paused": True, "changed": done}
        return {"paused": publisher_pause(reason=reason, actor=ACTOR).paused}

    def _resume(self, *, project, account, reason):
        if project:
            return {"project": project, "paused": _set_project(project, False)}
        if account:
            released = account_resume(account=_account(account), actor=ACTOR)
            return {"account": account, "paused": False, "tasks_released": released}
        return {"paused": publisher_resume(actor=ACTOR).paused}

    def _reconcile(self, **_):
        now = timezone.now()
        expired = leases_expire(now=now)
        report = tasks_reconcile(now=now)
        return {"leases_expired": expired, **report.as_dict()}


def _status_counts() -> dict:
    rows = PublishingTask.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _set_project(name: str, paused: bool) -> bool:
    project = Project.objects.filter(name=name).first()
    if project is None:
        raise CommandError(f"Unknown project '{name}'.")
    project_set_paused(project=project, paused=paused)
    return paused


def _account(handle: str) -> XAccount:
    found = XAccount.objects.filter(handle__iexact=handle.lstrip("@")).first()
    if found is None:
        raise CommandError(f"Unknown account '{handle}'.")
    return found


def _json(result: dict) -> str:
    return json.dumps(result, indent=2, default=str)


def _text(result: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in result.items())
