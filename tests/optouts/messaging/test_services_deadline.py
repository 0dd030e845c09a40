"""The revocation deadline sweep: undecided possible opt-outs become the contact's opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from optouts.messaging import inbox as messaging_inbox
from optouts.messaging.models import PossibleOptOut
from optouts.messaging.services import (
    inbound_message_receive,
    possible_opt_out_dismiss,
    possible_opt_outs_apply_overdue,
)
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")
NUMBER = "+14155550160"
OTHER = "+14155550161"


def eastern(*args) -> datetime:
    return datetime(*args, tzinfo=EASTERN)


# (received, deadline): the Wednesday before Thanksgiving and the Friday before Memorial Day.
HOLIDAY_WEEKENDS = [
    pytest.param(eastern(2026, 11, 25, 15, 0), eastern(2026, 12, 11), id="thanksgiving"),
    pytest.param(eastern(2026, 5, 22, 11, 0), eastern(2026, 6, 9), id="memorial-day"),
]


@pytest.fixture(autouse=True)
def _eastern_site(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 10


def flag(
    number: str, at: datetime, sid: str = "SMflag", body="Thanks, but please stop texting so early"
) -> int:
    with freeze_time(at):
        inbound_message_receive(message_sid=sid, from_number=number, body=body)
    return PossibleOptOut.objects.get(inbound__message_sid=sid).pk


def sweep_at(at: datetime):
    with freeze_time(at):
        return possible_opt_outs_apply_overdue()


@pytest.mark.parametrize(("received", "deadline"), HOLIDAY_WEEKENDS)
def test_an_undecided_item_is_applied_at_its_deadline_over_a_holiday_weekend_not_before(
    received, deadline
):
    item_id = flag(NUMBER, received)

    early = sweep_at(deadline - timedelta(minutes=1))
    assert early.applied == []
    assert PossibleOptOut.objects.get().status == PossibleOptOut.Status.OPEN
    assert not OptOut.objects.exists()

    sweep = sweep_at(deadline + timedelta(minutes=1))
    assert sweep.applied == [item_id]
    item = PossibleOptOut.objects.get()
    assert item.status == PossibleOptOut.Status.OPTED_OUT
    assert (item.resolved_by_system, item.resolved_by) == (True, None)
    assert item.resolved_at == deadline + timedelta(minutes=1)
    row = OptOut.objects.get()
    # The contact's words, by SMS: source contact whoever (or whatever) applies them.
    assert (row.phone_number, row.source, row.channel) == (NUMBER, Source.CONTACT, Channel.SMS)


def test_the_event_says_the_opt_out_was_applied_at_the_deadline():
    item_id = flag(NUMBER, eastern(2026, 11, 25, 15, 0), sid="SMthanks")
    sweep_at(eastern(2026, 12, 11, 0, 5))

    event = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_OUT)
    assert (event.action, event.source, event.channel, event.actor_id) == (
        ConsentEvent.Action.OPT_OUT,
        Source.CONTACT,
        Channel.SMS,
        None,
    )
    assert event.details == {
        "text": "Thanks, but please stop texting so early",
        "message_sid": "SMthanks",
        "possible_opt_out": item_id,
        "applied": "at_revocation_deadline",
        "deadline": eastern(2026, 12, 11).isoformat(),
        "note": "Not decided by its revocation deadline: applied as the contact's opt-out.",
    }


def test_a_decided_item_is_left_as_it_was_decided(admin_user):
    item_id = flag(NUMBER, eastern(2026, 11, 25, 15, 0))
    possible_opt_out_dismiss(item_id=item_id, actor=admin_user, reason="a branch visit")

    assert sweep_at(eastern(2027, 1, 5)).applied == []
    item = PossibleOptOut.objects.get()
    assert (item.status, item.resolved_by, item.resolved_by_system) == (
        PossibleOptOut.Status.DISMISSED,
        admin_user,
        False,
    )
    assert not OptOut.objects.exists()


def test_a_start_word_after_the_flagged_text_dismisses_it_at_once_without_an_opt_out():
    item_id = flag(NUMBER, eastern(2026, 11, 25, 15, 0))
    with freeze_time(eastern(2026, 11, 30, 10, 0)):
        inbound_message_receive(message_sid="SMstart", from_number=NUMBER, body="START")

    item = PossibleOptOut.objects.get()
    assert (item.status, item.resolved_by_system) == (PossibleOptOut.Status.DISMISSED, True)
    dismissed = ConsentEvent.objects.get(action=ConsentEvent.Action.REVOCATION_DISMISSED)
    assert (dismissed.actor_id, dismissed.details["possible_opt_out"]) == (None, item_id)
    sweep = sweep_at(eastern(2026, 12, 11, 0, 5))
    assert (sweep.applied, sweep.superseded) == ([], [])
    assert not OptOut.objects.exists()


def test_a_number_the_contact_stopped_since_keeps_its_one_event():
    flag(NUMBER, eastern(2026, 11, 25, 15, 0))
    given_opt_out(number=NUMBER, source=Source.CONTACT, details={"text": "STOP"})

    sweep = sweep_at(eastern(2026, 12, 11, 0, 5))

    assert len(sweep.applied) == 1
    assert PossibleOptOut.objects.get().status == PossibleOptOut.Status.OPTED_OUT
    # Already opted out as contact: no change, so no event beyond the pause and the STOP.
    assert ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_OUT).count() == 1


def test_an_agent_opt_out_is_upgraded_to_the_contacts_at_the_deadline():
    flag(NUMBER, eastern(2026, 11, 25, 15, 0))
    given_opt_out(number=NUMBER, source=Source.AGENT)

    sweep_at(eastern(2026, 12, 11, 0, 5))

    assert OptOut.objects.get().source == Source.CONTACT


def test_one_failing_item_is_left_open_and_does_not_hold_back_the_others(monkeypatch):
    bad = flag(NUMBER, eastern(2026, 11, 24, 15, 0), sid="SMbad")
    good = flag(OTHER, eastern(2026, 11, 25, 15, 0), sid="SMgood")
    real = messaging_inbox.phone_opt_out_by_contact

    def failing_for_one_number(*, number, **kwargs):
        if number == NUMBER:
            raise RuntimeError("the database said no")
        return real(number=number, **kwargs)

    monkeypatch.setattr(messaging_inbox, "phone_opt_out_by_contact", failing_for_one_number)
    sweep = sweep_at(eastern(2026, 12, 11, 0, 5))

    assert (sweep.applied, sweep.failed) == ([good], [bad])
    assert PossibleOptOut.objects.get(pk=bad).status == PossibleOptOut.Status.OPEN
    assert list(OptOut.objects.values_list("phone_number", flat=True)) == [OTHER]

    monkeypatch.setattr(messaging_inbox, "phone_opt_out_by_contact", real)
    assert sweep_at(eastern(2026, 12, 11, 0, 10)).applied == [bad]  # the next sweep retries


def test_the_command_sweeps_once_and_says_what_it_did():
    flag(NUMBER, eastern(2026, 11, 25, 15, 0))
    out = StringIO()
    with freeze_time(datetime(2026, 12, 11, 6, 0, tzinfo=UTC)):
        call_command("sms_revocation_deadlines", stdout=out)
    assert "Opted out at the deadline: 1;" in out.getvalue()
    assert OptOut.objects.get().source == Source.CONTACT
