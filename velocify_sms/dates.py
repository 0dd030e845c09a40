"""How every page and export shows a date and time (one rule).

`2026-12-02 14:05` in the site's time zone (settings.TIME_ZONE): the same text on the lead
pages, the SMS pages and in CSV exports. Year first, 24-hour clock: it reads the same in every
country, sorts as text, and spreadsheets read it as a date and time. CSV headers name the zone
(`datetime_header`), since a cell cannot carry it without stopping being a date to a spreadsheet.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


def datetime_display(value: datetime | date | None) -> str:
    """`value` as shown to people: an aware datetime in the site's time zone, a date alone,
    None as an empty string. A naive datetime is taken as already in the site's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            # The site's zone, not a zone a request may have activated: one text everywhere.
            value = timezone.localtime(value, timezone.get_default_timezone())
        return value.strftime(DATETIME_FORMAT)
    return value.strftime(DATE_FORMAT)


def datetime_header(title: str) -> str:
    """A CSV column title for datetime_display values: `Created at (UTC)`."""
    return f"{title} ({settings.TIME_ZONE})"
