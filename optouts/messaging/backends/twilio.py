"""The Twilio backend: Programmable Messaging through the `twilio` package.

Settings: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, and TWILIO_FROM_NUMBER or
TWILIO_MESSAGING_SERVICE_SID. TWILIO_API_BASE_URL redirects every API call (tests point it at a
fake server on loopback); SMS_WEBHOOK_BASE_URL, when set, gives Twilio our status callback URL.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from optouts.messaging.backends.base import (
    BaseBackend,
    ProviderError,
    ProviderMessage,
    ProviderMessageNotFound,
    ProviderReceipt,
)

logger = logging.getLogger(__name__)


class _RedirectingHttpClient(TwilioHttpClient):
    """Sends every request to `base_url` instead of *.twilio.com, ignoring proxy variables."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url)
        if self.session is not None:
            self.session.trust_env = False

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        path = self.base.path.rstrip("/") + parts.path
        url = urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def twilio_client() -> Client:
    sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    if not sid or not token:
        raise ImproperlyConfigured(
            "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
        )
    timeout = settings.TWILIO_HTTP_TIMEOUT
    if settings.TWILIO_API_BASE_URL:
        http_client = _RedirectingHttpClient(settings.TWILIO_API_BASE_URL, timeout=timeout)
    else:
        http_client = TwilioHttpClient(timeout=timeout)
    return Client(sid, token, http_client=http_client)


class TwilioBackend(BaseBackend):
    name = "twilio"

    def send(self, message) -> ProviderReceipt:
        params = {"to": message.to_number, "body": message.body}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        elif settings.TWILIO_FROM_NUMBER:
            params["from_"] = settings.TWILIO_FROM_NUMBER
        else:
            raise ImproperlyConfigured(
                "SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID."
            )
        if settings.SMS_WEBHOOK_BASE_URL:
            params["status_callback"] = settings.SMS_WEBHOOK_BASE_URL.rstrip("/") + reverse(
                "sms-webhook-status"
            )
        try:
            created = twilio_client().messages.create(**params)
        except TwilioRestException as exc:
            raise ProviderError(exc.msg or f"Twilio answered {exc.status}", code=exc.code) from exc
        except (TwilioException, requests.RequestException) as exc:
            raise ProviderError(f"Twilio could not be reached: {exc}") from exc
        return ProviderReceipt(provider_id=created.sid, provider_status=created.status or "")

    def message_fetch(self, provider_id: str) -> ProviderMessage | None:
        """GET the Message resource: Twilio's date_created, sender and direction of `provider_id`.

        A 404 raises ProviderMessageNotFound; any other failure is logged and answers None, so
        the caller falls back to what it knows without the provider.
        """
        try:
            found = twilio_client().messages(provider_id).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                raise ProviderMessageNotFound(provider_id) from exc
            logger.warning("Twilio message %s could not be read: %s", provider_id, exc)
            return None
        except (TwilioException, requests.RequestException, ImproperlyConfigured) as exc:
            logger.warning("Twilio message %s could not be read: %s", provider_id, exc)
            return None
        return ProviderMessage(
            provider_id=found.sid or provider_id,
            created_at=found.date_created,
            from_number=found.from_ or "",
            direction=str(found.direction or ""),
        )
