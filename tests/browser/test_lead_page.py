"""An agent opts a number out from the lead page through the confirmation dialog; an admin opts
it back in. Real chromium, real JavaScript, the real admin."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import LeadPhone
from optouts.models import ConsentEvent, OptOut
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

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

    # The agent opens the lead: textable, an Opt out link, no Opt in anywhere.
    login("bob")
    page.goto(lead_url)
    expect(_sms_opt_out(page)).to_have_text("Textable")
    expect(row.locator(".phone-status")).to_have_text("Textable")
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
    expect(_sms_opt_out(page)).to_have_text("Textable")

    # Again, and confirm: SMS Opt-Out turns Opted out and the phone shows source Agent.
    row.locator("a.phone-opt-out").click()
    expect(dialog).to_be_visible()
    dialog.locator(".confirm-opt-out").click()
    page.wait_for_url(lead_url)
    expect(page.locator(".messagelist")).to_contain_text("is opted out of SMS (source Agent)")
    expect(_sms_opt_out(page)).to_have_text("Opted out")
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

    # The second lead with the same number shows Opted out too.
    page.goto(other_url)
    expect(_sms_opt_out(page)).to_have_text("Opted out")

    # The admin opts it back in from the lead page, through the same kind of window.
    page.context.clear_cookies()
    login("alice")
    page.goto(lead_url)
    expect(_sms_opt_out(page)).to_have_text("Opted out")
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
    expect(_sms_opt_out(page)).to_have_text("Textable")
    expect(row.locator(".phone-status")).to_have_text("Textable")
    # The history tells what happened: this event is an opt-in.
    expect(page.locator(".consent-history tbody tr").first).to_contain_text("Opted in")
    assert not OptOut.objects.exists()
    opt_in = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN)
    assert opt_in.details["note"] == "Customer asked by phone on 2 Dec"
    page.goto(other_url)
    expect(_sms_opt_out(page)).to_have_text("Textable")


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
        expect(page.locator(".field-sms_opt_out_label .readonly")).to_have_text("Opted out")
        assert OptOut.objects.filter(phone_number=NUMBER).exists()
    finally:
        context.close()


RED = "rgb(186, 33, 33)"  # the admin's --error-fg


def test_the_lead_page_reads_top_to_bottom_as_people_work_it(
    page, login, live_server, agent_user, screenshot
):
    lead = LeadFactory(first_name="Ana", last_name="Garcia")
    textable = LeadPhoneFactory(lead=lead, number=NUMBER)
    opted = LeadPhoneFactory(lead=lead, number="+442079460958", kind="work")
    given_opt_out(number=opted.number, source="contact")
    login("bob")
    page.goto(f"{live_server.url}/admin/leads/lead/{lead.pk}/change/")

    # Status in words, the colour repeating them: red for opted out, not a green check.
    out_row = page.locator(f"tr.phone-row[data-number='{opted.number}']")
    ok_row = page.locator(f"tr.phone-row[data-number='{NUMBER}']")
    expect(out_row.locator(".phone-status")).to_have_text("Opted out")
    expect(out_row.locator(".phone-status .sms-status")).to_have_css("color", RED)
    expect(ok_row.locator(".phone-status")).to_have_text("Textable")
    expect(ok_row.locator(".phone-status .sms-status")).not_to_have_css("color", RED)
    expect(_sms_opt_out(page).locator(".sms-status")).to_have_css("color", RED)

    # Opt out sits with the phones, above Save.
    opt_out = ok_row.locator("a.phone-opt-out")
    save = page.locator("input[name=_save]")
    assert opt_out.bounding_box()["y"] < save.bounding_box()["y"]

    # The phone boxes: one per saved number, no empty extra row, no tiny E.164 label above
    # each box, and the number in the box as every page shows it.
    rows = page.locator("#phones-group tbody tr.form-row:not(.empty-form)")
    expect(rows).to_have_count(2)
    expect(page.locator("#phones-group td.original p").first).to_be_hidden()
    expect(page.locator("#id_phones-0-number")).to_have_value("(415) 555-2671")
    expect(page.locator("#id_phones-1-number")).to_have_value("+442079460958")
    expect(ok_row.locator(".phone-number")).to_contain_text("(415) 555-2671")
    screenshot("lead-page-layout")

    # Saving the page as shown changes no number.
    save.click()
    page.wait_for_url(f"{live_server.url}/admin/leads/lead/")
    assert sorted(LeadPhone.objects.filter(lead=lead).values_list("number", flat=True)) == [
        NUMBER,
        opted.number,
    ]
    assert textable.pk in LeadPhone.objects.values_list("pk", flat=True)


def test_the_lead_list_says_opted_out_in_red_and_textable(page, login, live_server, agent_user):
    LeadPhoneFactory(number=NUMBER, lead=LeadFactory(first_name="Ana"))
    LeadPhoneFactory(number="+12125550199", lead=LeadFactory(first_name="Ben"))
    given_opt_out(number=NUMBER)
    login("bob")
    page.goto(f"{live_server.url}/admin/leads/lead/")
    expect(page.locator("td.field-sms_opt_out .sms-status-opted-out")).to_have_text("Opted out")
    expect(page.locator("td.field-sms_opt_out .sms-status-opted-out")).to_have_css("color", RED)
    expect(page.locator("td.field-sms_opt_out .sms-status-textable")).to_have_text("Textable")
    expect(page.locator("#changelist-filter")).to_contain_text("Opted out")
    expect(page.locator("#changelist-filter")).to_contain_text("Textable")

    # Agents search by the last four digits.
    page.fill("#searchbar", "0199")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody")).to_contain_text("Ben")
