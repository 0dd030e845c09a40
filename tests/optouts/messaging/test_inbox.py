"""The possible-opt-out inbox's services: the contact's word kept, dismissal an admin's decision."""

from __future__ import annotations

import pytest

from optouts.messaging.inbox import possible_opt_out_confirm, possible_opt_out_dismiss
from optouts.messaging.models import PossibleOptOut
from optouts.messaging.services import inbound_message_receive
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import (
    ConsentNotPermitted,
    DismissReasonRequired,
    Outcome,
    phones_opt_in_by_admin,
)
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155550181"


@pytest.fixture
def item(db) -> PossibleOptOut:
    inbound_message_receive(
        message_sid="SMinbox", from_number=NUMBER, body="pls stop texting so early ok"
    )
    return PossibleOptOut.objects.get()


def test_an_agent_may_not_dismiss_and_nothing_is_written(agent_user, item):
    with pytest.raises(ConsentNotPermitted):
        possible_opt_out_dismiss(item_id=item.pk, actor=agent_user, reason="looks harmless")
    item.refresh_from_db()
    assert item.status == PossibleOptOut.Status.OPEN
    assert not ConsentEvent.objects.filter(action="revocation_dismissed").exists()


def test_a_dismissal_needs_a_reason(admin_user, item):
    with pytest.raises(DismissReasonRequired):
        possible_opt_out_dismiss(item_id=item.pk, actor=admin_user, reason="   ")
    item.refresh_from_db()
    assert item.status == PossibleOptOut.Status.OPEN


def test_a_confirmation_by_an_agent_is_the_contacts_opt_out_an_admin_cannot_undo(
    agent_user, admin_user, item
):
    result = possible_opt_out_confirm(item_id=item.pk, actor=agent_user)
    assert (result.outcome, result.source) == (Outcome.OPTED_OUT, Source.CONTACT)
    row = OptOut.objects.get()
    assert (row.channel, row.actor_id) == (Channel.SMS, agent_user.pk)
    (refused,) = phones_opt_in_by_admin(
        numbers=[NUMBER], user=admin_user, channel=Channel.UI, note="agent clicked by mistake"
    )
    assert refused.outcome == Outcome.REFUSED
    assert OptOut.objects.get().source == Source.CONTACT


def test_a_confirmation_upgrades_an_agent_opt_out_to_the_contacts(agent_user, item):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    possible_opt_out_confirm(item_id=item.pk, actor=agent_user)
    assert OptOut.objects.get().source == Source.CONTACT


def test_no_item_opens_over_a_contacts_opt_out(db):
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    inbound_message_receive(
        message_sid="SMagain", from_number=NUMBER, body="pls stop texting so early ok"
    )
    assert not PossibleOptOut.objects.exists()
