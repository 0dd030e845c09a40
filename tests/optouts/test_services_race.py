"""Concurrency on PostgreSQL: 8 threads x 100 mixed requests over 10 numbers."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import close_old_connections, connection

from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.selectors import state_from_events
from optouts.services import phones_opt_out_by_staff
from tests.factories import given_opt_in, given_opt_out

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
    ),
]

NUMBERS = [f"+1415555{n:04d}" for n in range(100, 110)]


def _mixed_request(rng, admin):
    number = rng.choice(NUMBERS)
    kind = rng.choice(["agent", "admin_in", "stop", "start", "carrier", "batch"])
    if kind == "agent":
        given_opt_out(number=number, source=Source.AGENT, channel=Channel.API, actor=admin)
    elif kind == "admin_in":
        given_opt_in(number=number, by="admin", channel=Channel.REPORT, actor=admin)
    elif kind == "stop":
        given_opt_out(number=number, source=Source.CONTACT, channel=Channel.KEYWORD)
    elif kind == "start":
        given_opt_in(number=number, by="contact", channel=Channel.KEYWORD)
    elif kind == "carrier":
        given_opt_out(number=number, source=Source.SYSTEM, channel=Channel.CARRIER)
    else:
        phones_opt_out_by_staff(numbers=rng.sample(NUMBERS, 3), user=admin, channel=Channel.API)


def test_concurrent_mixed_requests_end_in_the_state_their_events_replay_to(admin_user):
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(100):
                _mixed_request(rng, admin_user)
        except BaseException as exc:  # any error reaching a caller fails the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    listed = dict(OptOut.objects.values_list("phone_number", "source"))
    assert ConsentEvent.objects.count() > 0
    for number in NUMBERS:
        events = ConsentEvent.objects.filter(phone_number=number).order_by("id")
        assert state_from_events(events=events) == listed.get(number), number


def test_two_simultaneous_opt_outs_of_a_new_number_write_one_row_and_one_event(admin_user):
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def worker():
        try:
            barrier.wait()
            outcomes.append(
                given_opt_out(number=NUMBERS[0], source=Source.AGENT, channel=Channel.API).outcome
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == ["already_opted_out", "opted_out"]
    assert OptOut.objects.count() == 1
    assert ConsentEvent.objects.count() == 1
