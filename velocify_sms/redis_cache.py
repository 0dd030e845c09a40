"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client builds a new `redis.Redis` for every cache operation, and
building one fills its table of ~170 response callbacks: about 0.1-0.3 ms each time on the
benchmark machine, as much as the round trip to Redis itself. An API request makes three cache
calls (the unauthenticated-client check, the token cache, the throttle counter), so the copies
cost more than the rest of the throttling (docs/benchmarks.md, REST API). A `redis.Redis` is
safe to share between threads; the connections stay in the pool as before.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
