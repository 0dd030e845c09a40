"""Issue 13 item 6: requests with bad (or no) credentials are throttled by client address."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/"


@pytest.fixture(autouse=True)
def _fresh_counters(settings):
    cache.clear()
    settings.API_THROTTLE_ANON = "5/min"
    yield
    cache.clear()


def test_bad_tokens_from_one_address_are_throttled_and_a_good_token_elsewhere_still_works(
    api_client, agent_api
):
    api_client.credentials(HTTP_AUTHORIZATION="Token guessed-key-0000")
    statuses = [api_client.get(URL, REMOTE_ADDR="10.9.9.9").status_code for _ in range(5)]
    throttled = api_client.get(URL, REMOTE_ADDR="10.9.9.9")

    assert statuses == [401] * 5
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert agent_api.get(URL, REMOTE_ADDR="10.1.1.1").status_code == 200
