"""The four roles, as Django groups holding model and custom permissions.

ROLES is the one place that says what a role may do. `roles_sync()` makes the groups
match it: the data migration calls it, and so does post_migrate (security.apps), so
permissions that later apps add reach the roles without a migration of their own.
An entry is "app_label.codename", "app_label.*" (every permission of an app) or "*"."""

from fnmatch import fnmatchcase

VIEWER = (
    "projects.view_project",
    "projects.view_contentsource",
    "projects.view_scanreport",
    "publishing.view_publishingtask",
    "publishing.view_tasktransition",
    "publishing.view_publishinglog",
    "publishing.view_xaccount",
    "publishing.view_publisherstate",  # is the publisher paused, and why
    # Monitoring: figures, samples, alerts, the error center, deliveries.
    "monitoring.view_overview",
    "monitoring.view_performancemetric",
    "monitoring.view_alert",
    "monitoring.view_errorgroup",
    "monitoring.view_notification",
    "database.view_backup",
)
EDITOR = (
    *VIEWER,
    "publishing.change_publishingtask",  # edit a task's text
    "publishing.approve_publishingtask",
)
OPERATOR = (
    *EDITOR,
    "projects.add_project",
    "projects.change_project",
    "projects.delete_project",
    "projects.scan_project",
    "publishing.publish_publishingtask",  # publish now, cancel, retry, reschedule
    "publishing.add_xaccount",
    "publishing.change_xaccount",
    "publishing.delete_xaccount",
    # The runtime configuration: read it, store a version or roll back.
    "configuration.view_configversion",
    "configuration.add_configversion",
    "publishing.change_publisherstate",  # pause and resume the whole publisher
    # Acknowledge and resolve alerts and error groups; send a failed notification again.
    "monitoring.change_alert",
    "monitoring.change_errorgroup",
    "monitoring.change_notification",
    # Take a backup. Restoring one (database.change_backup) stays with Admin: it
    # replaces every row.
    "database.add_backup",
)
ROLES: dict[str, tuple[str, ...]] = {
    "Admin": ("*",),
    "Operator": OPERATOR,
    "Editor": EDITOR,
    "Viewer": VIEWER,
}


def role_grants(role: str, permission: str) -> bool:
    """Whether `role` holds "app_label.codename" by ROLES (used by tests and docs)."""
    return any(fnmatchcase(permission, pattern) for pattern in ROLES[role])


def roles_sync(*, group_model=None, permission_model=None, using: str = "default") -> None:
    """Create the role groups and give each exactly the permissions ROLES names.

    The models may be passed in (a migration's historical models)."""
    if group_model is None:
        from django.contrib.auth.models import Group, Permission

        group_model, permission_model = Group, Permission
    permissions = list(
        permission_model.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    )
    for role, patterns in ROLES.items():
        group, _created = group_model.objects.using(using).get_or_create(name=role)
        wanted = [
            pk
            for pk, app_label, codename in permissions
            if any(fnmatchcase(f"{app_label}.{codename}", pattern) for pattern in patterns)
        ]
        group.permissions.set(wanted)
