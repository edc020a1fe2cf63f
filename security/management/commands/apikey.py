"""manage.py apikey create|list|revoke: API keys for scripts (docs/api.md)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from security.apikeys import apikey_create, apikey_revoke, role_group
from security.models import APIKey


class Command(BaseCommand):
    help = "Create, list and revoke API keys. A new key is printed once and never again."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Create a key; prints it once.")
        create.add_argument("--user", required=True, help="Username the key acts for.")
        create.add_argument("--role", required=True, help="Admin, Operator, Editor or Viewer.")
        create.add_argument("--name", default="", help="What the key is for.")
        create.add_argument("--expires-days", type=int, default=None, help="Default: never.")
        create.add_argument(
            "--grant-role",
            action="store_true",
            help="Add the user to the role's group first (needed unless they hold it).",
        )
        create.add_argument(
            "--create-user",
            action="store_true",
            help="Create the user (API only: no password, no admin) if missing; implies "
            "--grant-role.",
        )
        listing = commands.add_parser("list", help="List keys (prefixes only).")
        listing.add_argument("--user", default=None)
        revoke = commands.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args, command: str, **options):
        getattr(self, f"_{command}")(**options)

    def _create(self, *, user, role, name, expires_days, grant_role, create_user, **_options):
        account = self._user(user, create=create_user)
        grant_role = grant_role or create_user
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            if grant_role:
                self._grant(account, role)
            new = apikey_create(user=account, role=role, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Created key {new.api_key.prefix} for {account} as {new.api_key.role.name}. "
            "It is shown once; store it now."
        )
        self.stdout.write(new.key)

    def _grant(self, account, role: str) -> None:
        account.groups.add(role_group(role))

    def _list(self, *, user, **_options):
        keys = APIKey.objects.select_related("user", "role").order_by("created")
        if user:
            keys = keys.filter(user__username=user)
        for key in keys:
            state = "revoked" if key.revoked_at else "active"
            if not key.revoked_at and key.expires_at and key.expires_at <= timezone.now():
                state = "expired"
            self.stdout.write(
                f"{key.prefix}  {key.user}  {key.role.name:<8}  {state:<7}  "
                f"expires {_when(key.expires_at)}  last used {_when(key.last_used_at)}  {key.name}"
            )

    def _revoke(self, *, prefix, **_options):
        key = APIKey.objects.filter(prefix=prefix.strip()).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r} (see `apikey list`).")
        if apikey_revoke(api_key=key):
            self.stdout.write(f"Revoked {key.prefix}; it is refused from now on.")
        else:
            self.stdout.write(f"{key.prefix} was revoked already.")

    def _user(self, username: str, *, create: bool = False):
        users = get_user_model().objects
        found = users.filter(username=username).first()
        if found is None and create:
            self.stderr.write(f"Created user {username!r} (API only: no password).")
            return users.create_user(username=username)  # unusable password
        if found is None:
            raise CommandError(f"No user {username!r}; create one first (or --create-user).")
        return found


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"
