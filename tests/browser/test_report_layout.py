"""The opt-out report's looks in Chromium: what only a browser can measure.

A filter error does not move the filters, numbers and times stay on one line, one day of data
is one narrow bar in the middle of the chart, and the Opt In dialog's buttons are the admin's.
"""

from __future__ import annotations

import pytest

from optouts.models import Channel, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db(transaction=True)

REPORT = "/admin/optouts/report/"
# What a <button> looks like when no stylesheet styles it (Chromium's ButtonFace).
UNSTYLED_BUTTON_BG = "rgb(239, 239, 239)"


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_a_filter_error_does_not_move_the_filters(page, login, live_server, admin_user, screenshot):
    login("alice")
    page.goto(f"{live_server.url}{REPORT}")
    controls = ["#id_phone_prefix", "#filter-submit", "#id_period", 'input[name="source"]']
    before = {selector: _box(page, selector) for selector in controls}

    page.fill("#id_phone_prefix", "41")
    page.click("#filter-submit")
    page.wait_for_selector(".errornote")
    screenshot("report-filter-error")

    after = {selector: _box(page, selector) for selector in controls}
    for selector in controls:
        assert after[selector]["y"] == pytest.approx(before[selector]["y"], abs=0.5), selector
        assert after[selector]["x"] == pytest.approx(before[selector]["x"], abs=0.5), selector


def test_numbers_and_times_stay_on_one_line_in_a_narrow_window(
    page, login, live_server, admin_user, screenshot
):
    for n in range(4):
        given_opt_out(
            number=f"+1415555010{n}",
            source=Source.AGENT,
            channel=Channel.UI,
            note="Customer asked by phone not to be texted again, twice, and wrote it down " * 2,
        )
    page.set_viewport_size({"width": 760, "height": 900})
    login("alice")
    page.goto(f"{live_server.url}{REPORT}")
    screenshot("report-narrow")

    for selector in ("td.number a", "td.when"):  # checked each, so each can fail alone
        cells = page.locator(f"tr.optout-row {selector}")
        assert cells.count() == 4
        # The narrowest the table can make the column: only the content's own rule keeps it whole.
        cells.evaluate_all("els => els.forEach(el => { el.closest('td').style.width = '1px'; })")
        lines = cells.evaluate_all(
            "els => els.map(el => { const r = document.createRange(); r.selectNodeContents(el);"
            " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; })"
        )
        assert lines == [1, 1, 1, 1], (selector, lines)


def test_one_day_of_data_is_one_narrow_bar_on_its_day_of_the_thirty(
    page, login, live_server, admin_user, screenshot
):
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    given_opt_out(number="+14155550102", source=Source.CONTACT, channel=Channel.KEYWORD)
    login("alice")
    page.goto(f"{live_server.url}{REPORT}")  # the default time frame, the last 30 days
    screenshot("report-chart-one-day")

    chart = _box(page, "svg.optout-chart")
    scale = chart["width"] / 900  # the chart's viewBox is 900 wide
    bars = [
        page.locator("svg.optout-chart rect.bar:has(title)").nth(i).bounding_box()
        for i in range(page.locator("svg.optout-chart rect.bar:has(title)").count())
    ]
    assert len(bars) == 2  # one day, two sources stacked in one column
    # The chosen 30 days are drawn whole (plot from 48 to 888 in the viewBox): today is the
    # last of thirty columns, not a bar filling the plot.
    column = (888 - 48) / 30
    for bar in bars:
        assert bar["width"] <= column * scale + 0.5
        middle = (bar["x"] - chart["x"]) / scale + bar["width"] / scale / 2
        assert 888 - column <= middle <= 888


def test_the_opt_in_dialog_has_the_admins_buttons(page, login, live_server, admin_user, screenshot):
    given_opt_out(number="+14155550101", source=Source.AGENT, channel=Channel.UI)
    login("alice")
    page.goto(f"{live_server.url}{REPORT}")
    page.locator("a.opt-in-link").first.click()
    assert page.locator("#opt-in-dialog").is_visible()
    screenshot("report-opt-in-dialog-buttons", full_page=False)

    def style(selector: str) -> dict:
        return page.locator(selector).evaluate(
            "el => { const s = getComputedStyle(el); return {bg: s.backgroundColor, "
            "radius: s.borderRadius, padding: s.padding, border: s.borderTopStyle}; }"
        )

    confirm, cancel, filter_button = (
        style("#opt-in-confirm"),
        style("#opt-in-cancel"),
        style("#filter-submit"),
    )
    # Yes is the admin's default (blue) button, the same as the page's own Filter button.
    assert confirm == filter_button
    assert confirm["bg"] != UNSTYLED_BUTTON_BG and confirm["radius"] == "4px"
    # Cancel is the admin's grey button: styled, no browser border, not the same as Yes.
    assert cancel["bg"] not in (UNSTYLED_BUTTON_BG, confirm["bg"])
    assert (cancel["radius"], cancel["padding"], cancel["border"]) == ("4px", "10px 15px", "none")
