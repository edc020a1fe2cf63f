"""The role groups exist after migrate and hold exactly what security.roles says."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from security.roles import ROLES, role_grants

pytestmark = pytest.mark.django_db


def held(role: str) -> set[str]:
    pairs = Group.objects.get(name=role).permissions.values_list(
        "content_type__app_label", "codename"
    )
    return {f"{app}.{codename}" for app, codename in pairs}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_group_holds_exactly_its_roles_permissions(role):
    everything = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert held(role) == {p for p in everything if role_grants(role, p)}


def test_roles_are_nested_viewer_editor_operator_admin():
    assert held("Viewer") < held("Editor") < held("Operator") < held("Admin")
    assert "publishing.approve_publishingtask" in held("Editor")
    assert "publishing.publish_publishingtask" not in held("Editor")
    assert "projects.add_project" not in held("Viewer")


def test_a_hand_edited_group_is_put_back_by_migrate():
    Group.objects.get(name="Viewer").permissions.add(
        Permission.objects.get(codename="delete_project")
    )
    call_command("migrate", verbosity=0, stdout=StringIO())
    assert "projects.delete_project" not in held("Viewer")


def test_create_user_makes_an_api_only_user_in_the_role(api_cache):
    from django.contrib.auth import get_user_model

    out = StringIO()
    call_command(
        "apikey",
        "create",
        "--user",
        "bot",
        "--role",
        "Editor",
        "--create-user",
        stdout=out,
        stderr=StringIO(),
    )
    bot = get_user_model().objects.get(username="bot")
    assert out.getvalue().startswith("tpk_")
    assert not bot.has_usable_password() and not bot.is_staff
    assert bot.groups.filter(name="Editor").exists()


def test_monitoring_is_read_by_viewers_and_acted_on_by_operators():
    assert {"monitoring.view_alert", "monitoring.view_performancemetric"} <= held("Viewer")
    assert "monitoring.change_alert" not in held("Editor")
    assert {
        "monitoring.change_alert",
        "monitoring.change_errorgroup",
        "monitoring.change_notification",
        "publishing.change_publisherstate",
    } <= held("Operator")
    assert "monitoring.delete_alertrule" not in held("Operator")


def test_operators_take_backups_and_only_admins_restore_them():
    assert "database.view_backup" in held("Viewer")
    assert "database.add_backup" not in held("Viewer")
    assert "database.add_backup" in held("Operator")
    assert "database.change_backup" not in held("Operator")
    assert "database.change_backup" in held("Admin")
