"""Lead.sms_listed, the hint behind the lead list's "Textable" filter (leads.services.listed):
kept by the lead writer and after each change of the list, mended by the rebuild, and never the
answer on its own."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from leads.models import Lead
from leads.selectors import lead_list
from leads.services import (
    LeadRow,
    lead_create,
    lead_update,
    leads_listed_rebuild,
    leads_listed_refresh_numbers,
    leads_write,
)
from optouts.models import Channel
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db

LISTED = "+14155550101"
FREE = "+14155550102"


def _listed(lead) -> bool:
    return Lead.objects.values_list("sms_listed", flat=True).get(pk=lead.pk)


def _textable_ids() -> set[int]:
    return set(lead_list(sms_opt_out=False).values_list("pk", flat=True))


def test_the_writer_marks_a_lead_listed_when_one_of_its_numbers_is_on_the_list():
    given_opt_out(number=LISTED)
    on_list = lead_create(first_name="On", phones=[{"number": LISTED}]).lead
    free = lead_create(first_name="Free", phones=[{"number": FREE}]).lead

    assert _listed(on_list) is True
    assert _listed(free) is False


def test_a_lead_written_with_sms_opt_out_true_is_marked_listed_in_the_same_write():
    agent = UserFactory(username="admin-writer", is_staff=True, is_superuser=True)
    lead = lead_create(
        first_name="Asked", phones=[{"number": FREE}], sms_opt_out=True, actor=agent
    ).lead

    assert _listed(lead) is True


def test_an_import_marks_by_the_numbers_it_opts_out_and_leaves_the_rest_to_the_rebuild():
    # An import's rows only add numbers: no read of the list per batch. A new lead whose number
    # was already listed stays unmarked (the filter reads and drops it) until the rebuild.
    given_opt_out(number=LISTED)
    agent = UserFactory(username="importer", is_staff=True, is_superuser=True)
    rows = [
        LeadRow(fields={"first_name": "Known"}, phones=[(LISTED, "mobile")], phones_add=True),
        LeadRow(
            fields={"first_name": "Asks"},
            phones=[("+14155550104", "mobile")],
            phones_add=True,
            sms_opt_out=True,
        ),
    ]
    known, asks = leads_write(rows=rows, actor=agent, channel=Channel.IMPORT).lead_ids

    assert (_listed(Lead(pk=known)), _listed(Lead(pk=asks))) == (False, True)
    assert known not in _textable_ids()
    leads_listed_rebuild()
    assert _listed(Lead(pk=known)) is True


def test_dropping_the_listed_number_from_a_lead_clears_its_mark():
    given_opt_out(number=LISTED)
    lead = lead_create(first_name="Two", phones=[{"number": LISTED}, {"number": FREE}]).lead

    lead_update(lead=lead, phones=[{"number": FREE}])

    assert _listed(lead) is False
    assert lead.pk in _textable_ids()


def test_after_an_opt_out_commits_every_lead_with_the_number_is_marked(
    django_capture_on_commit_callbacks,
):
    first, second = LeadPhoneFactory(number=LISTED).lead, LeadPhoneFactory(number=LISTED).lead
    other = LeadPhoneFactory(number=FREE).lead

    with django_capture_on_commit_callbacks(execute=True):
        given_opt_out(number=LISTED)

    assert (_listed(first), _listed(second), _listed(other)) == (True, True, False)


def test_after_an_opt_in_commits_the_leads_are_unmarked_and_textable_again(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        given_opt_out(number=LISTED)
        lead = lead_create(first_name="Back", phones=[{"number": LISTED}]).lead
    assert lead.pk not in _textable_ids()

    with django_capture_on_commit_callbacks(execute=True):
        given_opt_in(number=LISTED)

    assert _listed(lead) is False
    assert lead.pk in _textable_ids()


def test_a_lead_wrongly_marked_not_listed_is_still_not_textable():
    # The hint lets a lead through to the list's own check; it never decides alone.
    lead = LeadPhoneFactory(number=LISTED).lead
    given_opt_out(number=LISTED)
    Lead.objects.filter(pk=lead.pk).update(sms_listed=False)

    assert lead.pk not in _textable_ids()
    assert lead.pk in set(lead_list(sms_opt_out=True).values_list("pk", flat=True))


def test_textable_is_read_through_the_hint():
    # A lead marked listed is left out without its phones being read: that is what makes the
    # filter cheap, and why every write above must keep the mark true.
    lead = LeadPhoneFactory(number=FREE).lead
    assert lead.pk in _textable_ids()

    Lead.objects.filter(pk=lead.pk).update(sms_listed=True)

    assert lead.pk not in _textable_ids()


def test_the_rebuild_mends_marks_wrong_either_way_and_says_how_many(capsys):
    given_opt_out(number=LISTED)
    wrongly_free = LeadPhoneFactory(number=LISTED).lead
    wrongly_listed = LeadPhoneFactory(number=FREE).lead
    Lead.objects.filter(pk=wrongly_listed.pk).update(sms_listed=True)
    right = LeadFactory()

    call_command("lead_listed_rebuild")

    assert (_listed(wrongly_free), _listed(wrongly_listed), _listed(right)) == (True, False, False)
    assert "2 lead(s) corrected" in capsys.readouterr().out
    assert leads_listed_rebuild() == 0


def test_a_change_of_many_numbers_is_refreshed_a_chunk_at_a_time(monkeypatch):
    monkeypatch.setattr("leads.services.listed.REFRESH_CHUNK", 1)
    given_opt_out(number=LISTED)
    lead = LeadPhoneFactory(number=LISTED).lead
    other = LeadPhoneFactory(number="+14155550103").lead

    assert leads_listed_refresh_numbers(numbers=[LISTED, FREE, "+14155550199"], on_list=True) == 1
    assert (_listed(lead), _listed(other)) == (True, False)


def test_a_number_taken_off_the_list_unmarks_only_the_leads_with_no_other_listed_number():
    given_opt_out(number=LISTED)
    only = lead_create(first_name="Only", phones=[{"number": FREE}]).lead
    both = lead_create(first_name="Both", phones=[{"number": FREE}, {"number": LISTED}]).lead
    Lead.objects.filter(pk=only.pk).update(sms_listed=True)

    assert leads_listed_refresh_numbers(numbers=[FREE], on_list=False) == 1
    assert (_listed(only), _listed(both)) == (False, True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections at once: PostgreSQL's test database"
)
@pytest.mark.django_db(transaction=True)
def test_a_batch_that_saw_a_number_listed_while_it_was_opted_in_is_unmarked_after_it_commits():
    """The batch reads the number as listed; the opt-in commits (and refreshes the leads it can
    see) before the batch does, so the batch's new lead is unmarked by the batch's own check."""
    given_opt_out(number=LISTED)
    read, go = threading.Event(), threading.Event()
    made: list[int] = []
    failures: list[BaseException] = []

    def batch() -> None:
        def paused() -> None:
            read.set()
            go.wait(10)

        try:
            result = leads_write(
                rows=[LeadRow(fields={"first_name": "Race"}, phones=[(LISTED, "mobile")])],
                actor=None,
                channel=Channel.IMPORT,
                before_opt_outs=paused,
            )
            made.extend(result.lead_ids)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=batch)
    writer.start()
    assert read.wait(10)
    given_opt_in(number=LISTED, actor=UserFactory(username="racer", is_superuser=True))
    go.set()
    writer.join(10)

    assert not failures
    (lead_id,) = made
    assert Lead.objects.values_list("sms_listed", flat=True).get(pk=lead_id) is False
    assert lead_id in _textable_ids()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_textable_page_is_a_range_of_the_partial_index():
    Lead.objects.bulk_create(Lead(first_name=f"L{n}", sms_listed=True) for n in range(5000))
    LeadFactory()
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead")
        queryset = lead_list(sms_opt_out=False).order_by("-created_at", "-id")[:51]

        plan = queryset.explain()
    finally:
        # ANALYZE's row count outlives the test's rollback: the lead list would show it as its
        # estimate of the whole list to the tests after this one.
        Lead.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead")
    assert "lead_unlisted_newest_idx" in plan, plan
