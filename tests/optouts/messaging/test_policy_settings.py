"""Settings may tighten the send policy, never loosen it below federal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from freezegun import freeze_time

from optouts.messaging.checks import send_window_check
from optouts.messaging.models import MessageStatus, ReasonCode
from optouts.messaging.policy import send_rules_for
from optouts.messaging.policy_rules import FEDERAL
from optouts.messaging.services import SendRefused, message_send

ROOT = Path(__file__).resolve().parents[3]
FLORIDA = "+13055550100"
PACIFIC = "+14155550177"
EASTERN = "+12125550100"


def at(clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(
        date(2026, 7, 15), time(hours, minutes), tzinfo=ZoneInfo("America/New_York")
    )


def _check(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    environ.update(DEBUG="true", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def _start(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMS_")}
    environ.update(DEBUG="true", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django, os; "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'velocify_sms.settings'); "
            "django.setup()",
        ],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def _window(start, end) -> dict:
    return {**django_settings.SMS_SEND_POLICY, "SEND_WINDOW_START": start, "SEND_WINDOW_END": end}


def test_the_settings_hold_no_window_of_their_own_the_rules_table_gives_it():
    assert not hasattr(django_settings, "SMS_FEDERAL_WINDOW")
    policy = django_settings.SMS_SEND_POLICY
    assert (policy["SEND_WINDOW_START"], policy["SEND_WINDOW_END"]) == (None, None)
    assert policy["QUIET_HOURS_ACTION"] == "hold"
    rules = send_rules_for(number=EASTERN)
    assert (rules.start, rules.end, rules.window_basis) == (
        FEDERAL.start,
        FEDERAL.end,
        FEDERAL.name,
    )


@pytest.mark.parametrize(
    ("window", "errors"),
    [
        ((time(7, 59), None), ["optouts.E201"]),
        ((None, time(21, 1)), ["optouts.E201"]),
        ((time(6), time(23)), ["optouts.E201", "optouts.E201"]),
        ((time(20), time(9)), ["optouts.E202"]),
        ((time(12), time(12)), ["optouts.E202"]),
        ((FEDERAL.start, FEDERAL.end), []),
        ((time(9, 30), time(18)), []),
        ((None, None), []),
    ],
)
def test_the_check_refuses_a_window_that_would_not_narrow_the_federal_one(settings, window, errors):
    settings.SMS_SEND_POLICY = _window(*window)
    assert [e.id for e in send_window_check()] == errors


def test_the_check_names_the_setting_and_the_federal_bounds(settings):
    settings.SMS_SEND_POLICY = _window(time(7, 59), None)
    (error,) = send_window_check()
    assert "SMS_SEND_WINDOW_START=07:59 is outside 08:00-21:00" in error.msg


def test_manage_check_refuses_a_wider_window_from_the_environment():
    result = _check(SMS_SEND_WINDOW_START="07:59")
    assert result.returncode != 0
    assert "optouts.E201" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMS_SEND_WINDOW_END": "9pm"}, "is not a time of day like 08:00"),
        ({"SMS_QUIET_HOURS_ACTION": "ignore"}, "SMS_QUIET_HOURS_ACTION='ignore' is not one of"),
        ({"SMS_FREQUENCY_CAP": "-1"}, "SMS_FREQUENCY_CAP=-1 is below the minimum of 0"),
    ],
)
def test_a_malformed_value_refuses_to_start(env, message):
    result = _start(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_narrower_window_starts_and_passes_the_checks():
    result = _check(SMS_SEND_WINDOW_START="09:30", SMS_SEND_WINDOW_END="18:00")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
@pytest.mark.send_window
def test_a_narrower_window_applies_and_says_where_it_comes_from(settings):
    settings.SMS_SEND_POLICY = {**_window(time(9, 30), time(18)), "QUIET_HOURS_ACTION": "refuse"}
    with freeze_time(at("09:29")), pytest.raises(SendRefused) as refused:
        message_send(to=EASTERN, body="Hello")
    assert refused.value.message.reason.startswith(
        "This system's settings allow such texts only from 9:30 am to 6:00 pm, the contact's "
        "local time; it is 9:29 am there (Eastern time)."
    )
    with freeze_time(at("09:30")):
        assert message_send(to=EASTERN, body="Hello").status == MessageStatus.SENT
    # Florida's 20:00 is later than 18:00: the settings' end still holds.
    assert (send_rules_for(number=FLORIDA).start, send_rules_for(number=FLORIDA).end) == (
        time(9, 30),
        time(18),
    )


@pytest.mark.django_db
def test_a_window_set_wider_some_other_way_is_clamped_to_federal(settings):
    settings.SMS_SEND_POLICY = _window(time(6), time(23))
    rules = send_rules_for(number=EASTERN)
    assert (rules.start, rules.end, rules.window_basis) == (time(8), time(21), "the federal rule")


@pytest.mark.django_db
def test_a_cap_setting_caps_every_number(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "FREQUENCY_CAP": 1}
    assert message_send(to=PACIFIC, body="One").status == MessageStatus.SENT
    with pytest.raises(SendRefused) as refused:
        message_send(to=PACIFIC, body="Two")
    assert refused.value.code == ReasonCode.FREQUENCY_CAP
    assert "the most allowed is 1 (set by this system's settings)" in refused.value.message.reason


@pytest.mark.django_db
def test_a_higher_cap_setting_does_not_loosen_a_state_cap(settings):
    settings.SMS_SEND_POLICY = {**settings.SMS_SEND_POLICY, "FREQUENCY_CAP": 5}
    rules = send_rules_for(number=FLORIDA)
    assert (rules.daily_cap, rules.cap_basis) == (3, "Florida")
    for minutes in range(3):
        with freeze_time(at("12:00") + timedelta(minutes=minutes)):
            message_send(to=FLORIDA, body="Hi")
    with freeze_time(at("12:10")), pytest.raises(SendRefused):
        message_send(to=FLORIDA, body="Fourth")
