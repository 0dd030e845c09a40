"""The opt-out report in Chromium: filter, Opt In through the dialog, the row is gone."""

from __future__ import annotations

import re

import pytest

from optouts.models import Channel, OptOut, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db(transaction=True)

AGENT_415 = "+14155550101"
AGENT_212 = "+12125550102"
CONTACT_415 = "+14155550103"


def test_admin_filters_and_opts_an_agent_row_in(
    page, login, live_server, admin_user, agent_user, screenshot
):
    given_opt_out(number=AGENT_415, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    given_opt_out(number=AGENT_212, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    given_opt_out(number=CONTACT_415, source=Source.CONTACT, channel=Channel.KEYWORD)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    login("alice")
    page.click("text=Opt-out report")
    page.wait_for_url(re.compile(r"/admin/optouts/report/"))

    # A contact row shows the reason, never a link.
    contact_row = page.locator(f'tr[data-number="{CONTACT_415}"]')
    assert contact_row.locator("a.opt-in-link").count() == 0
    assert "texted STOP" in contact_row.inner_text()

    # Filter: source Agent, numbers starting 415.
    page.check('input[name="source"][value="agent"]')
    page.fill("#id_phone_prefix", "415")
    page.click("#filter-submit")
    page.wait_for_url(re.compile(r"phone_prefix=415"))
    rows = page.locator("tr.optout-row")
    assert rows.count() == 1
    assert page.locator(f'tr[data-number="{AGENT_415}"]').count() == 1
    screenshot("report-filtered")

    # Opt In asks first in a dialog; confirming POSTs and the row leaves the list.
    page.locator(f'tr[data-number="{AGENT_415}"] a.opt-in-link').click()
    dialog = page.locator("#opt-in-dialog")
    assert dialog.is_visible()
    assert "(415) 555-0101" in dialog.inner_text()
    screenshot("report-opt-in-dialog")
    page.click("#opt-in-confirm")  # no reason yet: the dialog stays, nothing is posted
    assert dialog.is_visible()
    assert OptOut.objects.filter(phone_number=AGENT_415).exists()
    dialog.locator("textarea[name=note]").fill("Customer asked by phone on 2 Dec")
    page.click("#opt-in-confirm")
    page.wait_for_selector("text=was opted back in")
    assert page.locator(f'tr[data-number="{AGENT_415}"]').count() == 0
    assert "phone_prefix=415" in page.url  # back on the same filtered view
    assert not OptOut.objects.filter(phone_number=AGENT_415).exists()
    assert OptOut.objects.filter(phone_number=AGENT_212).exists()
    screenshot("report-after-opt-in")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_cancel_in_the_dialog_changes_nothing(page, login, live_server, admin_user):
    given_opt_out(number=AGENT_415, source=Source.AGENT, channel=Channel.UI)
    login("alice")
    page.goto(f"{live_server.url}/admin/optouts/report/")
    page.locator("a.opt-in-link").first.click()
    page.click("#opt-in-cancel")
    assert not page.locator("#opt-in-dialog").is_visible()
    assert OptOut.objects.filter(phone_number=AGENT_415).exists()


def test_short_prefix_shows_a_form_error(page, login, live_server, admin_user):
    login("alice")
    page.goto(f"{live_server.url}/admin/optouts/report/?phone_prefix=41")
    assert "Enter at least the first 3 digits" in page.content()
