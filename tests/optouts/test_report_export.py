"""The report's CSV export: the filtered list, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from optouts.models import Channel, OptOut, Source
from tests.factories import LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
EXPORT = REPORT + "export.csv"


def read(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_export_streams_the_filtered_list(admin_client, agent_user):
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    given_opt_out(number="+14155550102", source=Source.CONTACT, channel=Channel.KEYWORD)
    given_opt_out(number="+12125550103", source=Source.AGENT, channel=Channel.UI)
    lead = LeadPhoneFactory(number="+14155550101").lead

    response = admin_client.get(EXPORT, {"source": "agent", "phone_prefix": "415"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read(response)
    assert header == [
        "Phone number",
        "phone_number",
        "Source",
        "Opted out at (UTC)",
        "By whom",
        "Channel",
        "Note",
        "Lead IDs",
    ]
    assert len(rows) == 1
    number, e164, source, _at, who, channel, _note, leads = rows[0]
    # As the pages show it, and no `'`: a national number never starts like a formula. Beside
    # it, for programs, the number as stored.
    assert (number, e164) == ("(415) 555-0101", "+14155550101")
    assert (source, who, channel, leads) == ("Agent", "bob", "Lead page", str(lead.pk))


@pytest.mark.parametrize(
    ("zone", "shown", "label"),
    [("UTC", "2026-03-01 17:05", "UTC"), ("America/New_York", "2026-03-01 12:05", "Eastern time")],
)
def test_export_writes_times_as_the_pages_do_in_the_site_zone_named_in_the_header(
    admin_client, settings, zone, shown, label
):
    settings.TIME_ZONE = zone
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    OptOut.objects.filter(phone_number="+14155550101").update(
        opted_out_at=datetime(2026, 3, 1, 17, 5, 30, tzinfo=UTC)
    )

    header, row = read(admin_client.get(EXPORT, {"period": "all"}))
    page = admin_client.get(REPORT, {"period": "all"}).content.decode()

    assert header[3] == f"Opted out at ({zone})"
    assert row[3] == shown
    assert f'<td class="when">{shown}</td>' in page
    assert f"Opted out at ({label})" in page


def test_export_writes_a_foreign_number_with_its_country_code_and_no_quote(admin_client):
    given_opt_out(number="+442079460958", source=Source.CONTACT, channel=Channel.KEYWORD)

    _header, row = read(admin_client.get(EXPORT))

    assert row[:3] == ["(+44) 2079460958", "+442079460958", "Contact"]


def test_export_neutralises_formula_injection(admin_client):
    given_opt_out(
        number="+14155550101",
        source=Source.AGENT,
        channel=Channel.IMPORT,
        note='=HYPERLINK("http://evil.example","click")',
    )
    given_opt_out(number="+14155550102", source=Source.AGENT, channel=Channel.UI, note="@SUM(A1)")
    given_opt_out(number="+14155550103", source=Source.AGENT, channel=Channel.UI, note="-2+3")
    rows = read(admin_client.get(EXPORT))[1:]
    notes = sorted(row[6] for row in rows)
    assert notes == sorted(['\'=HYPERLINK("http://evil.example","click")', "'@SUM(A1)", "'-2+3"])


def test_export_with_bad_filters_goes_back_to_the_page(admin_client):
    response = admin_client.get(EXPORT, {"phone_prefix": "4"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/optouts/report/?")


def test_export_reads_in_chunks_without_a_query_per_row(
    admin_client, django_assert_max_num_queries
):
    for n in range(30):
        given_opt_out(number=f"+1415555{n:04d}", source=Source.AGENT, channel=Channel.UI)
    from optouts import selectors
    from optouts.models import OptOut

    # 30 rows in chunks of 10: one read per chunk for the leads, plus the list itself.
    with django_assert_max_num_queries(6):
        rows = list(selectors.optout_export_rows(queryset=OptOut.objects.all(), chunk_size=10))
    assert len(rows) == 30


def test_agent_cannot_export(agent_client):
    assert agent_client.get(EXPORT).status_code == 403
