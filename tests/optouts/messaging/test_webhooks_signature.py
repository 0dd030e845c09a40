"""X-Twilio-Signature: Twilio's published example, requests signed by the twilio package, 403s."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from twilio.request_validator import RequestValidator

from optouts.messaging.models import InboundMessage, StatusCallbackEvent
from optouts.messaging.webhooks import signature_is_valid
from optouts.models import ConsentEvent, OptOut
from tests.optouts.messaging.conftest import AUTH_TOKEN
from tests.optouts.messaging.twilio_webhooks import (
    INBOUND,
    STATUS,
    inbound_form,
    message_sid,
    status_form,
)

pytestmark = pytest.mark.django_db

STOP_FORM = inbound_form(sid=message_sid(1), body="STOP", sender="+14155550100")
STATUS_FORM = status_form(
    sid=message_sid(1), status="failed", to="+14155550100", error_code="21610"
)

# https://www.twilio.com/docs/usage/security#validating-requests (the worked example).
EXAMPLE_TOKEN = "12345"
EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
EXAMPLE_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
EXAMPLE_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.fixture(autouse=True)
def _example_hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "mycompany.com", "10.0.0.5"]


def _example_request(signature: str | None, params=EXAMPLE_PARAMS):
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature is not None else {}
    return RequestFactory().post(
        "/myapp.php?foo=1&bar=2", params, secure=True, HTTP_HOST="mycompany.com", **headers
    )


def test_twilios_published_example_is_accepted(settings):
    settings.TWILIO_AUTH_TOKEN = EXAMPLE_TOKEN
    assert signature_is_valid(_example_request(EXAMPLE_SIGNATURE))


@pytest.mark.parametrize(
    "change",
    ["signature", "param", "token", "missing"],
)
def test_twilios_published_example_fails_when_anything_differs(settings, change):
    settings.TWILIO_AUTH_TOKEN = "54321" if change == "token" else EXAMPLE_TOKEN
    signature = {"signature": "1" + EXAMPLE_SIGNATURE[1:], "missing": None}.get(
        change, EXAMPLE_SIGNATURE
    )
    params = {**EXAMPLE_PARAMS, "Digits": "9999"} if change == "param" else EXAMPLE_PARAMS
    assert not signature_is_valid(_example_request(signature, params))


def test_the_public_base_url_setting_is_what_is_checked_behind_a_proxy(settings):
    settings.TWILIO_AUTH_TOKEN = EXAMPLE_TOKEN
    settings.SMS_WEBHOOK_BASE_URL = "https://mycompany.com/"
    # The proxy forwarded plain http to an internal host: only the setting gives the signed URL.
    request = RequestFactory().post(
        "/myapp.php?foo=1&bar=2",
        EXAMPLE_PARAMS,
        HTTP_HOST="10.0.0.5:8000",
        HTTP_X_TWILIO_SIGNATURE=EXAMPLE_SIGNATURE,
    )
    assert signature_is_valid(request)
    settings.SMS_WEBHOOK_BASE_URL = ""
    assert not signature_is_valid(request)


def test_a_stop_signed_by_the_twilio_package_is_processed(twilio_post):
    response = twilio_post(INBOUND, STOP_FORM)
    assert response.status_code == 200
    assert OptOut.objects.filter(phone_number="+14155550100").exists()


def test_a_request_signed_for_the_public_url_is_accepted_behind_a_proxy(settings, twilio_post):
    settings.SMS_WEBHOOK_BASE_URL = "https://sms.example.com"
    response = twilio_post(INBOUND, STOP_FORM, url=f"https://sms.example.com{INBOUND}")
    assert response.status_code == 200


def _nothing_changed():
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert not InboundMessage.objects.exists()
    assert not StatusCallbackEvent.objects.exists()


@pytest.mark.parametrize("path", [INBOUND, STATUS])
def test_an_unsigned_request_gets_403_and_changes_nothing(client, path):
    form = STOP_FORM if path == INBOUND else STATUS_FORM
    assert client.post(path, form).status_code == 403
    _nothing_changed()


@pytest.mark.parametrize("path", [INBOUND, STATUS])
def test_a_request_signed_with_another_token_gets_403(twilio_post, path):
    form = STOP_FORM if path == INBOUND else STATUS_FORM
    assert twilio_post(path, form, token="not-our-token").status_code == 403
    _nothing_changed()


def test_a_tampered_body_gets_403(client):
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"http://testserver{INBOUND}", {**STOP_FORM, "Body": "hello"}
    )
    response = client.post(INBOUND, STOP_FORM, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403
    _nothing_changed()


def test_a_signature_for_another_url_gets_403(twilio_post):
    response = twilio_post(INBOUND, STOP_FORM, url="http://testserver/elsewhere/")
    assert response.status_code == 403
    _nothing_changed()


def test_without_a_configured_token_every_request_is_refused(settings, twilio_post):
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_post(INBOUND, STOP_FORM).status_code == 403
    _nothing_changed()


def test_webhooks_need_no_csrf_token_but_refuse_get(client, twilio_post):
    client.handler.enforce_csrf_checks = True
    assert twilio_post(INBOUND, STOP_FORM).status_code == 200
    assert client.get(INBOUND).status_code == 405
