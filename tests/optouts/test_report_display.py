"""How the opt-out report shows things: one order of sources, numbers
and times in the one format of every page, a chart that draws one day as one narrow bar."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from optouts.charts import MAX_BAR_WIDTH, chart_frame, optouts_chart_svg
from optouts.display import SOURCE_ORDER, source_label
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import optout_rollup_rebuild
from tests.factories import given_opt_out

REPORT = "/admin/optouts/report/"
ORDER = ["agent", "system", "contact"]


def _order_of(html: str, pattern: str) -> list[str]:
    """The sources in the order `pattern` (with one group, the source) finds them in `html`."""
    return [m for m in re.findall(pattern, html) if m in ORDER]


def test_the_one_order_of_sources_is_agent_system_contact():
    assert [s.value for s in SOURCE_ORDER] == ORDER
    assert [source_label(source=s) for s in ORDER] == ["Agent", "System", "Contact"]


@pytest.mark.django_db
def test_checkboxes_counts_and_chart_list_the_sources_in_the_same_order(admin_client):
    given_opt_out(number="+14155550101", source=Source.CONTACT, channel=Channel.KEYWORD)
    given_opt_out(number="+14155550102", source=Source.SYSTEM, channel=Channel.CARRIER)
    given_opt_out(number="+14155550103", source=Source.AGENT, channel=Channel.UI)

    html = admin_client.get(REPORT).content.decode()
    filters, summary = html.split('class="report-summary"', 1)
    counts, chart = summary.split('class="chart"', 1)
    legend = chart.split("</title>", 1)[1]  # past the chart's own title, which names no source

    assert _order_of(filters, r'name="source" value="(\w+)"') == ORDER
    assert _order_of(counts, r'class="count count-(\w+)"') == ORDER
    assert _order_of(legend, r'<rect class="bar bar-(\w+)" x="[\d.]+" y="[\d.]+" width="10"') == (
        ORDER
    )


@pytest.mark.django_db
def test_rows_show_a_number_once_as_pages_do_and_the_time_in_the_site_zone(admin_client, settings):
    settings.TIME_ZONE = "America/Chicago"
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    given_opt_out(number="+442079460958", source=Source.CONTACT, channel=Channel.KEYWORD)
    OptOut.objects.update(opted_out_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC))

    html = admin_client.get(REPORT, {"period": "all"}).content.decode()

    # National in the site's region, E.164 otherwise, each once (no second E.164 line).
    assert ">(415) 555-0101</a>" in html and "+14155550101</span>" not in html
    assert ">+442079460958</a>" in html
    assert html.count('<td class="when">2026-03-01 11:05</td>') == 2
    assert "Opted out at (Central time)" in html


@pytest.mark.django_db
def test_history_shows_times_in_the_one_format_with_the_zone_in_the_header(admin_client, settings):
    settings.TIME_ZONE = "America/Chicago"
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    created = ConsentEvent.objects.get().created_at

    html = admin_client.get(f"{REPORT}number/+14155550101/").content.decode()

    shown = created.astimezone(zoneinfo.ZoneInfo("America/Chicago"))
    assert f'<td class="when">{shown:%Y-%m-%d %H:%M}</td>' in html
    assert "When (Central time)" in html
    assert '<strong class="phone">(415) 555-0101</strong>' in html


def _bars(svg: str) -> list[tuple[float, float]]:
    """(x, width) of every data bar (those with a <title>), not the legend's swatches."""
    return [
        (float(x), float(w))
        for x, w in re.findall(
            r'<rect class="bar bar-\w+" x="([\d.]+)" y="[\d.]+" '
            r'width="([\d.]+)" height="[\d.]+"><title>',
            svg,
        )
    ]


def test_one_day_of_data_is_one_narrow_bar_in_the_middle_of_the_plot():
    frame = chart_frame(start=date(2026, 12, 2), end=date(2026, 12, 3))
    svg = optouts_chart_svg(frame=frame, counts={(date(2026, 12, 2), "agent"): 4})

    ((x, width),) = _bars(svg)
    assert width <= MAX_BAR_WIDTH == 60
    plot_middle = (48 + (900 - 12)) / 2
    assert abs(x + width / 2 - plot_middle) < 0.01
    assert 'text-anchor="middle">2026-12-02</text>' in svg  # the day's label under it


def test_a_week_of_data_keeps_bars_no_wider_than_the_cap():
    frame = chart_frame(start=date(2026, 12, 1), end=date(2026, 12, 8))
    counts = {(date(2026, 12, d), "contact"): d for d in range(1, 8)}

    assert all(
        width <= MAX_BAR_WIDTH for _x, width in _bars(optouts_chart_svg(frame=frame, counts=counts))
    )


@pytest.mark.django_db
def test_the_default_chart_of_a_new_list_spans_its_thirty_days_with_one_narrow_bar(admin_client):
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    today = timezone.localdate()
    first = today - timedelta(days=29)

    chart = str(admin_client.get(REPORT).context["chart"])  # the default: last 30 days

    # The chosen period is drawn whole: one day of data is one bar among thirty days.
    assert f"Opt-outs per day by source, {first:%Y-%m-%d} to {today:%Y-%m-%d}</title>" in chart
    ((x, width),) = _bars(chart)
    assert width <= MAX_BAR_WIDTH


@pytest.mark.django_db
def test_the_chart_of_all_time_starts_at_the_first_opt_out_and_ends_today(admin_client):
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    given_opt_out(number="+14155550102", source=Source.AGENT, channel=Channel.UI)
    first = timezone.localdate() - timedelta(days=9)
    OptOut.objects.filter(phone_number="+14155550101").update(
        opted_out_at=timezone.now() - timedelta(days=9)
    )
    optout_rollup_rebuild()  # the update went around the services that keep the roll-up

    chart = str(admin_client.get(REPORT, {"period": "all"}).context["chart"])

    assert f", {first:%Y-%m-%d} to {timezone.localdate():%Y-%m-%d}</title>" in chart


@pytest.mark.django_db
def test_an_empty_selection_keeps_the_time_frame_it_was_given(admin_client):
    chart = str(admin_client.get(REPORT, {"period": "last_7_days"}).context["chart"])

    today = timezone.localdate()
    assert f", {today - timedelta(days=6):%Y-%m-%d} to {today:%Y-%m-%d}</title>" in chart


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/optouts/optout/", "/admin/optouts/consentevent/"], ids=["list", "events"]
)
def test_the_admin_lists_of_the_opt_out_list_and_events_use_the_one_format(
    admin_client, settings, url
):
    settings.TIME_ZONE = "America/Chicago"
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    OptOut.objects.update(opted_out_at=datetime(2026, 3, 1, 17, 5, tzinfo=UTC))
    created = ConsentEvent.objects.get().created_at.astimezone(zoneinfo.ZoneInfo("America/Chicago"))
    shown = "2026-03-01 11:05" if "optout/" in url else f"{created:%Y-%m-%d %H:%M}"

    response = admin_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "(415) 555-0101" in html and ">+14155550101<" not in html
    assert shown in html


@pytest.mark.django_db
def test_the_empty_state_names_the_time_frame_in_words(admin_client):
    html = admin_client.get(REPORT).content.decode()

    assert "in the chosen time frame (Last 30 days)" in html
    assert "last_30_days)" not in html
