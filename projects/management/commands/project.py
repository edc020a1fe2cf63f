import json
import os

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from projects.models import Language, Layout, Project
from projects.services import project_create


def default_owner(username: str | None):
    users = get_user_model().objects
    if username:
        try:
            return users.get(username=username)
        except users.model.DoesNotExist:
            raise CommandError(f"No user named '{username}'.") from None
    owner = users.filter(is_superuser=True).order_by("pk").first()
    if owner is None:
        raise CommandError("No owner: create a user (createsuperuser) or pass --owner USERNAME.")
    return owner


class Command(BaseCommand):
    help = "Manage projects: `project add NAME PATH` registers a content folder; `project list`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a folder of content as a project.")
        add.add_argument("name")
        add.add_argument("path", help="Folder inside CONTENT_ROOTS.")
        add.add_argument("--language", choices=Language.values, default=Language.EN)
        add.add_argument("--timezone", default="UTC", help="IANA zone, e.g. Asia/Tokyo.")
        add.add_argument(
            "--layout",
            choices=Layout.values,
            help="Detected when omitted: an uploader_json/ folder means uploader_json.",
        )
        add.add_argument("--owner", help="Username (default: the first superuser).")
        listing = sub.add_parser("list", help="List projects.")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        if action == "add":
            self._add(**options)
        else:
            self._list(as_json=options["json"])

    def _add(self, *, name, path, language, timezone, layout, owner, **_):
        try:
            project = project_create(
                owner=default_owner(owner),
                name=name,
                path=os.path.abspath(path),
                language=language,
                timezone=timezone,
                layout=layout,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Project '{project.name}' added ({project.layout}) at {project.path}")

    def _list(self, *, as_json: bool):
        rows = list(
            Project.objects.values(
                "id", "name", "path", "layout", "language", "timezone", "enabled"
            )
        )
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['name']:<24} {row['layout']:<14} {row['language']} {row['path']}"
            )
