"""Extreme dates in the report, its export and the API list: form errors or 400s, never a 500.

Python's datetime holds years 1 to 9999; a time zone shift (a UTC offset in the input, or the
site's TIME_ZONE) or "the day after" can step outside that, and PostgreSQL refuses UTC offsets
beyond 15:59. Every such input is a form error (pages) or a 400 naming the field (API).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache

from optouts.models import Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
EXPORT = REPORT + "export.csv"
API = "/api/v1/sms/opt-outs/"

# Zones at both ends of the offsets in use, and UTC.
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"]


@pytest.fixture(autouse=True)
def _listed_numbers_and_fresh_throttle(db):
    cache.clear()
    given_opt_out(number="+14155550101", source=Source.AGENT)
    given_opt_out(number="+14155550102", source=Source.CONTACT)
    yield
    cache.clear()


@pytest.fixture(params=ZONES)
def site_zone(request, settings):
    settings.TIME_ZONE = request.param
    return request.param


def _page(client, params):
    client.raise_request_exception = False
    response = client.get(REPORT, params)
    assert response.status_code == 200, (params, response.status_code)
    return response.context["filter_form"]


# --- out of range: a form error on the field ---------------------------------------------------
OUT_OF_RANGE_DAYS = [
    {"period": "custom", "date_from": "0001-01-01"},
    {"period": "custom", "date_to": "9999-12-31"},
    {"period": "custom", "date_from": "0001-01-01", "date_to": "9999-12-31"},
]
OUT_OF_RANGE_INSTANTS = [
    {"since": "9999-12-31T23:59:59-05:00"},
    {"until": "9999-12-31T23:59:59.999999-23:59"},
    {"since": "0001-01-01T00:00:00+05:00"},
    {"until": "0001-01-01T00:00:00+23:59"},
]


@pytest.mark.parametrize("params", OUT_OF_RANGE_DAYS + OUT_OF_RANGE_INSTANTS)
def test_a_date_outside_the_calendar_is_a_form_error_on_the_report(admin_client, site_zone, params):
    form = _page(admin_client, params)

    assert set(form.errors) & set(params), form.errors


@pytest.mark.parametrize("params", OUT_OF_RANGE_DAYS + OUT_OF_RANGE_INSTANTS)
def test_a_date_outside_the_calendar_never_starts_an_export(admin_client, site_zone, params):
    admin_client.raise_request_exception = False
    response = admin_client.get(EXPORT, params)

    assert response.status_code == 302, response.status_code
    assert not response.streaming


@pytest.mark.parametrize("params", OUT_OF_RANGE_INSTANTS)
def test_a_date_outside_the_calendar_is_a_400_naming_the_field_in_the_api(
    admin_api, site_zone, params
):
    admin_api.raise_request_exception = False
    response = admin_api.get(API, params)

    assert response.status_code == 400, response.status_code
    assert set(response.json()["errors"]) == set(params)


# --- in range, however odd: answered ------------------------------------------------------------
EDGE_DAYS = [
    {"period": "custom", "date_from": "0001-01-02"},
    {"period": "custom", "date_to": "9999-12-30"},
    {"period": "custom", "date_from": "0001-01-02", "date_to": "9999-12-30"},
    {"period": "custom", "date_from": "9999-01-01", "date_to": "9999-12-30"},
    {"period": "custom", "date_from": "9950-01-01", "date_to": "9999-12-30"},
]
# A UTC offset PostgreSQL cannot take (+23:49) still names an instant Python can hold.
ODD_INSTANTS = [
    {"since": "0391-01-29T07:38:04.1597+23:49", "page_size": "1600"},
    {"until": "0391-01-29T07:38:04.1597-23:49"},
    {"since": "0001-01-01T00:00:00Z"},
    {"until": "9999-12-31T23:59:59.999999Z"},
    {"since": "0001-01-01T23:59:00+23:59", "until": "9999-12-31T00:00:00-23:59"},
]


@pytest.mark.parametrize("params", EDGE_DAYS + ODD_INSTANTS)
def test_an_odd_date_inside_the_calendar_is_answered_by_the_report(admin_client, site_zone, params):
    form = _page(admin_client, params)

    assert not form.errors


@pytest.mark.parametrize("params", EDGE_DAYS + ODD_INSTANTS)
def test_an_odd_date_inside_the_calendar_exports_a_whole_file(admin_client, site_zone, params):
    admin_client.raise_request_exception = False
    response = admin_client.get(EXPORT, params)

    assert response.status_code == 200, response.status_code
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    # The header names the site's zone, the one every time in the file is written in.
    header = ["Phone number", "phone_number", "Source", f"Opted out at ({site_zone})"]
    assert rows[0][:4] == header
    assert all(len(row) == len(rows[0]) for row in rows)


@pytest.mark.parametrize("params", ODD_INSTANTS)
def test_an_odd_instant_inside_the_calendar_is_answered_by_the_api(admin_api, site_zone, params):
    admin_api.raise_request_exception = False
    response = admin_api.get(API, params)

    assert response.status_code == 200, response.status_code


def test_a_chart_over_the_whole_calendar_keeps_to_the_rows_and_today(admin_client):
    params = {"period": "custom", "date_from": "0001-01-02", "date_to": "9999-12-30"}

    chart = str(admin_client.get(REPORT, params).context["chart"])

    # Months from the first opt-out to this one, not 120,000 empty bars from year 1.
    assert "0001-01" not in chart and "9999-12" not in chart
    assert chart.count("<rect") < 20
