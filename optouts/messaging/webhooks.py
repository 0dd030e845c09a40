"""The provider's webhooks: inbound SMS and delivery status (Twilio's form fields).

Every request must carry a valid X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted form
fields, keyed by TWILIO_AUTH_TOKEN); the signature replaces CSRF, hence csrf_exempt. A missing or
wrong signature gets 403 and changes nothing. Behind a proxy, SMS_WEBHOOK_BASE_URL gives the
public scheme and host the provider signed.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from optouts.messaging.services import inbound_message_receive, message_status_record

logger = logging.getLogger(__name__)


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


def _twiml(reply: str) -> HttpResponse:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
@twilio_signed
def inbound_webhook(request):
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    if not sid or not request.POST.get("From"):
        return HttpResponseBadRequest("MessageSid and From are required.")
    result = inbound_message_receive(
        message_sid=sid,
        from_number=request.POST["From"],
        to_number=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
        opt_out_type=request.POST.get("OptOutType", ""),
    )
    return _twiml(result.reply)


@csrf_exempt
@require_POST
@twilio_signed
def status_webhook(request):
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    status = request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or ""
    if not sid or not status:
        return HttpResponseBadRequest("MessageSid and MessageStatus are required.")
    message_status_record(
        message_sid=sid,
        provider_status=status,
        to_number=request.POST.get("To", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
