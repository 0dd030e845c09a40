"""The rules table by day: every row at its boundaries on each kind of day, and texts held across
Sundays, legal holidays and short Saturdays in every zone that applies, said in plain words.

The boundary tests are generated from the table (optouts/messaging/policy_rules.py): a new row
is covered without a line here. Each row is met through a number of its own (an area code of the
state, a Toronto number for Canada, a New York number for the federal row) in a week of January
2027 (standard time everywhere, so Mississippi's Central Standard Time is its clock too): one
second before and at the opening, one second before and at the closing, on a weekday, a Saturday,
a Sunday and (for rows with a holiday calendar) the row's first legal holiday from 10 January.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
import pytest
from freezegun import freeze_time
from phonenumbers.tzdata import TIMEZONE_DATA

from optouts.messaging.models import MessageStatus, ReasonCode
from optouts.messaging.policy import number_placement, send_policy_decide, send_rules_for
from optouts.messaging.policy_rules import CANADA, FEDERAL, STATE_RULES, PolicyRule
from optouts.messaging.services import message_send
from tests.factories import LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.send_window]

WEDNESDAY, SATURDAY, SUNDAY = date(2027, 1, 13), date(2027, 1, 16), date(2027, 1, 17)
EASTERN, CENTRAL, PACIFIC = (
    ZoneInfo("America/New_York"),
    ZoneInfo("America/Chicago"),
    ZoneInfo("America/Los_Angeles"),
)
TEXAS = "+12145550100"  # Dallas
MIAMI = "+13055550100"
RHODE_ISLAND = "+14015550100"
ALABAMA = "+12055550100"  # Birmingham
TORONTO = "+14165550100"
MISSISSIPPI = "+16015550100"  # Jackson


def _number_for(row: PolicyRule) -> str:
    """A number whose area code brings in `row`, in one time zone."""
    if row is FEDERAL:
        return "+12125550100"
    if row is CANADA:
        return TORONTO
    for key in sorted(TIMEZONE_DATA):
        if len(key) != 4 or not key.startswith("1"):
            continue
        number = f"+1{key[1:]}2223333"
        if phonenumbers.region_code_for_number(phonenumbers.parse(number)) != "US":
            continue
        placement = number_placement(number)
        if placement.state == row.key and placement.placed and len(placement.zones) == 1:
            return number
    raise AssertionError(f"no single-zone area code for {row.key}")


def _days(row: PolicyRule) -> list[tuple[str, date]]:
    days = [("weekday", WEDNESDAY), ("saturday", SATURDAY), ("sunday", SUNDAY)]
    if row.holiday_calendar:
        country, _, subdiv = row.holiday_calendar.partition("-")
        calendar = holidays.country_holidays(country, subdiv=subdiv or None, years=2027)
        day = min(d for d in calendar if d >= date(2027, 1, 10) and d.weekday() < 5)
        days.append(("holiday", day))
    return days


def _window(row: PolicyRule, kind: str, day: date):
    window = {"weekday": row.weekday, "saturday": row.saturday, "sunday": row.sunday}.get(kind)
    if kind == "holiday":
        base = row.weekday
        window = None
        if base is not None and row.holiday is not None:
            start, end = max(base.start, row.holiday.start), min(base.end, row.holiday.end)
            window = (start, end) if start < end else None
        return window
    return (window.start, window.end) if window else None


ROWS = [FEDERAL, CANADA, *STATE_RULES.values()]
CASES = [(row, kind, day) for row in ROWS for kind, day in _days(row)]


def _decide(number: str, moment: datetime):
    return send_policy_decide(number=number, rules=send_rules_for(number=number), now=moment)


def _subject(row: PolicyRule) -> str:
    # The federal row is "US federal law" in the sentences agents read.
    name = "US federal law" if row.key == "federal" else row.name
    return name[0].upper() + name[1:]


@pytest.mark.parametrize(
    ("row", "kind", "day"), CASES, ids=[f"{row.key}-{kind}" for row, kind, _ in CASES]
)
def test_each_row_at_its_boundaries(row, kind, day):
    number = _number_for(row)
    zone = ZoneInfo(number_placement(number).zones[0])
    window = _window(row, kind, day)
    if window is None:
        decision = _decide(number, datetime.combine(day, time(12), tzinfo=zone))
        assert decision.code == ReasonCode.QUIET_HOURS
        assert decision.reason.startswith(f"{_subject(row)} allow")
        assert " no such texts on " in decision.reason
        return
    start, end = (datetime.combine(day, clock, tzinfo=zone) for clock in window)
    second = timedelta(seconds=1)
    for moment, allowed in [(start - second, False), (start, True), (end - second, True)]:
        assert _decide(number, moment).allowed is allowed, moment
    closing = _decide(number, end)
    assert closing.code == ReasonCode.QUIET_HOURS
    assert closing.reason.startswith(f"{_subject(row)} allow"), closing.reason


def test_every_row_cites_a_source_and_unverified_rows_say_what():
    for row in ROWS:
        assert row.source, row.key
        assert row.unverified == "" or len(row.unverified) > 10, row.key


# --- Held across days, said in plain words ------------------------------------------------------


@pytest.fixture
def worker_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _send(number: str, moment: datetime, **kwargs):
    with freeze_time(moment):
        return message_send(to=number, body="Your rate quote is ready.", **kwargs)


def test_a_texas_number_on_a_sunday_morning_waits_for_noon(worker_queue):
    message = _send(TEXAS, datetime(2027, 1, 17, 10, 0, tzinfo=CENTRAL))
    assert (message.status, message.reason_code) == (MessageStatus.HELD, ReasonCode.QUIET_HOURS)
    assert message.held_until == datetime(2027, 1, 17, 12, 0, tzinfo=CENTRAL)
    assert message.reason == (
        "Held until 12:00 pm today (Sunday 17 Jan), the contact's local time (Central time): "
        "Texas allows such texts on Sunday only from 12:00 pm to 9:00 pm, the contact's local "
        "time; it is 10:00 am there (Central time)."
    )


def test_a_texas_number_on_a_texas_legal_holiday_gets_the_sunday_hours(worker_queue):
    # Texas Independence Day, a Tuesday: a Texas holiday, not a federal one.
    message = _send(TEXAS, datetime(2027, 3, 2, 10, 0, tzinfo=CENTRAL))
    assert message.held_until == datetime(2027, 3, 2, 12, 0, tzinfo=CENTRAL)
    assert "Texas allows such texts on a legal holiday (Texas Independence Day) only from " in (
        message.reason
    )
    # The day before is an ordinary Monday: 10:00 is inside 9:00 am-9:00 pm.
    assert _send(TEXAS, datetime(2027, 3, 1, 10, 0, tzinfo=CENTRAL)).status == (
        MessageStatus.QUEUED
    )


def test_a_canadian_number_on_a_saturday_evening_waits_for_sunday_10_am(worker_queue):
    message = _send(TORONTO, datetime(2027, 1, 16, 18, 30, tzinfo=EASTERN))
    assert message.held_until == datetime(2027, 1, 17, 10, 0, tzinfo=EASTERN)
    assert message.reason.startswith(
        "Held until 10:00 am tomorrow (Sunday 17 Jan), the contact's local time (Eastern time): "
        "Canada's CRTC rules allow such texts on Saturday only from 10:00 am to "
        "6:00 pm"
    )
    # Weekdays run to 9:30 pm, later than the US federal 9:00 pm.
    weekday_evening = datetime(2027, 1, 13, 21, 15, tzinfo=EASTERN)
    assert _send(TORONTO, weekday_evening).status == MessageStatus.QUEUED


def test_alabama_on_christmas_day_waits_for_saturday_morning(worker_queue):
    message = _send(ALABAMA, datetime(2026, 12, 25, 10, 0, tzinfo=CENTRAL))
    assert message.held_until == datetime(2026, 12, 26, 8, 0, tzinfo=CENTRAL)
    assert message.reason == (
        "Held until 8:00 am tomorrow (Saturday 26 Dec), the contact's local time (Central "
        "time): Alabama allows no such texts on a legal holiday (Christmas Day)."
    )


def test_the_walk_crosses_a_short_saturday_a_sunday_and_a_holiday_in_every_zone(worker_queue):
    # Rhode Island: Saturday 10:00 am-5:00 pm, no Sunday, no holiday (Martin Luther King Jr. Day
    # on Monday 18 January). The lead lives in Pacific time: both zones must be inside the
    # window, so Tuesday 9:00 am Eastern (6:00 am Pacific) is still too early.
    lead = LeadFactory(time_zone="America/Los_Angeles")
    message = _send(RHODE_ISLAND, datetime(2027, 1, 16, 17, 30, tzinfo=EASTERN), lead_id=lead.pk)
    assert message.held_until == datetime(2027, 1, 19, 9, 0, tzinfo=PACIFIC)
    assert message.reason.startswith(
        "Held until 12:00 pm Tuesday 19 Jan, Eastern time (9:00 am Pacific time): Rhode Island "
        "allows such texts on Saturday only from 10:00 am to 5:00 pm, the contact's local "
        "time; it is 5:30 pm there (Eastern time)."
    )


def test_a_miami_number_with_a_tokyo_lead_is_held_at_8_55_pm_eastern(worker_queue):
    lead = LeadFactory(time_zone="Asia/Tokyo")
    message = _send(MIAMI, datetime(2027, 1, 13, 20, 55, tzinfo=EASTERN), lead_id=lead.pk)
    # Florida's 8:00 am-8:00 pm in both zones overlaps from 6:00 pm Eastern (8:00 am in Tokyo).
    assert message.held_until == datetime(2027, 1, 14, 18, 0, tzinfo=EASTERN)
    assert "Florida allows such texts only from 8:00 am to 8:00 pm" in message.reason


def test_mississippi_counts_central_standard_time_in_summer_too(worker_queue):
    # 8:30 am CDT is 7:30 am Central Standard Time: Mississippi's statute names standard time.
    message = _send(MISSISSIPPI, datetime(2027, 7, 14, 8, 30, tzinfo=CENTRAL))
    assert message.held_until == datetime(2027, 7, 14, 9, 0, tzinfo=CENTRAL)
    assert "Mississippi allows such texts only from 8:00 am to 8:00 pm, Central Standard " in (
        message.reason
    )
    assert "it is 7:30 am by that clock" in message.reason


def test_the_compliance_doc_lists_every_row_with_its_source_and_what_is_unverified():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "compliance.md").read_text()
    for row in ROWS:
        lines = [line for line in doc.splitlines() if line.startswith("| ") and row.source in line]
        assert len(lines) == 1, row.key
        assert ("**unverified**" in lines[0]) is bool(row.unverified), row.key
