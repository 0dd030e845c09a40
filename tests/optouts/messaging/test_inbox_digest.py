"""Deadlines nobody watches: the dashboard's notice and the admins' daily digest."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from optouts.messaging.inbox import possible_opt_outs_digest_send
from optouts.messaging.services import inbound_message_receive

pytestmark = pytest.mark.django_db

NUMBER = "+14155550211"


@pytest.fixture
def waiting(db):
    inbound_message_receive(
        message_sid="SMdigest", from_number=NUMBER, body="please stop texting so early"
    )


def test_the_dashboard_says_how_many_wait_and_the_nearest_deadline(agent_client, waiting):
    page = agent_client.get("/admin/").content.decode()
    assert "1 possible opt-out waits for a decision</a>" in page
    assert "the nearest deadline is the end of" in page


def test_the_dashboard_says_nothing_when_the_inbox_is_empty(agent_client):
    assert "index-notices" not in agent_client.get("/admin/").content.decode()


def test_the_digest_goes_to_admins_with_an_address(admin_user, agent_user, waiting):
    admin_user.email = "alice@example.com"
    admin_user.save()
    agent_user.email = "bob@example.com"
    agent_user.save()
    assert possible_opt_outs_digest_send() == 1
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "1 possible opt-out to decide" in message.subject
    assert "(415) 555-0211" in message.body
    assert "please stop texting so early" in message.body


def test_no_digest_when_nothing_waits(admin_user):
    admin_user.email = "alice@example.com"
    admin_user.save()
    out = StringIO()
    call_command("sms_inbox_digest", stdout=out)
    assert "Digest emails sent: 0." in out.getvalue()
    assert mail.outbox == []
