"""Consent events are append-only: no ORM path rewrites one; on PostgreSQL no SQL does either."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, models, transaction

from optouts.models import AppendOnlyError, ConsentEvent
from optouts.services import phone_opt_in_by_contact, phone_opt_out_by_contact

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.fixture
def events():
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    phone_opt_in_by_contact(number=NUMBER, details={"keyword": "START"})
    return list(ConsentEvent.objects.order_by("id").values())


def _rows():
    return list(ConsentEvent.objects.order_by("id").values())


def test_saving_an_existing_event_is_refused(events):
    event = ConsentEvent.objects.earliest("id")
    event.details = {"tampered": True}
    with pytest.raises(AppendOnlyError, match="append-only"):
        event.save()
    assert _rows() == events


def test_deleting_one_event_is_refused(events):
    with pytest.raises(AppendOnlyError, match="append-only"):
        ConsentEvent.objects.earliest("id").delete()
    assert _rows() == events


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda: ConsentEvent.objects.update(actor_label="x"), id="manager.update"),
        pytest.param(
            lambda: ConsentEvent.objects.filter(phone_number=NUMBER).update(lead_id=None),
            id="queryset.update",
        ),
        pytest.param(lambda: ConsentEvent.objects.all().delete(), id="queryset.delete"),
        pytest.param(
            lambda: ConsentEvent.objects.filter(action="opt_in").delete(), id="filtered.delete"
        ),
        pytest.param(
            lambda: ConsentEvent.objects.bulk_update(
                [
                    ConsentEvent(pk=e.pk, phone_number="+10000000000")
                    for e in ConsentEvent.objects.all()
                ],
                ["phone_number"],
            ),
            id="bulk_update",
        ),
        pytest.param(
            lambda: ConsentEvent.objects.update_or_create(
                pk=ConsentEvent.objects.earliest("id").pk, defaults={"actor_label": "x"}
            ),
            id="update_or_create",
        ),
    ],
)
def test_no_orm_path_rewrites_or_deletes_events(events, rewrite):
    with pytest.raises(AppendOnlyError, match="append-only"):
        rewrite()
    assert _rows() == events


def test_adding_events_still_works(events):
    phone_opt_out_by_contact(number="+12125550100")
    assert ConsentEvent.objects.count() == len(events) + 1


# --- PostgreSQL: the trigger, below the ORM ---------------------------------------------------


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE optouts_consentevent SET actor_label = 'someone else'",
        "UPDATE optouts_consentevent SET lead_id = NULL",
        "DELETE FROM optouts_consentevent",
    ],
)
def test_the_database_refuses_raw_update_and_delete_of_events(events, sql):
    refused = pytest.raises(DatabaseError, match="Consent events are append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert _rows() == events


@postgresql_only
def test_the_database_refuses_an_orm_update_that_skips_the_model_guard(events):
    # A plain QuerySet has none of ConsentEventQuerySet's refusals: only the trigger stops it.
    unguarded = models.QuerySet(model=ConsentEvent)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        unguarded.update(actor_label="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        unguarded.filter(phone_number=NUMBER)._raw_delete(using=connection.alias)
    assert _rows() == events


@postgresql_only
def test_truncate_is_not_a_row_event_so_test_flushes_still_work(events):
    # pytest-django flushes transactional tests with TRUNCATE; the trigger must not block it.
    with transaction.atomic():
        sid = transaction.savepoint()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE optouts_consentevent")
        assert not ConsentEvent.objects.exists()
        transaction.savepoint_rollback(sid)
    assert _rows() == events
