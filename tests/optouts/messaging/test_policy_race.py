"""Two sends racing for the last free slot under a frequency cap (PostgreSQL, two connections).

A Florida number may get 3 texts in 24 hours and has had 2. Send A reaches the provider hand-off
and stops there, inside its transaction: it has counted 2 and not yet committed its own. Send B
starts: its early look (no lock) also counts 2, so it goes on to the guard, which takes the
number's lock exclusively because a cap applies. B must wait for that lock until A commits, then
count 3 and be refused. Without the lock B counts 2 and sends a fourth text at once: the test
fails at `wait_until_blocked_on_number_lock` (tests/optouts/test_race_meta.py runs it with
`VELOCIFY_TEST_LOCKS=off` and expects exactly that).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from optouts.messaging.backends.local import LocalBackend
from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry, ReasonCode
from optouts.messaging.services import SendRefused, message_send
from tests.optouts.interleaving import (
    Gate,
    assert_holds_number_lock,
    wait_until_blocked_on_number_lock,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("consent_locks"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks and real concurrency need PG"
    ),
]

FLORIDA = "+13055550400"


class FirstSendGatedBackend(LocalBackend):
    """The local outbox, stopping the first hand-off at `gate` (later ones go straight through,
    so a send that got past the guard without waiting finishes and the test says so at once)."""

    gate: Gate | None = None
    calls: list[str] = []

    def send(self, message):
        cls = type(self)
        cls.calls.append(message.to_number)
        if cls.gate is not None and len(cls.calls) == 1:
            cls.gate.stop_here()
        return super().send(message)


@pytest.fixture
def gated_backend(settings):
    settings.SMS_BACKEND = f"{FirstSendGatedBackend.__module__}.FirstSendGatedBackend"
    FirstSendGatedBackend.gate, FirstSendGatedBackend.calls = None, []
    yield FirstSendGatedBackend
    FirstSendGatedBackend.gate, FirstSendGatedBackend.calls = None, []


def _already_sent(count: int) -> None:
    now = timezone.now()
    for _ in range(count):
        OutboundMessage.objects.create(
            to_number=FLORIDA,
            body="earlier",
            status=MessageStatus.SENT,
            created_at=now,
            status_changed_at=now,
            sent_at=now,
        )


@pytest.fixture
def decided_gate(monkeypatch):
    """Stop the first send right after the guard's policy check counted its slot, before its
    reservation commits (the number's lock held): `decided_gate.gate` once set. The first call
    is message_send's early answer, without the lock; the second is the guard's."""
    from optouts.messaging import services

    real = services.send_policy_decide
    state = {"gate": None, "calls": 0}

    def decide(**kwargs):
        decision = real(**kwargs)
        state["calls"] += 1
        if state["gate"] is not None and state["calls"] == 2:
            state["gate"].stop_here()
        return decision

    monkeypatch.setattr(services, "send_policy_decide", decide)
    return state


@pytest.mark.interleaving
def test_two_sends_cannot_both_take_the_last_slot_under_a_cap(
    interleaving, gated_backend, decided_gate
):
    _already_sent(2)
    decided_gate["gate"] = hand_off = interleaving.gate("A counted its slot")
    send_a = interleaving.start("A", lambda: message_send(to=FLORIDA, body="Third"))
    hand_off.wait_reached()
    assert_holds_number_lock(send_a, FLORIDA, shared=False)

    send_b = interleaving.start("B", lambda: message_send(to=FLORIDA, body="Fourth"))
    wait_until_blocked_on_number_lock(send_b, FLORIDA)
    hand_off.open()

    assert send_a.join().status == MessageStatus.SENT
    with pytest.raises(SendRefused) as refused:
        send_b.join()
    assert refused.value.code == ReasonCode.FREQUENCY_CAP
    assert gated_backend.calls == [FLORIDA]
    assert OutboxEntry.objects.count() == 1
    sent = OutboundMessage.objects.filter(status=MessageStatus.SENT).count()
    assert sent == 3
