"""Writes of a user's preferences."""

from __future__ import annotations

from django.conf import settings

from preferences.models import UserPreference, validate_zone_name


def user_time_zone_set(*, user, time_zone: str) -> UserPreference:
    """Show `user` every time in `time_zone` (an IANA name); the site's zone, or blank, stores
    blank, so the user follows TIME_ZONE if it changes. Raises ValidationError for an unknown
    name."""
    validate_zone_name(time_zone)
    stored = "" if time_zone == settings.TIME_ZONE else time_zone
    preference, _ = UserPreference.objects.update_or_create(
        user=user, defaults={"time_zone": stored}
    )
    return preference
