"""Race on PostgreSQL: a late START checked while a newer STOP is being applied.

The STOP's transaction is held open right after its opt-out; the START (which Twilio created
earlier) arrives meanwhile. The START's check must wait for the number's lock, see the
committed STOP, and leave the number opted out. Checked without the lock, it would see no STOP
yet and opt the number back in once the STOP commits.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from optouts.messaging import provider_callbacks
from optouts.models import OptOut, Source
from tests.optouts.messaging.fake_twilio import FakeTwilio
from tests.optouts.messaging.twilio_webhooks import (
    ACCOUNT_SID,
    INBOUND,
    OUR_NUMBER,
    inbound_form,
    message_sid,
    signed_post,
    webhook_settings,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="advisory locks and real concurrency need PG"
    ),
]

NUMBER = "+14155550155"
START_SID, STOP_SID = message_sid(0x51), message_sid(0x52)


def _record(sid: str, body: str, created: str) -> dict:
    return {
        "account_sid": ACCOUNT_SID,
        "body": body,
        "date_created": created,
        "direction": "inbound",
        "from": NUMBER,
        "to": OUR_NUMBER,
    }


def test_a_late_start_checked_while_a_newer_stop_commits_leaves_the_number_out(
    settings, monkeypatch
):
    webhook_settings(settings)
    stop_applied, release = threading.Event(), threading.Event()
    real_opt_out = provider_callbacks.phone_opt_out_by_contact

    def opt_out_then_hold(**kwargs):
        result = real_opt_out(**kwargs)
        stop_applied.set()
        release.wait(10)  # the STOP's transaction stays open, its lock held
        return result

    monkeypatch.setattr(provider_callbacks, "phone_opt_out_by_contact", opt_out_then_hold)
    answers: dict[str, int] = {}

    def deliver(sid: str, body: str) -> None:
        try:
            form = inbound_form(sid=sid, body=body, sender=NUMBER)
            answers[body] = signed_post(Client(), INBOUND, form).status_code
        finally:
            connection.close()

    with FakeTwilio() as fake:
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
        settings.TWILIO_FROM_NUMBER = OUR_NUMBER
        settings.TWILIO_API_BASE_URL = fake.url
        fake.messages[START_SID] = _record(START_SID, "START", "Mon, 02 Mar 2026 15:00:00 +0000")
        fake.messages[STOP_SID] = _record(STOP_SID, "STOP", "Mon, 02 Mar 2026 15:00:07 +0000")
        stop = threading.Thread(target=deliver, args=(STOP_SID, "STOP"))
        stop.start()
        assert stop_applied.wait(10)
        start = threading.Thread(target=deliver, args=(START_SID, "START"))
        start.start()
        time.sleep(0.5)  # the START reaches its check (and waits there for the lock)
        release.set()
        stop.join(10)
        start.join(10)

    assert answers == {"STOP": 200, "START": 200}
    assert OptOut.objects.get(phone_number=NUMBER).source == Source.CONTACT
