from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from publishing.management.output import dumps
from publishing.services.ingest import project_ingest


class Command(BaseCommand):
    help = (
        "Scan project folders for content and create, update or cancel publishing tasks. "
        "Bad files are reported per item and never published; the scan itself never stops "
        "on them. Exit code 0 even when items have errors (they are in the report)."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="Projects to scan (default: all enabled).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, names, json: bool = False, **options):
        projects = self._projects(names)
        reports = [project_ingest(project=p) for p in projects]
        if json:
            self.stdout.write(dumps(reports))
            return
        for r in reports:
            self._print(r)

    def _projects(self, names: list[str]) -> list[Project]:
        if not names:
            return list(Project.objects.filter(enabled=True))
        found = {p.name: p for p in Project.objects.filter(name__in=names)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise CommandError(f"Unknown project: {', '.join(unknown)}.")
        return [found[n] for n in names]

    def _print(self, r: dict) -> None:
        self.stdout.write(
            f"{r['project']}: {r['created']} new, {r['updated']} changed, "
            f"{r['unchanged']} unchanged, {r['removed']} removed, {len(r['errors'])} errors; "
            f"tasks: {r['tasks_created']} created, {r['tasks_updated']} updated, "
            f"{r['tasks_cancelled']} cancelled, {r['tasks_invalid']} invalid"
        )
        for item in r["errors"] + r["invalid"]:
            self.stdout.write(f"  ! {item['path']}: {item['error']}")
