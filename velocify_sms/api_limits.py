"""How much an API caller gets: page sizes (pagination) and request rates (throttling).

Settings name these as REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] and
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"].
"""

from __future__ import annotations

from datetime import UTC

from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, pagination, throttling
from rest_framework.settings import api_settings

from velocify_sms.throttling import counter_increment


# --- pagination -------------------------------------------------------------------------------
class PagePagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (at most 500) with the total count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestFirstCursorPagination(pagination.CursorPagination):
    """`?cursor=...`: stable pages over a large, growing table, newest first, no COUNT."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-opted_out_at"

    def decode_cursor(self, request):
        """DRF's decoding, then the position checked: a cursor is the client's text, and its
        position goes into the query as the ordering field's value (a date-time here). Anything
        but a date-time Python holds is an invalid cursor (404), and it reaches the database in
        UTC: PostgreSQL refuses offsets past 15:59, SQLite's adapter overflows near years 1/9999.
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            position = parse_datetime(cursor.position)
            if position is None:
                raise ValueError(cursor.position)
            if position.tzinfo is None:
                position = position.replace(tzinfo=UTC)
            position = position.astimezone(UTC)
        except (ValueError, OverflowError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        return cursor._replace(position=position.isoformat())


# --- throttling -------------------------------------------------------------------------------
class _LiveRatesMixin:
    """Read the rate at request time, so settings overrides (tests, env) always take effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    """Per-user rate (`user`), counted in the default cache: shared by all web processes when
    CACHE_URL points at Redis. Anonymous callers are counted per IP under the same scope.

    A counter per fixed window (one integer, like the unauthenticated throttle), not DRF's
    sliding log: the log is a list of every request's time in the window, read, unpickled,
    pickled and written back whole on every request, so its cost grew with the rate allowed
    (1,000 entries at the default, 1.4 ms a request at 10,000; docs/benchmarks.md). The price: a
    client may spend one window's allowance at its end and the next one's at the start.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        count = counter_increment(f"{self.key}:{window}", timeout=self.duration)
        self._wait = (window + 1) * self.duration - self.now
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self._wait, 0)
