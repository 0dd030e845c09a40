"""The possible-opt-out inbox: Opt out asks first, like the lead page. Real chromium."""

import pytest
from playwright.sync_api import expect

from optouts.messaging.models import PossibleOptOut
from optouts.messaging.services import inbound_message_receive
from optouts.models import OptOut

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+14155550133"


def test_opt_out_from_the_inbox_goes_through_a_confirmation(
    page, login, live_server, agent_user, screenshot
):
    inbound_message_receive(
        message_sid="SMb1", from_number=NUMBER, body="please stop texting me so early"
    )
    login("bob")
    inbox = f"{live_server.url}/admin/optouts/possibleoptout/"
    page.goto(inbox)
    expect(page.locator("td.field-list_status")).to_have_text("Textable")

    # Opt out opens the confirmation page; Cancel goes back with nothing changed.
    page.locator("a.sms-inbox-opt-out").click()
    expect(page.locator("#content")).to_contain_text("Opt out (415) 555-0133?")
    expect(page.locator("#content")).to_contain_text("please stop texting me")
    screenshot("inbox-opt-out-confirmation", full_page=False)
    page.locator("a.cancel-link").click()
    page.wait_for_url(inbox)
    assert not OptOut.objects.exists()

    # Again, and confirm.
    page.locator("a.sms-inbox-opt-out").click()
    page.locator(".confirm-opt-out").click()
    page.wait_for_url(inbox)
    expect(page.locator(".messagelist")).to_contain_text("is now opted out")
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    assert PossibleOptOut.objects.get().status == PossibleOptOut.Status.OPTED_OUT
