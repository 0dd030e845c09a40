"""An agent opts a number out from the lead page through the confirmation dialog; an admin opts
it back in. Real chromium, real JavaScript, the real admin."""

import re

import pytest
from playwright.sync_api import expect

from optouts.models import ConsentEvent, OptOut
from tests.factories import LeadFactory, LeadPhoneFactory

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+14155552671"


def _sms_opt_out(page):
    """The read-only SMS Opt-Out value of the lead page."""
    return page.locator(".field-sms_opt_out_label .readonly")


def test_agent_opts_out_through_the_dialog_and_admin_opts_back_in(
    page, login, live_server, agent_user, admin_user, screenshot
):
    lead = LeadFactory(first_name="Ana", last_name="Garcia", company="Garcia Homes")
    phone = LeadPhoneFactory(lead=lead, number=NUMBER)
    LeadPhoneFactory(lead=lead, number="+12125550199", kind="work")
    other = LeadFactory(first_name="Zoe", last_name="Garcia")
    LeadPhoneFactory(lead=other, number=NUMBER)
    lead_url = f"{live_server.url}/admin/leads/lead/{lead.pk}/change/"
    other_url = f"{live_server.url}/admin/leads/lead/{other.pk}/change/"
    row = page.locator(f"tr.phone-row[data-number='{NUMBER}']")
    dialog = page.locator(f"#opt-out-dialog-{phone.pk}")

    # The agent opens the lead: opted in, an Opt out link, no Opt in anywhere.
    login("bob")
    page.goto(lead_url)
    expect(_sms_opt_out(page)).to_have_text("No")
    expect(row.locator(".phone-status")).to_have_text("Opted in")
    expect(page.locator("a.phone-opt-in")).to_have_count(0)
    expect(dialog).to_be_hidden()

    # Opt out opens the confirmation window: the number, "by number", the other lead.
    row.locator("a.phone-opt-out").click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Opt out (415) 555-2671?")
    expect(dialog).to_contain_text("Opt-out is by number")
    expect(dialog.locator(".sharing-leads")).to_contain_text("Zoe Garcia")
    screenshot("lead-opt-out-dialog", full_page=False)

    # Cancel: the window closes, we are still on the lead page, nothing changed.
    dialog.locator(".cancel-dialog").click()
    expect(dialog).to_be_hidden()
    assert page.url == lead_url
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()
    expect(_sms_opt_out(page)).to_have_text("No")

    # Again, and confirm: SMS Opt-Out turns Yes and the phone shows source Agent.
    row.locator("a.phone-opt-out").click()
    expect(dialog).to_be_visible()
    dialog.locator(".confirm-opt-out").click()
    page.wait_for_url(lead_url)
    expect(page.locator(".messagelist")).to_contain_text("is opted out of SMS (source Agent)")
    expect(_sms_opt_out(page)).to_have_text("Yes")
    expect(row.locator(".phone-status")).to_have_text("Opted out")
    expect(row.locator(".phone-source")).to_have_text("Agent")
    expect(row.locator(".phone-by")).to_contain_text("bob")
    expect(row.locator("a.phone-opt-out")).to_have_count(0)
    expect(row.locator("a.phone-opt-in")).to_have_count(0)  # agents never opt in
    expect(page.locator(".consent-history tbody tr")).to_have_count(1)
    screenshot("lead-page")
    row_in_db = OptOut.objects.get(phone_number=NUMBER)
    assert (row_in_db.source, row_in_db.channel, row_in_db.actor_id) == (
        "agent",
        "ui",
        agent_user.pk,
    )

    # The second lead with the same number shows Yes too.
    page.goto(other_url)
    expect(_sms_opt_out(page)).to_have_text("Yes")

    # The admin opts it back in from the lead page, through the same kind of window.
    page.context.clear_cookies()
    login("alice")
    page.goto(lead_url)
    expect(_sms_opt_out(page)).to_have_text("Yes")
    row.locator("a.phone-opt-in").click()
    opt_in_dialog = page.locator(f"#opt-in-dialog-{phone.pk}")
    expect(opt_in_dialog).to_be_visible()
    # The reason is required: the browser keeps the dialog open until it is given.
    opt_in_dialog.locator(".confirm-opt-in").click()
    expect(opt_in_dialog).to_be_visible()
    assert not ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN).exists()
    opt_in_dialog.locator("textarea[name=note]").fill("Customer asked by phone on 2 Dec")
    opt_in_dialog.locator(".confirm-opt-in").click()
    page.wait_for_url(lead_url)
    expect(page.locator(".messagelist")).to_contain_text("is opted in to SMS again")
    expect(_sms_opt_out(page)).to_have_text("No")
    expect(row.locator(".phone-status")).to_have_text("Opted in")
    expect(page.locator(".consent-history tbody tr").first).to_contain_text("Opted in")
    assert not OptOut.objects.exists()
    opt_in = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN)
    assert opt_in.details["note"] == "Customer asked by phone on 2 Dec"
    page.goto(other_url)
    expect(_sms_opt_out(page)).to_have_text("No")


def test_without_javascript_opt_out_goes_through_the_confirmation_page(
    browser, live_server, agent_user
):
    phone = LeadPhoneFactory(number=NUMBER, lead=LeadFactory(first_name="Ana"))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "bob")
        page.fill("#id_password", "pass-for-tests")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/leads/lead/{phone.lead.pk}/change/")
        page.locator("a.phone-opt-out").click()
        expect(page).to_have_url(re.compile(r"/phones/\d+/opt-out/$"))
        expect(page.locator("#content")).to_contain_text("Opt-out is by number")
        page.locator(".confirm-opt-out").click()
        expect(page.locator(".field-sms_opt_out_label .readonly")).to_have_text("Yes")
        assert OptOut.objects.filter(phone_number=NUMBER).exists()
    finally:
        context.close()
