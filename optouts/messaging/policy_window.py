"""When a text may arrive: the rules table's windows by day, and the next allowed instant.

A recipient is held to a set of constraints, each a (zone, rule) pair: the rule's window for the
local date in that zone must be open at the local time there. Every rule that applies is paired
with every zone the recipient may be in (and with the fixed zone a law names, Mississippi's
Central Standard Time), so a text goes only when all of them are open at once. The search for
the next allowed instant walks forward across days (a Sunday, a legal holiday, a Saturday with a
short window) in all of them at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache

import holidays as holiday_calendars

from optouts.messaging.policy_places import zone_info
from optouts.messaging.policy_rules import PolicyRule, Window

Constraint = tuple[str, PolicyRule]  # (IANA zone, rule)

# Long enough for any run of closed days in the table (a holiday Friday or Monday beside a Sunday
# that is closed, a Saturday whose window misses another zone's): a search that finds nothing in
# this many days gives up and the send is refused.
SEARCH_DAYS = 10

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def _holiday_names(calendar: str, year: int) -> dict[date, str]:
    country, _, subdiv = calendar.partition("-")
    # observed=True (the default): both a holiday's date and the weekday it is observed on count.
    return dict(holiday_calendars.country_holidays(country, subdiv=subdiv or None, years=year))


def holiday_name(rule: PolicyRule, day: date) -> str:
    """The name of the rule's legal holiday on `day`, "" when it is none (or the rule has none)."""
    if not rule.holiday_calendar:
        return ""
    return _holiday_names(rule.holiday_calendar, day.year).get(day, "")


def _intersection(first: Window, second: Window) -> Window | None:
    start, end = max(first.start, second.start), min(first.end, second.end)
    return Window(start, end) if start < end else None


# (id of the rule, day) -> window. Rules are module constants or cached by the policy (never
# freed while in here); days are few. Cleared when it grows, like the placement cache.
_WINDOWS: dict[tuple[int, date], Window | None] = {}
_WINDOWS_MAX = 100_000


def window_on(rule: PolicyRule, day: date) -> Window | None:
    """The rule's allowed window on `day` (local date), None when no text may arrive that day."""
    key = (id(rule), day)
    if key in _WINDOWS:
        return _WINDOWS[key]
    weekday = day.weekday()
    window = rule.weekday if weekday < 5 else rule.saturday if weekday == 5 else rule.sunday
    if window is not None and holiday_name(rule, day):
        window = _intersection(window, rule.holiday) if rule.holiday else None
    if len(_WINDOWS) >= _WINDOWS_MAX:
        _WINDOWS.clear()
    _WINDOWS[key] = window
    return window


def day_label(rule: PolicyRule, day: date) -> str:
    """How a reason names the kind of day the rule treats specially: "Sunday", "a legal holiday
    (Christmas Day)"; "" for an ordinary weekday."""
    name = holiday_name(rule, day)
    if name:
        return f"a legal holiday ({name})"
    return _DAY_NAMES[day.weekday()] if day.weekday() >= 5 else ""


def day_name(day: date) -> str:
    return _DAY_NAMES[day.weekday()]


def _at(day: date, clock, zone: str) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone_info(zone)).astimezone(UTC)


def next_open(constraint: Constraint, moment: datetime) -> datetime | None:
    """The first instant from `moment` on when the constraint is open (`moment` itself when it is
    open now); None when it is closed for the next SEARCH_DAYS days."""
    zone, rule = constraint
    local = moment.astimezone(zone_info(zone))
    day, clock = local.date(), local.time()
    window = window_on(rule, day)
    if window is not None and clock < window.end:
        return moment if clock >= window.start else _at(day, window.start, zone)
    for offset in range(1, SEARCH_DAYS + 1):
        later = day + timedelta(days=offset)
        window = window_on(rule, later)
        if window is not None:
            return _at(later, window.start, zone)
    return None


def closes_at(constraint: Constraint, moment: datetime) -> datetime:
    """When the window open at `moment` closes (the constraint must be open then)."""
    zone, rule = constraint
    day = moment.astimezone(zone_info(zone)).date()
    return _at(day, window_on(rule, day).end, zone)


def opens_at(constraints: Sequence[Constraint], at: datetime) -> datetime | None:
    """The first instant from `at` on when every constraint is open: `at` itself when all are
    open now; None when none comes within SEARCH_DAYS (zones too far apart, none known)."""
    if not constraints:
        return None
    moment = at.astimezone(UTC)
    limit = moment + timedelta(days=SEARCH_DAYS)
    # Each pass moves to the next opening of a closed constraint; no instant skipped over can be
    # open for all (it was closed for the one that moved), so the first instant all accept is
    # the earliest. Every move goes forward, and the limit ends a search that finds nothing.
    while moment <= limit:
        moved = False
        for constraint in constraints:
            opening = next_open(constraint, moment)
            if opening is None:
                return None
            if opening != moment:
                moment, moved = opening, True
        if not moved:
            return moment
    return None


def open_until(constraints: Sequence[Constraint], at: datetime) -> datetime:
    """While every constraint is open at `at`: the instant the first of them closes."""
    return min(closes_at(constraint, at) for constraint in constraints)
