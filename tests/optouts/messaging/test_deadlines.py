"""The revocation deadline's calendar: N business days after receipt, US federal holidays off."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from optouts.messaging.checks import revocation_deadline_check
from optouts.messaging.deadlines import (
    business_day_is,
    business_days_between,
    revocation_deadline,
    revocation_overdue_before,
)

EASTERN = ZoneInfo("America/New_York")


def eastern(*args) -> datetime:
    return datetime(*args, tzinfo=EASTERN)


@pytest.fixture(autouse=True)
def _eastern_site(settings):
    settings.TIME_ZONE = "America/New_York"
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 10


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # the day after is no federal holiday
        (date(2026, 5, 25), False),  # Memorial Day
        (date(2026, 7, 3), False),  # Independence Day (a Saturday) observed on the Friday
        (date(2027, 12, 24), False),  # Christmas (a Saturday) observed on the Friday
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 12, 2), True),
    ],
)
def test_weekends_and_federal_holidays_as_observed_are_not_business_days(day, business):
    assert business_day_is(day) is business


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        # Wednesday before Thanksgiving: Thursday is a holiday, Friday counts; the 10th business
        # day is Thursday 10 December.
        (eastern(2026, 11, 25, 15, 0), eastern(2026, 12, 11)),
        # Friday before Memorial Day: Monday 25 May does not count; the 10th is Monday 8 June.
        (eastern(2026, 5, 22, 11, 0), eastern(2026, 6, 9)),
        # Late on Wednesday in New York is Thursday in UTC: the day of receipt is the site's.
        (eastern(2026, 11, 25, 23, 30), eastern(2026, 12, 11)),
        # Received on a Saturday: the count starts on Monday.
        (eastern(2026, 11, 28, 9, 0), eastern(2026, 12, 12)),
    ],
)
def test_the_deadline_is_the_end_of_the_tenth_business_day_after_receipt(received, deadline):
    assert revocation_deadline(received_at=received.astimezone(ZoneInfo("UTC"))) == deadline


def test_a_shorter_setting_shortens_the_deadline_and_still_skips_holidays(settings):
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 1
    # Thursday 2 July 2026: Friday 3 July is Independence Day observed, so Monday 6 July.
    assert revocation_deadline(received_at=eastern(2026, 7, 2, 10, 0)) == eastern(2026, 7, 7)


def test_an_item_is_overdue_from_its_deadline_not_a_minute_before():
    received = eastern(2026, 11, 25, 15, 0)
    deadline = revocation_deadline(received_at=received)
    assert received >= revocation_overdue_before(now=deadline - timedelta(minutes=1))
    assert received < revocation_overdue_before(now=deadline)
    # Thanksgiving's own texts share Wednesday's deadline (the holiday adds no business day).
    assert eastern(2026, 11, 26, 12, 0) < revocation_overdue_before(now=deadline)
    assert eastern(2026, 11, 27, 0, 0) >= revocation_overdue_before(now=deadline)


def test_business_days_used_count_only_the_days_that_have_ended():
    received = eastern(2026, 11, 25, 15, 0)
    assert business_days_between(start=received, end=eastern(2026, 11, 27, 23, 0)) == 0
    assert business_days_between(start=received, end=eastern(2026, 11, 30, 9, 0)) == 1
    assert business_days_between(start=received, end=eastern(2026, 12, 10, 23, 59)) == 9


def _start(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    environ.update(DEBUG="true", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django, os; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'velocify_sms.settings'); "
            "django.setup(); from django.conf import settings; "
            "print(settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS)",
        ],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "SMS_REVOCATION_DEADLINE_BUSINESS_DAYS=0 is below the minimum of 1"),
        ("ten", "SMS_REVOCATION_DEADLINE_BUSINESS_DAYS='ten' is not a whole number"),
    ],
)
def test_a_malformed_deadline_setting_refuses_to_start(value, message):
    result = _start(SMS_REVOCATION_DEADLINE_BUSINESS_DAYS=value)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("days", "errors"), [(11, ["optouts.E203"]), (10, []), (1, []), (None, [])]
)
def test_the_check_refuses_a_deadline_beyond_the_federal_ten_days(settings, days, errors):
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = days
    found = revocation_deadline_check()
    assert [e.id for e in found] == errors
    if found:
        assert "SMS_REVOCATION_DEADLINE_BUSINESS_DAYS=11 is above 10" in found[0].msg


def test_the_deadline_is_ten_business_days_unless_a_setting_shortens_it(settings):
    received = eastern(2026, 11, 25, 10, 0)  # the day before Thanksgiving
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = None
    unset = revocation_deadline(received_at=received)
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 10
    assert unset == revocation_deadline(received_at=received)
    settings.SMS_REVOCATION_DEADLINE_BUSINESS_DAYS = 5
    assert revocation_deadline(received_at=received) < unset


def test_the_deadline_setting_is_unset_by_default_and_may_be_shorter():
    assert _start().stdout.strip() == "None"
    assert _start(SMS_REVOCATION_DEADLINE_BUSINESS_DAYS="5").stdout.strip() == "5"
