from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from projects.management.commands.project import default_owner
from projects.models import Project
from projects.services import project_create
from publishing.models import XAccount
from publishing.services.accounts import account_create
from publishing.services.ingest import project_ingest
from publishing.services.schedules import schedules_ensure
from publishing.xclient import Credentials
from publishing.xsandbox import DEMO_ACCOUNT

DEMO_DIR = settings.BASE_DIR / "demo" / "content"
# Demo projects post every minute at any hour so a new user sees results at once.
DEMO_PROJECTS = {
    "demo-videos": {"language": "en"},
    "demo-notes": {"language": "en"},
}
DEMO_SCHEDULE = {"preferred_hours": [], "min_interval_minutes": 1, "daily_max": 100}
DEMO_REVIEW = {"requires_approval": True, "language_mode": Project.LanguageMode.EACH}


class Command(BaseCommand):
    help = (
        "Set up the demo shipped in demo/content: its projects, the emulator's demo "
        "account and the publishing schedule, then scan. Idempotent. X_API_BASE_URL "
        "must point at a running emulator (`manage.py xsandbox`)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--review",
            action="store_true",
            help="Rehearse review before posting: demo-videos posts each language it has "
            "(en, cn, ja) and requires approval. With GEMINI_API_KEY set (the emulator: "
            "`manage.py geminisandbox`), its posts are Gemini's rewrites (docs/gemini.md).",
        )

    def handle(self, *args, **options):
        owner = default_owner(None)
        for name, extra in DEMO_PROJECTS.items():
            self._project(owner, name, extra)
        if options["review"]:
            Project.objects.filter(owner=owner, name="demo-videos").update(**DEMO_REVIEW)
        self._account()
        schedules_ensure()
        for project in Project.objects.filter(name__in=DEMO_PROJECTS):
            report = project_ingest(project=project)
            self.stdout.write(
                f"{project.name}: {report['tasks_created']} new tasks, "
                f"{len(report['errors'])} scan errors"
            )

    def _project(self, owner, name: str, extra: dict) -> None:
        if Project.objects.filter(owner=owner, name=name).exists():
            return
        try:
            project_create(owner=owner, name=name, path=str(DEMO_DIR / name), **extra)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        Project.objects.filter(owner=owner, name=name).update(**DEMO_SCHEDULE)

    def _account(self) -> None:
        if XAccount.objects.filter(handle=DEMO_ACCOUNT.username).exists():
            return
        credentials = Credentials(
            consumer_key=DEMO_ACCOUNT.consumer_key,
            consumer_secret=DEMO_ACCOUNT.consumer_secret,
            access_token=DEMO_ACCOUNT.access_token,
            access_token_secret=DEMO_ACCOUNT.access_token_secret,
        )
        try:
            account_create(handle=DEMO_ACCOUNT.username, credentials=credentials)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
