"""Reads of a user's preferences."""

from __future__ import annotations

import zoneinfo

from django.conf import settings

from preferences.models import UserPreference
from velocify_sms.dates import time_zone_label


def user_time_zone(*, user) -> str:
    """The IANA zone `user` reads times in: their preference, else the site's TIME_ZONE."""
    if user is None or not user.is_authenticated:
        return settings.TIME_ZONE
    zone = (
        UserPreference.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    )
    return zone or settings.TIME_ZONE


def time_zone_choices() -> list[tuple[str, str]]:
    """The zones offered on My preferences: North America's by name first, then every other."""
    common = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "UTC",
    ]
    others = sorted(zoneinfo.available_timezones() - set(common))
    return [(name, f"{time_zone_label(name)} ({name})") for name in common] + [
        (name, name) for name in others if "/" in name and not name.startswith(("Etc/", "SystemV"))
    ]
