"""The client address behind proxies, and the API's throttle of unauthenticated requests."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from freezegun import freeze_time

from velocify_sms.throttling import client_address, rate_parse

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.9"),
        (0, "6.6.6.6", "10.0.0.9"),  # no trusted proxy: a forged header changes nothing
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the one our proxy appended
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (3, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the leftmost
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == expected


@pytest.mark.parametrize(
    ("rate", "parsed"), [("60/min", (60, 60)), ("20/s", (20, 1)), ("1000/hour", (1000, 3600))]
)
def test_rates_read_like_drf_rates(rate, parsed):
    assert rate_parse(rate) == parsed


@pytest.fixture
def three_per_minute(settings):
    settings.API_THROTTLE_ANON = "3/min"


def test_calls_without_credentials_count_too(api_client, three_per_minute):
    statuses = [api_client.get(ME, REMOTE_ADDR="10.9.9.9").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


def test_a_good_token_from_a_throttled_address_is_refused_without_being_checked(
    api_client, agent_api, three_per_minute, django_assert_num_queries
):
    for _ in range(3):
        api_client.get(ME, REMOTE_ADDR="10.9.9.9")

    with django_assert_num_queries(0):
        assert agent_api.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 429


def test_authenticated_calls_do_not_count(agent_api, agent_client, three_per_minute):
    for _ in range(5):
        assert agent_api.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 200
        assert agent_client.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 200


def test_the_address_may_try_again_in_the_next_window(api_client, three_per_minute):
    with freeze_time("2026-01-01 10:00:10") as clock:
        for _ in range(3):
            api_client.get(ME, REMOTE_ADDR="10.9.9.9")
        throttled = api_client.get(ME, REMOTE_ADDR="10.9.9.9")
        assert (throttled.status_code, throttled["Retry-After"]) == (429, "50")

        clock.move_to("2026-01-01 10:01:00")
        assert api_client.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 401


def test_pages_outside_the_api_are_not_counted(client, three_per_minute):
    for _ in range(5):
        client.get("/healthz", REMOTE_ADDR="10.9.9.9")

    assert client.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 401


def test_anonymous_probing_of_unknown_api_addresses_counts(api_client, three_per_minute):
    for n in range(3):
        assert api_client.get(f"/api/v1/probe-{n}/", REMOTE_ADDR="10.9.9.9").status_code == 404

    assert api_client.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 429


def test_a_token_clients_typo_in_an_address_does_not_count(agent_api, api_client, three_per_minute):
    for n in range(4):
        assert agent_api.get(f"/api/v1/typo-{n}/", REMOTE_ADDR="10.9.9.9").status_code == 404

    assert agent_api.get(ME, REMOTE_ADDR="10.9.9.9").status_code == 200


@pytest.fixture
def redis_cache(settings):
    import redis

    url = "redis://127.0.0.1:6379/9"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {"BACKEND": "velocify_sms.redis_cache.RedisCache", "LOCATION": url}
    }
    from django.core.cache import cache

    cache.clear()
    yield cache, redis.Redis.from_url(url)
    cache.clear()


def test_a_redis_counter_counts_from_one_and_expires_with_its_window(redis_cache):
    from velocify_sms.throttling import counter_increment

    cache, client = redis_cache

    counts = [counter_increment("test-counter", timeout=30) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert cache.get("test-counter") == 3
    assert 0 < client.ttl(cache.make_key("test-counter")) <= 30
