"""The lead export written by PostgreSQL (leads.export) is the Python path's file, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leads import export
from leads.models import Lead, LeadStatus
from optouts.models import Source
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out
from tests.leads._admin_helpers import export_url, list_url

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

TEXTS = [
    "",
    '=HYPERLINK("http://evil.example","click")',
    "+1 call",
    "-minus",
    "@at",
    "\ttab",
    "comma, inside",
    'a "quote"',
    "two\nlines",
    "ünïcode",
]
NUMBERS = ["+14155550101", "+16045550104", "+442079460958", "+18005550103", "+11234567890"]


@pytest.fixture
def sample(db):
    agent = UserFactory(username="=agent")
    start = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # a DST change in the US
    for i in range(30):
        lead = LeadFactory(
            first_name=TEXTS[i % len(TEXTS)],
            last_name=TEXTS[(i + 3) % len(TEXTS)],
            email=f"lead{i}@example.com" if i % 5 else "",
            company=TEXTS[(i + 5) % len(TEXTS)],
            status=LeadStatus.values[i % len(LeadStatus.values)],
            assigned_agent=agent if i % 2 else None,
        )
        Lead.objects.filter(pk=lead.pk).update(created_at=start + timedelta(minutes=41 * i))
        for k in range(i % 4):
            LeadPhoneFactory(lead=lead, number=NUMBERS[(i + k) % len(NUMBERS)])
    given_opt_out(number=NUMBERS[0], source=Source.AGENT)


def _file(client, url, *, in_database: bool, monkeypatch, post=None) -> bytes:
    monkeypatch.setattr(export, "export_in_database", lambda: in_database)
    response = client.post(url, post) if post else client.get(url)
    assert response.status_code == 200 and response.streaming
    return b"".join(
        part if isinstance(part, bytes) else part.encode() for part in response.streaming_content
    )


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_the_database_writes_the_same_bytes_as_python(admin_client, sample, monkeypatch, zone):
    with timezone.override(zone):
        python = _file(admin_client, export_url(), in_database=False, monkeypatch=monkeypatch)
        database = _file(admin_client, export_url(), in_database=True, monkeypatch=monkeypatch)

    assert database == python
    assert b"(+44) 2079460958" in database and b"(415) 555-0101" in database
    assert b"'=HYPERLINK" in database and b"'=agent" in database


def test_the_selected_leads_action_too(admin_client, sample, monkeypatch):
    chosen = list(Lead.objects.order_by("pk").values_list("pk", flat=True)[:7])
    post = {"action": "export_selected_csv", "_selected_action": chosen}
    python = _file(admin_client, list_url(), in_database=False, monkeypatch=monkeypatch, post=post)
    database = _file(admin_client, list_url(), in_database=True, monkeypatch=monkeypatch, post=post)

    assert database == python
    assert database.count(b"\r\n") >= 8
