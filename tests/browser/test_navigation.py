"""Branding and the way back: an agent who opens an admin-only page is not left stranded."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_refused_the_report_finds_the_way_back(
    page, login, live_server, agent_user, screenshot
):
    login("bob")
    assert page.locator("#site-name").inner_text() == "Velocify SMS"
    assert page.title() == "Dashboard | Velocify SMS"
    assert page.get_by_role("link", name="View site").count() == 0

    response = page.goto(f"{live_server.url}/admin/optouts/report/")

    assert response.status == 403
    assert page.locator("#site-name").inner_text() == "Velocify SMS"
    assert page.locator("h1").inner_text() == "Permission denied"
    assert page.get_by_test_id("error-sentence").inner_text() == (
        "Only an admin can use the opt-out report."
    )
    screenshot("navigation-403-agent-on-report")

    page.get_by_test_id("way-back").click()

    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("h1").inner_text() == "Dashboard"
