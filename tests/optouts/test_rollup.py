"""The report's daily roll-up (OptOutDay) equals the list's live count after any change."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from optouts.models import Channel, ConsentEvent, OptOut, OptOutDay, Source
from optouts.services import (
    ImportLine,
    optout_list_import,
    optout_rollup_live,
    optout_rollup_rebuild,
    phone_opt_in_by_contact,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)
from optouts.services.rollup import rollup_day
from tests.factories import OptOutFactory, given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db(transaction=False)


def _clock(instant):
    # The services' clock only: freezegun leaves a fake clock in modules imported meanwhile.
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return mock.patch("django.utils.timezone.now", return_value=instant)


NUMBERS = [f"+1415555{n:04d}" for n in range(40)]


def rollup() -> dict:
    return {(r.day, r.source): r.count for r in OptOutDay.objects.all() if r.count}


def test_an_opt_out_counts_on_its_site_day_and_source(settings, admin_user):
    settings.TIME_ZONE = "America/New_York"
    # 02:30 UTC on 3 Mar is still 2 Mar in New York.
    with _clock("2026-03-03 02:30:00+00:00"):
        given_opt_out(number=NUMBERS[0], source=Source.CONTACT)

    assert rollup() == {(datetime(2026, 3, 2).date(), "contact"): 1}


def test_a_stronger_source_moves_the_count_to_its_day_and_source(admin_user):
    with _clock("2026-03-01 12:00:00+00:00"):
        given_opt_out(number=NUMBERS[0], source=Source.AGENT)
    with _clock("2026-03-05 12:00:00+00:00"):
        given_opt_out(number=NUMBERS[0], source=Source.CONTACT)

    assert rollup() == {(datetime(2026, 3, 5).date(), "contact"): 1}
    assert rollup() == optout_rollup_live()


def test_an_opt_in_takes_the_number_off_its_day(admin_user):
    given_opt_out(number=NUMBERS[0], source=Source.AGENT)
    given_opt_out(number=NUMBERS[1], source=Source.AGENT)
    given_opt_in(number=NUMBERS[0], actor=admin_user, note="asked by phone")

    assert sum(rollup().values()) == 1 == OptOut.objects.count()


def _random_changes(rng: random.Random, admin_user, steps: int) -> None:
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    for step in range(steps):
        # Hours apart, so changes fall on many days and on both sides of midnight in New York.
        with _clock(start + timedelta(hours=7 * step + rng.randrange(7))):
            kind = rng.randrange(7)
            numbers = rng.sample(NUMBERS, rng.randint(1, 6))
            if kind == 0:
                phones_opt_out_by_staff(numbers=numbers, user=admin_user, channel=Channel.UI)
            elif kind == 1:
                # The lead import and the list upload write batches the same way.
                phones_opt_out_by_staff(numbers=numbers, user=admin_user, channel=Channel.IMPORT)
            elif kind == 2:
                optout_list_import(
                    lines=[
                        ImportLine(line=i, number=n, note="a list") for i, n in enumerate(numbers)
                    ],
                    user=admin_user,
                )
            elif kind == 3:
                phone_opt_out_by_contact(number=numbers[0])
            elif kind == 4:
                phone_opt_out_by_carrier(number=numbers[0])
            elif kind == 5:
                phones_opt_in_by_admin(
                    numbers=numbers, user=admin_user, channel=Channel.REPORT, note="consent given"
                )
            else:
                phone_opt_in_by_contact(number=numbers[0])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_equals_the_live_count_after_random_changes(seed, settings, admin_user):
    settings.TIME_ZONE = "America/New_York"
    _random_changes(random.Random(seed), admin_user, steps=120)

    live = optout_rollup_live()
    assert len(live) > 10, live  # the sequence really spread over days and sources
    assert rollup() == live
    assert min(OptOutDay.objects.values_list("count", flat=True)) >= 0


def test_a_rolled_back_change_leaves_the_rollup_as_it_was(admin_user):
    given_opt_out(number=NUMBERS[0], source=Source.AGENT)
    before = rollup()

    with pytest.raises(RuntimeError), transaction.atomic():
        given_opt_out(number=NUMBERS[1], source=Source.CONTACT)
        given_opt_in(number=NUMBERS[0], actor=admin_user, note="asked by phone")
        raise RuntimeError("the caller's transaction fails after the services ran")

    assert rollup() == before == optout_rollup_live()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_callers_transaction", [False, True], ids=["own", "callers"])
def test_a_batch_redone_number_by_number_is_counted_once(
    admin_user, monkeypatch, in_callers_transaction
):
    """The race retry: the attempt rolls back, roll-up included, then each number runs.

    On its own (an API request) the attempt is a whole transaction and the redo a new one; in a
    caller's transaction (an import batch) both are savepoints and the caller's work stays.
    """
    from optouts.services import apply

    real_insert, failed = apply.consent_events_insert, []

    def insert_failing_once(*, events):
        if not failed:
            failed.append(True)
            raise IntegrityError("a concurrent writer won a number")
        return real_insert(events=events)

    monkeypatch.setattr(apply, "consent_events_insert", insert_failing_once)
    if in_callers_transaction:
        with transaction.atomic():
            OptOutFactory(phone_number=NUMBERS[10], source=Source.AGENT)  # the caller's own work
            phones_opt_out_by_staff(numbers=NUMBERS[:5], user=admin_user, channel=Channel.UI)
        # The caller's row survived the attempt's rollback; it is not the services', so it goes
        # before the counts are compared.
        assert OptOut.objects.filter(phone_number=NUMBERS[10]).delete()[0] == 1
    else:
        phones_opt_out_by_staff(numbers=NUMBERS[:5], user=admin_user, channel=Channel.UI)

    assert failed and OptOut.objects.count() == 5
    assert ConsentEvent.objects.count() == 5
    assert (
        rollup()
        == optout_rollup_live()
        == {(rollup_day(OptOut.objects.first().opted_out_at), "agent"): 5}
    )


def test_rebuild_recounts_rows_written_without_the_services():
    OptOutFactory.create_batch(3, source=Source.SYSTEM)
    assert rollup() == {}

    assert optout_rollup_rebuild() == 1
    assert rollup() == optout_rollup_live()
    assert sum(rollup().values()) == 3


def test_the_rebuild_command_says_how_many_rows_it_wrote(capsys):
    OptOutFactory.create_batch(2, source=Source.AGENT)
    call_command("optout_rollup_rebuild")

    assert "1 (day, source) row" in capsys.readouterr().out
    assert rollup() == optout_rollup_live()
