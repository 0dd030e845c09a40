"""The provider's webhooks: inbound SMS and delivery status (Twilio's form fields).

Every request must carry a valid X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted form
fields, keyed by TWILIO_AUTH_TOKEN); the signature replaces CSRF, hence csrf_exempt. A missing or
wrong signature gets 403 and changes nothing. Behind a proxy, SMS_WEBHOOK_BASE_URL gives the
public scheme and host the provider signed.

A valid signature is not enough. Twilio joins the sorted names and values without separators
before signing, so a captured request can be re-cut (drop `NumMedia=0`, send
`MessageSid=<sid>NumMedia0`) and still validate. A re-cut moves text across a name/value
boundary, so it breaks the shape of the values: every request must therefore carry the
parameters Twilio always sends, its message ids must be in Twilio's exact format and agree with
each other, no name may come twice and NumMedia must be a number (else 400); its AccountSid
must be ours when TWILIO_ACCOUNT_SID is set (else 403). With those checks a captured request
can only be replayed under its own MessageSid, which the service treats as a duplicate.

What passes is cleaned at this edge: control characters (C0 but tab, newline and carriage
return, and DEL) become spaces, so a `STOP\\x00` reads as STOP, and a NUL byte never reaches
PostgreSQL (which refuses it).
"""

from __future__ import annotations

import logging
import re
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from optouts.messaging.provider_callbacks import inbound_message_receive, message_status_record

logger = logging.getLogger(__name__)

# Twilio's id formats: two letters and 32 lower-case hex digits. \Z, not $: "$" also matches
# before a trailing newline.
_MESSAGE_SID = re.compile(r"\A(SM|MM)[0-9a-f]{32}\Z")
_ACCOUNT_SID = re.compile(r"\AAC[0-9a-f]{32}\Z")
_COUNT = re.compile(r"\A[0-9]{1,3}\Z")
# The names under which Twilio repeats the message id (the older two for compatibility).
_SID_NAMES = ("MessageSid", "SmsSid", "SmsMessageSid")
# What Twilio always sends (docs: "Twilio's request to your incoming message Webhook URL" and
# the status callback table); anything else is optional.
INBOUND_REQUIRED = ("AccountSid", "Body", "From", "MessageSid", "NumMedia", "SmsSid", "To")
STATUS_REQUIRED = ("AccountSid", "MessageSid", "MessageStatus")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def webhook_url(request) -> str:
    """The URL the provider signed: SMS_WEBHOOK_BASE_URL + path when set, else the request's."""
    if settings.SMS_WEBHOOK_BASE_URL:
        return settings.SMS_WEBHOOK_BASE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def signature_is_valid(request) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(webhook_url(request), request.POST, signature)


def twilio_signed(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not signature_is_valid(request):
            logger.warning("SMS webhook %s: missing or bad signature", request.path)
            return HttpResponseForbidden("Missing or invalid X-Twilio-Signature.")
        return view(request, *args, **kwargs)

    return wrapper


class WebhookRefused(Exception):
    """A signed request that is not one Twilio would send us; `response` says why."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response
        super().__init__(response.content.decode())


def _refuse(request, status: int, detail: str) -> WebhookRefused:
    logger.warning("SMS webhook %s refused (%s): %s", request.path, status, detail)
    kind = HttpResponseForbidden if status == 403 else HttpResponseBadRequest
    return WebhookRefused(kind(detail, content_type="text/plain; charset=utf-8"))


def twilio_message_sid(request, *, required: tuple[str, ...]) -> str:
    """The MessageSid of a signed request shaped as Twilio sends it; else raise WebhookRefused.

    Checked on the values as received (before any cleaning), so nothing is made to fit.
    """
    form = request.POST
    repeated = sorted(name for name in form if len(form.getlist(name)) > 1)
    if repeated:
        # Twilio never repeats a name; the signature covers every value, the view reads one.
        raise _refuse(request, 400, f"Parameters sent more than once: {', '.join(repeated)}.")
    missing = [name for name in required if name not in form]
    if missing:
        names = ", ".join(missing)
        raise _refuse(request, 400, f"Missing parameters Twilio always sends: {names}.")
    sids = {name: form[name] for name in _SID_NAMES if name in form}
    for name, value in sids.items():
        if not _MESSAGE_SID.match(value):
            raise _refuse(request, 400, f"{name} is not a Twilio message id.")
    if len(set(sids.values())) > 1:
        raise _refuse(request, 400, "MessageSid, SmsSid and SmsMessageSid disagree.")
    account = form["AccountSid"]
    if not _ACCOUNT_SID.match(account):
        raise _refuse(request, 400, "AccountSid is not a Twilio account id.")
    if settings.TWILIO_ACCOUNT_SID and account != settings.TWILIO_ACCOUNT_SID:
        raise _refuse(request, 403, "AccountSid is not this system's Twilio account.")
    if "NumMedia" in form and not _COUNT.match(form["NumMedia"]):
        raise _refuse(request, 400, "NumMedia is not a number.")
    return form["MessageSid"]


def text_clean(value: str) -> str:
    """A received value with each control character (but tab, newline, CR) made a space."""
    return _CONTROL.sub(" ", value or "")


def _field(request, name: str) -> str:
    return text_clean(request.POST.get(name, ""))


def _twiml(reply: str) -> HttpResponse:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
@twilio_signed
def inbound_webhook(request):
    try:
        sid = twilio_message_sid(request, required=INBOUND_REQUIRED)
    except WebhookRefused as refused:
        return refused.response
    result = inbound_message_receive(
        message_sid=sid,
        from_number=_field(request, "From"),
        to_number=_field(request, "To"),
        body=_field(request, "Body"),
        opt_out_type=_field(request, "OptOutType"),
    )
    return _twiml(result.reply)


@csrf_exempt
@require_POST
@twilio_signed
def status_webhook(request):
    try:
        sid = twilio_message_sid(request, required=STATUS_REQUIRED)
    except WebhookRefused as refused:
        return refused.response
    message_status_record(
        message_sid=sid,
        provider_status=_field(request, "MessageStatus"),
        to_number=_field(request, "To"),
        error_code=_field(request, "ErrorCode"),
    )
    return HttpResponse(status=204)
