"""Per-user display preferences: for now, the time zone every page shows times in."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_zone_name(value: str) -> None:
    """An IANA zone name this server knows (`America/Los_Angeles`), or blank (the site's)."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name.", code="invalid_time_zone")


class UserPreference(models.Model):
    """One row per user who changed something; a user without one gets the site's defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    # Blank: the site's TIME_ZONE (a later change of the setting reaches these users too).
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_zone_name]
    )

    class Meta:
        verbose_name = "preference"
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"
