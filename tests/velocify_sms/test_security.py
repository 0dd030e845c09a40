"""Security settings, proven with DEBUG off.

The production headers are read from a subprocess that starts Django with production environment
variables (DEBUG=false, a real SECRET_KEY) and asks pages through Django's test client, so what
is proven is what the settings module makes of the environment, not values a test forced in.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-for-the-security-tests-0123456789",
    "ALLOWED_HOSTS": "testserver,sms.example.com",
    # The hashed-name static storage needs `collectstatic`; `make serve` runs it. Here the
    # pages only need to render, so plain storage keeps the test quick.
    "STATIC_MANIFEST": "false",
    # Required with DEBUG off (optouts.E101): any 32 bytes are an Ed25519 key.
    "SMS_EVIDENCE_SIGNING_KEY": "5a" * 32,
}

_PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.test import Client
    c = Client()
    out = {}
    r = c.get("/admin/login/")
    out["http"] = {"status": r.status_code, "location": r.get("Location", "")}
    r = c.get("/healthz")
    out["healthz_http"] = {"status": r.status_code}
    r = c.get("/admin/login/", secure=True)
    out["https"] = {
        "status": r.status_code,
        "headers": dict(r.headers),
        "cookies": {k: dict(v) | {"_str": v.OutputString()} for k, v in r.cookies.items()},
    }
    out["settings"] = {
        name: getattr(settings, name)
        for name in ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
                     "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS"]
    }
    print(json.dumps(out))
    """
)


def _run(code: str, extra_env: dict, *args: str) -> subprocess.CompletedProcess:
    drop = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests set the last
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"DJANGO_SETTINGS_MODULE": "velocify_sms.settings", **extra_env})
    return subprocess.run(
        [sys.executable, *(("-c", code) if code else ()), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production():
    result = _run(_PROBE, PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(production):
    assert production["http"]["status"] == 301
    assert production["http"]["location"] == "https://testserver/admin/login/"


def test_health_probe_answers_over_plain_http(production):
    assert production["healthz_http"]["status"] == 200


def test_hsts_is_sent_for_a_year_with_subdomains_and_preload(production):
    hsts = production["https"]["headers"]["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_pages_may_not_be_framed(production):
    assert production["https"]["headers"]["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in production["https"]["headers"]["Content-Security-Policy"]


def test_content_security_policy_allows_no_inline_code_without_a_nonce(production):
    policy = production["https"]["headers"]["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no nonce asked for on this page: none sent
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_sniffing_and_same_origin_referrers(production):
    headers = production["https"]["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_csrf_cookie_is_secure_and_http_only(production):
    cookie = production["https"]["cookies"]["csrftoken"]["_str"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_session_cookie_is_secure_and_http_only_in_production(production):
    assert production["settings"]["SESSION_COOKIE_SECURE"] is True
    assert production["settings"]["SESSION_COOKIE_HTTPONLY"] is True


def test_session_cookie_set_at_login_carries_secure_and_http_only(client, admin_user, settings):
    settings.SESSION_COOKIE_SECURE = True  # what production's env gives (test above)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "alice", "password": "pass-for-tests"},
        secure=True,
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"].OutputString()
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _run(
        "",
        {
            **PRODUCTION_ENV,
            "STATIC_MANIFEST": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
            # Shared by the web workers (velocify_sms.E001); the check does not connect.
            "CACHE_URL": "redis://127.0.0.1:6379/0",
        },
        "manage.py",
        "check",
        "--deploy",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Not one deployment (security.*) warning; other apps' checks are their own tests' business.
    assert not re.search(r"\(security\.[WE]\d+\)", output), output


def test_check_deploy_flags_a_production_env_that_turns_https_off(tmp_path):
    result = _run(
        "",
        {
            **PRODUCTION_ENV,
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        },
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


# --- The API docs work under the policy: inline blocks carry the header's nonce ---------------


@pytest.mark.django_db
def test_api_docs_inline_blocks_carry_the_nonce_of_the_policy(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f"script-src 'self' 'nonce-{nonce}'" in policy
    html = response.content.decode()
    # The start-up script is a separate file (split view); any inline block must carry the nonce.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline_scripts)
    styles = re.findall(r"<style([^>]*)>", html)
    assert styles, "the docs page has its inline style block"
    assert all(f'nonce="{nonce}"' in attrs for attrs in styles)
    assert "unsafe-inline" not in policy


def test_every_response_carries_the_policy_also_in_development(client):
    response = client.get("/healthz")
    assert "default-src 'self'" in response["Content-Security-Policy"]


# --- Login throttling ------------------------------------------------------------------------


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def throttle(settings):
    from django.core.cache import cache

    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_IP_LIMIT = 5
    settings.LOGIN_LOCKOUT_SECONDS = 600
    yield
    cache.clear()


def test_login_is_refused_with_429_after_repeated_wrong_passwords(client, admin_user, throttle):
    for _ in range(3):
        assert _login(client, "alice", "wrong").status_code == 200
    response = _login(client, "alice", "pass-for-tests")  # even the right password now
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "Too many failed logins" in response.content.decode()
    assert "10 minutes" in response.content.decode()


def test_lockout_is_per_account_another_user_at_the_same_address_logs_in(
    client, admin_user, agent_user, throttle
):
    for _ in range(3):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", "pass-for-tests", ip="10.0.0.2").status_code == 429
    assert _login(client, "bob", "pass-for-tests").status_code == 302


def test_one_address_guessing_many_usernames_is_refused(client, admin_user, throttle):
    for name in ["a", "b", "c", "d", "e"]:
        _login(client, name, "wrong")
    assert _login(client, "alice", "pass-for-tests").status_code == 429


def test_a_successful_login_clears_the_count(client, admin_user, throttle):
    for _ in range(2):
        _login(client, "alice", "wrong")
    assert _login(client, "alice", "pass-for-tests").status_code == 302
    client.logout()
    for _ in range(2):
        assert _login(client, "alice", "wrong").status_code == 200


# --- Database outage: clean 503 JSON for programs -----------------------------------------------


def _outage(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("api/v1/outage/", _outage),
    path("webhooks/sms/outage/", _outage),
    path("admin/outage/", _outage),
]


@pytest.mark.urls(__name__)
def test_database_outage_on_the_api_is_a_clean_503_json(client):
    response = client.get("/api/v1/outage/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"
    assert client.post("/webhooks/sms/outage/").status_code == 503


@pytest.mark.urls(__name__)
def test_database_outage_on_a_page_is_a_short_503_page(client):
    response = client.get("/admin/outage/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Reload the page in a few seconds" in response.content.decode()


def _bug(request):
    raise ValueError("a bug, not an outage")


urlpatterns.append(path("api/v1/bug/", _bug))


@pytest.mark.urls(__name__)
def test_other_errors_stay_an_ordinary_500(client):
    client.raise_request_exception = False
    assert client.get("/api/v1/bug/").status_code == 500
