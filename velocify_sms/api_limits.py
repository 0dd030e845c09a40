"""How much an API caller gets: page sizes (pagination) and request rates (throttling).

Settings name these as REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] and
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"].
"""

from __future__ import annotations

from rest_framework import pagination, throttling
from rest_framework.settings import api_settings


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


# --- throttling -------------------------------------------------------------------------------
class _LiveRatesMixin:
    """Read the rate at request time, so settings overrides (tests, env) always take effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    """Per-user rate (`user`), counted in the default cache: shared by all web processes when
    CACHE_URL points at Redis. Anonymous callers are counted per IP under the same scope."""
