"""`manage.py sms_simulate_inbound --from NUMBER --body STOP`: a contact's text, as Twilio sends it.

Builds the form Twilio posts to the inbound webhook for a received SMS (every parameter Twilio
always sends, a fresh Twilio-format MessageSid), signs it with X-Twilio-Signature keyed by
TWILIO_AUTH_TOKEN exactly as Twilio does (twilio.request_validator), and posts it through the
whole web stack: in this process by default, or to a running server with `--server URL`. So a
newcomer can watch STOP and START change a number without a Twilio account.
"""

from __future__ import annotations

import math
import secrets
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

import phonenumbers
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from optouts.selectors import phone_status
from velocify_sms.phones import InvalidPhoneNumber, phone_display, phone_normalize

TWILIO_API_VERSION = "2010-04-01"
DEFAULT_TO = "+15005550006"  # Twilio's documented test number, when TWILIO_FROM_NUMBER is unset


def twilio_sid(prefix: str) -> str:
    """A Twilio-format SID: two letters and 32 lowercase hex digits (SM..., AC..., MG...)."""
    return prefix + secrets.token_hex(16)


def sms_segments(body: str) -> int:
    """How many SMS parts Twilio bills the body as (GSM-7 when ASCII, else UCS-2)."""
    single, part = (160, 153) if body.isascii() else (70, 67)
    if len(body) <= single:
        return 1
    return math.ceil(len(body) / part)


def _place(number: str) -> dict[str, str]:
    """Country, state, city and zip as Twilio fills them (zip is often empty, as here)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return {"Country": "", "State": "", "City": "", "Zip": ""}
    country = phonenumbers.region_code_for_number(parsed) or ""
    from phonenumbers import geocoder  # ~100 MB of data: only when this command runs

    described = geocoder.description_for_number(parsed, "en")
    city, _, state = described.rpartition(", ")
    return {"Country": country, "State": state, "City": city.upper(), "Zip": ""}


def inbound_form(
    *, from_number: str, to_number: str, body: str, opt_out_type: str = ""
) -> dict[str, str]:
    """The form parameters of a Twilio inbound-SMS webhook request."""
    sid = twilio_sid("SM")
    sender, receiver = _place(from_number), _place(to_number)
    form = {
        "ToCountry": receiver["Country"],
        "ToState": receiver["State"],
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": receiver["City"],
        "FromZip": sender["Zip"],
        "SmsSid": sid,
        "FromState": sender["State"],
        "SmsStatus": "received",
        "FromCity": sender["City"],
        "Body": body,
        "FromCountry": sender["Country"],
        "To": to_number,
        "ToZip": receiver["Zip"],
        "NumSegments": str(sms_segments(body)),
        "MessageSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID or twilio_sid("AC"),
        "From": from_number,
        "ApiVersion": TWILIO_API_VERSION,
    }
    if settings.TWILIO_MESSAGING_SERVICE_SID:
        form["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
    if opt_out_type:
        form["OptOutType"] = opt_out_type  # Twilio Advanced Opt-Out adds it to keyword texts
    return form


def _reply_text(twiml: str) -> str:
    """The text of the TwiML <Message> the webhook answered with ("" when none)."""
    try:
        root = ElementTree.fromstring(twiml)  # noqa: S314 - our own server's answer
    except ElementTree.ParseError:
        return ""
    return " ".join((message.text or "").strip() for message in root.iter("Message"))


class Command(BaseCommand):
    help = (
        "Simulate a text from a contact (e.g. STOP, START, HELP) arriving at the inbound SMS "
        "webhook (/webhooks/sms/inbound/) as Twilio posts it: all of Twilio's parameters, a new "
        "MessageSid, and an X-Twilio-Signature keyed by TWILIO_AUTH_TOKEN from this checkout's "
        "settings (the .env that make writes, or the environment). The webhook refuses any "
        "other signature, so a server given with --server must use the same token."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="from_number",
            metavar="NUMBER",
            required=True,
            help="the contact's number, any form",
        )
        parser.add_argument("--body", required=True, help="the text, e.g. STOP or START")
        parser.add_argument(
            "--to",
            default="",
            help=f"our number it was sent to (default TWILIO_FROM_NUMBER, else {DEFAULT_TO})",
        )
        parser.add_argument(
            "--opt-out-type",
            default="",
            choices=["", "STOP", "START", "HELP"],
            help="add Twilio Advanced Opt-Out's OptOutType parameter",
        )
        parser.add_argument(
            "--server",
            metavar="URL",
            help="post to a running server, e.g. http://127.0.0.1:8000 (default: in this process)",
        )

    def handle(self, *args, from_number, body, to, opt_out_type, server, **options):
        token = settings.TWILIO_AUTH_TOKEN
        if not token:
            raise CommandError(
                "TWILIO_AUTH_TOKEN is not set, so there is no key to sign the webhook request "
                "with (and the webhook refuses unsigned ones). `make run` writes a development "
                "token to .env; elsewhere set TWILIO_AUTH_TOKEN to the server's value."
            )
        try:
            from_e164 = phone_normalize(from_number)
        except InvalidPhoneNumber as exc:
            raise CommandError(str(exc)) from None
        form = inbound_form(
            from_number=from_e164,
            to_number=to or settings.TWILIO_FROM_NUMBER or DEFAULT_TO,
            body=body,
            opt_out_type=opt_out_type,
        )
        path = reverse("sms-webhook-inbound")
        if options["verbosity"] >= 2:
            for key, value in sorted(form.items()):
                self.stdout.write(f"  {key}={value}")
        if server:
            status, answer = self._post_to_server(server, path, form, token)
        else:
            status, answer = self._post_in_process(path, form, token)
        if status != 200:
            raise CommandError(f"The webhook answered {status}: {answer.strip()[:500]}")
        shown = phone_display(from_e164)
        self.stdout.write(f"Sent {body!r} from {shown} as {form['MessageSid']}: 200 OK.")
        reply = _reply_text(answer)
        self.stdout.write(f"Reply to the contact: {reply}" if reply else "No reply SMS.")
        if not server:
            state = phone_status(number=from_e164)
            self.stdout.write(
                f"{phone_display(from_e164)} is now opted out (source {state.source})."
                if state.sms_opted_out
                else f"{phone_display(from_e164)} is now opted in."
            )

    def _signing_base(self, fallback: str) -> str:
        """The scheme and host the webhook checks the signature against (see webhook_url)."""
        return (settings.SMS_WEBHOOK_BASE_URL or fallback).rstrip("/")

    def _post_in_process(self, path: str, form: dict, token: str) -> tuple[int, str]:
        host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h and h != "*"), "localhost")
        secure = settings.SECURE_SSL_REDIRECT
        url = self._signing_base(f"{'https' if secure else 'http'}://{host}") + path
        signature = RequestValidator(token).compute_signature(url, form)
        response = Client().post(
            path,
            form,
            secure=secure,
            headers={"Host": host, "X-Twilio-Signature": signature},
        )
        return response.status_code, response.content.decode("utf-8", "replace")

    def _post_to_server(self, server: str, path: str, form: dict, token: str) -> tuple[int, str]:
        base = server.rstrip("/")
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise CommandError(f"--server {server!r} is not an http:// or https:// URL.")
        url = base + path
        signature = RequestValidator(token).compute_signature(self._signing_base(base) + path, form)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"X-Twilio-Signature": signature},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except urllib.error.URLError as exc:
            raise CommandError(
                f"Could not reach {url}: {exc.reason}. Is the server running (`make run`)?"
            ) from None
