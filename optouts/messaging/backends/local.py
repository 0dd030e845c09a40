"""The default backend: nothing leaves the machine; each hand-off is a row in the local outbox."""

from __future__ import annotations

from django.utils import timezone

from optouts.messaging.backends.base import BaseBackend, ProviderReceipt
from optouts.messaging.models import OutboxEntry


class LocalBackend(BaseBackend):
    name = "local"

    def send(self, message) -> ProviderReceipt:
        entry = OutboxEntry.objects.create(
            message=message,
            to_number=message.to_number,
            body=message.body,
            handed_off_at=timezone.now(),
        )
        return ProviderReceipt(provider_id=f"local-{entry.pk}", provider_status="sent")
