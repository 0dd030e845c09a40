"""How every page and export shows a date and time (one rule).

`2026-12-02 14:05` in the reader's time zone: the zone the request activated (each user's
preference, preferences.middleware), else the site's (settings.TIME_ZONE). The same text on the
lead pages, the SMS pages and in CSV exports. Year first, 24-hour clock: it reads the same in
every country, sorts as text, and spreadsheets read it as a date and time. Pages name the zone in
plain words (`time_zone_label`: "Pacific time"); CSV headers name it exactly (`datetime_header`),
since a cell cannot carry it without stopping being a date to a spreadsheet.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"

# The zones agents know by a name; any other is called by its city ("London time").
_ZONE_NAMES = {
    "America/New_York": "Eastern time",
    "America/Detroit": "Eastern time",
    "America/Toronto": "Eastern time",
    "America/Indiana/Indianapolis": "Eastern time",
    "America/Kentucky/Louisville": "Eastern time",
    "America/Chicago": "Central time",
    "America/Winnipeg": "Central time",
    "America/Denver": "Mountain time",
    "America/Edmonton": "Mountain time",
    "America/Boise": "Mountain time",
    "America/Phoenix": "Arizona time",
    "America/Los_Angeles": "Pacific time",
    "America/Vancouver": "Pacific time",
    "America/Anchorage": "Alaska time",
    "Pacific/Honolulu": "Hawaii time",
    "America/Halifax": "Atlantic time",
    "America/St_Johns": "Newfoundland time",
    "America/Puerto_Rico": "Atlantic time",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
    "GMT": "UTC",
}


def datetime_display(value: datetime | date | None) -> str:
    """`value` as shown to people: an aware datetime in the reader's time zone (the active one),
    a date alone, None as an empty string. A naive datetime is taken as already in that zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(DATETIME_FORMAT)
    return value.strftime(DATE_FORMAT)


def time_zone_name() -> str:
    """The IANA name of the zone times are shown in now (`America/Los_Angeles`)."""
    return timezone.get_current_timezone_name()


def time_zone_label(name: str | None = None) -> str:
    """A zone in plain words: `Pacific time`, `UTC`, `London time` (default: the active one)."""
    name = name or time_zone_name()
    if name in _ZONE_NAMES:
        return _ZONE_NAMES[name]
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time"


def datetime_header(title: str) -> str:
    """A CSV column title for datetime_display values: `Created at (America/Los_Angeles)`."""
    return f"{title} ({time_zone_name()})"
