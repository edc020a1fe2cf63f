from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from publishing import selectors
from publishing.management.output import dumps
from publishing.models import PublishingTask

FIELDS = (
    "id",
    "project__name",
    "content_path",
    "media_paths",
    "language",
    "text",
    "status",
    "priority",
    "scheduled_at",
    "attempts",
    "post_id",
    "last_error",
    "error_class",
    "claimed_by",
    "published_at",
)


class Command(BaseCommand):
    help = "List publishing tasks, optionally by project and status."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project.")
        parser.add_argument("--status", choices=PublishingTask.Status.values)
        parser.add_argument("--json", action="store_true", help="Print JSON (one array).")

    def handle(self, *args, project, status, json: bool = False, **options):
        project_id = None
        if project:
            found = Project.objects.filter(name=project).first()
            if found is None:
                raise CommandError(f"Unknown project '{project}'.")
            project_id = found.pk
        rows = selectors.task_list(project_id=project_id, status=status).values(*FIELDS)
        rows = [{("project" if k == "project__name" else k): v for k, v in r.items()} for r in rows]
        if json:
            self.stdout.write(dumps(rows))
            return
        for r in rows:
            when = r["scheduled_at"].isoformat() if r["scheduled_at"] else "-"
            self.stdout.write(f"{r['id']:>6} {r['status']:<12} {when:<26} {r['content_path']}")
