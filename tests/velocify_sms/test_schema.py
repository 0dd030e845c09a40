"""The OpenAPI schema: it validates, it documents every endpoint, the docs page serves no CDN,
and a bounded schemathesis fuzz run finds no 5xx and no answer outside the schema."""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from rest_framework.settings import api_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apitokens.services import api_token_create

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("post", "/api/v1/sms/opt-out/"),
    ("post", "/api/v1/sms/opt-in/"),
    ("get", "/api/v1/sms/phone-numbers/{number}/"),
    ("get", "/api/v1/sms/opt-outs/"),
    ("get", "/api/v1/leads/"),
    ("post", "/api/v1/leads/"),
    ("get", "/api/v1/leads/{lead_id}/"),
    ("patch", "/api/v1/leads/{lead_id}/"),
    ("get", "/api/v1/me/"),
}


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def schema_file(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings_and_lists_every_endpoint(schema_file):
    operations = {(method, path) for path, item in schema_file["paths"].items() for method in item}
    assert operations >= ENDPOINTS


def test_every_operation_documents_its_errors(schema_file):
    for path, item in schema_file["paths"].items():
        for method, operation in item.items():
            if (method, path) not in ENDPOINTS:
                continue
            statuses = set(operation["responses"])
            assert {"401", "403", "429"} <= statuses, (method, path)
            if method in ("post", "patch"):
                assert {"400", "413", "415"} <= statuses, (method, path)


def test_schema_needs_a_login(api_client, agent_api):
    assert api_client.get("/api/schema/").status_code == 401
    assert agent_api.get("/api/schema/").status_code == 200


def test_swagger_ui_is_served_from_our_static_files_without_inline_script(admin_client):
    response = admin_client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # the start-up script is a separate file (?script=)
    script = admin_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_swagger_ui_sends_anonymous_people_to_the_login(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.fixture
def wsgi_app():
    """The real WSGI app in the test's transaction: keep Django from closing the connection
    between requests, as its test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz(wsgi_app, admin_user, settings):
    """Run schemathesis on the operations `wanted(method, path)` selects; return failures."""
    # Admins may call every endpoint, so the fuzzer reaches past the permission checks.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "user": "100000/min"},
    }
    headers = {"Authorization": f"Token {api_token_create(user=admin_user)[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=headers)

    def run(wanted, max_examples=12):
        fuzzed, failures = [], []
        for result in schema.get_all_operations():
            operation = result.ok()
            key = (operation.method.lower(), operation.path)
            if not wanted(*key):
                continue

            @given(case=operation.as_strategy())
            @hypothesis_settings(
                max_examples=max_examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Exception as exc:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{key}: {exc}")
            fuzzed.append(key)
        return fuzzed, failures

    return run


@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS))
def test_fuzz_no_5xx_and_every_answer_in_the_schema(fuzz, method, path):
    fuzzed, failures = fuzz(lambda m, p: (m, p) == (method, path))

    assert fuzzed == [(method, path)]
    assert not failures, "\n\n".join(failures)


def test_fuzz_the_other_apps_endpoints_too(fuzz):
    """Import, messages and whatever else the schema lists: the same bar."""
    fuzzed, failures = fuzz(lambda m, p: (m, p) not in ENDPOINTS, max_examples=8)

    assert not failures, "\n\n".join(failures)
