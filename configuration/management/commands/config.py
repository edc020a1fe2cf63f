import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from configuration.diff import config_diff, diff_lines
from configuration.schema import ConfigInvalid
from configuration.selectors import (
    config_active_number,
    config_default,
    config_document,
    config_version_get,
    config_versions,
)
from configuration.services import (
    FORMATS,
    ConfigConflict,
    ConfigUnchanged,
    ConfigVersionMissing,
    config_parse,
    config_render,
    config_rollback,
    config_validate,
    config_version_create,
)


class Command(BaseCommand):
    help = (
        "The runtime configuration: show, validate FILE, import FILE, export [--output], "
        "diff [A] [B], rollback VERSION, history. Files are YAML (or JSON by extension)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="The configuration in force (or --version N).")
        show.add_argument("--version", type=int, dest="number")
        validate = sub.add_parser("validate", help="Check a file; changes nothing.")
        validate.add_argument("file")
        load = sub.add_parser("import", help="Validate a file and make it the version in force.")
        load.add_argument("file")
        load.add_argument("--comment", default="")
        export = sub.add_parser("export", help="Write the configuration as YAML.")
        export.add_argument("--output", help="A file to write; standard output when omitted.")
        export.add_argument("--version", type=int, dest="number")
        export.add_argument("--format", choices=FORMATS, default="yaml", dest="fmt")
        diff = sub.add_parser("diff", help="A against B; A and B default to the last two.")
        diff.add_argument("a", nargs="?", type=int)
        diff.add_argument("b", nargs="?", type=int)
        rollback = sub.add_parser("rollback", help="Put VERSION back in force as a new version.")
        rollback.add_argument("number", type=int)
        rollback.add_argument("--comment", default="")
        history = sub.add_parser("history", help="The stored versions, newest first.")
        history.add_argument("--limit", type=int, default=20)
        for each in (show, validate, load, diff, rollback, history):
            each.add_argument("--json", action="store_true", dest="as_json")
        for each in (load, rollback):
            each.add_argument("--author", default=_shell_user(), help="Recorded as who changed it.")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ConfigInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(f"  - {problem}")
            raise CommandError(
                f"refused: {len(exc.problems)} problem(s); nothing changed"
            ) from None
        except (ConfigConflict, ConfigVersionMissing) as exc:
            raise CommandError(f"{exc}; nothing changed") from None
        except ConfigUnchanged as exc:  # import or rollback of what is in force already
            self._out(options, {"version": config_active_number(), "changes": []}, f"{exc}.")

    def _out(self, options: dict, payload: dict, text: str) -> None:
        self.stdout.write(json.dumps(payload, indent=2) if options["as_json"] else text)

    def _show(self, *, number: int | None, **options):
        document, header = _document(number)
        self._out(
            options, {**header, "config": document}, _comment(header) + config_render(document)
        )

    def _validate(self, *, file: str, **options):
        config = config_validate(_read(file)).model_dump(mode="json")
        changes = config_diff(config_document(), config)
        text = f"{file} is valid; against the configuration in force: " + _changes_text(changes)
        self._out(options, {"valid": True, "problems": [], "changes": changes}, text)

    def _import(self, *, file: str, comment: str, author: str, **options):
        version = config_version_create(
            document=_read(file), author_name=author, comment=comment or f"import {file}"
        )
        self._saved(options, version, f"Imported {file} as version {version.number}")

    def _rollback(self, *, number: int, comment: str, author: str, **options):
        version = config_rollback(number=number, author_name=author, comment=comment)
        self._saved(
            options, version, f"Version {number} is in force again as version {version.number}"
        )

    def _saved(self, options: dict, version, headline: str) -> None:
        payload = {"version": version.number, "changes": version.diff}
        text = f"{headline}; workers apply it within seconds: " + _changes_text(version.diff)
        self._out(options, payload, text)

    def _export(self, *, number: int | None, output: str | None, fmt: str, **options):
        document, header = _document(number)
        text = (_comment(header) if fmt == "yaml" else "") + config_render(document, fmt=fmt)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stdout.write(f"Wrote {_label(header)} to {output}.")

    def _diff(self, *, a: int | None, b: int | None, **options):
        a, b = _pair(a, b)
        changes = config_diff(_document(a)[0], _document(b)[0])
        text = f"{_name(a)} → {_name(b)}: " + _changes_text(changes)
        self._out(options, {"from": a, "to": b, "changes": changes}, text)

    def _history(self, *, limit: int, **options):
        rows = [_header(v) for v in config_versions()[: max(limit, 1)]]
        lines = [
            f"{r['version']:>4}  {r['created'][:19]}  {r['author']:<20}  "
            f"{r['changes']:>3} change(s)  {r['comment']}"
            for r in rows
        ]
        text = "\n".join(lines) or "No version is stored: the defaults from settings are in force."
        self._out(options, {"versions": rows}, text)


def _shell_user() -> str:
    try:
        return f"{getpass.getuser()} (manage.py)"
    except (KeyError, OSError):
        return "manage.py"


def _read(file: str) -> dict:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    return config_parse(text, fmt="json" if path.suffix.lower() == ".json" else "yaml")


def _document(number: int | None) -> tuple[dict, dict]:
    """A version's document and a header describing it: the one in force for None, the
    defaults from settings for 0."""
    number = number if number is not None else config_active_number() or 0
    if number == 0:
        defaults = config_default().model_dump(mode="json")
        return defaults, {"version": None, "author": "", "created": "", "comment": ""}
    version = config_version_get(number)
    if version is None:
        raise ConfigVersionMissing(f"there is no configuration version {number}")
    return version.data, _header(version)


def _header(version) -> dict:
    return {
        "version": version.number,
        "author": version.author_name,
        "created": version.created.isoformat(),
        "comment": version.comment,
        "changes": len(version.diff),
    }


def _label(header: dict) -> str:
    if header["version"] is None:
        return "the defaults (no version is stored)"
    return f"version {header['version']}"


def _comment(header: dict) -> str:
    if header["version"] is None:
        return "# The defaults in force: no version is stored yet.\n"
    return (
        f"# Version {header['version']}, saved {header['created'][:19]} by {header['author']}"
        + (f": {header['comment']}" if header["comment"] else "")
        + "\n"
    )


def _pair(a: int | None, b: int | None) -> tuple[int | None, int | None]:
    """diff: the last change; diff A: A against the version in force; diff A B. 0 is
    the defaults from settings."""
    if b is not None:
        return a, b
    active = config_active_number()
    if a is not None:
        return a, active
    if active is None:
        raise CommandError("no version is stored: there is nothing to compare")
    return active - 1, active


def _name(number: int | None) -> str:
    return "the defaults" if not number else f"version {number}"


def _changes_text(changes: list[dict]) -> str:
    if not changes:
        return "no differences."
    return f"{len(changes)} difference(s)\n" + "\n".join(
        f"  {line}" for line in diff_lines(changes)
    )
