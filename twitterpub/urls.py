from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("twitterpub.api_urls")),
    # Sign-in pages for the browsable API.
    path("api/auth/", include("rest_framework.urls")),
    # /metrics, /health/live, /health/ready (docs/monitoring.md).
    path("", include("monitoring.urls")),
]

# JSON errors under /api/ (security.api.errors), Django's pages elsewhere.
handler404 = "security.api.errors.not_found"
handler500 = "security.api.errors.server_error"
