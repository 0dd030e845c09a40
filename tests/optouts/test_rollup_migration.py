"""optouts.0010_optout_day on a list that already has numbers: the roll-up starts equal to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from optouts.services import optout_rollup_live

BEFORE = ("optouts", "0009_possible_opt_out_deadline")
AFTER = ("optouts", "0010_optout_day")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# Migrating backwards and forwards needs real commits (as tests/optouts/test_migrations.py).
@pytest.mark.django_db(transaction=True)
def test_0010_counts_the_numbers_already_on_the_list(settings):
    settings.TIME_ZONE = "America/New_York"
    try:
        optout = _migrate([BEFORE]).get_model("optouts", "OptOut")
        start = datetime(2026, 3, 1, 2, tzinfo=UTC)  # 1 March 02:00 UTC is 28 Feb in New York
        for n in range(12):
            optout.objects.create(
                phone_number=f"+1415555{n:04d}",
                source=["agent", "contact", "system"][n % 3],
                channel="ui",
                opted_out_at=start + timedelta(hours=9 * n),
            )

        day = _migrate([AFTER]).get_model("optouts", "OptOutDay")
        rollup = {(r.day, r.source): r.count for r in day.objects.all()}

        assert rollup == optout_rollup_live()
        assert sum(rollup.values()) == 12
        assert (datetime(2026, 2, 28).date(), "agent") in rollup
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
