"""The send policy in the send path: holding, release through the task worker, the re-checks at
release, the lead's state and time zone (which only narrow), and what counts toward a cap."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from freezegun import freeze_time

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry, ReasonCode
from optouts.messaging.policy_rules import FEDERAL
from optouts.messaging.policy_window import opens_at
from optouts.messaging.services import SendRefused, message_deliver, message_send
from optouts.models import Channel, Source
from tests.factories import LeadFactory, given_opt_out

pytestmark = [pytest.mark.django_db, pytest.mark.send_window]

FLORIDA = "+13055550100"
EASTERN = "+12125550100"
TWO_ZONES = "+16055550100"  # Mountain and Central
TOLL_FREE = "+18005550100"
NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 7, 15)


def at(clock: str, zone: ZoneInfo = NEW_YORK, day: date = DAY) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone)


@pytest.fixture
def worker_queue(settings):
    """The database task backend: enqueued tasks wait for a worker (they can be deferred)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_send_outside_the_window_is_held_until_the_next_allowed_minute(worker_queue):
    with freeze_time(at("20:30")):
        message = message_send(to=FLORIDA, body="Your rate quote is ready.")
    next_morning = at("08:00", day=DAY + timedelta(days=1))
    assert (message.status, message.reason_code) == (MessageStatus.HELD, ReasonCode.QUIET_HOURS)
    assert message.held_until == next_morning
    assert message.reason == (
        "Held until 8:00 am tomorrow (Thursday 16 Jul), the contact's local time (Eastern time): "
        "Florida allows such texts only from 8:00 am to 8:00 pm, the contact's local time; it "
        "is 8:30 pm there (Eastern time)."
    )
    task = DBTaskResult.objects.get()
    assert task.run_after == next_morning
    assert task.args_kwargs["kwargs"] == {"message_id": message.pk}
    assert not OutboxEntry.objects.exists()


def test_before_the_window_opens_it_is_held_until_the_same_morning(worker_queue):
    with freeze_time(at("07:59")):
        message = message_send(to=EASTERN, body="Good morning")
    assert message.held_until == at("08:00")


def test_a_number_in_two_zones_waits_until_the_window_is_open_in_both(worker_queue):
    central = ZoneInfo("America/North_Dakota/Center")
    with freeze_time(at("08:00", central)):
        message = message_send(to=TWO_ZONES, body="Hello")
    # 8:00 Central is 7:00 Mountain: it goes at 8:00 Mountain, 9:00 Central.
    assert message.held_until == at("08:00", ZoneInfo("America/Denver"))
    assert message.held_until == at("09:00", central)


def test_a_number_with_no_known_zone_gets_the_overlap_of_every_us_zone(worker_queue):
    # 14:00 in New York is 8:00 in Honolulu in July (no daylight saving time there).
    with freeze_time(at("13:59")):
        message = message_send(to=TOLL_FREE, body="Hello")
    assert message.held_until == at("14:00")
    with freeze_time(at("14:00")):
        assert message_send(to=TOLL_FREE, body="Hello").status == MessageStatus.QUEUED


def test_the_window_search_gives_up_when_no_hour_is_open_everywhere():
    # Three zones about 8 hours apart: no 13-hour window is open in all three at once.
    now = at("12:00")
    apart = ("America/Los_Angeles", "Europe/London", "Asia/Singapore")
    assert opens_at([(zone, FEDERAL) for zone in apart], now) is None
    assert opens_at([], now) is None
    assert opens_at([("America/New_York", FEDERAL)], now) == now


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_sends_a_held_message_at_its_time_and_not_before(worker_queue):
    with freeze_time(at("20:30")):
        message = message_send(to=FLORIDA, body="Your rate quote is ready.")
    with freeze_time(at("07:59", day=DAY + timedelta(days=1))):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    message.refresh_from_db()
    assert message.status == MessageStatus.HELD
    with freeze_time(at("08:00", day=DAY + timedelta(days=1))):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    message.refresh_from_db()
    assert (message.status, message.reason_code, message.held_until) == (
        MessageStatus.SENT,
        "",
        None,
    )
    assert message.sent_at == at("08:00", day=DAY + timedelta(days=1))
    assert OutboxEntry.objects.get().message_id == message.pk


def test_a_held_message_is_checked_against_the_list_again_when_released(worker_queue):
    with freeze_time(at("21:30")):
        message = message_send(to=EASTERN, body="Hello")
    given_opt_out(number=EASTERN, source=Source.CONTACT, channel=Channel.KEYWORD)
    with freeze_time(message.held_until):
        released = message_deliver(message_id=message.pk)
    assert (released.status, released.reason_code) == (
        MessageStatus.BLOCKED,
        ReasonCode.RECIPIENT_OPTED_OUT,
    )
    assert released.held_until is None
    assert not OutboxEntry.objects.exists()


def test_a_held_message_is_refused_at_release_when_the_cap_filled_up_meanwhile(worker_queue):
    with freeze_time(at("20:30")):
        held = message_send(to=FLORIDA, body="Tomorrow then")
    morning = held.held_until
    for minutes in (1, 2, 3):
        # Three others went first (a message sent at once, then delivered by the worker).
        with freeze_time(morning + timedelta(minutes=minutes)):
            other = message_send(to=FLORIDA, body=f"Other {minutes}")
            assert message_deliver(message_id=other.pk).status == MessageStatus.SENT
    with freeze_time(morning + timedelta(minutes=5)):
        released = message_deliver(message_id=held.pk)
    assert (released.status, released.reason_code) == (
        MessageStatus.REFUSED,
        ReasonCode.FREQUENCY_CAP,
    )
    assert OutboxEntry.objects.count() == 3


def test_a_held_message_whose_task_runs_early_is_held_again_not_sent(worker_queue):
    with freeze_time(at("20:30")):
        message = message_send(to=FLORIDA, body="Hello")
    with freeze_time(at("23:00")):
        again = message_deliver(message_id=message.pk)
    assert (again.status, again.held_until) == (MessageStatus.HELD, message.held_until)
    assert DBTaskResult.objects.count() == 2  # a fresh task for the same minute
    assert not OutboxEntry.objects.exists()


def test_with_quiet_hours_set_to_refuse_nothing_is_held(worker_queue, settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    with freeze_time(at("21:00")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello")
    assert refused.value.code == ReasonCode.QUIET_HOURS
    message = OutboundMessage.objects.get()
    assert (message.status, message.held_until) == (MessageStatus.REFUSED, None)
    assert message.reason.endswith("Nothing was sent.")
    assert not DBTaskResult.objects.exists()


def test_with_a_task_backend_that_cannot_wait_a_quiet_hours_send_is_refused():
    # tests/optouts/messaging/conftest.py: the immediate backend, which cannot defer a task.
    with freeze_time(at("22:00")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello")
    assert refused.value.code == ReasonCode.QUIET_HOURS
    assert OutboundMessage.objects.get().status == MessageStatus.REFUSED


# --- The lead's time zone and state --------------------------------------------------------------


def test_the_lead_time_zone_narrows_the_area_codes_never_replaces_them(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    lead = LeadFactory(time_zone="America/Los_Angeles")
    # A New York number, a lead in California: 10:00 in New York is 7:00 where the lead is.
    with freeze_time(at("10:00")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    assert "it is 7:00 am there (Pacific time)" in refused.value.message.reason
    # 23:30 in New York is 20:30 in California: the lead's zone does not reopen New York's night.
    with freeze_time(at("23:30")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    assert "it is 11:30 pm there (Eastern time)" in refused.value.message.reason
    # 11:00 in New York is 8:00 in California: open in both.
    with freeze_time(at("11:00")):
        assert message_send(to=EASTERN, body="Hello", lead_id=lead.pk).status == MessageStatus.SENT


def test_a_miami_number_with_a_pacific_lead_is_held_at_8_30_pm_eastern(worker_queue):
    lead = LeadFactory(time_zone="America/Los_Angeles")
    with freeze_time(at("20:30")):
        message = message_send(to=FLORIDA, body="Your rate quote is ready.", lead_id=lead.pk)
    # Florida's 8:00 am-8:00 pm holds in both zones: 8:00 am Pacific, 11:00 am Eastern.
    assert (message.status, message.held_until) == (
        MessageStatus.HELD,
        at("11:00", day=DAY + timedelta(days=1)),
    )
    assert "Florida allows such texts only from 8:00 am to 8:00 pm" in message.reason
    assert (
        "Held until 11:00 am tomorrow (Thursday 16 Jul), Eastern time (8:00 am Pacific time)"
        in (message.reason)
    )


def test_a_california_number_whose_lead_says_new_york_is_held_at_7_30_pacific(worker_queue):
    pacific = ZoneInfo("America/Los_Angeles")
    lead = LeadFactory(time_zone="America/New_York", state="NY")
    with freeze_time(at("07:30", pacific)):
        message = message_send(to="+14155550177", body="Good morning", lead_id=lead.pk)
    assert (message.status, message.held_until) == (MessageStatus.HELD, at("08:00", pacific))
    assert "it is 7:30 am there (Pacific time)" in message.reason


def test_a_lead_state_adds_that_states_zones(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    # A New York number, a lead in Texas (Central and Mountain): Texas opens at 9:00 Mountain.
    lead = LeadFactory(state="TX")
    with freeze_time(at("10:30")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    assert "Texas allows such texts only from 9:00 am to 9:00 pm" in refused.value.message.reason
    assert "it is 8:30 am there (Mountain time)" in refused.value.message.reason
    with freeze_time(at("11:00")):
        assert message_send(to=EASTERN, body="Hello", lead_id=lead.pk).status == MessageStatus.SENT


def test_the_lead_state_adds_its_rules_to_any_number(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    lead = LeadFactory(state="FL")
    with freeze_time(at("20:30")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    assert "Florida allows such texts only from 8:00 am to 8:00 pm" in refused.value.message.reason
    for minutes in range(3):
        with freeze_time(at("12:00") + timedelta(minutes=minutes)):
            message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    with freeze_time(at("13:00")), pytest.raises(SendRefused) as capped:
        message_send(to=EASTERN, body="Hello", lead_id=lead.pk)
    assert capped.value.code == ReasonCode.FREQUENCY_CAP


def test_the_lead_state_never_removes_the_area_codes_rules(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    lead = LeadFactory(state="NY")
    with freeze_time(at("20:30")), pytest.raises(SendRefused) as refused:
        message_send(to=FLORIDA, body="Hello", lead_id=lead.pk)
    assert refused.value.message.reason.startswith("Florida allows such texts only")


# --- What counts toward a cap --------------------------------------------------------------------


def test_only_messages_that_left_count_toward_the_cap():
    noon = at("12:00")
    for status in (MessageStatus.FAILED, MessageStatus.BLOCKED, MessageStatus.REFUSED):
        OutboundMessage.objects.create(
            to_number=FLORIDA,
            body="x",
            status=status,
            created_at=noon,
            status_changed_at=noon,
            sent_at=noon if status == MessageStatus.FAILED else None,
        )
    delivered = dict(to_number=FLORIDA, body="x", created_at=noon, status_changed_at=noon)
    OutboundMessage.objects.create(status=MessageStatus.DELIVERED, sent_at=noon, **delivered)
    OutboundMessage.objects.create(status=MessageStatus.SENT, sent_at=noon, **delivered)
    with freeze_time(at("13:00")):
        assert message_send(to=FLORIDA, body="Third").status == MessageStatus.SENT
        with pytest.raises(SendRefused):
            message_send(to=FLORIDA, body="Fourth")


def test_the_cap_is_per_number():
    for number in ("+13055550101", "+13055550102"):
        for minutes in range(3):
            with freeze_time(at("12:00") + timedelta(minutes=minutes)):
                assert message_send(to=number, body="Hi").status == MessageStatus.SENT
    assert OutboxEntry.objects.count() == 6
