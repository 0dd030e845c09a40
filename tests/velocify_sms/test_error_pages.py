"""Error pages: the admin's look, one sentence and a way back for people; JSON for programs.

Django shows its technical 400/500 pages while DEBUG is on (the tests run with DEBUG from the
environment), so those tests switch it off; the 404 is the product's page either way.
"""

from __future__ import annotations

import json

import pytest
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.urls import path

from velocify_sms import error_pages, middleware
from velocify_sms import urls as project_urls

REPORT = "/admin/optouts/report/"


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def _html(response) -> str:
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    return response.content.decode()


def _is_styled_page(html: str) -> None:
    """The admin's frame with the site's name, not Django's bare error page."""
    assert '<div id="site-name"><a href="/admin/">Velocify SMS</a></div>' in html
    assert "admin/css/base.css" in html
    assert "Django administration" not in html


# --- 403 --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_on_the_opt_out_report_gets_the_styled_403_with_the_reason(agent_client):
    response = agent_client.get(REPORT)

    assert response.status_code == 403
    html = _html(response)
    _is_styled_page(html)
    assert "<title>Permission denied | Velocify SMS</title>" in html
    assert "Only an admin can use the opt-out report." in html
    assert '<a href="/admin/" data-testid="way-back">Back to the dashboard</a>' in html
    # The agent keeps the user tools and the nav sidebar to go on working.
    assert 'id="logout-form"' in html
    assert 'id="nav-sidebar"' in html


@pytest.mark.django_db
def test_a_bare_permission_denied_gets_a_general_sentence(agent_user):
    request = RequestFactory().get("/admin/somewhere/")
    request.user = agent_user

    response = error_pages.permission_denied(request, PermissionError())

    assert response.status_code == 403
    assert error_pages.FORBIDDEN_SENTENCE in _html(response)


def test_a_403_under_the_api_or_webhooks_is_json():
    for address in ("/api/v1/anything/", "/webhooks/sms/anything/"):
        request = RequestFactory().get(address)
        response = error_pages.permission_denied(request, PermissionError("Not yours."))
        assert response.status_code == 403
        assert json.loads(response.content) == {
            "code": "permission_denied",
            "detail": "Not yours.",
        }


# --- 404 --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_admin_address_gets_the_styled_404_with_a_way_back(production, agent_client):
    response = agent_client.get("/admin/no-such-page/")

    assert response.status_code == 404
    html = _html(response)
    _is_styled_page(html)
    assert "<title>Page not found | Velocify SMS</title>" in html
    assert "There is nothing at <code>/admin/no-such-page/</code>" in html
    assert '<a href="/admin/" data-testid="way-back">Back to the dashboard</a>' in html


@pytest.mark.django_db
def test_an_unknown_address_for_nobody_offers_the_login_and_no_sidebar(production, client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = _html(response)
    _is_styled_page(html)
    assert '<a href="/admin/login/" data-testid="way-back">Log in</a>' in html
    assert 'id="nav-sidebar"' not in html
    assert 'id="logout-form"' not in html


@pytest.mark.django_db
def test_the_404_page_escapes_the_address(production, agent_client):
    html = _html(agent_client.get("/admin/<script>alert(1)</script>/"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_an_unknown_api_address_stays_a_json_404(production, agent_api):
    response = agent_api.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_an_unknown_webhook_address_is_a_json_404(production, client):
    response = client.post("/webhooks/sms/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "There is nothing at /webhooks/sms/nothing-here/.",
    }


# --- 400 and CSRF -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_host_gets_the_styled_400(production, client):
    response = client.get("/admin/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    html = _html(response)
    _is_styled_page(html)
    assert "Your browser sent a request this site could not read" in html
    assert '<a href="/admin/login/" data-testid="way-back">Log in</a>' in html


@pytest.mark.django_db
def test_a_bad_host_under_the_api_gets_json_400(production, client):
    response = client.get("/api/v1/me/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_a_login_without_its_csrf_token_gets_the_styled_csrf_page(client, admin_user):
    client.handler.enforce_csrf_checks = True

    response = client.post("/admin/login/", {"username": "alice", "password": "pass-for-tests"})

    assert response.status_code == 403
    html = _html(response)
    _is_styled_page(html)
    assert "<title>Form expired | Velocify SMS</title>" in html
    assert "reload the page and send it again" in html
    assert '<a href="/admin/login/" data-testid="way-back">Log in</a>' in html


def test_a_csrf_failure_under_the_api_is_json():
    response = error_pages.csrf_failure(RequestFactory().post("/api/v1/x/"), reason="no token")
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "permission_denied"


@pytest.mark.django_db
def test_the_csrf_page_for_a_logged_in_user_keeps_a_valid_logout_form(agent_user):
    # The page's own logout form needs a token even though the request's check failed.
    request = RequestFactory().post("/admin/leads/lead/add/")
    request.user = agent_user
    get_token(request)

    html = _html(error_pages.csrf_failure(request, reason="CSRF token missing."))

    assert 'name="csrfmiddlewaretoken"' in html
    assert "Back to the dashboard" in html


# --- 500 --------------------------------------------------------------------------------------


def _bug(request):
    raise ValueError("a bug, not an outage")


# The project's URLs and handlers, plus addresses that fail.
urlpatterns = [
    path("admin/bug/", _bug),
    path("api/v1/bug/", _bug),
    *project_urls.urlpatterns,
]
handler500 = project_urls.handler500


def test_the_500_page_renders_without_a_request_user_or_database():
    # No django_db mark: any query raises. The request has no user and no session.
    request = RequestFactory().get("/admin/leads/lead/")

    response = middleware.server_error(request)

    assert response.status_code == 500
    html = _html(response)
    _is_styled_page(html)
    assert "<title>Server error | Velocify SMS</title>" in html
    assert error_pages.SERVER_ERROR_SENTENCE in html
    assert '<a href="/admin/" data-testid="way-back">Back to the dashboard</a>' in html


@pytest.mark.urls(__name__)
def test_an_uncaught_error_on_a_page_gets_the_styled_500(production, client):
    # Through every middleware, still without the database (no django_db mark).
    client.raise_request_exception = False

    response = client.get("/admin/bug/")

    assert response.status_code == 500
    _is_styled_page(_html(response))


@pytest.mark.urls(__name__)
def test_an_uncaught_error_under_the_api_is_a_json_500(production, client):
    client.raise_request_exception = False

    response = client.get("/api/v1/bug/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_the_500_page_falls_back_to_plain_html_when_its_template_fails(monkeypatch):
    def broken(name):
        raise RuntimeError("template broken")

    monkeypatch.setattr(error_pages.loader, "get_template", broken)

    response = error_pages.server_error_page(RequestFactory().get("/admin/"))

    assert response.status_code == 500
    assert error_pages.SERVER_ERROR_SENTENCE in response.content.decode()


def test_the_500_page_follows_site_header(settings):
    settings.SITE_HEADER = "Acme Mortgage"
    html = _html(error_pages.server_error_page(RequestFactory().get("/admin/")))
    assert '<a href="/admin/">Acme Mortgage</a>' in html


urls_without_the_admin = type("urls_without_the_admin", (), {"urlpatterns": []})


def test_the_500_template_renders_under_a_urlconf_without_the_admin(settings):
    # Django's own server_error (a URLconf that sets no handler500) renders 500.html too.
    settings.ROOT_URLCONF = urls_without_the_admin

    response = error_pages.server_error_page(RequestFactory().get("/"))

    assert '<div id="site-name"><a href="/">Velocify SMS</a></div>' in _html(response)


# --- 404 with DEBUG on (make run) ---------------------------------------------------------------


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_with_debug_on_an_unknown_address_is_the_products_404_not_djangos(debug_on, client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = _html(response)
    _is_styled_page(html)
    assert "There is nothing at <code>/no-such-page/</code>" in html
    assert "Using the URLconf defined in" not in html  # Django's technical 404


@pytest.mark.django_db
def test_with_debug_on_a_views_404_is_the_products_page(debug_on, agent_client):
    response = agent_client.get("/admin/no-such-page/")  # the admin's catch-all view raises it

    assert response.status_code == 404
    html = _html(response)
    _is_styled_page(html)
    assert '<a href="/admin/" data-testid="way-back">Back to the dashboard</a>' in html
    assert "Django tried these URL patterns" not in html


@pytest.mark.django_db
def test_with_debug_on_the_api_404_stays_json_and_a_missing_slash_still_redirects(
    debug_on, agent_api, client
):
    response = agent_api.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/admin").status_code == 301
