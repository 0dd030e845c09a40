"""The revocation deadline: by when a possible opt-out must be decided.

The FCC gives a business 10 business days to honour a revocation of consent (47 CFR
64.1200(a)(10), order FCC 24-24). A text in the possible-opt-out inbox that nobody decided is
applied as the contact's opt-out by the worker once its deadline has passed
(optouts.messaging.services.possible_opt_outs_apply_overdue).

The deadline is the end (midnight, in the site's TIME_ZONE) of the Nth business day after the
day the text was received, N = SMS_REVOCATION_DEADLINE_BUSINESS_DAYS (10 unless set lower). The
day of receipt does not count; Saturdays, Sundays and US federal holidays (as observed:
Independence Day on a Saturday is observed on the Friday before) are not business days. The
holiday calendar is the `holidays` package's United States public holidays without a state,
which are the federal ones (5 U.S.C. 6103).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

# The FCC's limit (47 CFR 64.1200(a)(10)): SMS_REVOCATION_DEADLINE_BUSINESS_DAYS may shorten it,
# never lengthen it (optouts/messaging/checks.py).
REVOCATION_DEADLINE_MAX_BUSINESS_DAYS = 10

# Going back from today to the last receipt day whose deadline has passed takes at most N
# business days plus the weekends and holidays among them; a year is far more than enough.
_MAX_LOOKBACK_DAYS = 366


@functools.cache
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year))


def business_day_is(day: date) -> bool:
    """Whether `day` is a US business day: Monday to Friday and not a federal holiday."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def _site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _business_days() -> int:
    return settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS or REVOCATION_DEADLINE_MAX_BUSINESS_DAYS


def _nth_business_day_after(day: date, n: int) -> date:
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if business_day_is(day):
            counted += 1
    return day


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_site_zone())


def revocation_deadline(*, received_at: datetime) -> datetime:
    """When a text received at `received_at` must have been decided: the end of the Nth business
    day after its day of receipt (both days in TIME_ZONE), as an aware datetime."""
    received_day = received_at.astimezone(_site_zone()).date()
    last_day = _nth_business_day_after(received_day, _business_days())
    return _start_of(last_day + timedelta(days=1))


def revocation_overdue_before(*, now: datetime) -> datetime:
    """Texts received before this instant are past their deadline at `now`.

    The deadline only grows with the day of receipt, so "overdue" is "received before the start
    of the first day whose deadline is still ahead": one comparison the database can make.
    """
    today = now.astimezone(_site_zone()).date()
    n = _business_days()
    day = today
    for _ in range(_MAX_LOOKBACK_DAYS):
        # Overdue when the Nth business day after `day` is over, that is before today.
        if _nth_business_day_after(day, n) < today:
            return _start_of(day + timedelta(days=1))
        day -= timedelta(days=1)
    raise AssertionError("no receipt day in a year has a passed deadline")  # pragma: no cover


def business_days_between(*, start: datetime, end: datetime) -> int:
    """Business days that have ended after the day of `start` and by `end` (TIME_ZONE): how many
    of the deadline's N days an item has used."""
    zone = _site_zone()
    first, today = start.astimezone(zone).date(), end.astimezone(zone).date()
    return sum(
        1 for offset in range(1, (today - first).days) if business_day_is(first + timedelta(offset))
    )
