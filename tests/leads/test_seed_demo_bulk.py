from io import StringIO

import pytest
from django.core.management import call_command

from leads.management.bulk_seed import bulk_number
from leads.models import Lead, LeadPhone
from optouts.models import ConsentEvent, OptOut
from optouts.selectors import state_from_events
from tests.factories import given_opt_in
from velocify_sms.phones import phone_normalize

pytestmark = pytest.mark.django_db


def test_bulk_numbers_are_valid_distinct_and_never_demo_numbers():
    numbers = [bulk_number(i) for i in (0, 9_999, 10_000, 2_999_999, 3_000_000, 23_999_999)]
    assert len(set(numbers)) == len(numbers)
    assert all(phone_normalize(n) == n for n in numbers)
    assert all(n[5:8] != "555" for n in numbers)


def test_seed_demo_scale_options_add_bulk_leads_and_opt_outs_once(groups):
    call_command("seed_demo", leads=1_250, optouts=1_300, stdout=StringIO())
    call_command("seed_demo", leads=1_250, optouts=1_300, stdout=StringIO())

    assert Lead.objects.count() == 1_250
    assert Lead.objects.filter(external_id__startswith="bulk-").count() == 1_200
    bulk = OptOut.objects.filter(note="bulk demo data")
    assert bulk.count() == 1_300
    # 1,200 of them are the bulk leads' numbers, the last 100 numbers of no lead.
    assert bulk.filter(lead_id__isnull=False).count() == 1_200
    assert LeadPhone.objects.filter(number__in=bulk.values("phone_number")).count() == 1_200
    assert Lead.objects.with_sms_opt_out().filter(sms_opt_out=True).count() >= 1_200


def test_bulk_opt_outs_are_counted_in_the_report_rollup(groups):
    from optouts.models import OptOutDay
    from optouts.services import optout_rollup_live

    call_command("seed_demo", leads=1_100, optouts=300, stdout=StringIO())
    rollup = {(r.day, r.source): r.count for r in OptOutDay.objects.all() if r.count}

    assert rollup == optout_rollup_live()
    assert sum(rollup.values()) == OptOut.objects.count() >= 300


def test_bulk_opt_outs_replay_from_their_events_to_the_list(groups):
    call_command("seed_demo", leads=1_100, optouts=300, stdout=StringIO())
    events = {}
    for event in ConsentEvent.objects.order_by("created_at", "id"):
        events.setdefault(event.phone_number, []).append(event)
    replayed = {n: state_from_events(events=evs) for n, evs in events.items()}
    on_list = dict(OptOut.objects.values_list("phone_number", "source"))
    assert {n: s for n, s in replayed.items() if s} == on_list


def test_bulk_opt_outs_and_their_events_carry_the_same_note(groups):
    call_command("seed_demo", leads=1_100, optouts=30, stdout=StringIO())
    bulk = dict(OptOut.objects.filter(note="bulk demo data").values_list("phone_number", "note"))
    events = ConsentEvent.objects.filter(phone_number__in=bulk)

    assert len(bulk) == 30
    assert {e.phone_number: e.details.get("note") for e in events} == bulk


def test_a_bulk_rerun_keeps_an_opt_in_and_a_deleted_bulk_lead_as_they_were(groups, admin_user):
    call_command("seed_demo", leads=1_100, optouts=300, stdout=StringIO())
    opted_in = bulk_number(3)  # bulk opt-out 3 is an agent one (sources cycle agent first)
    assert OptOut.objects.get(phone_number=opted_in).source == "agent"
    given_opt_in(number=opted_in, actor=admin_user, note="asked by phone")
    Lead.objects.get(external_id="bulk-00000007").delete()
    events = ConsentEvent.objects.count()

    call_command("seed_demo", leads=1_100, optouts=300, stdout=StringIO())

    assert not OptOut.objects.filter(phone_number=opted_in).exists()
    assert ConsentEvent.objects.count() == events
    assert not Lead.objects.filter(external_id="bulk-00000007").exists()
    assert Lead.objects.filter(external_id__startswith="bulk-").count() == 1_049


class _Terminal(StringIO):
    def isatty(self):
        return True


def test_bulk_seeding_draws_a_progress_bar_per_step_on_a_terminal(groups):
    err = _Terminal()

    call_command("seed_demo", leads=1_100, optouts=200, stdout=StringIO(), stderr=err)

    assert "bulk leads: 100%" in err.getvalue()
    assert "1050/1050" in err.getvalue()
    assert "bulk opt-outs: 100%" in err.getvalue()


def test_each_bulk_bar_starts_at_zero_before_its_first_chunk_is_written(groups, monkeypatch):
    # A bar first drawn once a chunk (100,000 rows) is written would show its rows done in no
    # time: a rate of millions of rows a second and no estimate worth reading.
    from leads.management import bulk_seed

    seen = []
    real_copy_insert = bulk_seed.copy_insert

    def copy_insert(rows):
        seen.append(err.getvalue())
        return real_copy_insert(rows)

    monkeypatch.setattr(bulk_seed, "copy_insert", copy_insert)
    err = _Terminal()

    call_command("seed_demo", leads=1_100, stdout=StringIO(), stderr=err)

    assert "bulk leads:   0%" in seen[0]
    assert "0/1050" in seen[0]


@pytest.mark.parametrize(
    ("stream", "args"), [(StringIO, []), (_Terminal, ["--no-progress"])], ids=["pipe", "flag"]
)
def test_bulk_seeding_is_quiet_off_a_terminal_or_with_no_progress(groups, stream, args):
    err = stream()

    call_command("seed_demo", "--leads", "1100", *args, stdout=StringIO(), stderr=err)

    assert err.getvalue() == ""
    assert Lead.objects.count() == 1_100
