"""optouts.0004_immutable_history on a database that already has a list and its history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("optouts", "0003_messaging")
AFTER = ("optouts", "0004_immutable_history")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Migrating backwards and forwards needs real commits: the only other transactional tests are
# the race tests.
@pytest.mark.django_db(transaction=True)
def test_0004_keeps_every_actor_and_lead_id_and_names_them_as_they_are_now():
    try:
        old = _migrate([BEFORE])
        user_model = old.get_model("auth", "User")
        lead_model = old.get_model("leads", "Lead")
        old_optout = old.get_model("optouts", "OptOut")
        old_event = old.get_model("optouts", "ConsentEvent")
        bob = user_model.objects.create(username="bob", password="!")
        dana = lead_model.objects.create(first_name="Dana", last_name="Smith", email="d@x.com")
        mailonly = lead_model.objects.create(email="only@example.com")
        nameless = lead_model.objects.create()
        now = timezone.now()
        cases = [
            ("+14155550100", bob, dana),
            ("+14155550101", None, mailonly),
            ("+14155550102", bob, nameless),
            ("+14155550103", None, None),
        ]
        for number, actor, lead in cases:
            common = dict(phone_number=number, channel="ui", actor=actor, lead=lead)
            old_optout.objects.create(source="agent", opted_out_at=now, **common)
            old_event.objects.create(action="opt_out", source="agent", created_at=now, **common)

        new = _migrate([AFTER])
        expected = [
            ("+14155550100", bob.pk, "bob", dana.pk, "Dana Smith"),
            ("+14155550101", None, "", mailonly.pk, "only@example.com"),
            ("+14155550102", bob.pk, "bob", nameless.pk, f"Lead #{nameless.pk}"),
            ("+14155550103", None, "", None, ""),
        ]
        columns = ("phone_number", "actor_id", "actor_label", "lead_id", "lead_label")
        for name in ("OptOut", "ConsentEvent"):
            rows = new.get_model("optouts", name).objects.order_by("id").values_list(*columns)
            assert list(rows) == expected, name
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
