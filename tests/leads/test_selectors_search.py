"""The one lead search (leads.selectors.lead_search) behind the lead list page and the lead API."""

from __future__ import annotations

import pytest
from django.db import connection

from leads.models import Lead, LeadPhone
from leads.selectors import lead_list, lead_search, phones_matching
from leads.services import lead_create
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory
from tests.leads._admin_helpers import list_url
from velocify_sms.db_copy import COPY_MIN_ROWS, copy_rows

pytestmark = pytest.mark.django_db

API = "/api/v1/leads/"


@pytest.fixture
def leads():
    """Four leads: three numbers ending in 0142 (two in San Francisco, one in London)."""

    def lead(first, number, **fields):
        return LeadPhoneFactory(number=number, lead=LeadFactory(first_name=first, **fields)).lead

    return {
        "ana": lead("Ana", "+14155550142", last_name="Garcia", company="Garcia Homes"),
        "ben": lead("Ben", "+16505550142", last_name="Nguyen", external_id="10042"),
        "cat": lead("Cat", "+442079460142", last_name="Jones"),
        "dan": lead("Dan", "+14155552671", last_name="Lee", email="dan@example.org"),
    }


def _found(term: str) -> set[str]:
    return {lead.first_name for lead in lead_search(queryset=lead_list(), term=term)}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        # The last four digits, in whatever form an agent types them.
        ("0142", {"Ana", "Ben", "Cat"}),
        ("555-0142", {"Ana", "Ben"}),
        ("5550142", {"Ana", "Ben"}),
        (" 555 0142 ", {"Ana", "Ben"}),
        ("79460142", {"Cat"}),
        # A whole number in any format matches that number only.
        ("(415) 555-0142", {"Ana"}),
        ("415.555.0142", {"Ana"}),
        ("+1 415 555 0142", {"Ana"}),
        ("14155550142", {"Ana"}),
        ("+44 20 7946 0142", {"Cat"}),
        # The first digits still work: 3 of them, or more.
        ("415", {"Ana", "Dan"}),
        ("(415) 555", {"Ana", "Dan"}),
        ("+44 20", {"Cat"}),
        # Three digits are no suffix search ("142" would match a tenth of all numbers).
        ("142", set()),
        ("2671", {"Dan"}),
        ("9999", set()),
    ],
)
def test_phone_search_by_the_last_digits_the_first_digits_or_the_whole_number(
    leads, term, expected
):
    assert _found(term) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("garcia", {"Ana"}),
        ("Ana Garcia", {"Ana"}),  # every word, each in any column
        ("ana nguyen", set()),
        ('"Garcia Homes"', {"Ana"}),
        ("dan@example.org", {"Dan"}),
        ("10042", {"Ben"}),  # an external id made of digits still finds its lead
        ("", {"Ana", "Ben", "Cat", "Dan"}),
        ("   ", {"Ana", "Ben", "Cat", "Dan"}),
    ],
)
def test_text_search_by_name_email_company_or_external_id(leads, term, expected):
    assert _found(term) == expected


@pytest.mark.parametrize("term", ["abc", "41", "+4", "0142x", "555–0142 ext"])
def test_a_term_that_is_no_phone_number_is_no_phone_search(term):
    assert phones_matching(term=term) is None


def test_a_lead_with_two_matching_numbers_is_listed_once(leads):
    LeadPhoneFactory(lead=leads["ana"], number="+14155550143", kind="work")
    results = list(lead_search(queryset=lead_list(), term="(415) 555-01"))
    assert [lead.first_name for lead in results] == ["Ana"]


@pytest.mark.parametrize("term", ["0142", "555-0142", "(415) 555-0142", "415", "garcia", "10042"])
def test_the_admin_list_and_the_api_find_the_same_leads(leads, agent_client, agent_api, term):
    page = agent_client.get(list_url(), {"q": term})
    in_admin = {lead.pk for lead in page.context["cl"].result_list}
    in_api = {lead["id"] for lead in agent_api.get(API, {"search": term}).json()["results"]}
    assert in_admin == in_api == {lead.pk for lead in lead_search(queryset=lead_list(), term=term)}
    assert in_admin  # every term above finds someone


# --- the reversed-number column is the database's job, whoever writes the phone ----------------


def _reversed_ok() -> bool:
    rows = LeadPhone.objects.values_list("number", "number_reversed")
    return all(reversed_ == number[::-1] for number, reversed_ in rows)


def test_the_lead_service_the_factory_and_bulk_create_all_get_a_reversed_number():
    lead_create(phones=[{"number": "(415) 555-0142"}], actor=UserFactory(), first_name="Eve")
    LeadPhoneFactory(number="+14155550143")
    LeadPhone.objects.bulk_create([LeadPhone(lead=LeadFactory(), number="+14155550144")])
    assert LeadPhone.objects.count() == 3
    assert _reversed_ok()
    assert _found("0142") == {"Eve"}


def test_an_updated_number_gets_its_reversed_number_updated():
    phone = LeadPhoneFactory(number="+14155550142")
    LeadPhone.objects.filter(pk=phone.pk).update(number="+14155550199")
    assert LeadPhone.objects.get(pk=phone.pk).number_reversed == "99105555141+"


def test_the_import_copy_path_gets_reversed_numbers_too():
    # COPY on PostgreSQL from COPY_MIN_ROWS rows (bulk_create below that, and on SQLite).
    leads = [LeadFactory() for _ in range(COPY_MIN_ROWS + 1)]
    copy_rows(
        LeadPhone,
        ["lead_id", "number", "kind"],
        [(lead.pk, f"+1415555{index:04d}", "mobile") for index, lead in enumerate(leads)],
    )
    assert LeadPhone.objects.count() == COPY_MIN_ROWS + 1
    assert _reversed_ok()
    assert phones_matching(term="0042").count() == 1


# --- fast at a million phones: PostgreSQL answers the suffix from the index --------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="index plans are PostgreSQL's"
)


@postgres_only
def test_the_suffix_index_suits_like_whatever_the_collation():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'leadphone_number_reversed_idx'"
        )
        (definition,) = cursor.fetchone()
    assert "varchar_pattern_ops" in definition


@postgres_only
@pytest.mark.parametrize("term", ["0142", "555-0142"])
def test_a_suffix_search_is_an_index_scan_on_postgresql(leads, term):
    queryset = lead_search(queryset=Lead.objects.all(), term=term)
    with connection.cursor() as cursor:
        # With sequential scans priced out, a plan without the index means it cannot be used.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "leadphone_number_reversed_idx" in plan
