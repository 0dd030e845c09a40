"""COPY inserts: the same rows and ids as bulk_create, and Django's IntegrityError on conflicts."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.models import Lead, LeadPhone
from optouts.models import Channel, ConsentEvent, OptOut, Source
from velocify_sms.db_copy import COPY_MIN_ROWS, copy_insert, copy_rows

pytestmark = pytest.mark.django_db

N = COPY_MIN_ROWS + 10  # enough to take the COPY path on PostgreSQL
# copy_rows' two PostgreSQL paths: one INSERT below COPY_MIN_ROWS (an API request's rows), COPY
# from it. SQLite takes bulk_create for both.
SIZES = pytest.mark.parametrize("n", [3, N], ids=["insert", "copy"])


def test_copy_insert_sets_ids_and_stores_every_field():
    now = timezone.now()
    leads = [Lead(first_name=f"L{i}", created_at=now, updated_at=now) for i in range(N)]
    copy_insert(leads)
    assert all(lead.pk for lead in leads)
    stored = dict(Lead.objects.values_list("pk", "first_name"))
    assert stored == {lead.pk: lead.first_name for lead in leads}


def test_copy_insert_adapts_json_fields():
    now = timezone.now()
    events = [
        ConsentEvent(
            phone_number=f"+1415555{i:04d}",
            action="opt_out",
            source=Source.AGENT,
            channel=Channel.IMPORT,
            created_at=now,
            details={"import_job": i, "note": "a 'quoted' \\ value"},
        )
        for i in range(N)
    ]
    copy_insert(events)
    stored = ConsentEvent.objects.get(phone_number="+14155550007")
    assert stored.details == {"import_job": 7, "note": "a 'quoted' \\ value"}


@SIZES
def test_copy_rows_inserts_plain_tuples(n):
    lead = Lead.objects.create(first_name="A")
    copy_rows(
        LeadPhone,
        ["lead_id", "number", "kind"],
        [(lead.pk, f"+1212555{i:04d}", "home") for i in range(n)],
    )
    assert LeadPhone.objects.filter(lead=lead, kind="home").count() == n


@SIZES
def test_copy_rows_adapts_json_and_returns_the_ids_in_row_order(n):
    now = timezone.now()
    details = [{"row": i, "note": "a 'quoted' \\ value", "nested": [i, None]} for i in range(n)]
    ids = copy_rows(
        ConsentEvent,
        ["phone_number", "action", "source", "previous_source", "channel", "created_at", "details"],
        [(f"+1415555{i:04d}", "opt_out", "agent", "", "api", now, details[i]) for i in range(n)],
        returning_ids=True,
    )
    stored = dict(ConsentEvent.objects.values_list("id", "details"))
    assert stored == dict(zip(ids, details, strict=True))


@SIZES
def test_copy_rows_raises_integrity_error_on_a_unique_violation(n):
    now = timezone.now()
    OptOut.objects.create(
        phone_number="+14155550001", source="agent", channel="ui", opted_out_at=now
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_rows(
            OptOut,
            ["phone_number", "source", "channel", "opted_out_at"],
            [(f"+1415555{i:04d}", "agent", "ui", now) for i in range(n)],
        )
    assert OptOut.objects.count() == 1


def test_a_unique_violation_raises_integrity_error():
    now = timezone.now()
    OptOut.objects.create(
        phone_number="+14155550001", source="agent", channel="ui", opted_out_at=now
    )
    rows = [
        OptOut(phone_number=f"+1415555{i:04d}", source="agent", channel="ui", opted_out_at=now)
        for i in range(N)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_insert(rows)


@SIZES
def test_copied_times_are_the_same_instants_whatever_their_zone(n):
    """Times go into COPY as text worked out once per value: the instant must survive."""
    import zoneinfo
    from datetime import datetime

    utc_now = timezone.now().replace(microsecond=123456)
    paris = datetime(2026, 3, 29, 3, 30, 1, 7, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
    times = [utc_now, paris]
    copy_rows(
        OptOut,
        ["phone_number", "source", "channel", "opted_out_at", "note"],
        [(f"+1415555{i:04d}", "agent", "ui", times[i % 2], "") for i in range(n)],
    )
    stored = dict(OptOut.objects.values_list("phone_number", "opted_out_at"))
    assert stored == {f"+1415555{i:04d}": times[i % 2] for i in range(n)}
