"""POST /api/v1/sms/opt-in/ and the rules table of docs/rules.md driven through the API.

The carrier and stop/start-word rows arrive by webhook; here they set the state the API
requests then meet. Every API row: agent/admin opt-out, admin opt-in, agent opt-in (403).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import RefusalReason
from tests.factories import given_opt_out

URL = "/api/v1/sms/opt-in/"
OPT_OUT_URL = "/api/v1/sms/opt-out/"
NUMBER = "+14155552671"
IN = None

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


NOTE = "customer asked by phone on 2 Dec"


def _put_in_state(state):
    if state is IN:
        return
    channel = {Source.AGENT: Channel.UI, Source.SYSTEM: Channel.CARRIER}.get(state, Channel.KEYWORD)
    given_opt_out(number=NUMBER, source=state, channel=channel)


def _state():
    row = OptOut.objects.filter(phone_number=NUMBER).first()
    return row.source if row else IN


STATES = [IN, Source.AGENT, Source.SYSTEM, Source.CONTACT]
# (client fixture, url) -> (expected state after, expected outcome) per starting state.
API_RULES = {
    "agent_opt_out": (
        "agent_api",
        OPT_OUT_URL,
        [
            (Source.AGENT, "opted_out"),
            (Source.AGENT, "already_opted_out"),
            (Source.SYSTEM, "already_opted_out"),
            (Source.CONTACT, "already_opted_out"),
        ],
    ),
    "admin_opt_out": (
        "admin_api",
        OPT_OUT_URL,
        [
            (Source.AGENT, "opted_out"),
            (Source.AGENT, "already_opted_out"),
            (Source.SYSTEM, "already_opted_out"),
            (Source.CONTACT, "already_opted_out"),
        ],
    ),
    "admin_opt_in": (
        "admin_api",
        URL,
        [
            (IN, "not_opted_out"),
            (IN, "opted_in"),
            (Source.SYSTEM, "refused"),
            (Source.CONTACT, "refused"),
        ],
    ),
    "agent_opt_in": ("agent_api", URL, [(state, 403) for state in STATES]),
}
TABLE = [
    pytest.param(client, url, before, after, outcome, id=f"{name}-from-{before or 'in'}")
    for name, (client, url, rows) in API_RULES.items()
    for before, (after, outcome) in zip(STATES, rows, strict=True)
]


@pytest.mark.parametrize(("client_name", "url", "before", "after", "outcome"), TABLE)
def test_rules_table_through_the_api(request, client_name, url, before, after, outcome):
    client = request.getfixturevalue(client_name)
    _put_in_state(before)
    events_before = ConsentEvent.objects.count()

    response = client.post(url, {"phone_number": NUMBER, "note": NOTE}, format="json")

    if outcome == 403:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert ConsentEvent.objects.count() == events_before
    elif outcome == "refused":
        # One number (`phone_number`) refused by the rules: 409, code = the reason, still logged.
        assert response.status_code == 409, response.json()
        assert response.json()["code"] == f"{before}_opt_out"
        assert ConsentEvent.objects.count() == events_before + 1
    else:
        assert response.status_code == 200, response.json()
        assert response.json()["results"][0]["outcome"] == outcome
        assert response.json()["results"][0]["source"] == after
        changed_or_refused = outcome in ("opted_out", "opted_in", "refused")
        assert ConsentEvent.objects.count() == events_before + changed_or_refused
    assert _state() == after


def test_admin_cannot_opt_in_a_number_that_texted_stop(admin_api):
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    response = admin_api.post(URL, {"phone_number": NUMBER, "note": NOTE}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "code": RefusalReason.CONTACT_OPT_OUT,
        "detail": "The contact texted STOP: only the contact can opt back in, by texting START.",
    }
    refusal = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN_REFUSED)
    assert refusal.channel == Channel.API
    assert refusal.details["reason"] == RefusalReason.CONTACT_OPT_OUT
    assert _state() == Source.CONTACT


def test_single_number_opt_in_refused_by_the_carrier_is_409_system_opt_out(admin_api):
    given_opt_out(number=NUMBER, source=Source.SYSTEM, channel=Channel.CARRIER)

    response = admin_api.post(URL, {"phone_number": NUMBER, "note": NOTE}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == RefusalReason.SYSTEM_OPT_OUT
    assert ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN_REFUSED).count() == 1


def test_a_batch_of_one_refused_number_stays_200_with_the_refusal_as_its_outcome(admin_api):
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    response = admin_api.post(URL, {"phone_numbers": [NUMBER], "note": NOTE}, format="json")

    assert response.status_code == 200
    result = response.json()["results"][0]
    assert (result["outcome"], result["reason"]) == ("refused", RefusalReason.CONTACT_OPT_OUT)
    assert "START" in result["detail"]


def test_admin_batch_opt_in_answers_per_number_in_input_order(admin_api):
    given_opt_out(number="+14155552671", source=Source.AGENT, channel=Channel.UI)
    given_opt_out(number="+12125550100", source=Source.SYSTEM, channel=Channel.CARRIER)

    response = admin_api.post(
        URL,
        {"phone_numbers": ["212 555 0100", "+14155552671", "+13125550100"], "note": NOTE},
        format="json",
    )

    results = response.json()["results"]
    assert [(r["phone_number"], r["outcome"], r["reason"]) for r in results] == [
        ("+12125550100", "refused", RefusalReason.SYSTEM_OPT_OUT),
        ("+14155552671", "opted_in", None),
        ("+13125550100", "not_opted_out", None),
    ]
    assert list(OptOut.objects.values_list("phone_number", flat=True)) == ["+12125550100"]


def test_opt_in_batch_with_a_malformed_number_changes_nothing(admin_api):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)

    response = admin_api.post(URL, {"phone_numbers": [NUMBER, "12"], "note": NOTE}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["phone_numbers"] == [
        {
            "index": 1,
            "input": "12",
            "detail": response.json()["errors"]["phone_numbers"][0]["detail"],
        }
    ]
    assert _state() == Source.AGENT


def test_anonymous_opt_in_gets_401(api_client):
    response = api_client.post(URL, {"phone_number": NUMBER, "note": NOTE}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   "}])
def test_admin_opt_in_without_a_reason_is_400_and_changes_nothing(admin_api, body):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)

    response = admin_api.post(URL, {"phone_number": NUMBER, **body}, format="json")

    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    assert not ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN).exists()


def test_admin_opt_in_reason_is_on_the_event(admin_api):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    admin_api.post(URL, {"phone_number": NUMBER, "note": NOTE}, format="json")
    assert ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN).details["note"] == NOTE
