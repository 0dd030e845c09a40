"""Show each signed-in user every time in the zone they picked (My preferences)."""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from preferences.selectors import user_time_zone


class UserTimeZoneMiddleware:
    """Activate the user's zone for the request, or the site's for anyone else.

    Set at the start of every request, never reset at its end (Django's documented pattern): a
    streamed CSV export writes its rows after the view returned, in the same thread, and must
    still write them in the zone its header names.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = user_time_zone(user=user)
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone since removed from tzdata
            timezone.deactivate()
        return self.get_response(request)
