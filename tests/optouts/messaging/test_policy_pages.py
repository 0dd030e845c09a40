"""The send policy's reason codes where people and clients see them: the API's 409 and 201, the
lead page's send form and its answers, the outbound SMS log."""

from __future__ import annotations

import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from freezegun import freeze_time

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry
from optouts.messaging.services import message_send
from tests.factories import LeadFactory

pytestmark = [pytest.mark.django_db, pytest.mark.send_window]

URL = "/api/v1/sms/messages/"
SEND = "/admin/optouts/outboundmessage/send/"
LOG = "/admin/optouts/outboundmessage/"
FLORIDA = "+13055550100"
EASTERN = "+12125550100"


def at(clock: str, day: date = date(2026, 7, 15)) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture(autouse=True)
def _throttle_clock_for_freezegun(monkeypatch):
    # DRF's throttle keeps `time.time` as a class attribute; freezegun swaps it for a plain
    # function, which the class then binds as a method. A wrapper reads the frozen clock alike.
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: time_module.time()))


def _fill_cap(number: str = FLORIDA) -> None:
    for minutes in range(3):
        with freeze_time(at("12:00") + timedelta(minutes=minutes)):
            assert message_send(to=number, body="Hi").status == MessageStatus.SENT


# --- API ----------------------------------------------------------------------------------------


def test_the_api_answers_409_frequency_cap_for_the_fourth_text(agent_api):
    _fill_cap()
    with freeze_time(at("13:00")):
        response = agent_api.post(URL, {"to": FLORIDA, "body": "Hello"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "frequency_cap"
    assert "the most allowed is 3 (set by Florida)" in body["detail"]
    assert OutboundMessage.objects.filter(status=MessageStatus.REFUSED).count() == 1
    assert OutboxEntry.objects.count() == 3


def test_the_api_answers_409_quiet_hours_when_quiet_hours_refuse(agent_api, settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    with freeze_time(at("21:00")):
        response = agent_api.post(URL, {"to": EASTERN, "body": "Hello"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "quiet_hours"
    assert "us federal law allows such texts only from 8:00 am to 9:00 pm" in (
        response.json()["detail"].lower()
    )


def test_the_api_answers_201_held_with_the_time_it_will_go(agent_api, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with freeze_time(at("21:00")):
        response = agent_api.post(URL, {"to": EASTERN, "body": "Hello"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["reason_code"]) == ("held", "quiet_hours")
    assert data["held_until"] == "2026-07-16T12:00:00Z"


# --- The lead page's send form ------------------------------------------------------------------


def _render_form(user, phone, lead=None) -> str:
    request = RequestFactory().get("/admin/leads/lead/1/change/")
    request.user = user
    return render_to_string(
        "admin/optouts/messaging/_send_form.html", {"phone": phone, "lead": lead}, request=request
    )


def test_the_form_says_when_a_text_would_be_held(agent_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with freeze_time(at("20:30")):
        html = _render_form(agent_user, FLORIDA, LeadFactory())
    assert "<form" in html
    # Plain words on the page; the code (quiet_hours) is the API's.
    assert "Outside the contact's allowed hours" in html and "quiet_hours" not in html
    assert (
        "A text sent now waits until 8:00 am tomorrow (Thursday 16 Jul), the contact&#x27;s "
        "local time (Eastern time)." in html
    )


def test_the_form_counts_the_leads_time_zone_as_well_as_the_numbers(agent_user):
    lead = LeadFactory(time_zone="America/Los_Angeles")
    with freeze_time(at("12:00")):
        assert "allowed hours" not in _render_form(agent_user, EASTERN, lead)
    # 10:00 in New York is 7:00 in the lead's zone; 23:30 in New York is night there.
    for clock in ("10:00", "23:30"):
        with freeze_time(at(clock)):
            assert "allowed hours" in _render_form(agent_user, EASTERN, lead)


def test_the_form_is_replaced_by_the_reason_when_the_cap_is_reached(agent_user):
    _fill_cap()
    with freeze_time(at("13:00")):
        html = _render_form(agent_user, FLORIDA)
    assert "<form" not in html
    assert "Cannot text (305) 555-0100 now: (305) 555-0100 was sent 3 messages" in html


def test_a_refused_send_from_the_page_says_why_in_words(agent_client):
    _fill_cap()
    with freeze_time(at("13:00")):
        response = agent_client.post(SEND, {"to": FLORIDA, "body": "Hi"}, follow=True)
    html = response.content.decode()
    assert "Not sent: (305) 555-0100 was sent 3 messages" in html
    assert "frequency_cap" not in html.split('class="messagelist"')[1].split("</ul>")[0]


def test_a_held_send_from_the_page_says_so(agent_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with freeze_time(at("21:15")):
        response = agent_client.post(SEND, {"to": EASTERN, "body": "Hi"}, follow=True)
    html = response.content.decode()
    assert "Not sent yet. Held until 8:00 am tomorrow (Thursday 16 Jul), the contact&#x27;s" in html


# --- The outbound SMS log -----------------------------------------------------------------------


def test_the_log_shows_and_filters_by_reason_code(admin_client, settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "QUIET_HOURS_ACTION": "refuse"}
    _fill_cap()
    with freeze_time(at("13:00")):
        admin_client.post(SEND, {"to": FLORIDA, "body": "capped"})
    with freeze_time(at("22:00")):
        admin_client.post(SEND, {"to": EASTERN, "body": "too late"})
    html = admin_client.get(LOG, {"reason_code__exact": "frequency_cap"}).content.decode()
    assert "Frequency cap reached" in html
    assert "capped" in html and "too late" not in html
    html = admin_client.get(LOG, {"reason_code__exact": "quiet_hours"}).content.decode()
    assert "Outside allowed hours" in html and "too late" in html
