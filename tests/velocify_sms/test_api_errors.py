"""Every API error is JSON {"code", "detail"} with a stable code: 401 403 404 405 413 415 429."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

pytestmark = pytest.mark.django_db

OPT_OUT = "/api/v1/sms/opt-out/"


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def _is_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_unknown_api_address_is_a_json_404(agent_api):
    body = _is_error(agent_api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/v1/nothing-here/" in body["detail"]


def test_missing_trailing_slash_says_so(agent_api):
    body = _is_error(agent_api.post("/api/v1/sms/opt-out", {}, format="json"), 404, "not_found")
    assert "trailing slash" in body["detail"]


def test_wrong_method_is_a_json_405(agent_api):
    _is_error(agent_api.get(OPT_OUT), 405, "method_not_allowed")
    _is_error(agent_api.delete("/api/v1/leads/"), 405, "method_not_allowed")


def test_a_form_body_is_a_json_415(agent_api):
    response = agent_api.post(OPT_OUT, {"phone_number": "+14155552671"}, format="multipart")
    _is_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_400_parse_error(agent_api):
    response = agent_api.post(OPT_OUT, "{not json", content_type="application/json")
    _is_error(response, 400, "parse_error")


def test_a_body_over_the_upload_limit_is_a_json_413(agent_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"phone_numbers": ["+14155552671"] * 200})

    response = agent_api.post(OPT_OUT, body, content_type="application/json")

    _is_error(response, 413, "request_too_large")


def test_past_the_user_rate_calls_get_429_with_retry_after(agent_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"},
    }
    url = "/api/v1/sms/phone-numbers/+14155552671/"

    statuses = [agent_api.get(url).status_code for _ in range(3)]
    throttled = agent_api.get(url)

    assert statuses == [200, 200, 200]
    _is_error(throttled, 429, "throttled")
    assert 0 < int(throttled["Retry-After"]) <= 60


def test_throttling_counts_per_user(agent_api, admin_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/min"},
    }
    url = "/api/v1/sms/phone-numbers/+14155552671/"
    for _ in range(2):
        agent_api.get(url)

    assert agent_api.get(url).status_code == 429
    assert admin_api.get(url).status_code == 200


def test_an_unexpected_error_is_a_json_500_and_changes_nothing(agent_api, monkeypatch):
    from django.test import Client

    import optouts.apis

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(optouts.apis, "phones_opt_out_as_asked", explode)
    agent_api.raise_request_exception = False
    assert isinstance(agent_api, Client)

    response = agent_api.post(OPT_OUT, {"phone_number": "+14155552671"}, format="json")

    body = _is_error(response, 500, "server_error")
    assert "boom" not in body["detail"]
    assert "nothing was changed" in body["detail"]


def test_the_handler_is_the_global_default():
    from django.conf import settings

    assert (
        settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]
        == "velocify_sms.api_errors.api_exception_handler"
    )


def test_validation_errors_list_every_field(agent_api):
    response = agent_api.post(
        "/api/v1/leads/", {"email": "not-an-email", "status": "nope"}, format="json"
    )

    body = _is_error(response, 400, "invalid")
    assert set(body["errors"]) == {"email", "status"}
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_me_tells_a_client_who_it_is_and_what_it_may_do(agent_api, api_client):
    assert agent_api.get("/api/v1/me/").json() == {
        "username": "bob",
        "can_opt_out": True,
        "can_opt_in": False,
        "can_view_opt_out_list": False,
    }
    _is_error(api_client.get("/api/v1/me/"), 401, "not_authenticated")


def test_a_refused_write_says_nothing_was_changed(agent_api):
    response = agent_api.post("/api/v1/leads/", {"email": "not-an-email"}, format="json")

    body = _is_error(response, 400, "invalid")
    assert body["detail"].endswith("Nothing was changed.")


def test_an_error_on_a_get_does_not_say_nothing_was_changed(admin_api):
    response = admin_api.get("/api/v1/sms/opt-outs/", {"phone_prefix": "41"})

    body = _is_error(response, 400, "invalid")
    assert body["detail"] == "The request has invalid values in: phone_prefix."
    assert "changed" not in body["detail"].lower()


def test_an_unexpected_error_on_a_get_is_a_500_that_does_not_claim_a_write(agent_api, monkeypatch):
    import optouts.apis

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(optouts.apis, "phone_status", explode)
    agent_api.raise_request_exception = False

    response = agent_api.get("/api/v1/sms/phone-numbers/+14155552671/")

    body = _is_error(response, 500, "server_error")
    assert "changed" not in body["detail"].lower()
    assert body["detail"].startswith("Something went wrong on our side.")
