"""The export written by PostgreSQL (optouts.export) is the Python path's file, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from optouts import views_report_actions
from optouts.models import CarrierReason, Channel, Source
from tests.factories import LeadPhoneFactory, OptOutFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's"),
]

EXPORT = "/admin/optouts/report/export.csv"

# What people type into notes and what the carrier sends: formulas of every kind, text that
# looks like numbers, the characters CSV must quote, and empty cells.
NOTES = [
    "",
    '=HYPERLINK("http://evil.example", "click")',
    "+1 call me",
    "+14155550100",
    "+14155550100 +442079460958",
    "+١٢٣٤",
    "-2+3",
    "@SUM(A1:A9)",
    "\tindented",
    "\rreturn",
    "plain, with a comma",
    'a "quoted" word',
    "two\nlines",
    "crlf\r\ninside",
    "'already quoted",
    "ünïcode · dots",
    "\\.",
]
# Numbers of the site's region, of another NANP region (Canada, the Caribbean), of other
# countries, toll-free and numbers libphonenumber calls invalid.
NUMBERS = [
    "+14155550101",
    "+12125550102",
    "+18005550103",
    "+16045550104",
    "+18095550105",
    "+442079460958",
    "+33612345678",
    "+61291234567",
    "+15005550106",
    "+19005550107",
    "+11234567890",
    "+4915123456789",
]


@pytest.fixture
def sample(db, admin_user):
    start = datetime(2026, 3, 8, 9, 59, 30, tzinfo=UTC)  # a DST change in the US
    rows = []
    for i, number in enumerate(NUMBERS + [f"+1415555{2000 + i:04d}" for i in range(40)]):
        source = [Source.AGENT, Source.SYSTEM, Source.CONTACT][i % 3]
        rows.append(
            OptOutFactory(
                phone_number=number,
                source=source,
                reason=CarrierReason.values[i % 3] if source == Source.SYSTEM and i % 2 else "",
                channel=Channel.values[i % len(Channel.values)],
                opted_out_at=start + timedelta(minutes=37 * i, seconds=i),
                actor_id=admin_user.pk if i % 4 == 0 else None,
                actor_label=["", "bob", "=cmd|' /C calc'!A0", "@agent"][i % 4],
                note=NOTES[i % len(NOTES)],
            )
        )
    # One number carried by two leads, one by a lead with a formula for a name.
    LeadPhoneFactory(number=NUMBERS[0])
    LeadPhoneFactory(number=NUMBERS[0])
    LeadPhoneFactory(number=NUMBERS[5], lead__first_name="=1+1")
    return rows


def _file(client, params, *, in_database: bool, monkeypatch) -> bytes:
    monkeypatch.setattr(views_report_actions, "export_in_database", lambda: in_database)
    response = client.get(EXPORT, params)
    assert response.status_code == 200 and response.streaming
    return b"".join(
        part if isinstance(part, bytes) else part.encode() for part in response.streaming_content
    )


@pytest.mark.parametrize(
    "params",
    [
        {"period": "all"},
        {"period": "all", "source": "system"},
        {"period": "all", "phone_prefix": "415"},
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_the_database_writes_the_same_bytes_as_python(
    admin_client, sample, monkeypatch, params, zone
):
    with timezone.override(zone):
        python = _file(admin_client, params, in_database=False, monkeypatch=monkeypatch)
        database = _file(admin_client, params, in_database=True, monkeypatch=monkeypatch)

    assert database == python
    assert python.count(b"\r\n") > 3


def test_rows_the_database_cannot_show_are_written_by_python(admin_client, sample, monkeypatch):
    text = _file(admin_client, {"period": "all"}, in_database=True, monkeypatch=monkeypatch)

    assert b"(+44) 2079460958,+442079460958," in text
    assert b"(+1) 6045550104,+16045550104," in text
    assert b"(415) 555-0101,+14155550101," in text
