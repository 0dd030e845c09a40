"""Consent writes racing on one number (PostgreSQL, two real connections).

Each `interleaving` test is deterministic: connection A runs a consent service inside a
transaction and holds its commit; B starts the competing request; the test proves from pg_locks
that B waits for the number's advisory lock (`phone_numbers_lock`), then lets A commit and checks
that B decided on A's committed state. Every number starts off the list, so no row exists for a
`SELECT ... FOR UPDATE` to lock: the advisory lock is the only thing that can make B wait before
it reads. (Two opt-outs of a new number would still end with one row without it, through the
unique constraint and the retry; there B waits on the index instead, which the test refuses.)
With `VELOCIFY_TEST_LOCKS=off` every `interleaving` test fails (tests/optouts/test_race_meta.py).

The last test is randomized: many mixed requests at once, the list checked against docs/rules.md's
rules table replayed over the log.
"""

from __future__ import annotations

import random
import threading

import pytest
from django.db import close_old_connections, connection

from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import (
    Outcome,
    RefusalReason,
    phone_opt_out_by_contact,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)
from tests.factories import given_opt_in, given_opt_out
from tests.optouts.interleaving import wait_until_blocked_in, wait_until_blocked_on_number_lock
from tests.optouts.rules_oracle import assert_list_agrees_with_log

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("consent_locks"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks and real concurrency need PG"
    ),
]

NUMBER = "+14155550100"
NUMBERS = [f"+1415555{n:04d}" for n in range(100, 106)]


def _staff_opt_out(numbers, user):
    return phones_opt_out_by_staff(numbers=numbers, user=user, channel=Channel.API)


def _admin_opt_in(number, user):
    (result,) = phones_opt_in_by_admin(
        numbers=[number], user=user, channel=Channel.REPORT, note="asked by phone"
    )
    return result


def _events(number):
    return list(
        ConsentEvent.objects.filter(phone_number=number)
        .order_by("id")
        .values_list("action", "source", "previous_source")
    )


@pytest.mark.interleaving
def test_an_opt_out_of_a_new_number_waits_for_another_one_and_finds_it_done(
    interleaving, admin_user, agent_user
):
    first, commit = interleaving.hold_commit("A", lambda: _staff_opt_out([NUMBER], agent_user))
    second = interleaving.start("B", lambda: _staff_opt_out([NUMBER], admin_user))

    wait_until_blocked_on_number_lock(second, NUMBER)
    assert not OptOut.objects.filter(phone_number=NUMBER).exists()  # A has not committed
    commit.open()

    assert [r.outcome for r in first.join()] == [Outcome.OPTED_OUT]
    assert [r.outcome for r in second.join()] == [Outcome.ALREADY_OPTED_OUT]
    assert OptOut.objects.get(phone_number=NUMBER).actor_id == agent_user.pk
    assert _events(NUMBER) == [(ConsentEvent.Action.OPT_OUT, Source.AGENT, "")]
    assert_list_agrees_with_log(numbers=[NUMBER])


@pytest.mark.interleaving
def test_an_admin_opt_in_waits_for_an_agent_opt_out_and_takes_it_off(
    interleaving, admin_user, agent_user
):
    _, commit = interleaving.hold_commit("A", lambda: _staff_opt_out([NUMBER], agent_user))
    opt_in = interleaving.start("B", lambda: _admin_opt_in(NUMBER, admin_user))

    wait_until_blocked_on_number_lock(opt_in, NUMBER)
    commit.open()

    # Without the wait B would have found nothing to opt in (not_opted_out) and A's opt-out
    # would have stayed: B must decide on what A committed.
    assert opt_in.join().outcome == Outcome.OPTED_IN
    assert not OptOut.objects.filter(phone_number=NUMBER).exists()
    assert _events(NUMBER) == [
        (ConsentEvent.Action.OPT_OUT, Source.AGENT, ""),
        (ConsentEvent.Action.OPT_IN, Source.AGENT, Source.AGENT),
    ]
    assert_list_agrees_with_log(numbers=[NUMBER])


@pytest.mark.interleaving
def test_an_admin_opt_in_waits_for_a_stop_and_is_refused(interleaving, admin_user):
    _, commit = interleaving.hold_commit(
        "A", lambda: phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP"})
    )
    opt_in = interleaving.start("B", lambda: _admin_opt_in(NUMBER, admin_user))

    wait_until_blocked_on_number_lock(opt_in, NUMBER)
    commit.open()

    result = opt_in.join()
    assert (result.outcome, result.reason) == (Outcome.REFUSED, RefusalReason.CONTACT_OPT_OUT)
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
    assert _events(NUMBER) == [
        (ConsentEvent.Action.OPT_OUT, Source.CONTACT, ""),
        (ConsentEvent.Action.OPT_IN_REFUSED, Source.CONTACT, Source.CONTACT),
    ]
    assert_list_agrees_with_log(numbers=[NUMBER])


def test_the_list_row_is_read_under_a_row_lock_against_a_writer_that_skips_the_number_lock(
    interleaving, admin_user
):
    """The number's lock serialises the services; the row lock of the locked read is what makes
    a consent decision wait for any other writer of the row (a raw update, a data fix). Without
    it the opt-in would decide on the agent row it read, then delete the row A made a STOP."""
    given_opt_out(number=NUMBER, source=Source.AGENT)

    def stop_without_the_number_lock():
        return OptOut.objects.filter(phone_number=NUMBER).update(source=Source.CONTACT)

    _, commit = interleaving.hold_commit("A", stop_without_the_number_lock)
    opt_in = interleaving.start("B", lambda: _admin_opt_in(NUMBER, admin_user))

    wait_until_blocked_in(opt_in, "SELECT")
    commit.open()

    assert opt_in.join().outcome == Outcome.REFUSED
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT


@pytest.mark.interleaving
def test_two_batch_opt_outs_in_reverse_order_take_turns_without_deadlock(
    interleaving, admin_user, agent_user
):
    shared, extra = NUMBERS[:3], NUMBERS[3]
    first, commit = interleaving.hold_commit(
        "A", lambda: _staff_opt_out(list(reversed(shared)), agent_user)
    )
    second = interleaving.start("B", lambda: _staff_opt_out([extra, *shared], admin_user))

    wait_until_blocked_on_number_lock(second, shared)
    commit.open()

    assert {r.phone_number: r.outcome for r in first.join()} == dict.fromkeys(
        shared, Outcome.OPTED_OUT
    )
    assert {r.phone_number: r.outcome for r in second.join()} == {
        **dict.fromkeys(shared, Outcome.ALREADY_OPTED_OUT),
        extra: Outcome.OPTED_OUT,
    }
    assert OptOut.objects.count() == ConsentEvent.objects.count() == 4
    assert_list_agrees_with_log(numbers=[*shared, extra])


# --- Randomized: many mixed requests at once -----------------------------------------------------


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
        _staff_opt_out(rng.sample(NUMBERS, 3), admin)


def test_concurrent_mixed_requests_leave_the_list_the_rules_table_replays_from_the_log(
    admin_user,
):
    """No error reaches a caller, and each number's log is a sequence of real changes that the
    rules table allows, ending in the state on the list. Not deterministic, and not proof of the
    advisory lock (row locks and the unique constraint keep most of it); the tests above are."""
    threads_count, requests = 6, 50
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_count)

    def worker(seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(requests):
                _mixed_request(rng, admin_user)
        except BaseException as exc:  # any error reaching a caller fails the test
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ConsentEvent.objects.count() > len(NUMBERS)
    assert_list_agrees_with_log(numbers=NUMBERS)
