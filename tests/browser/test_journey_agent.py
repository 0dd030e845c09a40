"""The agent's day, end to end in Chromium: log in, find a lead by the last four digits
of a phone, open it, opt a number out through the confirmation window, see it "Opted out" in red
on the lead page and in the lead list, and get a page with a way back when opening the admins'
report.

Elements are found by what a person sees (link and button names, words on the page) so that a
restyled page does not break the story. With VELOCIFY_SCREENSHOTS set (`make screenshots`) the
steps are saved as the README's pictures.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db(transaction=True)

RED = "rgb(186, 33, 33)"  # the admin's --error-fg: "Opted out" is red wherever it shows
ANA_MOBILE = "+14155550142"
ANA_WORK = "+12125550199"


@pytest.fixture
def demo_leads(agent_user):
    """A few leads as an agent sees them: fixed names and numbers, so the pictures repeat."""
    ana = LeadFactory(
        first_name="Ana",
        last_name="Garcia",
        email="ana.garcia@example.com",
        company="Garcia Homes",
        assigned_agent=agent_user,
    )
    LeadPhoneFactory(lead=ana, number=ANA_MOBILE, kind="mobile")
    LeadPhoneFactory(lead=ana, number=ANA_WORK, kind="work")
    ben = LeadFactory(
        first_name="Ben", last_name="Nguyen", email="ben@example.com", assigned_agent=agent_user
    )
    LeadPhoneFactory(lead=ben, number="+13125550177", kind="mobile")
    chloe = LeadFactory(
        first_name="Chloe", last_name="Smith", email="chloe@example.com", assigned_agent=agent_user
    )
    LeadPhoneFactory(lead=chloe, number="+16175550123", kind="mobile")
    given_opt_out(number="+16175550123", source=Source.CONTACT)  # she texted STOP last week
    return ana


def test_agent_finds_a_lead_by_its_last_four_digits_and_opts_the_number_out(
    page, login, live_server, agent_user, demo_leads, docs_screenshot
):
    ana = demo_leads
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Log in and open the lead list from the dashboard.
    login("bob")
    page.locator("#content-main").get_by_role("rowheader", name="Leads").get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Leads")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)

    # The caller gave only the end of the number: the last four digits find the lead.
    page.get_by_role("textbox", name="Search").fill("0142")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Ana Garcia")
    expect(results).to_contain_text("Textable")
    docs_screenshot("agent-1-search-last-four")

    # Open the lead: the mobile number is textable and has an Opt out button.
    results.get_by_role("link", name=re.compile("Ana Garcia")).click()
    expect(page).to_have_url(re.compile(rf"/admin/leads/lead/{ana.pk}/change/"))
    mobile = page.locator("tr.phone-row", has_text="(415) 555-0142")
    expect(mobile).to_contain_text("Textable")

    # Opt out asks first, naming the number and saying that opt-out is by number.
    mobile.get_by_role("link", name="Opt out").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Opt out (415) 555-0142?")
    expect(dialog).to_contain_text("Opt-out is by number")
    docs_screenshot("agent-2-opt-out-confirmation")
    assert not OptOut.objects.filter(phone_number=ANA_MOBILE).exists()  # nothing yet

    dialog.get_by_role("button", name="Confirm opt-out").click()
    expect(page.locator(".messagelist")).to_contain_text("is opted out of SMS (source Agent)")

    # The lead page says it in words, in red; the other number stays textable.
    status = mobile.get_by_text("Opted out", exact=True)
    expect(status).to_be_visible()
    expect(status).to_have_css("color", RED)
    expect(mobile).to_contain_text("Agent")
    expect(mobile).to_contain_text("bob")
    expect(page.locator("tr.phone-row", has_text="(212) 555-0199")).to_contain_text("Textable")
    page.get_by_role("heading", name="SMS consent", exact=True).evaluate("h => h.scrollIntoView()")
    docs_screenshot("agent-3-lead-opted-out")

    # The database agrees: on the list as an agent opt-out by bob, one event, the other number
    # untouched.
    row = OptOut.objects.get(phone_number=ANA_MOBILE)
    assert (row.source, row.channel, row.actor_id) == (Source.AGENT, Channel.UI, agent_user.pk)
    event = ConsentEvent.objects.get(phone_number=ANA_MOBILE)
    assert (event.action, event.actor_id) == (ConsentEvent.Action.OPT_OUT, agent_user.pk)
    assert not OptOut.objects.filter(phone_number=ANA_WORK).exists()

    # Back to the lead list: the SMS Opt-Out column reads "Opted out" in red for Ana and Chloe,
    # "Textable" for Ben.
    page.locator(".breadcrumbs").get_by_role("link", name="Leads", exact=True).last.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    for name, word in [("Ana Garcia", "Opted out"), ("Chloe Smith", "Opted out")]:
        cell = page.locator("#result_list tbody tr", has_text=name).get_by_text(word, exact=True)
        expect(cell).to_have_css("color", RED)
    ben = page.locator("#result_list tbody tr", has_text="Ben Nguyen")
    expect(ben.get_by_text("Textable", exact=True)).not_to_have_css("color", RED)
    docs_screenshot("agent-4-lead-list")

    # The report is for admins: a page in the admin's look that says so and leads back.
    response = page.goto(f"{live_server.url}/admin/optouts/report/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Permission denied")
    expect(page.locator("#content")).to_contain_text("Only an admin can use the opt-out report.")
    expect(page.locator("#site-name")).to_have_text("Velocify SMS")
    docs_screenshot("agent-5-report-forbidden")
    page.get_by_test_id("way-back").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    assert errors == []
