"""The admin, the opt-out report (with its chart) and the API docs work under the strict CSP.

Chromium reports every blocked script, style or image on the console; none may appear, and the
pages must still do their job (the docs page renders the operations with its inline, nonce-carrying
configuration script).
"""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def csp_violations(page):
    seen = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: seen.append(f"page error: {exc}"))
    return seen


def test_admin_and_report_pages_run_under_the_policy(
    page, login, live_server, superuser, csp_violations, screenshot
):
    superuser.set_password("pass-for-tests")
    superuser.save()
    login("root")
    response = page.goto(f"{live_server.url}/admin/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server.url}/admin/leads/lead/add/")
    page.goto(f"{live_server.url}/admin/optouts/report/")
    page.wait_for_load_state("networkidle")
    assert page.locator("svg").count() >= 1, "the report's chart is drawn"
    screenshot("csp-report")
    assert csp_violations == []


def test_api_docs_render_under_the_policy(page, login, live_server, admin_user, csp_violations):
    login("alice")
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "'nonce-" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 5
    assert csp_violations == []
