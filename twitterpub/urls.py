from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # /metrics, /health/live, /health/ready (docs/monitoring.md).
    path("", include("monitoring.urls")),
]
