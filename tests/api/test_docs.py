"""The schema, Swagger UI, ReDoc and the browsable API, for signed-in users, with
their scripts served from our own static files (no CDN)."""

import pytest
from rest_framework.test import APIClient

from tests.fixtures.api import user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, api_cache):
    client.force_login(user_in_role("Viewer"))
    return client


def test_the_schema_is_openapi_3_and_documents_the_key_scheme(signed_in):
    response = signed_in.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tasks/{id}/publish-now/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_pages_load_their_scripts_locally(signed_in, page):
    html = signed_in.get(page).content.decode()
    assert "drf_spectacular_sidecar" in html
    assert "cdn" not in html.lower()


def test_the_documentation_is_not_public(db, api_cache):
    assert APIClient().get("/api/v1/schema/").status_code == 401


def test_the_browsable_api_renders_for_a_session(signed_in):
    response = signed_in.get("/api/v1/projects/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Project" in response.content


def test_an_unknown_api_path_is_a_json_404(signed_in):
    response = signed_in.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
