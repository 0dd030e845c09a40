"""optouts.services.optouts_backdated_write: back-dated opt-outs in bulk, written as every
opt-out is (docs/rules.md)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from optouts.evidence.selectors import chains_verify_all
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import (
    BackdatedOptOut,
    optout_rollup_live,
    optouts_backdated_write,
    phones_opt_out_by_staff,
)
from tests.factories import LeadFactory, given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db

A, B, C = "+14155550101", "+14155550102", "+14155550103"

# What differs between two numbers' rows and events however they were written.
_ROW_OWN = {"id", "phone_number"}
_EVENT_OWN = {"id", "phone_number", "chain_hash"}


def _row(number):
    return {
        k: v
        for k, v in OptOut.objects.filter(phone_number=number).values().get().items()
        if k not in _ROW_OWN
    }


def _event(number):
    return {
        k: v
        for k, v in ConsentEvent.objects.filter(phone_number=number).values().get().items()
        if k not in _EVENT_OWN
    }


def test_a_backdated_opt_out_is_written_as_the_staff_service_writes_one(admin_user):
    lead = LeadFactory()
    when = timezone.now() - timedelta(days=40)
    with freeze_time(when):
        phones_opt_out_by_staff(
            numbers=[A], user=admin_user, channel=Channel.UI, lead=lead.ref, note="called in"
        )

    written = optouts_backdated_write(
        entries=[
            BackdatedOptOut(
                number=B,
                source=Source.AGENT,
                channel=Channel.UI,
                at=when,
                actor=admin_user,
                lead=lead.ref,
            )
        ],
        note="called in",
    )

    assert written == 1
    assert _row(B) == _row(A)
    assert _event(B) == _event(A)
    assert _event(B)["details"] == {"note": "called in"}


def test_backdated_opt_outs_are_counted_in_the_rollup_on_their_own_days():
    now = timezone.now()
    entries = [
        BackdatedOptOut(number=A, source=Source.CONTACT, channel=Channel.KEYWORD, at=now),
        BackdatedOptOut(
            number=B, source=Source.SYSTEM, channel=Channel.CARRIER, at=now - timedelta(days=90)
        ),
    ]

    optouts_backdated_write(entries=entries)

    assert optout_rollup_live() == {
        (timezone.localdate(now), Source.CONTACT): 1,
        (timezone.localdate(now - timedelta(days=90)), Source.SYSTEM): 1,
    }
    from optouts.models import OptOutDay

    stored = {(r.day, r.source): r.count for r in OptOutDay.objects.all() if r.count}
    assert stored == optout_rollup_live()


def test_backdated_events_are_chained_and_replay_to_the_list():
    when = timezone.now() - timedelta(days=3)
    optouts_backdated_write(
        entries=[
            BackdatedOptOut(
                number=n,
                source=Source.CONTACT,
                channel=Channel.KEYWORD,
                at=when,
                details={"keyword": "STOP"},
            )
            for n in (A, B)
        ]
    )

    survey = chains_verify_all()
    assert (survey.numbers, survey.events, survey.ok) == (2, 2, True)
    assert all(e.chain_hash for e in ConsentEvent.objects.all())
    assert ConsentEvent.objects.get(phone_number=A).details == {"keyword": "STOP"}


def test_numbers_with_any_history_and_repeats_are_skipped(admin_user):
    given_opt_out(number=A, source=Source.CONTACT)
    given_opt_out(number=B, actor=admin_user)
    given_opt_in(number=B, actor=admin_user)  # opted in: not on the list, but has history
    events = ConsentEvent.objects.count()
    when = timezone.now() - timedelta(days=1)

    written = optouts_backdated_write(
        entries=[
            BackdatedOptOut(number=n, source=Source.AGENT, channel=Channel.UI, at=when)
            for n in (A, B, C, C)
        ]
    )

    assert written == 1
    assert dict(OptOut.objects.values_list("phone_number", "source")) == {
        A: Source.CONTACT,
        C: Source.AGENT,
    }
    assert ConsentEvent.objects.count() == events + 1
