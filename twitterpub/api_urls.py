"""/api/v1/: the REST API's router, schema and documentation pages (docs/api.md).

Apps keep their views in <app>/api/; this file only mounts them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from database.api import BackupViewSet
from publishing.api.views import (
    LogViewSet,
    PublisherPauseView,
    PublisherResumeView,
    PublisherStateView,
    PublishingProjectViewSet,
    TaskViewSet,
    XAccountViewSet,
)
from security.api.permissions import AUTHENTICATED, RolePermission


class APIRootView(DefaultRouter.APIRootView):
    permission_rules = {"get": AUTHENTICATED}


class Router(DefaultRouter):
    APIRootView = APIRootView


def _documented(view_class):
    """The schema and its pages are for signed-in users: they map the attack surface."""
    rules = {"permission_rules": {"get": AUTHENTICATED}, "permission_classes": [RolePermission]}
    return type(view_class.__name__, (view_class,), rules)


router = Router()
router.register("projects", PublishingProjectViewSet, basename="project")
router.register("tasks", TaskViewSet, basename="task")
router.register("logs", LogViewSet, basename="log")
router.register("accounts", XAccountViewSet, basename="account")
router.register("backups", BackupViewSet, basename="backup")

urlpatterns = [
    path("", include(router.urls)),
    # The runtime configuration (docs/configuration.md).
    path("config/", include("configuration.api")),
    path("monitoring/", include("monitoring.api")),
    path("publisher/", PublisherStateView.as_view(), name="publisher-state"),
    path("publisher/pause/", PublisherPauseView.as_view(), name="publisher-pause"),
    path("publisher/resume/", PublisherResumeView.as_view(), name="publisher-resume"),
    path("schema/", _documented(SpectacularAPIView).as_view(), name="api-schema"),
    path(
        "docs/",
        _documented(SpectacularSwaggerView).as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path(
        "redoc/",
        _documented(SpectacularRedocView).as_view(url_name="api-schema"),
        name="api-redoc",
    ),
]
