"""Shared set-up for the SMS channel tests: immediate tasks, the local backend, a known token."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-auth-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _sms_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SMS_BACKEND = "local"
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.SMS_WEBHOOK_BASE_URL = ""
    settings.SMS_PROVIDER_REPLIES_TO_KEYWORDS = False


@pytest.fixture
def twilio_post(client):
    """POST a form to a webhook signed the way Twilio signs it (the twilio package's validator)."""

    def post(path: str, data: dict, *, token: str = AUTH_TOKEN, url: str | None = None, **extra):
        signed_url = url or f"http://testserver{path}"
        signature = RequestValidator(token).compute_signature(signed_url, data)
        return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature, **extra)

    return post
