"""SMS provider backends, chosen by settings.SMS_BACKEND: `local` (an outbox table) or `twilio`.

A backend's `send(message)` hands one message to the provider and returns a ProviderReceipt, or
raises ProviderError. It is called only by optouts.messaging.services, inside the send guard.
`message_fetch(provider_id)` reads the provider's own record of a message (the inbound webhook
asks it when a stop or start word was created), or None where the backend cannot ask.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from optouts.messaging.backends.base import (
    BaseBackend,
    ProviderError,
    ProviderMessage,
    ProviderMessageNotFound,
    ProviderReceipt,
)

BACKENDS = {
    "local": "optouts.messaging.backends.local.LocalBackend",
    "twilio": "optouts.messaging.backends.twilio.TwilioBackend",
}

__all__ = [
    "BACKENDS",
    "BaseBackend",
    "ProviderError",
    "ProviderMessage",
    "ProviderMessageNotFound",
    "ProviderReceipt",
    "backend_get",
]


def backend_get(name: str | None = None) -> BaseBackend:
    """The configured backend; `name` is `local`, `twilio` or a dotted class path (tests)."""
    name = name or settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
