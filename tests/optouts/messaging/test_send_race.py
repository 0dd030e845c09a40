"""The send guard racing an opt-out of the same number (PostgreSQL, two real connections).

A send is two steps: `message_send` records the message (and looks at the list early, without a
lock, only to answer the caller at once), then `message_deliver` (the task) takes the number's
advisory lock shared, re-reads the list and reserves the message (`sending`), commits, re-checks
and calls the provider outside the lock. No row lock is involved (the opt-out and the message are
different rows), so the advisory lock is the only guard the interleaving tests can see: without
it the send is reserved under an opt-out that is about to commit, and they fail
(tests/optouts/test_race_meta.py runs them with `VELOCIFY_TEST_LOCKS=off`). An opt-out never
waits for the provider: one that commits during the call is recorded on the message.
"""

from __future__ import annotations

import pytest
from django.db import connection

from optouts.messaging.backends.local import LocalBackend
from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry
from optouts.messaging.services import RecipientOptedOut, message_send
from optouts.models import Source
from optouts.services import Outcome, phone_opt_out_by_contact
from tests.optouts.interleaving import (
    Gate,
    wait_until_blocked_on_number_lock,
)
from tests.optouts.rules_oracle import assert_list_agrees_with_log

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("consent_locks"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks and real concurrency need PG"
    ),
]

NUMBER = "+14155550300"


class GatedBackend(LocalBackend):
    """The local outbox, stopping at `GatedBackend.gate` (if set) in the middle of the hand-off;
    `calls` lists every number handed off."""

    gate: Gate | None = None
    calls: list[str] = []

    def send(self, message):
        type(self).calls.append(message.to_number)
        if type(self).gate is not None:
            type(self).gate.stop_here()
        return super().send(message)


@pytest.fixture
def gated_backend(settings):
    settings.SMS_BACKEND = f"{GatedBackend.__module__}.GatedBackend"
    GatedBackend.gate, GatedBackend.calls = None, []
    yield GatedBackend
    GatedBackend.gate, GatedBackend.calls = None, []


def _stop():
    return phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP"})


@pytest.mark.interleaving
def test_a_send_waits_for_an_opt_out_being_committed_and_is_blocked(interleaving, gated_backend):
    _, commit = interleaving.hold_commit("A", _stop)
    # B's early look at the list cannot see A's uncommitted row, so B goes on to the guard.
    send = interleaving.start("B", lambda: message_send(to=NUMBER, body="Rate update"))

    wait_until_blocked_on_number_lock(send, NUMBER)
    commit.open()

    with pytest.raises(RecipientOptedOut):
        send.join()
    message = OutboundMessage.objects.get()
    assert (message.status, message.blocked_source) == (MessageStatus.BLOCKED, Source.CONTACT)
    assert gated_backend.calls == []
    assert not OutboxEntry.objects.exists()
    assert_list_agrees_with_log(numbers=[NUMBER])


def test_an_opt_out_does_not_wait_for_a_slow_provider_and_is_recorded_on_the_message(
    interleaving, gated_backend
):
    gated_backend.gate = hand_off = interleaving.gate("A in the provider hand-off")
    send = interleaving.start("A", lambda: message_send(to=NUMBER, body="Rate update"))
    hand_off.wait_reached()

    # The provider call holds no lock and no transaction: the STOP commits at once.
    assert _stop().outcome == Outcome.OPTED_OUT
    hand_off.open()

    message = send.join()
    assert message.status == MessageStatus.SENT
    assert "while this message was being handed to the provider" in message.reason
    assert gated_backend.calls == [NUMBER]
    # Nothing after it goes.
    with pytest.raises(RecipientOptedOut):
        message_send(to=NUMBER, body="Another")
    assert gated_backend.calls == [NUMBER]
    assert_list_agrees_with_log(numbers=[NUMBER])


@pytest.mark.interleaving
def test_a_send_waits_for_a_pending_revocation_being_committed_and_is_blocked(
    interleaving, gated_backend
):
    from optouts.messaging.models import ReasonCode
    from optouts.messaging.services import SendRefused, inbound_message_receive

    _, commit = interleaving.hold_commit(
        "A",
        lambda: inbound_message_receive(
            message_sid="SM" + "a" * 32,
            from_number=NUMBER,
            body="Thanks, but please stop texting so early",
        ),
    )
    send = interleaving.start("B", lambda: message_send(to=NUMBER, body="Rate update"))

    wait_until_blocked_on_number_lock(send, NUMBER)
    commit.open()

    with pytest.raises(SendRefused) as refused:
        send.join()
    assert refused.value.code == ReasonCode.REVOCATION_PENDING
    assert gated_backend.calls == []
    assert not OutboxEntry.objects.exists()
