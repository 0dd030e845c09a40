"""A batch that matches existing leads finds them through indexes, never by reading every lead.

The import's update and skip match a row by external id, then by phone, then by email. Asked as
one query with the keys OR-ed together, PostgreSQL cannot use the indexes and reads the whole
lead table once per batch, so an import of a book of leads costs the square of its size. The
plans are run (EXPLAIN ANALYZE) on a book a batch matches a small part of, and every row they
read of the leads tables is counted: without the fix, the OR-ed query read all 5,200 leads.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, LeadPhone
from leads.services.plan import ON_MATCH_UPDATE, LeadRow
from leads.services.writer import leads_write
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory

pytestmark = pytest.mark.django_db

# 110 rows of each kind of key, more than velocify_sms.db_arrays sends as an IN list: each kind
# goes as one array, as in the import's batches of thousands.
STORED = 330
# The rest of the book, which a batch matching STORED leads should not read.
BOOK = 5_000


@pytest.fixture
def stored_leads():
    leads = []
    for n in range(STORED):
        lead = LeadFactory(external_id=f"X-{n}", email=f"Person{n}@Example.com")
        LeadPhoneFactory(lead=lead, number=f"+1415555{n:04d}")
        leads.append(lead)
    return leads


def _rows() -> list[LeadRow]:
    """A third of the rows match by external id, a third by phone, a third by email."""
    rows = []
    for n in range(STORED):
        if n % 3 == 0:
            fields, phones = {"external_id": f"X-{n}", "company": "By id"}, []
        elif n % 3 == 1:
            fields, phones = {"company": "By phone"}, [(f"+1415555{n:04d}", "mobile")]
        else:
            fields, phones = {"email": f"person{n}@example.com", "company": "By email"}, []
        rows.append(LeadRow(fields=fields, phones=phones, phones_add=True, row_number=n + 2))
    return rows


def test_each_row_updates_the_lead_its_key_names(stored_leads):
    result = leads_write(
        rows=_rows(), actor=UserFactory(is_staff=True), channel="import", on_match=ON_MATCH_UPDATE
    )

    assert not any(result.created)
    assert result.lead_ids == [lead.pk for lead in stored_leads]
    companies = dict(Lead.objects.values_list("external_id", "company"))
    assert companies["X-0"] == "By id"
    assert companies["X-1"] == "By phone"
    assert companies["X-2"] == "By email"
    assert Lead.objects.count() == STORED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_matching_reads_the_leads_it_matches_not_the_whole_book(stored_leads):
    others = Lead.objects.bulk_create(
        Lead(external_id=f"other-{n}", email=f"other{n}@example.com") for n in range(BOOK)
    )
    LeadPhone.objects.bulk_create(
        LeadPhone(lead=lead, number=f"+1212555{n:04d}") for n, lead in enumerate(others)
    )
    with connection.cursor() as cursor:
        # A table this small is cheaper to read whole than to probe: priced out, a plan that
        # still reads it whole is one no index can serve. (No ANALYZE: its row counts outlive
        # the test's rolled-back transaction and would mislead later tests' estimates.)
        cursor.execute("SET LOCAL enable_seqscan = off")
    with CaptureQueriesContext(connection) as captured:
        leads_write(
            rows=_rows(),
            actor=UserFactory(is_staff=True),
            channel="import",
            on_match=ON_MATCH_UPDATE,
        )
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().startswith("SELECT") and "leads_lead" in q["sql"]
    ]
    assert reads, "the batch read no lead"
    for sql in reads:
        examined = _lead_rows_examined(sql)
        assert examined < BOOK / 2, f"{examined} rows of the leads tables read by\n{sql}"


def _lead_rows_examined(sql: str) -> int:
    """Rows of leads_lead and leads_leadphone the query's plan read (kept or filtered out)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    total, nodes = 0, [plan[0]["Plan"]]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") in ("leads_lead", "leads_leadphone"):
            read = node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
            total += read * node["Actual Loops"]
    return total
