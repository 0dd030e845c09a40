"""Status callbacks that are news only once, and unreachable numbers held off the list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from optouts.messaging.models import (
    MessageStatus,
    OutboundMessage,
    ReasonCode,
    StatusCallbackEvent,
    UnreachableHold,
)
from optouts.messaging.services import SendRefused, inbound_message_receive, message_send
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import phone_opt_in_by_contact, phones_opt_in_by_admin
from tests.factories import given_opt_out
from tests.optouts.messaging.twilio_webhooks import STATUS, message_sid, status_form

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"


@pytest.fixture(autouse=True)
def _policy(settings):
    settings.SMS_UNREACHABLE_FAILURES = 3
    settings.SMS_UNREACHABLE_DAYS = 7
    settings.SMS_UNREACHABLE_RETRY_DAYS = 30


def _sent(number: str = NUMBER) -> str:
    message = message_send(to=number, body="Your rate quote is ready.")
    sid = message_sid(0xD000 + message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(provider_id=sid)
    return sid


@pytest.fixture
def callback(twilio_post):
    def post(sid, status="undelivered", error_code="", to=NUMBER):
        form = status_form(sid=sid, status=status, to=to, error_code=error_code)
        assert twilio_post(STATUS, form).status_code == 204
        return StatusCallbackEvent.objects.order_by("-id").first()

    return post


# --- De-duplication and order -------------------------------------------------------------------


def test_the_same_callback_twice_is_applied_once(callback):
    sid = _sent()
    first = callback(sid, error_code="21610")
    again = callback(sid, error_code="21610")
    assert (first.action, again.action) == ("system_opt_out", "duplicate")
    assert ConsentEvent.objects.filter(action="opt_out").count() == 1


def test_a_replayed_opt_out_callback_after_the_contacts_start_does_not_reblock(callback):
    sid = _sent()
    callback(sid, error_code="21610")
    with freeze_time(timezone.now() + timedelta(minutes=5)):
        phone_opt_in_by_contact(number=NUMBER, details={"text": "START"})
    # The provider delivers the callback of the old message again, with a new status text.
    with freeze_time(timezone.now() + timedelta(minutes=10)):
        replay = callback(sid, status="failed", error_code="21610")
    assert replay.action == "stale"
    assert not OptOut.objects.exists()
    assert message_send(to=NUMBER, body="Welcome back").status == MessageStatus.SENT


def test_a_late_callback_of_a_message_sent_before_an_admin_opt_in_does_not_reblock(
    callback, admin_user
):
    sid = _sent()
    with freeze_time(timezone.now() + timedelta(minutes=1)):
        given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
        phones_opt_in_by_admin(
            numbers=[NUMBER], user=admin_user, channel=Channel.UI, note="asked by phone"
        )
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        assert callback(sid, error_code="30006").action == "stale"
    assert not OptOut.objects.exists()


def test_a_callback_for_a_message_sent_after_the_opt_in_still_opts_out(callback):
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    with freeze_time(timezone.now() + timedelta(minutes=1)):
        phone_opt_in_by_contact(number=NUMBER, details={"text": "START"})
    with freeze_time(timezone.now() + timedelta(minutes=2)):
        sid = _sent()
        assert callback(sid, error_code="21610").action == "system_opt_out"
    assert OptOut.objects.get().source == Source.SYSTEM


# --- Unreachable: a hold, never an opt-out -------------------------------------------------------


def test_one_unreachable_failure_is_counted_and_texts_still_go(callback):
    event = callback(_sent(), error_code="30003")
    assert event.action == "unreachable"
    assert not OptOut.objects.exists()
    assert not UnreachableHold.objects.exists()
    assert message_send(to=NUMBER, body="Trying again").status == MessageStatus.SENT


def test_repeated_unreachable_failures_hold_the_number_off_the_list(callback):
    actions = [callback(_sent(), error_code="30003").action for _ in range(3)]
    assert actions == ["unreachable", "unreachable", "unreachable_hold"]
    # Not an opt-out: the list is untouched, and the history says what happened.
    assert not OptOut.objects.exists()
    hold = UnreachableHold.objects.get()
    assert len(hold.failures) == 3
    (event,) = ConsentEvent.objects.filter(phone_number=NUMBER)
    assert (event.action, event.source, event.channel) == ("unreachable_hold", "", "carrier")
    with pytest.raises(SendRefused) as refused:
        message_send(to=NUMBER, body="Hello?")
    assert refused.value.code == ReasonCode.UNREACHABLE
    assert "could not reach (415) 555-0177 3 times" in refused.value.message.reason


def test_failures_older_than_the_window_do_not_count(callback):
    start = timezone.now()
    with freeze_time(start):
        callback(_sent(), error_code="30003")
        callback(_sent(), error_code="30003")
    with freeze_time(start + timedelta(days=8)):
        assert callback(_sent(), error_code="30003").action == "unreachable"
    assert not UnreachableHold.objects.exists()


def test_a_text_from_the_number_lifts_the_hold(callback):
    for _ in range(3):
        callback(_sent(), error_code="30003")
    inbound_message_receive(message_sid="SMhello", from_number=NUMBER, body="Hi, got a new phone")
    assert not UnreachableHold.objects.exists()
    assert ConsentEvent.objects.filter(action="unreachable_cleared").count() == 1
    assert message_send(to=NUMBER, body="Welcome").status == MessageStatus.SENT


def test_after_the_retry_period_a_delivered_text_lifts_the_hold(callback):
    start = timezone.now()
    with freeze_time(start):
        for _ in range(3):
            callback(_sent(), error_code="30003")
    with freeze_time(start + timedelta(days=31)):
        sid = _sent()  # the guard lets the retry through
        callback(sid, status="delivered")
    assert not UnreachableHold.objects.exists()


def test_a_failed_retry_renews_the_hold(callback):
    start = timezone.now()
    with freeze_time(start):
        for _ in range(3):
            callback(_sent(), error_code="30003")
    with freeze_time(start + timedelta(days=31)):
        assert callback(_sent(), error_code="30003").action == "unreachable_hold"
        with pytest.raises(SendRefused):
            message_send(to=NUMBER, body="again")


def test_a_contacts_stop_still_wins_over_a_hold(callback):
    for _ in range(3):
        callback(_sent(), error_code="30003")
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    with pytest.raises(SendRefused) as refused:
        message_send(to=NUMBER, body="x")
    assert refused.value.code == ReasonCode.RECIPIENT_OPTED_OUT


# --- The page ------------------------------------------------------------------------------------

HOLDS = "/admin/optouts/unreachablehold/"


def test_agents_see_held_numbers_and_cannot_lift_them(callback, agent_client):
    for _ in range(3):
        callback(_sent(), error_code="30003")
    page = agent_client.get(HOLDS)
    assert page.status_code == 200
    assert "(415) 555-0177" in page.content.decode()
    hold = UnreachableHold.objects.get()
    agent_client.post(HOLDS, {"action": "lift_holds", "_selected_action": [hold.pk]})
    assert UnreachableHold.objects.exists()


def test_an_admin_lifts_a_hold_with_an_event_naming_them(callback, admin_client, admin_user):
    for _ in range(3):
        callback(_sent(), error_code="30003")
    hold = UnreachableHold.objects.get()
    admin_client.post(HOLDS, {"action": "lift_holds", "_selected_action": [hold.pk]})
    assert not UnreachableHold.objects.exists()
    event = ConsentEvent.objects.get(action="unreachable_cleared")
    assert (event.actor_id, event.details["why"]) == (admin_user.pk, "admin")


def test_only_an_admin_may_lift_a_hold_through_the_service(callback, agent_user):
    from django.db import transaction

    from optouts.messaging.reachability import phone_unreachable_lift
    from optouts.services import ConsentNotPermitted

    for _ in range(3):
        callback(_sent(), error_code="30003")
    with pytest.raises(ConsentNotPermitted), transaction.atomic():
        phone_unreachable_lift(number=NUMBER, why="admin", user=agent_user)
    assert UnreachableHold.objects.exists()
