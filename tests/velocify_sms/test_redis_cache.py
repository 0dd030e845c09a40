"""The Redis cache backend: Django's, sharing one redis-py client per pool."""

from __future__ import annotations

import pytest

URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def redis_backend():
    import redis

    try:
        redis.Redis.from_url(URL).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from velocify_sms.redis_cache import RedisCache

    backend = RedisCache(URL, {})
    backend.clear()
    yield backend
    backend.clear()


def test_every_cache_call_shares_one_client(redis_backend):
    first = redis_backend._cache.get_client("a", write=True)

    assert redis_backend._cache.get_client("b") is first
    assert redis_backend._cache.get_client("c", write=True) is first


def test_values_round_trip_as_with_djangos_backend(redis_backend):
    redis_backend.set("number", 3)
    redis_backend.set("thing", {"a": [1, 2]})

    assert redis_backend.get_many(["number", "thing", "none"]) == {
        "number": 3,
        "thing": {"a": [1, 2]},
    }
    assert redis_backend.incr("number") == 4
