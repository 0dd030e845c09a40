"""The OpenAPI schema: it validates, it documents every endpoint, the docs page serves no CDN,
and a bounded schemathesis fuzz run finds no 5xx and no answer outside the schema.

The fuzz run draws both data that fits the schema and data that does not, derandomised (the
same examples on every run, 20 per endpoint), plus HARD_CASES: inputs once found failing that a
bounded run may never draw (PostgreSQL-only ones included; CI runs both databases).
"""

from __future__ import annotations

import base64
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
import schemathesis
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.settings import api_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
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


@contextmanager
def _own_savepoint():
    """Each call in a savepoint rolled back after it: after a database error PostgreSQL refuses
    every statement until a rollback, which would fail every call after the first bad one."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


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

    def run(wanted, max_examples=20):
        fuzzed, failures = [], []
        for result in schema.get_all_operations():
            operation = result.ok()
            key = (operation.method.lower(), operation.path)
            if not wanted(*key):
                continue
            # Data that fits the schema and data that does not (wrong types, missing fields,
            # out-of-range values): both must answer without a 5xx, as the schema says.
            strategy = st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )

            @given(case=strategy)
            @hypothesis_settings(
                max_examples=max_examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case):
                with _own_savepoint():
                    case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Exception as exc:  # noqa: BLE001 - collected, reported together below
                failures.append(f"{key}: {exc}")
            fuzzed.append(key)
        return fuzzed, failures

    def run_cases(cases):
        """Call each (method, path, Case arguments) as given; return the failures."""
        operations = {
            (op.method.lower(), op.path): op
            for op in (result.ok() for result in schema.get_all_operations())
        }
        failures = []
        for method, path, arguments in cases:
            case = operations[(method, path)].Case(**arguments)
            try:
                with _own_savepoint():
                    case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, FailureGroup) as exc:  # noqa: BLE001 - reported together below
                failures.append(f"{method} {path} {arguments}: {exc}")
        return failures

    run.cases = run_cases
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


def _cursor(**tokens) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


HUGE = 10**30
OPT_OUTS = "/api/v1/sms/opt-outs/"
# Inputs a derandomised run may never draw but a client can send, each once found failing: dates
# whose UTC offset PostgreSQL refuses (past 15:59) or whose UTC form leaves years 1-9999, 30-digit
# numbers where the database holds 64 bits, forged cursors, values of the wrong type.
HARD_CASES = [
    ("get", OPT_OUTS, {"query": {"since": "0391-01-29T07:38:04.1597+23:49", "page_size": "1600"}}),
    ("get", OPT_OUTS, {"query": {"until": "0391-01-29T07:38:04-23:59"}}),
    ("get", OPT_OUTS, {"query": {"until": "9999-12-31T23:59:59-05:00"}}),
    ("get", OPT_OUTS, {"query": {"since": "0001-01-01T00:00:00+05:00"}}),
    ("get", OPT_OUTS, {"query": {"since": "9999-12-31T23:59:59Z", "until": "0001-01-01T00:00Z"}}),
    ("get", OPT_OUTS, {"query": {"page_size": str(HUGE)}}),
    ("get", OPT_OUTS, {"query": {"cursor": "garbage"}}),
    ("get", OPT_OUTS, {"query": {"cursor": _cursor(p="0391-01-29 07:38+23:49")}}),
    ("get", OPT_OUTS, {"query": {"cursor": _cursor(p="9999-12-31 23:59-05:00")}}),
    ("get", OPT_OUTS, {"query": {"cursor": _cursor(o=str(HUGE), p="x")}}),
    ("get", OPT_OUTS, {"query": {"phone_prefix": "１２３", "source": "zzz"}}),
    ("get", "/api/v1/leads/", {"query": {"page": str(HUGE)}}),
    ("get", "/api/v1/leads/", {"query": {"page_size": str(HUGE), "sms_opt_out": "maybe"}}),
    ("get", "/api/v1/leads/{lead_id}/", {"path_parameters": {"lead_id": HUGE}}),
    ("patch", "/api/v1/leads/{lead_id}/", {"path_parameters": {"lead_id": HUGE}, "body": {}}),
    ("get", "/api/v1/leads/imports/{job_id}/", {"path_parameters": {"job_id": HUGE}}),
    ("get", "/api/v1/sms/phone-numbers/{number}/", {"path_parameters": {"number": "9" * 100}}),
    ("post", "/api/v1/sms/opt-out/", {"body": {"phone_numbers": [{"a": 1}, None, True, 1.5]}}),
    ("post", "/api/v1/sms/opt-out/", {"body": {"phone_number": HUGE}}),
    ("post", "/api/v1/sms/opt-in/", {"body": {"phone_numbers": 5, "note": ["x"]}}),
    ("post", "/api/v1/leads/", {"body": {"first_name": "a", "assigned_agent": HUGE}}),
    ("post", "/api/v1/leads/", {"body": {"phones": [{"number": {"x": 1}}], "status": 5}}),
    ("post", "/api/v1/sms/messages/", {"body": {"to": "+14155552671", "body": "x", "lead": HUGE}}),
]


def test_hard_inputs_answer_within_the_schema(fuzz):
    """The cases above, on the database the suite runs on (CI runs SQLite and PostgreSQL)."""
    failures = fuzz.cases(HARD_CASES)

    assert not failures, "\n\n".join(failures)
