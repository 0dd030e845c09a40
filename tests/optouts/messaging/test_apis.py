"""POST /api/v1/sms/messages/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry
from optouts.models import Channel, Source
from tests.conftest import token_client
from tests.factories import LeadFactory, UserFactory, given_opt_out

pytestmark = pytest.mark.django_db

URL = "/api/v1/sms/messages/"
NUMBER = "+14155550155"


def test_an_agent_sends_a_message_and_gets_201(agent_api, agent_user):
    lead = LeadFactory()
    response = agent_api.post(
        URL, {"to": "415-555-0155", "body": "Hello", "lead": lead.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["to"] == NUMBER
    assert data["status"] == MessageStatus.SENT
    assert data["lead"] == lead.pk
    message = OutboundMessage.objects.get(pk=data["id"])
    assert message.sender == agent_user
    assert OutboxEntry.objects.count() == 1


def test_an_admin_may_send_too(admin_api):
    response = admin_api.post(URL, {"to": NUMBER, "body": "Hello"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("source", [Source.AGENT, Source.SYSTEM, Source.CONTACT])
def test_an_opted_out_recipient_gets_409_recipient_opted_out(agent_api, source):
    given_opt_out(number=NUMBER, source=source, channel=Channel.API)
    response = agent_api.post(URL, {"to": NUMBER, "body": "Hello"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "recipient_opted_out"
    # The sentence names the number as pages do; the code is for programs.
    assert "(415) 555-0155 is on the opt-out list" in body["detail"]
    assert OutboundMessage.objects.get().status == MessageStatus.BLOCKED
    assert not OutboxEntry.objects.exists()


def test_queued_when_a_worker_sends(agent_api, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = agent_api.post(URL, {"to": NUMBER, "body": "Hello"}, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == MessageStatus.QUEUED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to": "hello", "body": "Hi"}, "to"),
        ({"to": NUMBER, "body": ""}, "body"),
        ({"to": NUMBER}, "body"),
        ({"to": NUMBER, "body": "Hi", "lead": 999999}, "lead"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_records_nothing(agent_api, payload, field):
    response = agent_api.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in (body.get("errors") or body)
    assert not OutboundMessage.objects.exists()


def test_an_anonymous_caller_gets_401(api_client):
    assert api_client.post(URL, {"to": NUMBER, "body": "Hi"}, format="json").status_code == 401


def test_a_user_without_the_send_permission_gets_403(groups):
    user = UserFactory(username="viewer", is_staff=True)
    client = token_client(user)
    assert client.post(URL, {"to": NUMBER, "body": "Hi"}, format="json").status_code == 403
    user.groups.add(Group.objects.get(name="Agents"))
    assert client.post(URL, {"to": NUMBER, "body": "Hi"}, format="json").status_code == 201
