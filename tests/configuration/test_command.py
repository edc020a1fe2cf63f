"""manage.py config: show, validate, import, export, diff, rollback, history."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from configuration.models import ConfigVersion
from configuration.schema import Config
from configuration.selectors import config_value
from configuration.services import config_parse, config_validate
from tests.fixtures.processes import MANAGE

pytestmark = pytest.mark.django_db

INVALID = """\
publishing:
  max_concurrent_tasks: 0
  retry:
    network: {base_seconds: 60, cap_seconds: 10}
performance:
  throttle: {cpu_slow: 90, cpu_pause: 80}
notifications:
  email_from: not-an-address
surprise: true
"""


def config(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("config", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_makes_a_valid_file_the_version_in_force(tmp_path):
    path = write(tmp_path, "publishing:\n  max_concurrent_tasks: 3\n")

    out, _ = config("import", path, "--comment", "busier", "--author", "ops")

    assert "Imported" in out and "version 1" in out
    assert "publishing.max_concurrent_tasks: 1 → 3" in out
    version = ConfigVersion.objects.get()
    assert (version.author_name, version.comment) == ("ops", "busier")
    assert config_value("publishing.max_concurrent_tasks") == 3


def test_an_invalid_file_is_refused_with_every_problem_and_nothing_changes(tmp_path):
    config("import", write(tmp_path, "publishing:\n  max_concurrent_tasks: 2\n"))
    path = write(tmp_path, INVALID, "bad.yaml")
    err = StringIO()

    for action in ("validate", "import"):
        with pytest.raises(CommandError, match="refused: 5 problem"):
            call_command("config", action, path, stderr=err)

    listed = err.getvalue()
    for problem in (
        "publishing.max_concurrent_tasks: Input should be greater than or equal to 1",
        "publishing.retry.network: cap_seconds (10) must be at least base_seconds (60)",
        "performance.throttle: cpu_slow (90) must be below cpu_pause (80)",
        "notifications.email_from: 'not-an-address' is not an email address",
        "surprise: unknown setting",
    ):
        assert listed.count(problem) == 2, problem
    assert ConfigVersion.objects.count() == 1
    assert config_value("publishing.max_concurrent_tasks") == 2


@pytest.mark.slow
def test_a_refused_file_exits_non_zero_from_the_command_line(processes, tmp_path):
    path = write(tmp_path, INVALID)

    done = subprocess.run(
        [sys.executable, MANAGE, "config", "import", path],
        env=processes.env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert "refused: 5 problem(s); nothing changed" in done.stderr
    assert "surprise: unknown setting" in done.stderr
    assert "No version is stored" in processes.run("config", "history")


def test_validate_reports_the_changes_a_valid_file_would_make_and_stores_nothing(tmp_path):
    path = write(tmp_path, "scheduling:\n  daily_max: 9\n")

    out, _ = config("validate", path, "--json")

    assert json.loads(out) == {
        "valid": True,
        "problems": [],
        "changes": [{"path": "scheduling.daily_max", "old": 5, "new": 9}],
    }
    assert ConfigVersion.objects.count() == 0


def test_export_then_import_round_trips_and_adds_no_version(tmp_path):
    config("import", write(tmp_path, "publishing:\n  max_concurrent_tasks: 3\n"))
    exported = tmp_path / "exported.yaml"

    out, _ = config("export", "--output", str(exported))
    again, _ = config("import", str(exported))

    assert "Wrote version 1" in out
    assert yaml.safe_load(exported.read_text()) == ConfigVersion.objects.get().data
    assert "nothing changed" in again
    assert ConfigVersion.objects.count() == 1


def test_show_prints_the_version_in_force_with_who_saved_it(tmp_path):
    config("import", write(tmp_path, "scheduling:\n  daily_max: 9\n"), "--author", "ops")

    out, _ = config("show")
    shown, _ = config("show", "--json")

    assert out.startswith("# Version 1, saved ") and " by ops" in out.splitlines()[0]
    assert yaml.safe_load(out)["scheduling"]["daily_max"] == 9
    assert json.loads(shown)["version"] == 1


def test_diff_compares_the_last_two_versions_or_any_two(tmp_path):
    config("import", write(tmp_path, "scheduling:\n  daily_max: 9\n"))
    config("import", write(tmp_path, "scheduling:\n  daily_max: 3\n"))

    last, _ = config("diff")
    from_defaults, _ = config("diff", "0", "2", "--json")

    assert "version 1 → version 2: 1 difference(s)" in last
    assert "scheduling.daily_max: 9 → 3" in last
    assert json.loads(from_defaults)["changes"] == [
        {"path": "scheduling.daily_max", "old": 5, "new": 3}
    ]


def test_rollback_puts_an_old_version_back_as_a_new_one(tmp_path):
    config("import", write(tmp_path, "scheduling:\n  daily_max: 9\n"))
    config("import", write(tmp_path, "scheduling:\n  daily_max: 3\n"))

    out, _ = config("rollback", "1")
    history, _ = config("history", "--json")

    assert "Version 1 is in force again as version 3" in out
    assert config_value("scheduling.daily_max") == 9
    assert [row["version"] for row in json.loads(history)["versions"]] == [3, 2, 1]
    with pytest.raises(CommandError, match="no configuration version 7; nothing changed"):
        config("rollback", "7")
    assert ConfigVersion.objects.count() == 3


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*missing\.yaml: No such file"):
        config("validate", str(tmp_path / "missing.yaml"))


def test_the_documented_example_file_is_valid_and_holds_the_defaults():
    example = Path(settings.BASE_DIR) / "docs" / "config.example.yaml"

    out, _ = config("validate", str(example), "--json")

    assert json.loads(out)["valid"] is True
    assert config_validate(config_parse(example.read_text())) == Config()
