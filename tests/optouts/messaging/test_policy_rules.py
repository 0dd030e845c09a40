"""The send policy's rules table, row by row, through the real send.

Each row: a number, the recipient's local time the clock is frozen at, and whether a text may go.
Numbers in Eastern, Pacific and Hawaii time follow the federal window (8:00-21:00); a Florida
area code follows Florida's (8:00-20:00); an area code in two zones (605, South Dakota: Mountain
and Central) follows the most restrictive: open only when it is open in both. Every row runs on a
summer and a winter day, so daylight saving time (which Hawaii does not keep) is covered.
The sends here are refused rather than held (SMS_QUIET_HOURS_ACTION=refuse) so that each row is
one answer; holding is tested in test_policy_send.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry, ReasonCode
from optouts.messaging.policy import number_placement, send_rules_for
from optouts.messaging.services import SendRefused, message_send

pytestmark = [pytest.mark.django_db, pytest.mark.send_window]

EASTERN = "+12125550100"  # New York, NY
PACIFIC = "+14155550177"  # San Francisco, CA
HAWAII = "+18085550100"
FLORIDA = "+13055550100"  # Miami area code 305
TWO_ZONES = "+16055550100"  # South Dakota: America/Denver and America/North_Dakota/Center

NEW_YORK, LOS_ANGELES, HONOLULU = "America/New_York", "America/Los_Angeles", "Pacific/Honolulu"
DENVER, CENTRAL = "America/Denver", "America/North_Dakota/Center"

DAYS = [date(2026, 7, 15), date(2026, 1, 14)]  # a summer and a winter Wednesday

OPEN, CLOSED = True, False

# (number, the zone whose local time the clock shows, local time, may a text go now?)
ROWS = [
    # Federal window, 8:00-21:00: 21:00 itself is outside (texts must arrive before 21:00).
    *[
        (number, zone, clock, expected)
        for number, zone in [(EASTERN, NEW_YORK), (PACIFIC, LOS_ANGELES), (HAWAII, HONOLULU)]
        for clock, expected in [
            ("07:59", CLOSED),
            ("08:00", OPEN),
            ("20:00", OPEN),
            ("20:59", OPEN),
            ("21:00", CLOSED),
        ]
    ],
    # Florida, 8:00-20:00 (Fla. Stat. 501.616(6)).
    (FLORIDA, NEW_YORK, "07:59", CLOSED),
    (FLORIDA, NEW_YORK, "08:00", OPEN),
    (FLORIDA, NEW_YORK, "20:00", CLOSED),
    (FLORIDA, NEW_YORK, "20:59", CLOSED),
    (FLORIDA, NEW_YORK, "21:00", CLOSED),
    # Two zones, Central one hour ahead of Mountain: 8:00 Central is 7:00 Mountain (closed), 20:59
    # Mountain is 21:59 Central (closed).
    (TWO_ZONES, CENTRAL, "07:59", CLOSED),
    (TWO_ZONES, CENTRAL, "08:00", CLOSED),
    (TWO_ZONES, CENTRAL, "20:00", OPEN),
    (TWO_ZONES, CENTRAL, "20:59", OPEN),
    (TWO_ZONES, CENTRAL, "21:00", CLOSED),
    (TWO_ZONES, DENVER, "07:59", CLOSED),
    (TWO_ZONES, DENVER, "08:00", OPEN),
    (TWO_ZONES, DENVER, "20:00", CLOSED),
    (TWO_ZONES, DENVER, "20:59", CLOSED),
    (TWO_ZONES, DENVER, "21:00", CLOSED),
]


def local_instant(day: date, zone: str, clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo(zone))


@pytest.fixture(autouse=True)
def _refuse_outside_hours(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}


def test_the_numbers_are_placed_where_the_rows_say():
    assert number_placement(EASTERN).zones == (NEW_YORK,)
    assert number_placement(PACIFIC).zones == (LOS_ANGELES,)
    assert number_placement(HAWAII).zones == (HONOLULU,)
    assert (number_placement(FLORIDA).zones, number_placement(FLORIDA).state) == ((NEW_YORK,), "FL")
    assert set(number_placement(TWO_ZONES).zones) == {DENVER, CENTRAL}


@pytest.mark.parametrize("day", DAYS, ids=["summer", "winter"])
@pytest.mark.parametrize(
    ("number", "zone", "clock", "may_send"),
    ROWS,
    ids=[f"{n}-{z.split('/')[-1]}-{c}" for n, z, c, _ in ROWS],
)
def test_quiet_hours_table(number, zone, clock, may_send, day):
    with freeze_time(local_instant(day, zone, clock)):
        if may_send:
            message = message_send(to=number, body="Your rate quote is ready.")
            assert message.status == MessageStatus.SENT
            assert OutboxEntry.objects.count() == 1
            return
        with pytest.raises(SendRefused) as refused:
            message_send(to=number, body="Your rate quote is ready.")
    assert refused.value.code == ReasonCode.QUIET_HOURS
    message = OutboundMessage.objects.get()
    assert (message.status, message.reason_code) == (MessageStatus.REFUSED, "quiet_hours")
    assert " only from " in message.reason and message.reason.endswith("Nothing was sent.")
    assert not OutboxEntry.objects.exists()


def _sent_at(moment: datetime) -> None:
    with freeze_time(moment):
        assert message_send(to=FLORIDA, body="Following up").status == MessageStatus.SENT


def test_the_fourth_text_in_24_hours_to_a_florida_number_is_refused():
    day = DAYS[0]
    for clock in ("09:00", "12:00", "15:00"):
        _sent_at(local_instant(day, NEW_YORK, clock))
    with freeze_time(local_instant(day, NEW_YORK, "19:59")), pytest.raises(SendRefused) as refused:
        message_send(to=FLORIDA, body="One more thing")
    assert refused.value.code == ReasonCode.FREQUENCY_CAP
    fourth = OutboundMessage.objects.order_by("-id").first()
    assert (fourth.status, fourth.reason_code) == (MessageStatus.REFUSED, "frequency_cap")
    assert (
        "sent 3 messages in the last 24 hours; the most allowed is 3 (set by Florida)"
        in fourth.reason
    )
    assert OutboxEntry.objects.count() == 3


def test_the_cap_counts_a_rolling_24_hours():
    first = local_instant(DAYS[0], NEW_YORK, "09:00")
    for hours in (0, 1, 2):
        _sent_at(first + timedelta(hours=hours))
    with freeze_time(first + timedelta(hours=23, minutes=59)), pytest.raises(SendRefused):
        message_send(to=FLORIDA, body="Too soon")
    # 24 hours after the first one it no longer counts: one slot is free again.
    _sent_at(first + timedelta(hours=24))
    with freeze_time(first + timedelta(hours=24, minutes=1)), pytest.raises(SendRefused):
        message_send(to=FLORIDA, body="Still capped")


@pytest.mark.parametrize("number", [EASTERN, PACIFIC, HAWAII, TWO_ZONES])
def test_numbers_outside_the_capped_states_have_no_cap(number):
    assert send_rules_for(number=number).daily_cap is None
    noon = local_instant(DAYS[0], DENVER if number == TWO_ZONES else NEW_YORK, "14:00")
    for minutes in range(5):
        with freeze_time(noon + timedelta(minutes=minutes)):
            assert message_send(to=number, body="Update").status == MessageStatus.SENT


@pytest.mark.parametrize(
    ("number", "state"),
    [("+14055550100", "Oklahoma"), ("+14105550100", "Maryland"), (FLORIDA, "Florida")],
)
def test_each_capped_state_row_applies_to_its_area_codes(number, state):
    rules = send_rules_for(number=number)
    assert (rules.start, rules.end, rules.daily_cap) == (time(8), time(20), 3)
    assert rules.window_basis == rules.cap_basis == state


def test_every_us_area_code_resolves_to_a_state():
    # The geocoder says "Florida" for some area codes and "Tallahassee, FL" for some exchanges,
    # and spells two states its own way: a spelling the policy does not read would silently
    # drop that state's row.
    import phonenumbers
    from phonenumbers.tzdata import TIMEZONE_DATA

    from optouts.messaging.policy_rules import US_STATES

    found, unread = set(), []
    for area in sorted({key[1:4] for key in TIMEZONE_DATA if key.startswith("1") and len(key) > 3}):
        number = f"+1{area}2223333"
        numobj = phonenumbers.parse(number)
        if phonenumbers.region_code_for_number(numobj) != "US":
            continue
        state = number_placement(number).state
        found.add(state)
        if not state:
            unread.append(number)
    assert unread == []
    assert found == set(US_STATES)
