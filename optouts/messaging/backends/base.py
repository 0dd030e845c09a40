from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProviderReceipt:
    """The provider accepted the message: its id and its own status word."""

    provider_id: str
    provider_status: str = "sent"


class ProviderError(Exception):
    """The provider refused or could not be reached; `code` is its error code when it gave one."""

    def __init__(self, detail: str, *, code: str = "") -> None:
        self.code = str(code or "")
        self.detail = detail
        super().__init__(f"{detail} (code {self.code})" if self.code else detail)


@dataclass(frozen=True)
class ProviderMessage:
    """What the provider itself records of a message (Twilio's Message resource)."""

    provider_id: str
    created_at: datetime | None
    from_number: str
    direction: str  # "inbound", "outbound-api", ...


class ProviderMessageNotFound(Exception):
    """The provider answered that it has no message with this id."""


class BaseBackend:
    name = "base"

    def send(self, message) -> ProviderReceipt:  # message: OutboundMessage
        raise NotImplementedError

    def message_fetch(self, provider_id: str) -> ProviderMessage | None:
        """The provider's own record of a message; None when this backend cannot ask or the
        provider could not be reached. Raises ProviderMessageNotFound when it has none."""
        return None
