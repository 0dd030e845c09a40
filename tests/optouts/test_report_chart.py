"""The report's server-side SVG chart."""

from __future__ import annotations

from datetime import date

from optouts.charts import chart_frame, optouts_chart_svg


def test_chart_stacks_sources_per_day():
    frame = chart_frame(start=date(2024, 6, 1), end=date(2024, 6, 4))
    svg = optouts_chart_svg(
        frame=frame,
        counts={(date(2024, 6, 2), "agent"): 3, (date(2024, 6, 2), "contact"): 1},
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "2024-06-02: 3 Agent" in svg and "2024-06-02: 1 Contact" in svg
    assert svg.count('<rect class="bar bar-agent"') == 2  # the bar and the legend swatch
    assert "style=" not in svg


def test_long_frames_are_drawn_per_month():
    frame = chart_frame(start=date(2020, 1, 15), end=date(2024, 1, 1))
    assert frame.by_month
    assert frame.buckets()[0] == date(2020, 1, 1) and frame.buckets()[-1] == date(2023, 12, 1)
    svg = optouts_chart_svg(frame=frame, counts={(date(2021, 3, 1), "system"): 7})
    assert "2021-03: 7 System" in svg


def test_empty_chart_draws_axes_only():
    frame = chart_frame(start=date(2024, 1, 1), end=date(2024, 1, 1))
    svg = optouts_chart_svg(frame=frame, counts={})
    assert "</title></rect>" not in svg  # no bar
    assert svg.count('class="legend"') == 3


def test_the_chart_spans_the_chosen_period_with_empty_days(admin_client):
    from datetime import timedelta

    from optouts.filters import site_today
    from tests.factories import given_opt_out

    given_opt_out(number="+14155550901", source="agent")
    today = site_today()
    html = admin_client.get("/admin/optouts/report/", {"period": "last_30_days"}).content.decode()
    first = today - timedelta(days=29)
    assert f"Opt-outs per day by source, {first:%Y-%m-%d} to {today:%Y-%m-%d}" in html
