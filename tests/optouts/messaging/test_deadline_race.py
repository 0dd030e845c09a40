"""The revocation deadline sweep racing another sweep, an agent, or a start word (PostgreSQL).

Two sweeps at once apply each overdue item once: each takes an item with `FOR UPDATE SKIP
LOCKED`, so the second skips what the first holds, without waiting for it. An agent deciding an
item while a sweep runs: whichever locks the item first decides it; the other finds it decided
(the agent) or skips it (the sweep). A start word being received while the sweep applies the
same number: the sweep waits for the number's advisory lock before it reads the number's texts,
so it sees the START and leaves the number opted in; a START closes the open items of its number
itself, skipping one the sweep holds. These tests are about the item's row lock, which no switch
turns off: each was seen failing with its guard removed.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from optouts.messaging.models import PossibleOptOut
from optouts.messaging.services import (
    PossibleOptOutResolved,
    inbound_message_receive,
    possible_opt_out_confirm,
    possible_opt_out_dismiss,
    possible_opt_outs_apply_overdue,
)
from optouts.models import ConsentEvent, OptOut, Source
from tests.optouts.interleaving import WAIT_SECONDS
from tests.optouts.rules_oracle import assert_list_agrees_with_log

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("consent_locks"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and real concurrency need PG"
    ),
]

NUMBER = "+14155550400"
NUMBERS = [f"+1415555{n:04d}" for n in range(401, 404)]


def _overdue(number: str, sid: str) -> int:
    """An item received 30 days ago: past any deadline."""
    inbound_message_receive(
        message_sid=sid, from_number=number, body="fine but please stop texting so early"
    )
    long_ago = timezone.now() - timedelta(days=30)
    item = PossibleOptOut.objects.get(inbound__message_sid=sid)
    PossibleOptOut.objects.filter(pk=item.pk).update(created_at=long_ago)
    item.inbound.__class__.objects.filter(pk=item.inbound_id).update(received_at=long_ago)
    return item.pk


def _waits_for_a_lock(worker) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [worker.pid])
        return bool(cursor.fetchone()[0])


def _wait_until_waiting_for_a_row(worker) -> None:
    """Return once `worker`'s backend waits for any lock (here: the item's row)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not _waits_for_a_lock(worker):
        if worker.done.is_set():
            pytest.fail(f"{worker.name} finished without waiting for the item: {worker.result!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"{worker.name} did not wait for the item in time")
        time.sleep(0.005)


def _finishes_while_held(worker) -> None:
    """`worker` finishes without ever waiting for a lock another transaction holds."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not worker.done.is_set():
        if _waits_for_a_lock(worker):
            pytest.fail(f"{worker.name} waits for a lock another transaction holds")
        if time.monotonic() > deadline:
            pytest.fail(f"{worker.name} did not finish in time")
        time.sleep(0.005)


def test_two_sweeps_at_once_apply_each_item_once_and_the_second_does_not_wait(interleaving):
    items = [_overdue(number, f"SM{number}") for number in NUMBERS]
    first, commit = interleaving.hold_commit("A", possible_opt_outs_apply_overdue)
    second = interleaving.start("B", possible_opt_outs_apply_overdue)

    _finishes_while_held(second)
    commit.open()

    assert sorted(first.join().applied) == sorted(items)
    assert second.join().applied == []
    assert possible_opt_outs_apply_overdue().applied == []  # nothing left for a third
    opt_outs = ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_OUT)
    assert opt_outs.count() == OptOut.objects.count() == len(NUMBERS)
    assert set(PossibleOptOut.objects.values_list("status", "resolved_by_system")) == {
        (PossibleOptOut.Status.OPTED_OUT, True)
    }
    assert_list_agrees_with_log(numbers=NUMBERS)


def test_a_sweep_skips_the_item_an_agent_is_deciding_and_the_agent_wins(interleaving, agent_user):
    item_id = _overdue(NUMBER, "SMagent")
    other_id = _overdue(NUMBERS[0], "SMother")
    agent, commit = interleaving.hold_commit(
        "agent", lambda: possible_opt_out_confirm(item_id=item_id, actor=agent_user)
    )
    sweep = interleaving.start("sweep", possible_opt_outs_apply_overdue)

    # The held item is skipped, not waited for; the sweep may queue on the day's roll-up row,
    # which the agent's opt-out (source contact, as the sweep's) holds until it commits.
    _wait_until_waiting_for_a_row(sweep)
    commit.open()

    assert agent.join().outcome == "opted_out"
    assert sweep.join().applied == [other_id]
    item = PossibleOptOut.objects.get(pk=item_id)
    assert (item.status, item.resolved_by, item.resolved_by_system) == (
        PossibleOptOut.Status.OPTED_OUT,
        agent_user,
        False,
    )
    # The reviewer's confirmation keeps the contact's word.
    assert list(
        ConsentEvent.objects.filter(
            phone_number=NUMBER, action=ConsentEvent.Action.OPT_OUT
        ).values_list("source", flat=True)
    ) == [Source.CONTACT]
    assert possible_opt_outs_apply_overdue().applied == []


def test_an_admin_deciding_while_the_sweep_applies_the_item_finds_it_decided(
    interleaving, admin_user
):
    item_id = _overdue(NUMBER, "SMlate")
    sweep, commit = interleaving.hold_commit("sweep", possible_opt_outs_apply_overdue)
    agent = interleaving.start(
        "admin",
        lambda: possible_opt_out_dismiss(item_id=item_id, actor=admin_user, reason="a visit"),
    )

    _wait_until_waiting_for_a_row(agent)
    commit.open()

    assert sweep.join().applied == [item_id]
    with pytest.raises(PossibleOptOutResolved):
        agent.join()
    item = PossibleOptOut.objects.get(pk=item_id)
    assert (item.status, item.resolved_by, item.resolved_by_system) == (
        PossibleOptOut.Status.OPTED_OUT,
        None,
        True,
    )
    assert OptOut.objects.get().source == Source.CONTACT
    assert ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_OUT).count() == 1
    assert not ConsentEvent.objects.filter(action="revocation_dismissed").exists()


def test_a_sweep_skips_the_item_a_start_word_is_closing_and_the_number_stays_opted_in(
    interleaving,
):
    item_id = _overdue(NUMBER, "SMflag")
    start, commit = interleaving.hold_commit(
        "START",
        lambda: inbound_message_receive(message_sid="SMstart", from_number=NUMBER, body="START"),
    )
    sweep = interleaving.start("sweep", possible_opt_outs_apply_overdue)

    _finishes_while_held(sweep)  # the item the START holds is skipped, not waited for
    commit.open()
    start.join()

    assert sweep.join().applied == []
    item = PossibleOptOut.objects.get(pk=item_id)
    assert (item.status, item.resolved_by_system) == (PossibleOptOut.Status.DISMISSED, True)
    assert not OptOut.objects.exists()
