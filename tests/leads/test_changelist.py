"""The lead list at scale: cursor pages, the count that stops early, the assigned-agent filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import leads.changelist as changelist
from leads.admin import LeadAdmin
from leads.models import Lead, LeadPhone
from optouts.models import OptOut
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out
from tests.leads._admin_helpers import export_url, list_url

pytestmark = pytest.mark.django_db

PER_PAGE = 7


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(LeadAdmin, "list_per_page", PER_PAGE)


@pytest.fixture(params=["few, sorted here", "many, walked newest first"])
def both_ways(request, monkeypatch):
    """The page of a few leads (sorted from the probe) and of many (a range of the index)."""
    if request.param.startswith("many"):
        monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 5)


@pytest.fixture
def thirty_leads():
    """30 leads, in runs of several with the same created_at (a bulk import's), newest first."""
    leads = [LeadFactory(first_name=f"L{i:02d}") for i in range(30)]
    for index, lead in enumerate(leads):
        at = datetime(2026, 1, 1 + index // 4, 12, 0, tzinfo=UTC)
        Lead.objects.filter(pk=lead.pk).update(created_at=at)
    return list(Lead.objects.order_by("-created_at", "-id").values_list("pk", flat=True))


def _ids(response) -> list[int]:
    return [lead.pk for lead in response.context["cl"].result_list]


def _link(response, css_class: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)" class="{css_class}">', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else None


def test_older_links_walk_every_lead_once_in_the_order_of_offset_pages(
    admin_client, small_pages, both_ways, thirty_leads
):
    pages, url = [], list_url()
    while url is not None:
        response = admin_client.get(url if url.startswith("/") else list_url() + url)
        assert response.status_code == 200
        pages.append(_ids(response))
        url = _link(response, "next-page")
    offset_pages = [thirty_leads[i : i + PER_PAGE] for i in range(0, 30, PER_PAGE)]
    assert pages == offset_pages


def test_newer_links_walk_back_through_the_same_pages(
    admin_client, small_pages, both_ways, thirty_leads
):
    response = admin_client.get(list_url())
    for _ in range(4):  # to the last page (30 leads, 7 a page)
        response = admin_client.get(list_url() + _link(response, "next-page"))
    assert _ids(response) == thirty_leads[28:]
    assert _link(response, "next-page") is None
    back = []
    while (newer := _link(response, "prev-page")) is not None:
        response = admin_client.get(list_url() + newer)
        back.append(_ids(response))
    assert back == [thirty_leads[i : i + PER_PAGE] for i in (21, 14, 7, 0)]


def test_a_deep_page_links_to_the_newest_and_keeps_the_filter(
    admin_client, small_pages, both_ways, thirty_leads
):
    first = admin_client.get(list_url(), {"status": "new"})
    response = admin_client.get(list_url() + _link(first, "next-page"))
    assert "status=new" in _link(response, "next-page")
    assert _link(response, "first-page") == "?status=new"


def test_a_deep_page_costs_the_queries_of_the_first(
    admin_client, small_pages, both_ways, thirty_leads
):
    with CaptureQueriesContext(connection) as first_queries:
        first = admin_client.get(list_url())
    with CaptureQueriesContext(connection) as deep_queries:
        admin_client.get(list_url() + _link(first, "next-page"))
    assert len(deep_queries) == len(first_queries)
    assert not any("OFFSET" in q["sql"] for q in deep_queries.captured_queries)


def _textable_by_hand(ordered_ids: list[int]) -> list[int]:
    """The Textable filter evaluated plainly: leads none of whose numbers is on the list."""
    listed = set(OptOut.objects.values_list("phone_number", flat=True))
    numbers: dict[int, set[str]] = {pk: set() for pk in ordered_ids}
    for lead_id, number in LeadPhone.objects.values_list("lead_id", "number"):
        numbers[lead_id].add(number)
    return [pk for pk in ordered_ids if not numbers[pk] & listed]


def test_the_textable_filter_pages_forward_and_back_are_the_leads_with_no_listed_number(
    admin_client, small_pages, both_ways, thirty_leads
):
    # Every third lead's number listed, every fifth lead a second number that is listed (textable
    # on its first number, still not Textable), the last lead without a phone.
    for index, lead in enumerate(Lead.objects.get(pk=pk) for pk in thirty_leads[:-1]):
        phone = LeadPhoneFactory(lead=lead)
        if index % 3 == 0:
            given_opt_out(number=phone.number)
        if index % 5 == 0:
            given_opt_out(number=LeadPhoneFactory(lead=lead).number)
    expected = _textable_by_hand(thirty_leads)
    assert 2 * PER_PAGE < len(expected) < len(thirty_leads)
    forward, response = [], admin_client.get(list_url(), {"sms_opt_out": "no"})
    while True:
        forward.append(_ids(response))
        older = _link(response, "next-page")
        if older is None:
            break
        response = admin_client.get(list_url() + older)
    assert forward == [expected[i : i + PER_PAGE] for i in range(0, len(expected), PER_PAGE)]
    back = []
    while (newer := _link(response, "prev-page")) is not None:
        response = admin_client.get(list_url() + newer)
        back.append(_ids(response))
    assert back == forward[-2::-1]


@pytest.mark.parametrize("cursor", ["older=yesterday", "newer=20260101T000000.000000Z_0", "older="])
def test_a_page_link_edited_by_hand_is_an_invalid_lookup_not_an_error(admin_client, cursor):
    LeadFactory()
    response = admin_client.get(f"{list_url()}?{cursor}")
    if cursor == "older=":
        assert response.status_code == 200  # empty: the first page
    else:
        assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_a_list_that_fits_on_its_first_page_is_counted_by_its_rows(
    admin_client, monkeypatch, thirty_leads
):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    with CaptureQueriesContext(connection) as queries:
        body = admin_client.get(list_url(), {"status": "new"}).content.decode()
    assert re.search(r"\b30 leads\b", body)
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in queries.captured_queries)


def test_a_column_sort_keeps_numbered_pages(admin_client, small_pages, thirty_leads):
    response = admin_client.get(list_url(), {"o": "1", "p": "2"})
    assert response.context["cl"].keyset is None
    assert len(_ids(response)) == PER_PAGE
    assert response.context["cl"].result_count == 30


def test_the_count_is_exact_up_to_the_limit(admin_client, monkeypatch, small_pages, thirty_leads):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 30)
    body = admin_client.get(list_url()).content.decode()
    assert re.search(r"\b30 leads\b", body)
    assert "more than" not in body


def test_past_the_limit_a_filtered_count_reads_more_than_and_the_export_stays_exact(
    admin_client, monkeypatch, small_pages, thirty_leads
):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    response = admin_client.get(list_url(), {"status": "new"})
    body = response.content.decode()
    assert "more than 10 leads" in body
    assert "Select all more than 10 leads" in body
    assert response.context["selection_note_all"] == "All more than 10 selected"
    export = admin_client.get(export_url(), {"status": "new"})
    rows = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(rows) == 1 + 30  # the header and every lead


def test_a_lookup_typed_into_the_address_counts_as_a_filter_not_the_whole_list(
    admin_client, monkeypatch, small_pages, thirty_leads
):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    monkeypatch.setattr(changelist, "lead_count_estimate", lambda using: 1_000_000)

    body = admin_client.get(list_url(), {"status": "new"}).content.decode()

    assert "more than 10 leads" in body
    assert "about 1,000,000" not in body


def test_past_the_limit_a_search_reads_more_than_results(
    admin_client, monkeypatch, small_pages, thirty_leads
):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    body = admin_client.get(list_url(), {"q": "L"}).content.decode()
    assert "more than 10 results" in body


def test_the_lead_api_count_stays_exact(admin_api, monkeypatch, thirty_leads):
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    body = admin_api.get("/api/v1/leads/").json()
    assert body["count"] == 30


def test_past_the_limit_the_whole_list_reads_about_the_tables_estimate(
    admin_client, monkeypatch, small_pages, thirty_leads
):
    if connection.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's (pg_class.reltuples)")
    monkeypatch.setattr(changelist, "COUNT_EXACT_UP_TO", 10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    body = admin_client.get(list_url()).content.decode()
    assert "about 30 leads" in body


def test_the_agent_filter_offers_only_users_with_leads(admin_client, agent_user):
    idle = UserFactory(username="idle", is_staff=True)
    LeadFactory(assigned_agent=agent_user)
    response = admin_client.get(list_url())
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title == "assigned agent"]
    offered = [c["display"] for c in spec.choices(response.context["cl"])]
    assert "bob" in offered and idle.username not in offered


def test_the_agent_filter_reads_no_distinct_over_the_leads(admin_client, agent_user):
    LeadFactory(assigned_agent=agent_user)
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(list_url())
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)


def test_the_agent_filter_is_bounded_but_shows_the_chosen_agent(
    admin_client, monkeypatch, agent_user
):
    monkeypatch.setattr(changelist, "AGENT_CHOICES_LIMIT", 1)
    zed = UserFactory(username="zed", is_staff=True)
    LeadFactory(assigned_agent=agent_user)
    zeds = LeadFactory(assigned_agent=zed)
    response = admin_client.get(list_url())
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title == "assigned agent"]
    assert [c["display"] for c in spec.choices(response.context["cl"])][1:2] == ["bob"]
    assert "zed" not in [c["display"] for c in spec.choices(response.context["cl"])]

    response = admin_client.get(list_url(), {"assigned_agent__id__exact": zed.pk})
    (spec,) = [f for f in response.context["cl"].filter_specs if f.title == "assigned agent"]
    chosen = [c["display"] for c in spec.choices(response.context["cl"]) if c["selected"]]
    assert chosen == ["zed"]
    assert _ids(response) == [zeds.pk]
