"""Reads for projects."""

from django.db.models import Q, QuerySet

from projects.models import ContentSource, Project, ScanReport


def project_get_by_name(name: str, owner=None) -> Project:
    """Raises Project.DoesNotExist, or MultipleObjectsReturned when several owners
    use the name and no owner is given."""
    projects = Project.objects.filter(name=name)
    if owner is not None:
        projects = projects.filter(owner=owner)
    return projects.get()


def project_list(*, owner=None, enabled: bool | None = None) -> QuerySet[Project]:
    projects = Project.objects.all()
    if owner is not None:
        projects = projects.filter(owner=owner)
    if enabled is not None:
        projects = projects.filter(enabled=enabled)
    return projects


def sources_active(project: Project) -> QuerySet[ContentSource]:
    return project.sources.filter(status=ContentSource.Status.ACTIVE).order_by("key")


def sources_in_error(project: Project) -> QuerySet[ContentSource]:
    return project.sources.filter(status=ContentSource.Status.ERROR).order_by("key")


def scan_report_latest(project: Project) -> ScanReport | None:
    return project.scan_reports.order_by("-started").first()


def projects_visible_to(user) -> QuerySet[Project]:
    """The projects `user` owns or is a member of; every project for a superuser."""
    if user.is_superuser:
        return Project.objects.all()
    member_of = Project.members.through.objects.filter(user=user).values("project_id")
    return Project.objects.filter(Q(owner=user) | Q(pk__in=member_of))


def project_ids_visible_to(user):
    """A subquery of the visible project ids (None: all), for scoping related rows."""
    if user.is_superuser:
        return None
    return projects_visible_to(user).values("pk")
