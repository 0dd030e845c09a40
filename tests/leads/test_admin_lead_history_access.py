"""The lead page's consent history shows agents what the API answers them (field_access)."""

import pytest

from optouts.models import Channel, Source
from optouts.services import phones_opt_in_by_admin
from tests.factories import LeadPhoneFactory, given_opt_in, given_opt_out
from tests.leads._admin_helpers import change_url

pytestmark = pytest.mark.django_db

AGENT_NOTE = "asked by email"
OPT_IN_NOTE = "Customer called on 2 Dec to get texts again"
EVIDENCE = "Signed form DOC-8841"
REFUSED_NOTE = "Trying again after the STOP"


@pytest.fixture
def lead(admin_user, agent_user):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, actor=agent_user, note=AGENT_NOTE)
    phones_opt_in_by_admin(
        numbers=[phone.number],
        user=admin_user,
        channel=Channel.UI,
        note=OPT_IN_NOTE,
        evidence=EVIDENCE,
    )
    given_opt_out(number=phone.number, source=Source.CONTACT, details={"text": "STOP"})
    given_opt_in(number=phone.number, actor=admin_user, note=REFUSED_NOTE)  # refused
    return phone.lead


def _history(client, lead) -> str:
    body = client.get(change_url(lead)).content.decode()
    return body[body.index('id="consent-history"') :]


def test_an_agent_sees_no_opt_in_reason_consent_evidence_or_requester(agent_client, lead):
    history = _history(agent_client, lead)

    for hidden in (OPT_IN_NOTE, EVIDENCE, REFUSED_NOTE, "requested_by", "consent_evidence"):
        assert hidden not in history
    assert f"note: {AGENT_NOTE}" in history
    assert "text: STOP" in history
    assert "reason: contact_opt_out" in history


def test_an_admin_sees_every_detail(admin_client, lead):
    history = _history(admin_client, lead)

    assert f"note: {OPT_IN_NOTE}" in history
    assert f"consent_evidence: {EVIDENCE}" in history
    assert f"note: {REFUSED_NOTE}" in history
    assert "requested_by: admin" in history
    assert f"note: {AGENT_NOTE}" in history
