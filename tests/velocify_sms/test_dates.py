from datetime import UTC, date, datetime

from django.template import Context, Template

from velocify_sms.dates import datetime_display, datetime_header


def test_an_aware_time_is_shown_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    assert datetime_display(datetime(2026, 12, 2, 22, 5, 59, tzinfo=UTC)) == "2026-12-02 14:05"
    assert datetime_header("Created at") == "Created at (America/Los_Angeles)"


def test_the_site_zone_wins_over_a_zone_a_request_activated(settings):
    from django.utils import timezone

    settings.TIME_ZONE = "UTC"
    with timezone.override("Asia/Tokyo"):
        assert datetime_display(datetime(2026, 12, 2, 22, 5, tzinfo=UTC)) == "2026-12-02 22:05"


def test_dates_naive_times_and_none():
    assert datetime_display(date(2026, 1, 9)) == "2026-01-09"
    assert datetime_display(datetime(2026, 1, 9, 7, 3)) == "2026-01-09 07:03"
    assert datetime_display(None) == ""


def test_the_template_filters_are_the_same_helpers(settings):
    settings.TIME_ZONE = "Europe/Paris"
    html = Template(
        "{% load velocify_display %}{{ when|datetime_display }} {{ number|phone_display }} "
        "{{ out|sms_status }} {{ on|sms_status }} {% site_time_zone %}"
    ).render(
        Context(
            {
                "when": datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
                "number": "+14155552671",
                "out": True,
                "on": False,
            }
        )
    )
    assert html == (
        "2026-07-01 12:00 (415) 555-2671 "
        '<span class="sms-status sms-status-opted-out">Opted out</span> '
        '<span class="sms-status sms-status-textable">Textable</span> Europe/Paris'
    )
