"""optouts.0020: one pattern index on the list's numbers, the unique one kept (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the pattern indexes exist only on PostgreSQL"
    ),
]


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_the_list_keeps_its_unique_number_index_and_one_pattern_index():
    indexes = _indexes("optouts_optout")
    on_number = {
        name: definition
        for name, definition in indexes.items()
        if definition.endswith("(phone_number)")
        or "(phone_number varchar_pattern_ops)" in definition
    }
    unique = [d for d in on_number.values() if d.startswith("CREATE UNIQUE INDEX")]
    pattern = [n for n, d in on_number.items() if "varchar_pattern_ops" in d]
    assert len(unique) == 1, on_number
    # The report's prefix filter names this one (bench/report.py checks its plan).
    assert pattern == ["optout_number_prefix_idx"], on_number
