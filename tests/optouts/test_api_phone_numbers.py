"""GET /api/v1/sms/phone-numbers/<number>/: status, can_opt_in and history of one number."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.cache import cache

from optouts.models import Channel, Source
from tests.factories import given_opt_in, given_opt_out

NUMBER = "+14155552671"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def _url(number):
    return f"/api/v1/sms/phone-numbers/{quote(number, safe='+')}/"


def test_a_number_never_opted_out_is_opted_in_with_no_history(agent_api):
    response = agent_api.get(_url(NUMBER))

    assert response.status_code == 200
    assert response.json() == {
        "phone_number": NUMBER,
        "sms_opted_out": False,
        "source": None,
        "reason": None,
        "opted_out_at": None,
        "can_opt_in": False,
        "autodialed_calls_allowed": True,
        "calls_reason": None,
        "history": [],
    }


@pytest.mark.parametrize("typed", [NUMBER, "4155552671", "(415) 555-2671", "1-415-555-2671"])
def test_the_number_may_be_typed_in_any_form(agent_api, typed):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)

    response = agent_api.get(_url(typed))

    assert response.status_code == 200
    assert response.json()["phone_number"] == NUMBER
    assert response.json()["sms_opted_out"] is True


@pytest.mark.parametrize(
    ("source", "can_opt_in"),
    [(Source.AGENT, True), (Source.SYSTEM, False), (Source.CONTACT, False)],
)
def test_can_opt_in_only_for_agent_opt_outs(agent_api, source, can_opt_in):
    given_opt_out(number=NUMBER, source=source, channel=Channel.UI)

    body = agent_api.get(_url(NUMBER)).json()

    assert body["source"] == source
    assert body["opted_out_at"]
    assert body["can_opt_in"] is can_opt_in


def test_history_lists_every_event_newest_first(admin_api, agent_user, admin_user):
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    given_opt_in(number=NUMBER, by="admin", channel=Channel.REPORT, actor=admin_user)
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    history = admin_api.get(_url(NUMBER)).json()["history"]

    assert [(e["action"], e["source"], e["channel"], e["actor"]) for e in history] == [
        ("opt_out", "contact", "keyword", None),
        ("opt_in", "agent", "report", "alice"),
        ("opt_out", "agent", "ui", "bob"),
    ]


def test_a_malformed_number_is_a_400_naming_it(agent_api):
    response = agent_api.get(_url("12"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone_number"
    assert "'12'" in response.json()["detail"]


def test_anonymous_look_up_gets_401(api_client):
    assert api_client.get(_url(NUMBER)).status_code == 401
