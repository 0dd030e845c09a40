"""Page numbers, page sizes and cursors, however large or mangled: a form error or a 4xx."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from optouts.models import Source
from tests.factories import LeadFactory, given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
OPT_OUTS = "/api/v1/sms/opt-outs/"
LEADS = "/api/v1/leads/"
HUGE = str(10**30)


@pytest.fixture(autouse=True)
def _rows_and_fresh_throttle(db):
    cache.clear()
    given_opt_out(number="+14155550101", source=Source.AGENT)
    given_opt_out(number="+14155550102", source=Source.CONTACT)
    LeadFactory()
    yield
    cache.clear()


# --- the report's page cursor -------------------------------------------------------------------
BAD_CURSORS = [
    HUGE,
    "abc",
    "3",
    "20261302T000000.000000Z_1",  # month 13
    "20260230T000000.000000Z_1",  # 30 February
    "00000101T000000.000000Z_1",  # year 0
    "20260101T000000.000000Z_0",
    f"20260101T000000.000000Z_{2**63}",
    "20260101T000000Z_1",
    "٢٠٢٦0101T000000.000000Z_1",
]


@pytest.mark.parametrize("name", ["older", "newer"])
@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_a_page_link_that_is_not_a_cursor_is_a_form_error_on_the_report(admin_client, name, cursor):
    admin_client.raise_request_exception = False
    response = admin_client.get(REPORT, {name: cursor})

    assert response.status_code == 200, response.status_code
    form = response.context["filter_form"]
    assert "page link" in " ".join(form.non_field_errors()).lower(), form.errors
    assert response.context["rows"] == []


def test_both_directions_at_once_is_a_form_error_on_the_report(admin_client):
    cursor = "20260101T000000.000000Z_1"
    response = admin_client.get(REPORT, {"older": cursor, "newer": cursor})

    assert "page link" in " ".join(response.context["filter_form"].non_field_errors()).lower()


def test_a_cursor_past_the_last_row_is_an_empty_page_with_a_way_back(admin_client):
    response = admin_client.get(REPORT, {"older": "00010102T000000.000000Z_1"})

    assert response.status_code == 200
    assert not response.context["filter_form"].errors
    assert response.context["rows"] == [] and not response.context["has_next"]
    assert b'class="first-page"' in response.content


# --- the API list's cursor and page size --------------------------------------------------------
def _cursor(**tokens) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


@pytest.mark.parametrize("page_size", [HUGE, "-5", "0", "abc", "1600"])
def test_any_page_size_of_the_opt_out_list_is_answered(admin_api, page_size):
    admin_api.raise_request_exception = False
    response = admin_api.get(OPT_OUTS, {"page_size": page_size})

    assert response.status_code == 200, response.status_code
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        _cursor(o=HUGE),
        _cursor(o="-1"),
        _cursor(p="not a date"),
        _cursor(p="9999-12-31 23:59:59-05:00"),
        _cursor(p="0001-01-01 00:00:00+05:00"),
        _cursor(p="0391-01-29 07:38:04.1597+23:49"),
        _cursor(p="2026-01-01 00:00:00+00:00\x00"),
        _cursor(p=HUGE),
        _cursor(r="1", p="2026-01-01 00:00:00+00:00", o=HUGE),
    ],
)
def test_a_forged_cursor_is_a_404_never_a_500(admin_api, cursor):
    admin_api.raise_request_exception = False
    response = admin_api.get(OPT_OUTS, {"cursor": cursor})

    assert response.status_code in (200, 404), response.status_code
    if response.status_code == 404:
        assert response.json()["code"] == "not_found"


def test_the_cursor_of_a_real_page_still_leads_to_the_next(admin_api):
    first = admin_api.get(OPT_OUTS, {"page_size": 1}).json()

    second = admin_api.get(first["next"]).json()

    assert [r["phone_number"] for r in first["results"] + second["results"]] == [
        "+14155550102",
        "+14155550101",
    ]


# --- the lead list's page number and size -------------------------------------------------------
@pytest.mark.parametrize("params", [{"page": HUGE}, {"page": "-1"}, {"page": "abc"}])
def test_a_page_number_that_is_not_a_page_is_a_404_in_the_lead_list(admin_api, params):
    admin_api.raise_request_exception = False
    response = admin_api.get(LEADS, params)

    assert response.status_code == 404, response.status_code
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", [HUGE, "-5", "0", "abc"])
def test_any_page_size_of_the_lead_list_is_answered(admin_api, page_size):
    admin_api.raise_request_exception = False
    response = admin_api.get(LEADS, {"page_size": page_size})

    assert response.status_code == 200, response.status_code
