"""Deleting a lead, a phone or a user leaves the consent history and the list byte-for-byte as
they were: actor and lead are kept as ids plus the names they had. Below the app, the database
refuses every UPDATE, DELETE and TRUNCATE of an event, on PostgreSQL and on SQLite (triggers of
migration optouts.0001), except sealing an empty chain hash once."""

from __future__ import annotations

import hashlib
import importlib

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, models, transaction
from django.test.utils import CaptureQueriesContext

from leads.services.writer import lead_refs_of
from optouts.models import Channel, ConsentEvent, OptOut
from optouts.services import (
    phone_opt_out_by_carrier,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)
from tests.factories import ConsentEventFactory, LeadFactory, LeadPhoneFactory

pytestmark = pytest.mark.django_db

N1, N2, N3 = "+14155552671", "+14155552672", "+12125550100"


def _table_digest(table: str) -> tuple[int, str]:
    """(row count, sha256 of every column of every row in id order), read with raw SQL."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 - fixed names
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return len(rows), hashlib.sha256(repr((columns, rows)).encode()).hexdigest()


@pytest.fixture
def dana(agent_user, admin_user):
    """A lead with two numbers, and history on them from every kind of request."""
    lead = LeadFactory(first_name="Dana", last_name="Smith", email="dana@example.com")
    LeadPhoneFactory(lead=lead, number=N1)
    LeadPhoneFactory(lead=lead, number=N2)
    phones_opt_out_by_staff(numbers=[N1], user=agent_user, channel=Channel.UI, lead=lead.ref)
    phones_opt_in_by_admin(
        numbers=[N1], user=admin_user, channel=Channel.UI, note="asked by phone", lead=lead.ref
    )
    # The import's path: a lead per number, named in one query.
    phones_opt_out_by_staff(
        numbers=[N1, N2],
        user=agent_user,
        channel=Channel.IMPORT,
        lead_of=lead_refs_of({N1: lead.pk, N2: lead.pk}),
        details={"import_job": 1},
    )
    phone_opt_out_by_carrier(number=N3, lead=lead.ref, details={"error_code": "21610"})
    phones_opt_in_by_admin(
        numbers=[N3], user=admin_user, channel=Channel.UI, note="try", lead=lead.ref
    )
    return lead


def test_the_services_write_who_and_which_lead_as_they_are_named(dana, agent_user, admin_user):
    events = ConsentEvent.objects.order_by("id")
    assert [(e.action, e.actor_id, e.actor_label, e.lead_id, e.lead_label) for e in events] == [
        ("opt_out", agent_user.pk, "bob", dana.pk, "Dana Smith"),
        ("opt_in", admin_user.pk, "alice", dana.pk, "Dana Smith"),
        ("opt_out", agent_user.pk, "bob", dana.pk, "Dana Smith"),
        ("opt_out", agent_user.pk, "bob", dana.pk, "Dana Smith"),
        ("opt_out", None, "", dana.pk, "Dana Smith"),
        ("opt_in_refused", admin_user.pk, "alice", dana.pk, "Dana Smith"),
    ]
    row = OptOut.objects.get(phone_number=N1)
    assert (row.actor_id, row.actor_label, row.lead_id, row.lead_label) == (
        agent_user.pk,
        "bob",
        dana.pk,
        "Dana Smith",
    )


def test_the_import_names_its_leads_in_one_query_per_batch(agent_user):
    leads = [LeadFactory(first_name=f"L{i}", last_name="", email="") for i in range(60)]
    lead_of = {f"+1415555{2600 + i}": lead.pk for i, lead in enumerate(leads)}
    with CaptureQueriesContext(connection) as queries:
        phones_opt_out_by_staff(
            numbers=list(lead_of),
            user=agent_user,
            channel=Channel.IMPORT,
            lead_of=lead_refs_of(lead_of),
        )
    lead_reads = [q["sql"] for q in queries if '"leads_lead"' in q["sql"]]
    assert len(lead_reads) == 1
    labels = dict(ConsentEvent.objects.values_list("lead_id", "lead_label"))
    assert labels == {lead.pk: f"L{i}" for i, lead in enumerate(leads)}


def test_deleting_a_phone_a_lead_and_a_user_leaves_every_event_and_list_row_unchanged(
    dana, agent_user
):
    lead_id, user_id = dana.pk, agent_user.pk
    events_before = _table_digest("optouts_consentevent")
    list_before = _table_digest("optouts_optout")
    assert events_before[0] == 6

    dana.phones.get(number=N2).delete()
    dana.delete()
    agent_user.delete()

    assert _table_digest("optouts_consentevent") == events_before
    assert _table_digest("optouts_optout") == list_before
    row = OptOut.objects.get(phone_number=N1)
    assert (row.actor_id, row.actor_label, row.lead_id, row.lead_label) == (
        user_id,
        "bob",
        lead_id,
        "Dana Smith",
    )


# --- Readers show the snapshot after the user and the lead are gone ---------------------------


@pytest.fixture
def gone(dana, agent_user):
    lead_id = dana.pk
    dana.delete()
    agent_user.delete()
    cache.clear()  # API throttling counters
    yield lead_id
    cache.clear()


def test_report_and_export_name_a_deleted_agent_by_the_username_they_had(admin_client, gone):
    page = admin_client.get("/admin/optouts/report/?period=all").content.decode()
    assert "bob" in page
    assert "user deleted" not in page
    export = b"".join(admin_client.get("/admin/optouts/report/export.csv").streaming_content)
    assert ",bob," in export.decode()


def test_history_page_shows_the_deleted_agent_and_lead_as_they_were(admin_client, gone):
    page = admin_client.get(f"/admin/optouts/report/number/{N1}/").content.decode()
    assert "by bob," in page
    assert page.count("Dana Smith") >= 3  # one per event of N1


def test_api_history_gives_the_username_then_and_the_lead_id(admin_api, gone):
    response = admin_api.get(f"/api/v1/sms/phone-numbers/{N1}/")
    assert response.status_code == 200
    history = response.json()["history"]
    assert [(e["action"], e["actor"], e["lead"]) for e in history] == [
        ("opt_out", "bob", gone),
        ("opt_in", "alice", gone),
        ("opt_out", "bob", gone),
    ]
    listed = admin_api.get("/api/v1/sms/opt-outs/").json()["results"]
    assert {(r["phone_number"], r["actor"], r["lead"]) for r in listed} == {
        (N1, "bob", gone),
        (N2, "bob", gone),
        (N3, None, gone),
    }


# --- Below the ORM: the triggers, on PostgreSQL and on SQLite ---------------------------------

REFUSED = "Consent events are append-only"


def _refused(sql: str, params: list | tuple = ()):
    """Run `sql` in a savepoint and return the database's refusal."""
    with (
        pytest.raises(DatabaseError, match=REFUSED) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return caught.value


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE optouts_consentevent SET actor_label = 'someone else'",
        "UPDATE optouts_consentevent SET lead_id = NULL",
        "UPDATE optouts_consentevent SET action = 'opt_in', source = 'agent'",
        "DELETE FROM optouts_consentevent WHERE id = (SELECT max(id) FROM optouts_consentevent)",
        # SQLite has no TRUNCATE: a DELETE of every row is its nearest thing.
        "DELETE FROM optouts_consentevent",
    ],
)
def test_the_database_refuses_raw_update_and_delete_of_events(dana, sql):
    before = _table_digest("optouts_consentevent")

    _refused(sql)

    assert _table_digest("optouts_consentevent") == before


def test_the_database_refuses_an_orm_update_that_skips_the_model_guard(dana):
    # A plain QuerySet has none of ConsentEventQuerySet's refusals: only the trigger stops it.
    before = _table_digest("optouts_consentevent")
    unguarded = models.QuerySet(model=ConsentEvent)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        unguarded.update(actor_label="x")
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        unguarded.filter(phone_number=N1)._raw_delete(using=connection.alias)
    assert _table_digest("optouts_consentevent") == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_the_database_refuses_truncate_of_events(dana):
    before = _table_digest("optouts_consentevent")

    _refused("TRUNCATE optouts_consentevent")
    _refused("TRUNCATE optouts_consentevent, optouts_optout RESTART IDENTITY CASCADE")

    assert _table_digest("optouts_consentevent") == before


def test_sealing_an_empty_hash_once_is_the_only_update_let_through(db):
    event = ConsentEventFactory(phone_number=N3)  # written without a hash (a raw bulk load)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", ["a" * 64, event.pk]
        )
    _refused("UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", ["b" * 64, event.pk])
    other = ConsentEventFactory(phone_number=N3)
    _refused(
        "UPDATE optouts_consentevent SET chain_hash = %s, actor_label = 'eve' WHERE id = %s",
        ["c" * 64, other.pk],
    )
    _refused("UPDATE optouts_consentevent SET chain_hash = 'not hex' WHERE id = %s", [other.pk])
    _refused("UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", ["D" * 64, other.pk])
    assert ConsentEvent.objects.get(pk=event.pk).chain_hash == "a" * 64


def test_the_sqlite_trigger_compares_every_column_but_the_hash():
    # A column added to events later must be added to the trigger's list too (a new migration).
    migration = importlib.import_module("optouts.migrations.0001_squashed_0017_sms_list_names")
    columns = {f.column for f in ConsentEvent._meta.concrete_fields} - {"chain_hash"}

    assert set(migration.SEALED_COLUMNS) == columns


def test_the_triggers_exist_after_every_migration(db):
    # A table rebuilt by a later migration (SQLite does that for many ALTERs) loses its triggers.
    from optouts.evidence.checks import TRIGGERS, _installed_triggers

    assert TRIGGERS[connection.vendor] <= _installed_triggers()
