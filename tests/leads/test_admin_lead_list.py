"""The lead list as the custom report: columns, SMS Opt-Out filter, phone search, CSV export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, LeadPhone
from optouts.models import Channel, Source
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out
from tests.leads._admin_helpers import export_url, list_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_leads(agent_user):
    """Ana's number is opted out; Ben's is not."""
    ana = LeadPhoneFactory(
        number="+14155552671",
        lead=LeadFactory(first_name="Ana", last_name="Garcia", assigned_agent=agent_user),
    )
    ben = LeadPhoneFactory(
        number="+12125550199", lead=LeadFactory(first_name="Ben", last_name="Nguyen")
    )
    given_opt_out(number=ana.number, source=Source.AGENT, channel=Channel.UI)
    return ana.lead, ben.lead


def _names(response):
    return {str(lead) for lead in response.context["cl"].result_list}


def _csv(response):
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_list_has_name_phones_agent_and_sms_opt_out_columns(agent_client, two_leads):
    response = agent_client.get(list_url())
    assert response.status_code == 200
    headers = [h["text"] for h in response.context["result_headers"]]
    assert headers[1:5] == ["Name", "Phones", "Assigned agent", "SMS Opt-Out"]
    body = response.content.decode()
    assert "(415) 555-2671" in body
    assert "Export CSV" in body


def test_sms_opt_out_reads_opted_out_in_red_or_textable_in_words_not_icons(agent_client, two_leads):
    LeadFactory(first_name="Cy", last_name="Nophone")
    body = agent_client.get(list_url()).content.decode()
    assert '<span class="sms-status sms-status-opted-out">Opted out</span>' in body
    assert '<span class="sms-status sms-status-textable">Textable</span>' in body
    assert '<span class="sms-status sms-status-no-phone">No phone</span>' in body
    assert 'alt="True"' not in body and 'alt="False"' not in body  # no check mark, no cross
    assert "optouts/sms_status.css" in body  # where the red and the green come from


def test_the_sms_opt_out_filter_offers_opted_out_and_textable(agent_client, two_leads):
    response = agent_client.get(list_url())
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title == "SMS Opt-Out"]
    assert [c["display"] for c in spec.choices(response.context["cl"])] == [
        "All",
        "Opted out",
        "Textable",
    ]


@pytest.mark.parametrize(("value", "expected"), [("yes", {"Ana Garcia"}), ("no", {"Ben Nguyen"})])
def test_filter_by_sms_opt_out(agent_client, two_leads, value, expected):
    response = agent_client.get(list_url(), {"sms_opt_out": value})
    assert _names(response) == expected


@pytest.mark.parametrize(
    "term",
    ["(415) 555-2671", "+1 415 555 2671", "4155552671", "1-415-555-2671", "+14155552671", "415"],
)
def test_search_finds_a_lead_by_phone_in_any_format(agent_client, two_leads, term):
    assert _names(agent_client.get(list_url(), {"q": term})) == {"Ana Garcia"}


@pytest.mark.parametrize("term", ["garcia", "Ana", "lead"])
def test_search_by_name_or_email_still_works(agent_client, two_leads, term):
    names = _names(agent_client.get(list_url(), {"q": term}))
    assert "Ana Garcia" in names


def test_a_lead_sharing_an_opted_out_number_is_listed_as_opted_out(agent_client, two_leads):
    LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name="Cy", last_name="Lee"))
    assert _names(agent_client.get(list_url(), {"sms_opt_out": "yes"})) == {"Ana Garcia", "Cy Lee"}


def _add_leads(count, agents):
    for index in range(count):
        lead = LeadFactory(assigned_agent=agents[index % len(agents)])
        LeadPhoneFactory(lead=lead)
        LeadPhoneFactory(lead=lead)


def _page_queries(client, rows):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(list_url())
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    return len(queries)


def test_query_count_of_a_page_is_the_same_at_20_and_100_rows(client, agent_user):
    client.force_login(agent_user)
    agents = [UserFactory(is_staff=True) for _ in range(5)]
    _add_leads(20, agents)
    at_20 = _page_queries(client, 20)
    _add_leads(80, agents)
    given_opt_out(number=LeadPhone.objects.last().number, source=Source.AGENT, channel=Channel.UI)
    at_100 = _page_queries(client, 100)
    assert at_20 == at_100


def test_csv_export_has_the_sms_opt_out_column_and_respects_the_filter(agent_client, two_leads):
    rows = _csv(agent_client.get(export_url()))
    assert {(r["First name"], r["SMS Opt-Out"]) for r in rows} == {("Ana", "Yes"), ("Ben", "No")}
    assert {r["Phones"] for r in rows} == {"(415) 555-2671", "(212) 555-0199"}

    rows = _csv(agent_client.get(export_url(), {"sms_opt_out": "no"}))
    assert [r["First name"] for r in rows] == ["Ben"]

    rows = _csv(agent_client.get(export_url(), {"q": "(415) 555-2671"}))
    assert [r["First name"] for r in rows] == ["Ana"]


def test_csv_export_neutralises_a_hyperlink_formula(agent_client):
    LeadFactory(first_name='=HYPERLINK("http://evil.example","click")', company="@SUM(A1)")
    (row,) = _csv(agent_client.get(export_url()))
    assert row["First name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Company"] == "'@SUM(A1)"


def test_export_selected_action_streams_only_the_chosen_leads(agent_client, two_leads):
    ana, _ = two_leads
    response = agent_client.post(
        list_url(), {"action": "export_selected_csv", "_selected_action": [ana.pk]}
    )
    assert [r["First name"] for r in _csv(response)] == ["Ana"]


def test_list_escapes_a_lead_named_script(agent_client):
    LeadFactory(first_name="<script>alert(1)</script>", last_name="")
    body = agent_client.get(list_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_logged_out_visitors_go_to_login_for_list_and_export(client, two_leads):
    for url in (list_url(), export_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_without_lead_permissions_cannot_export(client, two_leads):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(export_url()).status_code == 403


def test_csv_export_writes_phones_and_times_as_the_pages_do_without_a_quote(agent_client, settings):
    settings.TIME_ZONE = "America/New_York"
    lead = LeadFactory(first_name="Flo")
    LeadPhoneFactory(lead=lead, number="+442079460958")
    LeadPhoneFactory(lead=lead, number="+14155552671", kind="work")
    Lead.objects.filter(pk=lead.pk).update(created_at=datetime(2026, 1, 5, 3, 30, tzinfo=UTC))

    response = agent_client.get(export_url())
    body = b"".join(response.streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(body)))

    # A foreign number first in the cell: still no `+` for a spreadsheet to run, no `'` shown.
    assert row["Phones"] == "(+44) 2079460958; (415) 555-2671"
    assert row["Created at (America/New_York)"] == "2026-01-04 22:30"


@pytest.mark.django_db
def test_the_lead_list_says_how_many_numbers_are_textable(agent_client):
    from optouts.models import Source
    from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

    lead = LeadFactory(last_name="Twophones")
    LeadPhoneFactory(lead=lead, number="+14155550311")
    LeadPhoneFactory(lead=lead, number="+14155550312")
    given_opt_out(number="+14155550311", source=Source.AGENT)
    page = agent_client.get("/admin/leads/lead/").content.decode()
    assert '<td class="field-textable">1 of 2</td>' in page
