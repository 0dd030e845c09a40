"""Consent events are append-only: no ORM path rewrites one (the triggers below the ORM, on
PostgreSQL and SQLite: tests/optouts/test_history_immutable.py)."""

from __future__ import annotations

import pytest

from optouts.models import AppendOnlyError, ConsentEvent
from optouts.services import phone_opt_in_by_contact, phone_opt_out_by_contact

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"


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
