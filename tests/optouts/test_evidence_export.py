"""GET /api/v1/sms/phone-numbers/<n>/evidence/: the bundle a lender hands to counsel."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from optouts.messaging.models import InboundMessage, OutboundMessage
from optouts.models import Channel, ConsentEvent
from optouts.services import phone_opt_out_by_carrier, phone_opt_out_by_contact
from tests.append_only import tamper
from tests.conftest import token_client
from tests.factories import LeadPhoneFactory, given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"  # San Francisco: America/Los_Angeles
UK_MOBILE = "+447911123456"  # spans several zones in phonenumbers' data
NOTE = "Customer asked by phone on 2 Dec"
EVIDENCE = "Signed consent form DOC-1234"


def url(number, fmt=None):
    path = reverse("api-sms-phone-number-evidence", args=[number])
    return f"{path}?format={fmt}" if fmt else path


@pytest.fixture
def story(admin_user, agent_user):
    """Agent opt-out from a lead, admin opt-in from the report, then STOP by SMS."""
    phone = LeadPhoneFactory(number=NUMBER, lead__first_name="Dana", lead__last_name="Smith")
    given_opt_out(number=NUMBER, actor=agent_user, lead=phone.lead, note="asked by email")
    given_opt_in(number=NUMBER, actor=admin_user, note=NOTE, channel=Channel.REPORT)
    now = timezone.now()
    InboundMessage.objects.create(
        message_sid="SMinbound1",
        from_raw="+1 415 555 2671",
        phone_number=NUMBER,
        body="STOP please",
        action="stop",
        received_at=now,
    )
    phone_opt_out_by_contact(
        number=NUMBER, details={"text": "STOP please", "message_sid": "SMinbound1"}
    )
    return {"phone": phone}


def test_admin_gets_every_event_with_its_hash_times_actors_and_messages(admin_api, story):
    response = admin_api.get(url("(415) 555-2671"))

    assert response.status_code == 200
    bundle = response.json()
    assert bundle["phone_number"] == NUMBER
    assert bundle["verification"]["status"] == "ok"
    assert bundle["verification"]["first_broken_id"] is None
    events = bundle["events"]
    assert [e["action"] for e in events] == ["opt_out", "opt_in", "opt_out"]
    assert [e["channel"] for e in events] == ["ui", "report", "keyword"]
    assert [e["actor_label"] for e in events] == ["bob", "alice", ""]
    assert events[0]["lead_id"] == story["phone"].lead.pk
    assert events[0]["lead_label"] == "Dana Smith" == events[0]["lead_label_now"]
    assert events[1]["note"] == NOTE
    assert events[2]["messages"][0]["body"] == "STOP please"
    assert events[2]["messages"][0]["direction"] == "inbound"
    assert bundle["verification"]["head"] == events[-1]["chain_hash"]
    assert bundle["leads_now"] == [{"id": story["phone"].lead.pk, "label": "Dana Smith"}]
    assert bundle["list_row_now"]["source"] == "contact"


def test_the_carrier_event_names_the_outbound_message_that_failed(admin_api, agent_user):
    now = timezone.now()
    sent = OutboundMessage.objects.create(
        to_number=NUMBER,
        body="Hello",
        status="failed",
        provider_id="SMout9",
        error_code="21610",
        created_at=now,
        status_changed_at=now,
    )
    phone_opt_out_by_carrier(number=NUMBER, details={"error_code": "21610", "message_id": sent.pk})

    (event,) = admin_api.get(url(NUMBER)).json()["events"]

    assert event["messages"] == [
        {
            "direction": "outbound",
            "message_id": sent.pk,
            "provider_id": "SMout9",
            "to": NUMBER,
            "body": "Hello",
            "status": "failed",
            "error_code": "21610",
            "created_at": sent.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
    ]


def test_times_are_in_utc_and_in_the_recipients_zone(admin_api, story):
    bundle = admin_api.get(url(NUMBER)).json()

    event = bundle["events"][0]
    utc = datetime.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    local = datetime.fromisoformat(event["created_at_local"])
    assert local == utc
    assert local.utcoffset().total_seconds() in (-8 * 3600, -7 * 3600)
    assert bundle["recipient_time_zone"]["name"] == "America/Los_Angeles"


def test_a_number_spanning_several_zones_uses_the_first_and_says_so(admin_api):
    given_opt_out(number=UK_MOBILE)

    zone = admin_api.get(url(UK_MOBILE)).json()["recipient_time_zone"]

    assert len(zone["candidates"]) > 1
    assert zone["name"] == zone["candidates"][0]
    assert f"local times use the first, {zone['name']}" in zone["note"]


def test_anyone_can_check_the_export_with_json_and_hashlib(admin_api, story):
    bundle = admin_api.get(url(NUMBER)).json()

    previous = hashlib.sha256(bundle["phone_number"].encode()).hexdigest()
    assert previous == bundle["chain"]["seed"]
    for event in bundle["events"]:
        fields = {name: event[name] for name in bundle["chain"]["canonical_fields"]}
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical == event["canonical"]
        previous = hashlib.sha256((previous + canonical).encode()).hexdigest()
        assert previous == event["chain_hash"]
    assert previous == bundle["verification"]["head"]


def test_an_edited_row_makes_the_export_say_broken_and_where(admin_api, story):
    target = ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id")[1]
    tamper(
        connection,
        "UPDATE optouts_consentevent SET details = %s WHERE id = %s",
        [json.dumps({"note": "backdated"}), target.pk],
    )

    bundle = admin_api.get(url(NUMBER)).json()

    verification = bundle["verification"]
    assert verification["status"] == "broken"
    assert verification["first_broken_id"] == target.pk
    assert [b["id"] for b in verification["broken"]] == [target.pk]
    assert [e["chain_ok"] for e in bundle["events"]] == [True, False, True]


def test_csv_has_the_header_block_then_one_row_per_event(admin_api, story):
    response = admin_api.get(url(NUMBER, "csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "consent-evidence-14155552671-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    head = {row[0]: row[1:] for row in rows[: rows.index([])]}
    assert head["Chain verification"] == ["OK"]
    assert head["Recipient time zone"][0] == "America/Los_Angeles"
    table = rows[rows.index([]) + 1 :]
    table = table[: table.index([])]  # the answers sent to the number's texts follow
    assert table[0][:3] == ["Event id", "Time (UTC)", "Time (recipient local)"]
    assert len(table) == 1 + 3
    stop = dict(zip(table[0], table[3], strict=True))
    assert stop["Messages"] == "Inbound SMS SMinbound1 from +1 415 555 2671: STOP please"
    assert stop["Chain verified"] == "yes"


def test_csv_cells_cannot_run_as_formulas(admin_api, admin_user, agent_user):
    given_opt_out(number=NUMBER, actor=agent_user)
    given_opt_in(number=NUMBER, actor=admin_user, note='=HYPERLINK("http://evil")')

    rows = list(csv.reader(io.StringIO(admin_api.get(url(NUMBER, "csv")).content.decode())))

    table = rows[rows.index([]) + 1 :]
    opt_in = dict(zip(table[0], table[2], strict=True))
    assert opt_in["Reason / note"] == '\'=HYPERLINK("http://evil")'


def test_printable_page_is_self_contained_and_escaped(admin_api, admin_user, agent_user):
    given_opt_out(number=NUMBER, actor=agent_user, note="<script>alert(1)</script>")
    given_opt_in(number=NUMBER, actor=admin_user, note="<img src=x onerror=alert(1)>")

    response = admin_api.get(url(NUMBER, "html"))

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<link" not in html and "src=" not in html.replace("img src=x", "")
    assert "http://" not in html and "https://" not in html
    assert 'id="verification" class="ok"' in html


def test_printable_page_style_carries_the_csp_nonce(admin_client, agent_user):
    given_opt_out(number=NUMBER, actor=agent_user)

    response = admin_client.get(url(NUMBER, "html"))

    policy = response["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<style nonce="{nonce}">' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("agent_user", 403), (None, 401)], ids=["agent", "anonymous"]
)
def test_only_admins_get_the_evidence(request, story, persona, status):
    from rest_framework.test import APIClient

    client = token_client(request.getfixturevalue(persona)) if persona else APIClient()

    response = client.get(url(NUMBER))

    assert response.status_code == status
    assert "events" not in response.json()


def test_bad_format_and_bad_number_are_400_json(admin_api):
    bad_format = admin_api.get(url(NUMBER, "pdf"))
    assert bad_format.status_code == 400
    assert bad_format.json()["code"] == "invalid_format"

    bad_number = admin_api.get(url("not-a-number", "csv"))
    assert bad_number.status_code == 400
    assert bad_number["Content-Type"].startswith("application/json")


def test_a_number_without_history_exports_an_empty_verified_bundle(admin_api):
    bundle = admin_api.get(url(NUMBER)).json()

    assert bundle["events"] == []
    assert bundle["verification"]["status"] == "ok"
    assert bundle["list_row_now"]["sms_opted_out"] is False


# --- The history page ---------------------------------------------------------------------------


def test_history_page_links_the_three_downloads_and_shows_the_chain(admin_client, story):
    page = admin_client.get(reverse("admin:optouts_report_history", args=[NUMBER]))

    html = page.content.decode()
    for fmt in ("json", "csv", "html"):
        assert f'href="{url(NUMBER, fmt)}"' in html
    assert "Download evidence" in html
    # In words on the page; the command (sms_evidence_verify) prints the hash line.
    assert "Evidence: Intact: the 3 recorded changes below are exactly as they were written" in html
    assert ", head " not in html
