"""Revoke-all: autodialed_calls_allowed by source, with a pending revocation, and in batches."""

from __future__ import annotations

from datetime import date

import pytest

from optouts.checks import revocation_scope_check
from optouts.messaging.services import inbound_message_receive
from optouts.models import Channel, Source
from optouts.services import phone_opt_out_by_contact
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155550191"
LOOKUP = "/api/v1/sms/phone-numbers/{}/"
DIALER = "/api/v1/sms/call-consent/"


def _lookup(api, number=NUMBER) -> dict:
    response = api.get(LOOKUP.format(number))
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("setup", "allowed", "reason"),
    [
        (lambda: None, True, None),
        (lambda: given_opt_out(number=NUMBER, source=Source.AGENT), True, None),
        (lambda: given_opt_out(number=NUMBER, source=Source.SYSTEM), True, None),
        (lambda: given_opt_out(number=NUMBER, source=Source.CONTACT), False, "contact_revoked"),
    ],
    ids=["opted-in", "agent", "system", "contact-stop"],
)
def test_the_look_up_answers_calls_by_source(agent_api, setup, allowed, reason):
    setup()
    body = _lookup(agent_api)
    assert (body["autodialed_calls_allowed"], body["calls_reason"]) == (allowed, reason)


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.IN_PERSON])
def test_a_contacts_revocation_in_any_channel_stops_calls(agent_api, agent_user, channel):
    recorded_by = agent_user if channel != Channel.SMS else None
    phone_opt_out_by_contact(number=NUMBER, channel=channel, recorded_by=recorded_by)
    assert _lookup(agent_api)["autodialed_calls_allowed"] is False


def test_a_pending_revocation_stops_calls_until_decided(agent_api):
    inbound_message_receive(
        message_sid="SMcall", from_number=NUMBER, body="please stop texting so early"
    )
    body = _lookup(agent_api)
    assert (body["autodialed_calls_allowed"], body["calls_reason"]) == (
        False,
        "revocation_pending",
    )
    assert body["sms_opted_out"] is False


def test_the_sms_only_scope_leaves_calls_allowed(agent_api, settings):
    settings.CONSENT_REVOCATION_SCOPE = "sms"
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    assert _lookup(agent_api)["autodialed_calls_allowed"] is True


def test_the_dialer_asks_many_numbers_at_once_in_input_order(agent_api):
    given_opt_out(number="+14155550192", source=Source.CONTACT)
    given_opt_out(number="+14155550193", source=Source.AGENT)
    response = agent_api.post(
        DIALER, {"phone_numbers": ["(415) 555-0193", "+14155550192", "4155550194"]}, format="json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["phone_number"], r["autodialed_calls_allowed"]) for r in results] == [
        ("+14155550193", True),
        ("+14155550192", False),
        ("+14155550194", True),
    ]
    assert results[1]["reason"] == "contact_revoked"
    assert results[0]["sms_opted_out"] is True


def test_the_dialer_refuses_a_batch_with_a_malformed_number(agent_api):
    response = agent_api.post(DIALER, {"phone_numbers": ["+14155550192", "12"]}, format="json")
    assert response.status_code == 400


def test_the_dialer_needs_credentials(api_client):
    assert api_client.post(DIALER, {"phone_numbers": [NUMBER]}, format="json").status_code == 401


def test_the_lead_page_says_whether_calls_are_allowed(agent_client):
    lead = LeadFactory()
    LeadPhoneFactory(lead=lead, number=NUMBER)
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    page = agent_client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "<strong>Not allowed</strong>" in page
    assert "The contact revoked consent" in page


def test_check_deploy_warns_about_sms_only_scope_from_31_january_2027(settings):
    settings.CONSENT_REVOCATION_SCOPE = "sms"
    assert revocation_scope_check(today=date(2027, 1, 30)) == []
    (warning,) = revocation_scope_check(today=date(2027, 1, 31))
    assert warning.id == "optouts.W001"
    settings.CONSENT_REVOCATION_SCOPE = "all"
    assert revocation_scope_check(today=date(2027, 2, 1)) == []
