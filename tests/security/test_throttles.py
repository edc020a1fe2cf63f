"""Rate limits per API key, per user, and on refused keys per client address."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from security.apikeys import apikey_create
from tests.fixtures.api import user_in_role

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


def rates(**changes) -> dict:
    from django.conf import settings

    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **changes}
    return {"REST_FRAMEWORK": rest}


def keyed(key: str, address: str = "198.51.100.7") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_each_key_has_its_own_budget(api_cache):
    user = user_in_role("Viewer")
    first, second = (apikey_create(user=user, role="Viewer").key for _ in range(2))
    with override_settings(**rates(apikey="3/min")):
        codes = [keyed(first).get(PROJECTS).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert keyed(second).get(PROJECTS).status_code == 200


def test_a_user_has_one_budget_across_keys_and_sessions(api_cache, client):
    user = user_in_role("Viewer")
    keys = [apikey_create(user=user, role="Viewer").key for _ in range(3)]
    client.force_login(user)
    with override_settings(**rates(user="3/min")):
        assert [keyed(key).get(PROJECTS).status_code for key in keys] == [200, 200, 200]
        response = client.get(PROJECTS)
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        assert int(response["Retry-After"]) > 0


def test_refused_keys_are_throttled_per_address_before_any_lookup(api_cache):
    user = user_in_role("Viewer")
    good = apikey_create(user=user, role="Viewer").key
    with override_settings(**rates(apikey_failure="2/min")):
        codes = [keyed("tpk_deadbeef_guess").get(PROJECTS).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        # Even a good key waits from that address; another address is not affected.
        assert keyed(good).get(PROJECTS).status_code == 429
        assert keyed(good, address="198.51.100.8").get(PROJECTS).status_code == 200


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_forged_forwarded_for_does_not_dodge_the_failed_key_throttle(api_cache):
    with override_settings(**rates(apikey_failure="2/min")):
        codes = []
        for n in range(3):
            client = keyed("tpk_deadbeef_guess", address="10.0.0.1")  # the proxy
            forged = f"203.0.113.{n}, 192.0.2.50"  # client-written, then the proxy's view
            codes.append(client.get(PROJECTS, HTTP_X_FORWARDED_FOR=forged).status_code)
    assert codes == [401, 401, 429]
