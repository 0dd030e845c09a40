"""An admin opt-in records its reason (required) and, optionally, the evidence of consent, from
every place an admin can opt a number in; both show in the history and the evidence export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from optouts.models import Channel, ConsentEvent, OptOut
from optouts.services import (
    CONSENT_EVIDENCE_MAX,
    OptInEvidenceTooLong,
    phones_opt_in_by_admin,
)
from tests.factories import LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"
NOTE = "Customer asked by phone on 2 Dec"
EVIDENCE = "Signed consent form DOC-1234, https://files.example.com/doc-1234.pdf"


@pytest.fixture
def listed(agent_user):
    given_opt_out(number=NUMBER, actor=agent_user)


def _opt_in_event() -> ConsentEvent:
    return ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN)


def test_the_service_keeps_the_evidence_in_the_events_details(admin_user, listed):
    phones_opt_in_by_admin(
        numbers=[NUMBER], user=admin_user, channel=Channel.UI, note=NOTE, evidence=f" {EVIDENCE} "
    )

    details = _opt_in_event().details
    assert (details["note"], details["consent_evidence"]) == (NOTE, EVIDENCE)


def test_evidence_is_optional_and_absent_when_not_given(admin_user, listed):
    phones_opt_in_by_admin(numbers=[NUMBER], user=admin_user, channel=Channel.UI, note=NOTE)

    assert "consent_evidence" not in _opt_in_event().details


def test_evidence_longer_than_the_limit_is_refused_and_nothing_is_written(admin_user, listed):
    with pytest.raises(OptInEvidenceTooLong):
        phones_opt_in_by_admin(
            numbers=[NUMBER],
            user=admin_user,
            channel=Channel.UI,
            note=NOTE,
            evidence="x" * (CONSENT_EVIDENCE_MAX + 1),
        )

    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    assert not ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN).exists()


def test_api_opt_in_takes_optional_evidence(admin_api, listed):
    response = admin_api.post(
        "/api/v1/sms/opt-in/",
        {"phone_number": NUMBER, "note": NOTE, "evidence": EVIDENCE},
        format="json",
    )

    assert response.status_code == 200
    assert _opt_in_event().details["consent_evidence"] == EVIDENCE


def test_api_opt_in_with_too_long_evidence_is_400_and_applies_nothing(admin_api, listed):
    response = admin_api.post(
        "/api/v1/sms/opt-in/",
        {"phone_number": NUMBER, "note": NOTE, "evidence": "x" * (CONSENT_EVIDENCE_MAX + 1)},
        format="json",
    )

    assert response.status_code == 400
    assert "evidence" in response.json()["errors"]
    assert OptOut.objects.filter(phone_number=NUMBER).exists()


def test_report_opt_in_page_and_dialog_offer_the_evidence_field(admin_client, listed):
    confirm = admin_client.get(reverse("admin:optouts_report_opt_in", args=[NUMBER]))
    report = admin_client.get(reverse("admin:optouts_report"))
    history = admin_client.get(reverse("admin:optouts_report_history", args=[NUMBER]))

    for page in (confirm, report, history):
        assert 'name="evidence"' in page.content.decode()


def test_report_opt_in_records_the_evidence(admin_client, listed):
    admin_client.post(
        reverse("admin:optouts_report_opt_in", args=[NUMBER]),
        {"note": NOTE, "evidence": EVIDENCE},
    )

    assert _opt_in_event().details["consent_evidence"] == EVIDENCE


def test_report_opt_in_with_too_long_evidence_shows_the_form_again(admin_client, listed):
    response = admin_client.post(
        reverse("admin:optouts_report_opt_in", args=[NUMBER]),
        {"note": NOTE, "evidence": "x" * (CONSENT_EVIDENCE_MAX + 1)},
    )

    assert response.status_code == 400
    assert "limited to 1,000 characters" in response.content.decode()
    assert OptOut.objects.filter(phone_number=NUMBER).exists()


def test_bulk_opt_in_records_the_evidence(admin_client, listed):
    url = reverse("admin:optouts_report_bulk_opt_in")
    ask = admin_client.post(url, {"number": [NUMBER]})
    assert 'name="evidence"' in ask.content.decode()

    admin_client.post(
        url, {"number": [NUMBER], "confirm": "yes", "note": NOTE, "evidence": EVIDENCE}
    )

    assert _opt_in_event().details["consent_evidence"] == EVIDENCE


def test_lead_page_opt_in_records_the_evidence(admin_client, agent_user):
    phone = LeadPhoneFactory(number=NUMBER)
    given_opt_out(number=NUMBER, actor=agent_user)
    url = reverse("admin:leads_lead_phone_opt_in", args=[phone.lead.pk, phone.pk])
    assert 'name="evidence"' in admin_client.get(url).content.decode()

    admin_client.post(url, {"note": NOTE, "evidence": EVIDENCE})

    assert _opt_in_event().details["consent_evidence"] == EVIDENCE


def test_history_and_export_show_the_evidence_escaped(admin_client, admin_user, listed):
    phones_opt_in_by_admin(
        numbers=[NUMBER],
        user=admin_user,
        channel=Channel.UI,
        note=NOTE,
        evidence="<b>form</b> DOC-1",
    )

    history = admin_client.get(reverse("admin:optouts_report_history", args=[NUMBER]))
    export = admin_client.get(f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/?format=html")

    assert "Consent evidence: &lt;b&gt;form&lt;/b&gt; DOC-1" in history.content.decode()
    assert "Consent evidence:</strong> &lt;b&gt;form&lt;/b&gt; DOC-1" in export.content.decode()
    bundle = admin_client.get(f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/").json()
    assert bundle["events"][-1]["consent_evidence"] == "<b>form</b> DOC-1"
