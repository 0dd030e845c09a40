"""Who the client is (its address) and counters of failures per client in the shared cache.

The API's per-user throttle (UserThrottle) only sees requests that authenticated: DRF checks
credentials, then permissions, and only then throttles, so a request with a bad token (or none)
is answered 401 before any throttle runs. `ApiFailedAuthThrottleMiddleware` wraps the API from
outside instead: every API request whose credentials were refused, or that came with none,
counts against its address, and an address past API_THROTTLE_ANON gets 429 before its
credentials are even looked at.

Counters live in CACHES["default"]: Redis when CACHE_URL is set, so every web process sees the
same counts (local memory otherwise: each process counts on its own).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def client_address(request: HttpRequest) -> str:
    """The caller's IP: REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies saw.

    X-Forwarded-For is read only behind trusted proxies, and only the entry the outermost of
    them appended: anything further left is whatever the client chose to send (the same rule
    as DRF's NUM_PROXIES, which settings set to the same count).
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def cache_key(kind: str, *parts: str) -> str:
    """A short cache key for a counter; the parts (names, addresses) are hashed, not stored."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"{kind}:{digest}"


def counter_increment(key: str, *, timeout: int) -> int:
    """Add one to a counter that expires `timeout` seconds after its first count."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # One round trip instead of three (add, then incr's exists and incr): the per-user API
        # throttle counts every request. SET NX starts the window only on the first count.
        name = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(name, write=True).pipeline(transaction=True)
        pipe.set(name, 0, ex=timeout, nx=True)
        pipe.incr(name)
        return pipe.execute()[1]
    # add() starts the window only on the first count; incr() is atomic in Redis.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


def rate_parse(rate: str) -> tuple[int, int]:
    """ "60/min" -> (60, 60): requests allowed and the window in seconds."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[0]]


def _unauthenticated(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether an API request ended without a user: refused credentials, or none at all.

    A 401 is refused credentials (DRF answers it for a bad token, or none). A request that sent
    no Authorization header and has no session user counts too (anonymous probing, e.g. of
    unknown addresses, which answer 404 without looking at credentials). A request that sent a
    token to a plain Django view (the API's 404 catch-all) is not counted: nobody checked it.
    """
    if response.status_code == 401:
        return True
    user = getattr(request, "user", None)
    anonymous = user is None or not user.is_authenticated
    return anonymous and "HTTP_AUTHORIZATION" not in request.META


class ApiFailedAuthThrottleMiddleware:
    """API requests with refused or no credentials (see `_unauthenticated`) are counted
    per client address in fixed windows; past API_THROTTLE_ANON in a window, the address gets
    429 `{"code": "throttled"}` with Retry-After, whatever credentials it sends, until the
    window ends. Refusing before the credentials are checked is the point: a guesser learns
    nothing more. Other addresses, and the per-user rate of good tokens, are untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit, period = rate_parse(settings.API_THROTTLE_ANON)
        now = time.time()
        window = int(now // period)
        address = client_address(request)
        key = cache_key(f"api-unauthenticated:{window}", address)
        if (cache.get(key) or 0) >= limit:
            wait = max(1, math.ceil((window + 1) * period - now))
            logger.warning("API throttled for unauthenticated requests from %s", address)
            return self._throttled(wait)
        response = self.get_response(request)
        if _unauthenticated(request, response):
            counter_increment(key, timeout=period)
        return response

    def _throttled(self, wait: int) -> JsonResponse:
        response = JsonResponse(
            {
                "code": "throttled",
                "detail": "Too many requests without valid credentials from your address. "
                f"Expected available in {wait} seconds.",
            },
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
