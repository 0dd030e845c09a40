"""The possible-opt-out inbox shows each item's age and its revocation deadline."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from optouts.messaging.services import inbound_message_receive, possible_opt_outs_apply_overdue

pytestmark = pytest.mark.django_db

EASTERN = ZoneInfo("America/New_York")
INBOX = reverse("admin:optouts_possibleoptout_changelist")


@pytest.fixture(autouse=True)
def _eastern_site(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 10


def flag(number, at, sid):
    with freeze_time(at):
        inbound_message_receive(
            message_sid=sid, from_number=number, body="ok but please stop texting so late"
        )


def test_the_inbox_shows_age_in_days_and_business_days_and_the_deadline(agent_client):
    flag("+14155550170", datetime(2026, 11, 25, 15, 0, tzinfo=EASTERN), "SMnew")
    with freeze_time(datetime(2026, 12, 2, 10, 0, tzinfo=EASTERN)):
        page = agent_client.get(INBOX).content.decode()
    # One cell: when it came, its age, its deadline (few columns: the buttons stay in sight).
    assert "column-received" in page and "column-age" not in page
    # Thanksgiving and the weekend do not count: Fri, Mon and Tue have ended.
    assert "6\xa0days ago (3 business days)" in page
    assert 'Decide by <span class="nowrap">end of Thu 2026-12-10</span>' in page
    assert "overdue" not in page


def test_an_overdue_item_says_so_until_the_worker_applies_it(agent_client):
    flag("+14155550171", datetime(2026, 11, 25, 15, 0, tzinfo=EASTERN), "SMold")
    now = datetime(2026, 12, 11, 0, 1, tzinfo=EASTERN)
    with freeze_time(now):
        page = agent_client.get(INBOX).content.decode()
        assert (
            '<strong class="sms-deadline-overdue"><span class="nowrap">end of Thu 2026-12-10'
            "</span>: overdue, the worker applies it</strong>" in page
        )
        possible_opt_outs_apply_overdue()
        page = agent_client.get(INBOX, {"status": "all"}).content.decode()
    assert "Opted out by the system at the deadline" in page
    assert "overdue" not in page
