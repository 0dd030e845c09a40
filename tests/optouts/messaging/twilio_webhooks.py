"""Webhook requests shaped and signed the way Twilio sends them, for the webhook tests.

`inbound_form` / `status_form` hold every parameter Twilio always sends (and a few it usually
does), so a test changes or removes exactly what it is about. `signed_post` signs with the
twilio package's own validator, as Twilio does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.optouts.messaging.conftest import AUTH_TOKEN

INBOUND = "/webhooks/sms/inbound/"
STATUS = "/webhooks/sms/status/"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
OUR_NUMBER = "+14155559999"


def webhook_settings(settings) -> None:
    """What the webhook tests assume: our token, no proxy URL, the local backend, no provider
    replies, tasks run at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SMS_BACKEND = "local"
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_ACCOUNT_SID = ""
    settings.SMS_WEBHOOK_BASE_URL = ""
    settings.SMS_PROVIDER_REPLIES_TO_KEYWORDS = False


def message_sid(n: int, prefix: str = "SM") -> str:
    """A message id in Twilio's format: SM (or MM) and 32 lower-case hex digits."""
    return f"{prefix}{n:032x}"


def inbound_form(*, sid: str, body: str, sender: str, to: str = OUR_NUMBER, **extra) -> dict:
    form = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "FromCountry": "US",
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
        "ToCountry": "US",
    }
    form.update(extra)
    return form


def status_form(*, sid: str, status: str, to: str, error_code: str = "", **extra) -> dict:
    form = {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": OUR_NUMBER,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": to,
    }
    if error_code:
        form["ErrorCode"] = error_code
    form.update(extra)
    return form


def signature(path: str, form: dict, *, token: str = AUTH_TOKEN, url: str | None = None) -> str:
    return RequestValidator(token).compute_signature(url or f"http://testserver{path}", form)


def signed_post(client, path: str, form: dict, *, token: str = AUTH_TOKEN, url=None, **extra):
    """POST `form` to `path`, form-encoded, with the X-Twilio-Signature Twilio would send."""
    return client.post(
        path,
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature(path, form, token=token, url=url),
        **extra,
    )
