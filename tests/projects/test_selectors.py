import pytest

from projects.models import ContentSource, Project
from projects.selectors import (
    project_get_by_name,
    project_list,
    scan_report_latest,
    sources_active,
    sources_in_error,
)
from projects.services import project_scan
from tests.fixtures.content import ProjectFactory, make_uploader_json_project, write_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(owner, content_root):
    folder = make_uploader_json_project(content_root, "maker", n_videos=2)
    write_media(folder / "videos" / "untitled.mp4")
    return ProjectFactory(owner=owner, name="Maker", path=str(folder))


def test_a_project_is_found_by_name_for_its_owner(project, owner, django_user_model):
    other = django_user_model.objects.create_user("other")
    ProjectFactory(owner=other, name="Maker", path=project.path)

    assert project_get_by_name("Maker", owner=owner) == project
    with pytest.raises(Project.MultipleObjectsReturned):
        project_get_by_name("Maker")
    with pytest.raises(Project.DoesNotExist):
        project_get_by_name("Nope", owner=owner)


def test_projects_are_listed_by_owner_and_enabled(project, owner):
    ProjectFactory(owner=owner, name="Paused", path=project.path, enabled=False)

    assert [p.name for p in project_list(owner=owner)] == ["Maker", "Paused"]
    assert [p.name for p in project_list(owner=owner, enabled=True)] == ["Maker"]


def test_active_sources_leave_out_errors_and_removed_files(project):
    project_scan(project=project)
    ContentSource.objects.filter(key="videos/maker_002.mp4").update(status="removed")

    assert [s.key for s in sources_active(project)] == ["videos/maker_001.mp4"]
    assert [s.key for s in sources_in_error(project)] == ["videos/untitled.mp4"]


def test_the_latest_scan_report_is_the_newest(project):
    assert scan_report_latest(project) is None
    project_scan(project=project)
    latest = project_scan(project=project).report

    assert scan_report_latest(project) == latest
