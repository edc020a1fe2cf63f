import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from monitoring import selectors
from monitoring.health import health_ready
from monitoring.services.passes import maintenance_pass, monitor_pass
from monitoring.services.schedules import schedules_ensure


class Command(BaseCommand):
    help = (
        "Monitoring: `monitor status` (health, firing alerts, costs), `monitor once` (one "
        "sampling and alerting pass, as the worker runs each minute), `monitor maintain` "
        "(downsample and prune), `monitor schedules` (create or repair the worker's schedules)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "once", "maintain", "schedules"])
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, action: str, json: bool = False, **options):
        now = timezone.now()
        result = {
            "status": lambda: _status(now),
            "once": lambda: monitor_pass(now=now),
            "maintain": lambda: maintenance_pass(now=now),
            "schedules": lambda: {"created": schedules_ensure()},
        }[action]()
        self.stdout.write(_dumps(result) if json else _text(result))


def _status(now) -> dict:
    return {
        "health": health_ready(now=now),
        "alerts_firing": [
            {"rule": a.rule.name, "subject": a.subject, "since": a.started_at, "message": a.message}
            for a in selectors.alerts_firing()
        ],
        "costs": selectors.costs_summary(now=now),
    }


def _dumps(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)


def _text(obj, indent: int = 0) -> str:
    lines = []
    for key, value in obj.items():
        if isinstance(value, dict):
            lines.append(f"{' ' * indent}{key}:")
            lines.append(_text(value, indent + 2))
        else:
            lines.append(f"{' ' * indent}{key}: {value}")
    return "\n".join(lines)
