"""A user in Pacific time, on a site in Eastern time: every time in Pacific, labelled so; the
opt-out report's days (its presets, date filters, chart) stay the site's, and say so."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from optouts.models import Channel, OptOutDay, Source
from tests.factories import LeadPhoneFactory, given_opt_out
from tests.leads._admin_helpers import change_url

PREFERENCES = "/admin/preferences/"
REPORT = "/admin/optouts/report/"
# 06:30 UTC on 1 March: 01:30 on 1 March in New York (the site's day), 22:30 on 28 February in
# Los Angeles (the reader's clock).
WHEN = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)


@pytest.fixture
def pacific_admin(admin_client, admin_user, settings):
    settings.TIME_ZONE = "America/New_York"
    response = admin_client.post(PREFERENCES, {"time_zone": "America/Los_Angeles"})
    assert response.status_code == 302
    return admin_client


@pytest.mark.django_db
def test_my_preferences_saves_the_zone_and_every_page_names_it(admin_client, settings):
    settings.TIME_ZONE = "America/New_York"
    page = admin_client.get(PREFERENCES).content.decode()
    assert '<option value="America/New_York" selected>' in page
    assert "Times in Eastern time" in page
    response = admin_client.post(PREFERENCES, {"time_zone": "America/Los_Angeles"}, follow=True)
    body = response.content.decode()
    assert "Times are now shown in Pacific time." in body
    assert "Times in Pacific time" in body
    assert admin_client.post(PREFERENCES, {"time_zone": "Nowhere/Land"}).status_code == 200


@pytest.mark.django_db
def test_a_pacific_reader_sees_the_lead_page_in_pacific_time(pacific_admin):
    phone = LeadPhoneFactory(number="+14155552671")
    with freeze_time(WHEN):
        given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI)

    body = pacific_admin.get(change_url(phone.lead)).content.decode()

    assert '<td class="event-when">2026-02-28 22:30</td>' in body
    assert '<td class="phone-since">2026-02-28 22:30</td>' in body
    assert "Times are in Pacific time." in body


@pytest.mark.django_db
def test_a_pacific_reader_sees_report_times_in_pacific_and_days_of_the_site(pacific_admin):
    with freeze_time(WHEN):
        given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    assert str(OptOutDay.objects.get().day) == "2026-03-01"  # the roll-up's day: the site's

    # 1 March is a site day (New York): the opt-out at 22:30 on 28 February Pacific is in it.
    html = pacific_admin.get(REPORT, {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    html = html.content.decode()
    assert '<td class="when">2026-02-28 22:30</td>' in html
    assert "Opted out at (Pacific time)" in html
    assert "are days in Eastern time, the site's zone" in html

    export = pacific_admin.get(f"{REPORT}export.csv", {"period": "all"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:4] == [
        "Phone number",
        "phone_number",
        "Source",
        "Opted out at (America/Los_Angeles)",
    ]
    assert rows[1][:2] == ["(415) 555-0101", "+14155550101"]
    assert rows[1][3] == "2026-02-28 22:30"


@pytest.mark.django_db
def test_after_a_request_the_thread_is_back_in_the_site_zone(pacific_admin):
    pacific_admin.get(PREFERENCES)
    assert timezone.get_current_timezone_name() == "America/New_York"
