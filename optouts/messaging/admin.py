"""Admin pages of the SMS channel's logs; imported by optouts.admin.

Read-only logs (outbound, inbound, status callbacks, local outbox); the possible-opt-out inbox is
in admin_inbox, the unreachable numbers in admin_holds. Numbers and times are shown as on every
page (velocify_sms.admin_lists.phone_cell, time_cell).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.html import format_html
from django.utils.text import Truncator

from optouts.messaging import views
from optouts.messaging.models import (
    InboundMessage,
    OutboundMessage,
    OutboxEntry,
    StatusCallbackEvent,
)
from velocify_sms.admin_lists import InputSafeChangeListMixin, phone_cell, time_cell


def _words(code: str) -> str:
    """A stored code as words on a page: `already_opted_out` -> `already opted out`."""
    return code.replace("_", " ")


class _ReadOnlyLogAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    """Logs are written by the services only."""

    show_full_result_count = False
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # A row's own page shows its numbers as the list does (the list's method), not as stored.
    numbers_shown_by = {"to_number": "to"}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [self.numbers_shown_by.get(name, name) for name in fields]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.numbers_shown_by.values()]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnlyLogAdmin):
    # Six columns fit at 1280 pixels beside the side menu and the filters: who sent it goes
    # under the lead, the reason's label before its sentence.
    list_display = ["created", "to", "status", "short_body", "lead_and_sender", "why"]
    list_filter = ["status", "reason_code", "backend"]
    search_fields = ["to_number", "provider_id"]
    list_select_related = ["sender"]
    raw_id_fields = ["sender", "in_reply_to"]
    date_hierarchy = "created_at"

    @admin.display(description="to", ordering="to_number")
    def to(self, obj):
        return phone_cell(obj.to_number)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return time_cell(obj.created_at)

    @admin.display(description="message")
    def short_body(self, obj):
        return Truncator(obj.body).chars(60)

    @admin.display(description="lead / sent by", ordering="lead_id")
    def lead_and_sender(self, obj):
        sender = format_html('<div class="help">by {}</div>', obj.sender) if obj.sender else ""
        return format_html("{}{}", obj.lead_label or "-", sender)

    @admin.display(description="why")
    def why(self, obj):
        label = obj.get_reason_code_display() if obj.reason_code else ""
        error = f"Provider error {obj.error_code}" if obj.error_code else ""
        parts = [part for part in (label, error, obj.reason) if part]
        return ". ".join(part.rstrip(".") for part in parts) + ("." if parts else "")

    def get_urls(self):
        send = path(
            "send/",
            self.admin_site.admin_view(views.message_send_view),
            name="optouts_outboundmessage_send",
        )
        return [send, *super().get_urls()]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(_ReadOnlyLogAdmin):
    list_display = ["to", "body", "handed_off", "message"]
    search_fields = ["to_number"]
    raw_id_fields = ["message"]

    @admin.display(description="to", ordering="to_number")
    def to(self, obj):
        return phone_cell(obj.to_number)

    @admin.display(description="handed off at", ordering="handed_off_at")
    def handed_off(self, obj):
        return time_cell(obj.handed_off_at)


@admin.register(InboundMessage)
class InboundMessageAdmin(_ReadOnlyLogAdmin):
    list_display = [
        "received",
        "from_display",
        "body",
        "action",
        "outcome_words",
        "rule",
        "message_sid",
    ]
    list_filter = ["action", "rule"]
    search_fields = ["phone_number", "from_raw", "message_sid"]
    date_hierarchy = "received_at"
    numbers_shown_by = {"phone_number": "from_display"}

    @admin.display(description="received", ordering="received_at")
    def received(self, obj):
        return time_cell(obj.received_at)

    @admin.display(description="from", ordering="phone_number")
    def from_display(self, obj):
        # A sender that is no valid number is kept as received (from_raw).
        return phone_cell(obj.phone_number) if obj.phone_number else obj.from_raw

    @admin.display(description="outcome", ordering="outcome")
    def outcome_words(self, obj):
        return _words(obj.outcome)


@admin.register(StatusCallbackEvent)
class StatusCallbackEventAdmin(_ReadOnlyLogAdmin):
    list_display = ["received", "message_sid", "to", "provider_result", "action_and_outcome"]
    list_filter = ["action", "provider_status"]
    search_fields = ["message_sid", "to_number"]
    raw_id_fields = ["message"]

    @admin.display(description="received", ordering="received_at")
    def received(self, obj):
        return time_cell(obj.received_at)

    @admin.display(description="to", ordering="to_number")
    def to(self, obj):
        return phone_cell(obj.to_number)

    @admin.display(description="provider status", ordering="provider_status")
    def provider_result(self, obj):
        code = f" (error {obj.error_code})" if obj.error_code else ""
        return f"{obj.provider_status}{code}"

    @admin.display(description="action: outcome", ordering="action")
    def action_and_outcome(self, obj):
        action = _words(obj.action)
        return f"{action}: {_words(obj.outcome)}" if obj.outcome else action
