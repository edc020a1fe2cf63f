from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from projects.models import Project
from publishing.models import XAccount
from publishing.services.accounts import CREDENTIAL_ENV, account_create, credentials_from_env


class Command(BaseCommand):
    help = (
        "Manage X accounts. `account add HANDLE --from-env` reads "
        + ", ".join(CREDENTIAL_ENV.values())
        + ", checks them against X (GET /2/users/me) and stores them encrypted."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add an account from environment credentials.")
        add.add_argument("handle")
        add.add_argument("--from-env", action="store_true", required=True)
        add.add_argument("--project", action="append", default=[], help="Publish these projects.")
        add.add_argument("--default", action="store_true", help="Make it the default account.")
        add.add_argument("--char-limit", type=int, default=280, help="25000 for paid accounts.")
        add.add_argument(
            "--no-verify", action="store_true", help="Store without asking X (offline setup)."
        )
        sub.add_parser("list", help="List accounts (never their secrets).")

    def handle(self, *args, action, **options):
        if action == "list":
            for a in XAccount.objects.all():
                flag = " (default)" if a.is_default else ""
                self.stdout.write(f"@{a.handle} id={a.x_user_id or '?'}{flag}")
            return
        self._add(**options)

    def _add(self, *, handle, project, default, char_limit, no_verify, **_):
        projects = []
        for name in project:
            found = Project.objects.filter(name=name).first()
            if found is None:
                raise CommandError(f"Unknown project '{name}'.")
            projects.append(found)
        try:
            account = account_create(
                handle=handle,
                credentials=credentials_from_env(),
                projects=projects,
                make_default=True if default else None,
                char_limit=char_limit,
                verify=not no_verify,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Account @{account.handle} added (X user id {account.x_user_id or '?'})."
        )
