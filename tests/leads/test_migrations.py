"""leads.0008: a lead's phones are found through the unique (lead, number) index alone."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _index_columns() -> list[tuple[str, tuple[str, ...], bool]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "leads_leadphone")
    return [
        (name, tuple(info["columns"]), info["unique"])
        for name, info in found.items()
        if info["index"] or info["unique"]
    ]


def test_the_unique_lead_and_number_index_stays_and_no_lead_only_index_duplicates_it():
    indexes = _index_columns()
    assert ("leadphone_unique_per_lead", ("lead_id", "number"), True) in indexes
    assert [i for i in indexes if i[1] == ("lead_id",)] == []
