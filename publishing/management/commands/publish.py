from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from publishing.management.output import dumps
from publishing.services.dispatch import dispatch_once


class Command(BaseCommand):
    help = (
        "One synchronous publishing pass: publish due tasks now, highest priority first. "
        "--now ignores scheduled times for this run. Exit code 1 if any post failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", help="Only this project.")
        parser.add_argument("--now", action="store_true", help="Ignore scheduled times.")
        parser.add_argument("--limit", type=int, default=None, help="At most N posts.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, project, now, limit, json: bool = False, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        report = dispatch_once(
            limit=limit or 10**9, ignore_schedule=now, project_id=self._project_id(project)
        )
        if json:
            self.stdout.write(dumps(report.as_dict()))
        else:
            self._print(report)
        if report.failed or report.unknown:
            raise SystemExit(1)

    def _project_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        project = Project.objects.filter(name=name).first()
        if project is None:
            raise CommandError(f"Unknown project '{name}'.")
        return project.pk

    def _print(self, report) -> None:
        for r in report.results:
            outcome = f"post {r['post_id']}" if r["post_id"] else r["error"]
            self.stdout.write(f"task {r['task']}: {r['status']} ({outcome})")
        self.stdout.write(
            f"{report.published} published, {report.failed} failed, "
            f"{report.unknown} unknown, {report.missed} missed"
        )
