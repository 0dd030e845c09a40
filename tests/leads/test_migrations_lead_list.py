"""leads/migrations/0007: the lead list's indexes, the trigram ones on PostgreSQL only."""

from __future__ import annotations

import pytest
from django.db import connection

from leads.models import Lead

pytestmark = pytest.mark.django_db

TRIGRAM = [f"lead_{c}_trgm_idx" for c in ("first_name", "last_name", "email", "company")]
ORDER = ["lead_newest_first_idx", "lead_status_newest_idx"]


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Lead._meta.db_table))


def test_the_order_and_status_indexes_exist_on_every_database():
    assert set(ORDER) <= _indexes()


def test_the_trigram_indexes_exist_on_postgresql_only():
    if connection.vendor == "postgresql":
        assert set(TRIGRAM) <= _indexes()
    else:
        assert not set(TRIGRAM) & _indexes()


@pytest.mark.parametrize("column", ["first_name", "last_name", "email", "company"])
def test_the_searchs_contains_is_served_by_its_trigram_index(column):
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with connection.cursor() as cursor:
        # A test table is tiny: take the scans that read it all off the menu.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Lead.objects.filter(**{f"{column}__icontains": "arci"}).order_by().explain()
    assert f"lead_{column}_trgm_idx" in plan, plan
