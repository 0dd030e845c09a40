"""Race on PostgreSQL: opt-outs committed while sends run never let a send reach the provider
after the opt-out's commit.

Sender threads text random numbers through the real send path (immediate task backend, a
recording provider that holds each hand-off for a moment); opt-out threads put the same numbers
on the list meanwhile, each in a transaction whose commit starts at a recorded instant. Every
hand-off to a number must come before its opt-out's commit began; every later send is blocked.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time

import pytest
from django.db import connection, transaction

from optouts.messaging.backends.local import LocalBackend
from optouts.messaging.models import MessageStatus, OutboundMessage
from optouts.messaging.services import RecipientOptedOut, message_send
from optouts.models import Channel, Source
from tests.factories import given_opt_out

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks and real concurrency need PG"
    ),
]

NUMBERS = [f"+1415555{n:04d}" for n in range(300, 316)]
HANDOFFS: list[tuple[str, int, int]] = []  # (number, message id, time of hand-off)
_handoffs_lock = threading.Lock()


class RecordingBackend(LocalBackend):
    """The local outbox, plus the instant of each hand-off; holds it 2 ms like a slow API."""

    def send(self, message):
        with _handoffs_lock:
            HANDOFFS.append((message.to_number, message.pk, time.perf_counter_ns()))
        time.sleep(0.002)
        return super().send(message)


def test_no_send_reaches_the_provider_after_an_opt_out_of_its_number_committed(settings):
    settings.SMS_BACKEND = f"{__name__}.RecordingBackend"
    HANDOFFS.clear()
    commit_started: dict[str, int] = {}
    committed: dict[str, int] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    start = threading.Barrier(6)

    def sender(seed):
        rng = random.Random(seed)
        try:
            start.wait()
            while not stop.is_set():
                with contextlib.suppress(RecipientOptedOut):
                    message_send(to=rng.choice(NUMBERS), body="Rate update")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def opter(numbers, seed):
        rng = random.Random(seed)
        try:
            start.wait()
            for number in numbers:
                time.sleep(rng.uniform(0.03, 0.1))
                with transaction.atomic():
                    given_opt_out(number=number, source=Source.CONTACT, channel=Channel.KEYWORD)
                    commit_started[number] = time.perf_counter_ns()
                committed[number] = time.perf_counter_ns()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    shuffled = random.Random(7).sample(NUMBERS, len(NUMBERS))
    threads = [threading.Thread(target=sender, args=(seed,)) for seed in range(4)]
    threads += [
        threading.Thread(target=opter, args=(shuffled[0::2], 1)),
        threading.Thread(target=opter, args=(shuffled[1::2], 2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads[4:]:
        thread.join()
    time.sleep(0.2)  # let senders try the now opted-out numbers for a while
    stop.set()
    for thread in threads[:4]:
        thread.join()

    assert errors == []
    assert set(committed) == set(NUMBERS)
    late = [
        (number, message_id, (at - commit_started[number]) / 1e6)
        for number, message_id, at in HANDOFFS
        if at >= commit_started[number]
    ]
    assert late == [], "hand-offs after the opt-out's commit began (number, id, ms late)"

    statuses = dict(OutboundMessage.objects.values_list("pk", "status"))
    handed = {message_id for _, message_id, _ in HANDOFFS}
    assert {pk for pk, status in statuses.items() if status == MessageStatus.SENT} == handed
    # The race really happened: sends got through before the opt-outs and were blocked after.
    blocked = [pk for pk, status in statuses.items() if status == MessageStatus.BLOCKED]
    assert len(handed) >= 10
    assert len(blocked) >= 10
    # Every message created after its number's opt-out committed was blocked.
    assert set(statuses.values()) <= {MessageStatus.SENT, MessageStatus.BLOCKED}
