"""optouts.0007_event_chain on a database that already has a history: every event is sealed, in
the order and with the hashes the services would have written, and the trigger stays on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from optouts.evidence.selectors import chains_verify_all, phone_chain_verification
from optouts.services import phone_opt_out_by_contact

BEFORE = ("optouts", "0006_send_policy")
AFTER = ("optouts", "0007_event_chain")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Migrating backwards and forwards needs real commits (as tests/optouts/test_migrations.py).
@pytest.mark.django_db(transaction=True)
def test_0006_seals_every_existing_event_and_the_chain_goes_on_from_there():
    try:
        old = _migrate([BEFORE])
        event = old.get_model("optouts", "ConsentEvent")
        now = timezone.now()
        # Interleaved numbers and ids, a round second (no microseconds), details with unicode.
        rows = [
            ("+14155550100", "opt_out", "agent", now.replace(microsecond=0)),
            ("+14155550101", "opt_out", "contact", now),
            ("+14155550100", "opt_in", "agent", now + timedelta(seconds=1)),
            ("+14155550101", "opt_in_refused", "contact", now + timedelta(seconds=2)),
        ]
        for number, action, source, at in rows:
            event.objects.create(
                phone_number=number,
                action=action,
                source=source,
                channel="ui",
                actor_label="bob",
                created_at=at,
                details={"note": "défense", "n": 1},
            )

        _migrate([AFTER])

        survey = chains_verify_all()
        assert (survey.numbers, survey.events, survey.broken) == (2, 4, ())
        # Today's services write more than 0007's tables (the report's roll-up, 0008).
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        phone_opt_out_by_contact(number="+14155550100", details={"text": "STOP"})
        assert phone_chain_verification(number="+14155550100").ok
        if connection.vendor == "postgresql":
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute("UPDATE optouts_consentevent SET actor_label = 'eve'")

        _migrate([BEFORE])  # and back: the column goes, the 0004 trigger function returns
        if connection.vendor == "postgresql":
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute("UPDATE optouts_consentevent SET actor_label = 'eve'")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
