"""POST /api/v1/sms/opt-out/: who may call it, what it does, and the all-or-nothing batch."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import given_opt_out

URL = "/api/v1/sms/opt-out/"
NUMBER = "+14155552671"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def test_agent_token_opts_a_number_out_with_source_agent_channel_api(agent_api, agent_user):
    response = agent_api.post(URL, {"phone_number": "(415) 555-2671"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "results": [
            {
                "input": "(415) 555-2671",
                "phone_number": NUMBER,
                "outcome": "opted_out",
                "source": "agent",
            }
        ]
    }
    row = OptOut.objects.get(phone_number=NUMBER)
    assert (row.source, row.channel, row.actor_id) == (Source.AGENT, Channel.API, agent_user.pk)
    event = ConsentEvent.objects.get(phone_number=NUMBER)
    assert event.channel == Channel.API
    assert (event.actor_id, event.actor_label) == (agent_user.pk, agent_user.username)
    assert event.details["api_auth"] == "token"


def test_admin_can_opt_out_a_batch_and_the_note_is_logged(admin_api):
    numbers = ["+14155552671", "212-555-0100", "+44 20 7946 0958"]

    response = admin_api.post(URL, {"phone_numbers": numbers, "note": "Asked by phone"}, "json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["input"] for r in results] == numbers
    assert [r["phone_number"] for r in results] == ["+14155552671", "+12125550100", "+442079460958"]
    assert {r["outcome"] for r in results} == {"opted_out"}
    assert OptOut.objects.count() == 3
    assert {e.details["note"] for e in ConsentEvent.objects.all()} == {"Asked by phone"}


def test_session_login_works_for_the_api(agent_client):
    response = agent_client.post(URL, {"phone_number": NUMBER}, content_type="application/json")

    assert response.status_code == 200
    assert ConsentEvent.objects.get().details["api_auth"] == "session"


def test_repeating_an_opt_out_is_idempotent(agent_api):
    agent_api.post(URL, {"phone_number": NUMBER}, format="json")
    response = agent_api.post(URL, {"phone_number": NUMBER}, format="json")

    assert response.json()["results"][0]["outcome"] == "already_opted_out"
    assert ConsentEvent.objects.count() == 1


@pytest.mark.parametrize("stronger", [Source.CONTACT, Source.SYSTEM])
def test_an_agent_opt_out_never_downgrades_a_stronger_source(agent_api, stronger):
    given_opt_out(number=NUMBER, source=stronger, channel=Channel.KEYWORD)

    response = agent_api.post(URL, {"phone_number": NUMBER}, format="json")

    assert response.json()["results"][0] == {
        "input": NUMBER,
        "phone_number": NUMBER,
        "outcome": "already_opted_out",
        "source": stronger,
    }
    assert OptOut.objects.get().source == stronger


def test_a_batch_with_one_malformed_number_is_refused_whole(agent_api):
    numbers = ["+14155552671", "not a number", "212-555-0100", "123", None]

    response = agent_api.post(URL, {"phone_numbers": numbers}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_phone_numbers"
    assert "nothing was applied" in body["detail"]
    errors = body["errors"]["phone_numbers"]
    assert [(e["index"], e["input"]) for e in errors] == [
        (1, "not a number"),
        (3, "123"),
        (4, None),
    ]
    assert all(e["detail"] for e in errors)
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_a_malformed_single_number_is_a_400_naming_it(agent_api):
    response = agent_api.post(URL, {"phone_number": "555-CALL-NOW"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["phone_number"][0]["input"] == "555-CALL-NOW"


def test_a_batch_of_1000_numbers_is_accepted_and_1001_refused(agent_api):
    numbers = [f"+1415555{n:04d}" for n in range(1001)]

    too_many = agent_api.post(URL, {"phone_numbers": numbers}, format="json")
    just_enough = agent_api.post(URL, {"phone_numbers": numbers[:1000]}, format="json")

    assert too_many.status_code == 400
    assert "phone_numbers" in too_many.json()["errors"]
    assert just_enough.status_code == 200
    assert OptOut.objects.count() == 1000


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone_number": NUMBER, "phone_numbers": [NUMBER]},
        {"phone_numbers": []},
        {"phone_numbers": "+14155552671"},
    ],
    ids=["neither", "both", "empty-list", "list-is-a-string"],
)
def test_a_body_without_exactly_one_of_phone_number_or_phone_numbers_is_invalid(agent_api, body):
    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]
    assert not OptOut.objects.exists()


def test_anonymous_gets_401_with_www_authenticate(api_client):
    response = api_client.post(URL, {"phone_number": NUMBER}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_a_bad_token_gets_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.post(URL, {"phone_number": NUMBER}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_user_without_the_opt_out_permission_gets_403(api_client, db):
    from tests.factories import UserFactory

    api_client.force_authenticate(UserFactory(username="nobody-special"))

    response = api_client.post(URL, {"phone_number": NUMBER}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not OptOut.objects.exists()


def test_a_malformed_single_number_is_described_as_one_number(agent_api):
    response = agent_api.post(URL, {"phone_number": "555-CALL-NOW"}, format="json")

    assert response.json()["detail"] == (
        "The phone number could not be read; nothing was applied. Fix it and send it again."
    )


def test_one_malformed_number_in_a_batch_is_it_not_them(agent_api):
    response = agent_api.post(URL, {"phone_numbers": ["+14155552671", "12"]}, format="json")

    assert response.json()["detail"] == (
        "1 of 2 phone numbers could not be read; nothing was applied. Fix it and send the "
        "whole batch again."
    )


@pytest.mark.django_db
def test_the_api_records_a_contacts_request_taken_down_on_a_call(agent_api, agent_user):
    response = agent_api.post(
        "/api/v1/sms/opt-out/",
        {"phone_number": "(415) 555-2690", "asked_by": "contact_call", "note": "called 10:05"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["source"] == "contact"
    row = OptOut.objects.get(phone_number="+14155552690")
    assert (row.source, row.channel, row.actor_id) == ("contact", "call", agent_user.pk)


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_asked_by_and_applies_nothing(agent_api):
    response = agent_api.post(
        "/api/v1/sms/opt-out/",
        {"phone_number": "(415) 555-2690", "asked_by": "contact_fax"},
        format="json",
    )
    assert response.status_code == 400
    assert not OptOut.objects.exists()


def test_the_answer_is_what_its_documented_serializer_gives(agent_api):
    from optouts.apis import OptOutApi

    numbers = ["(415) 555-2671", "+1 415 555 2671", "212-555-0199"]
    given_opt_out(number="+12125550199", source=Source.CONTACT)

    response = agent_api.post(URL, {"phone_numbers": numbers}, format="json")

    assert response.status_code == 200
    items = response.json()["results"]
    documented = OptOutApi.OptOutOutputSerializer({"results": items}).data
    assert response.json() == json.loads(json.dumps(documented))
    fields = set(OptOutApi.OptOutOutputSerializer().fields["results"].child.fields)
    assert [set(item) for item in items] == [fields] * 3
    # One answer per input: the same number twice, the same outcome twice.
    assert [item["outcome"] for item in items] == ["opted_out", "opted_out", "already_opted_out"]
