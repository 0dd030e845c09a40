"""Carrier error codes on the status callback, and the reason they record (unknown, landline;
unreachable when an operator makes 30003 an opt-out code) on the System row, in its event, the
report, the CSV export, the number's history and the API. The default 30003 is not an opt-out:
tests/optouts/messaging/test_reachability.py."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from optouts.messaging.carrier_codes import CARRIER_CODE_REASONS, carrier_code_reason
from optouts.messaging.models import OutboundMessage
from optouts.messaging.services import message_send
from optouts.models import CarrierReason, Channel, ConsentEvent, OptOut, Source
from optouts.services import Outcome, phone_opt_out_by_carrier, phones_opt_in_by_admin
from tests.factories import given_opt_out
from tests.optouts.messaging.twilio_webhooks import STATUS, message_sid, status_form

pytestmark = pytest.mark.django_db

NUMBER = "+14155550188"
REPORT = "/admin/optouts/report/"


@pytest.fixture(autouse=True)
def _no_throttle_left_over():
    cache.clear()
    yield
    cache.clear()


def _sent() -> str:
    """A message sent to NUMBER, given the id Twilio would have given it."""
    message = message_send(to=NUMBER, body="Your rate quote is ready.")
    sid = message_sid(0xC000 + message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(provider_id=sid)
    return sid


@pytest.fixture
def carrier_says(twilio_post):
    """Post the provider's status callback with `code` for `sid` (else a message sent now)."""

    def post(code: str, *, sid: str = "", status: str = "undelivered"):
        sid = sid or _sent()
        form = status_form(sid=sid, status=status, to=NUMBER, error_code=code)
        assert twilio_post(STATUS, form).status_code == 204
        return sid

    return post


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("21610", ""),
        ("30005", CarrierReason.UNKNOWN),
        ("30006", CarrierReason.LANDLINE),
    ],
)
def test_each_carrier_code_records_its_reason_on_the_system_row_and_its_event(
    carrier_says, code, reason
):
    sid = carrier_says(code)
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.channel, row.reason) == (Source.SYSTEM, Channel.CARRIER, reason)
    event = ConsentEvent.objects.get(phone_number=NUMBER)
    assert event.details["error_code"] == code
    assert event.details["message_sid"] == sid
    assert event.details.get("reason", "") == reason


@pytest.mark.parametrize("code", ["21610", "30005", "30006"])
def test_an_admin_still_cannot_opt_in_a_number_the_carrier_reported(carrier_says, admin_user, code):
    carrier_says(code)
    (result,) = phones_opt_in_by_admin(
        numbers=[NUMBER], user=admin_user, channel=Channel.REPORT, note="asked by phone"
    )
    assert result.outcome == Outcome.REFUSED
    assert OptOut.objects.filter(phone_number=NUMBER).exists()


def test_a_landline_report_upgrades_an_agent_opt_out_and_sets_the_reason(carrier_says):
    sid = _sent()
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    carrier_says("30006", sid=sid)
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.reason) == (Source.SYSTEM, CarrierReason.LANDLINE)


def test_a_second_carrier_report_keeps_the_first_reason(carrier_says):
    first, second = _sent(), _sent()
    carrier_says("30006", sid=first)
    carrier_says("30005", sid=second)
    assert OptOut.objects.get(phone_number=NUMBER).reason == CarrierReason.LANDLINE
    assert ConsentEvent.objects.filter(phone_number=NUMBER).count() == 1


def test_a_contact_stop_over_a_landline_row_clears_the_reason(carrier_says):
    carrier_says("30006")
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.reason) == (Source.CONTACT, "")


def test_a_code_outside_the_setting_is_only_recorded(carrier_says, settings):
    settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES = ["21610"]
    carrier_says("30006")
    assert not OptOut.objects.exists()


def test_a_code_added_to_the_setting_but_not_the_table_opts_out_without_a_reason(
    carrier_says, settings
):
    settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES = ["30007"]
    carrier_says("30007")
    assert OptOut.objects.get(phone_number=NUMBER).reason == ""


def test_the_table_maps_the_four_default_codes():
    assert set(CARRIER_CODE_REASONS) == {"21610", "30003", "30005", "30006"}
    assert carrier_code_reason(error_code=" 30006 ") == "landline"
    assert carrier_code_reason(error_code="30007") == ""


def test_the_service_refuses_a_reason_it_does_not_know():
    with pytest.raises(ValueError, match="not a carrier reason"):
        phone_opt_out_by_carrier(number=NUMBER, reason="moved")
    assert not OptOut.objects.exists()


def test_the_database_refuses_a_reason_on_a_row_that_is_not_system():
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    with pytest.raises(IntegrityError), transaction.atomic():
        OptOut.objects.filter(phone_number=NUMBER).update(reason=CarrierReason.LANDLINE)


# --- Where an admin sees it -------------------------------------------------------------------


def test_the_report_source_cell_says_system_and_the_reason(carrier_says, admin_client):
    carrier_says("30006")
    given_opt_out(number="+14155550189", source=Source.AGENT, channel=Channel.UI)
    html = admin_client.get(REPORT, {"period": "all"}).content.decode()
    assert ">System · landline</span>" in html
    assert ">Agent</span>" in html


def test_the_csv_export_source_column_says_system_and_the_reason(carrier_says, admin_client):
    carrier_says("30005")
    response = admin_client.get(REPORT + "export.csv", {"period": "all"})
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert [row[header.index("Source")] for row in rows] == ["System · unknown number"]


def test_the_history_page_shows_the_reason(carrier_says, admin_client, settings):
    # An operator who wants 30003 to opt out (against the default) gets its reason shown.
    settings.SMS_SYSTEM_OPT_OUT_ERROR_CODES = ["30003"]
    settings.SMS_UNREACHABLE_ERROR_CODES = []
    carrier_says("30003")
    html = admin_client.get(REPORT + f"number/{NUMBER}/").content.decode()
    assert '<strong class="optout-source">System · unreachable</strong>' in html
    assert "reason: unreachable" in html  # the event's details


def test_the_api_look_up_and_list_carry_the_reason(carrier_says, admin_api):
    carrier_says("30006")
    found = admin_api.get(f"/api/v1/sms/phone-numbers/{NUMBER}/").json()
    assert (found["source"], found["reason"]) == ("system", "landline")
    assert found["history"][0]["details"]["reason"] == "landline"
    (row,) = admin_api.get("/api/v1/sms/opt-outs/").json()["results"]
    assert (row["source"], row["reason"]) == ("system", "landline")


def test_the_api_reason_is_null_for_a_carrier_stop_and_other_sources(carrier_says, admin_api):
    carrier_says("21610")
    given_opt_out(number="+14155550189", source=Source.AGENT, channel=Channel.UI)
    assert admin_api.get(f"/api/v1/sms/phone-numbers/{NUMBER}/").json()["reason"] is None
    rows = admin_api.get("/api/v1/sms/opt-outs/").json()["results"]
    assert [r["reason"] for r in rows] == [None, None]
