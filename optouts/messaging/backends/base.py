from __future__ import annotations

from dataclasses import dataclass


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


class BaseBackend:
    name = "base"

    def send(self, message) -> ProviderReceipt:  # message: OutboundMessage
        raise NotImplementedError
