"""Show each signed-in user every time in the zone they picked (My preferences)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from preferences.selectors import user_time_zone


class UserTimeZoneMiddleware:
    """Activate the user's zone for the request (the site's for anyone else), and only for it.

    A streamed CSV export writes its rows after the view returned: its content is wrapped so
    that the rows are written in the zone its header names. Afterwards the thread goes back to
    the site's zone, so nothing run later in it (a test, a task) reads times in someone's zone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            zone = zoneinfo.ZoneInfo(user_time_zone(user=getattr(request, "user", None)))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone since removed from tzdata
            zone = timezone.get_default_timezone()
        with timezone.override(zone):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _in_zone(response.streaming_content, zone)
        return response


def _in_zone(chunks: Iterable, zone: zoneinfo.ZoneInfo) -> Iterator:
    with timezone.override(zone):
        yield from chunks
