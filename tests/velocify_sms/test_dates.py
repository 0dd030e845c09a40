from datetime import UTC, date, datetime

from django.template import Context, Template

from velocify_sms.dates import datetime_display, datetime_header, time_zone_label


def test_an_aware_time_is_shown_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    assert datetime_display(datetime(2026, 12, 2, 22, 5, 59, tzinfo=UTC)) == "2026-12-02 14:05"
    assert datetime_header("Created at") == "Created at (America/Los_Angeles)"


def test_the_readers_zone_wins_over_the_site_zone(settings):
    # The zone a request activated (preferences.middleware: the user's choice) is the reader's.
    from django.utils import timezone

    settings.TIME_ZONE = "UTC"
    with timezone.override("Asia/Tokyo"):
        assert datetime_display(datetime(2026, 12, 2, 22, 5, tzinfo=UTC)) == "2026-12-03 07:05"
        assert datetime_header("Created at") == "Created at (Asia/Tokyo)"
        assert time_zone_label() == "Tokyo time"


def test_zones_are_named_in_plain_words():
    assert time_zone_label("America/New_York") == "Eastern time"
    assert time_zone_label("America/Los_Angeles") == "Pacific time"
    assert time_zone_label("UTC") == "UTC"
    assert time_zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires time"


def test_dates_naive_times_and_none():
    assert datetime_display(date(2026, 1, 9)) == "2026-01-09"
    assert datetime_display(datetime(2026, 1, 9, 7, 3)) == "2026-01-09 07:03"
    assert datetime_display(None) == ""


def test_the_template_filters_are_the_same_helpers(settings):
    settings.TIME_ZONE = "Europe/Paris"
    html = Template(
        "{% load velocify_display %}{{ when|datetime_display }} {{ number|phone_display }} "
        "{{ out|sms_status }} {{ on|sms_status }} {% site_time_zone %} {% time_zone_label %}"
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
        '<span class="sms-status sms-status-textable">Textable</span> Paris time Paris time'
    )
