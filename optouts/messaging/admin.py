"""Admin pages of the SMS channel; imported by optouts.admin.

Read-only logs (outbound, inbound, status callbacks, local outbox) and the possible-opt-out inbox,
whose one-click buttons POST to views in optouts.messaging.views (each with its own permission).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from optouts.messaging import views
from optouts.messaging.models import (
    InboundMessage,
    OutboundMessage,
    OutboxEntry,
    PossibleOptOut,
    PossibleOptOutStatus,
    StatusCallbackEvent,
)
from optouts.models import OptOut
from velocify_sms.admin_lists import InputSafeChangeListMixin


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


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnlyLogAdmin):
    list_display = [
        "to_number",
        "status",
        "short_body",
        "lead",
        "sender",
        "created_at",
        "reason_code",
        "why",
    ]
    list_filter = ["status", "reason_code", "backend"]
    search_fields = ["to_number", "provider_id"]
    list_select_related = ["lead", "sender"]
    raw_id_fields = ["lead", "sender"]
    date_hierarchy = "created_at"

    @admin.display(description="message")
    def short_body(self, obj):
        return Truncator(obj.body).chars(60)

    @admin.display(description="error / reason")
    def why(self, obj):
        if obj.error_code:
            return f"{obj.error_code}: {obj.reason}"
        return obj.reason

    def get_urls(self):
        send = path(
            "send/",
            self.admin_site.admin_view(views.message_send_view),
            name="optouts_outboundmessage_send",
        )
        return [send, *super().get_urls()]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(_ReadOnlyLogAdmin):
    list_display = ["to_number", "body", "handed_off_at", "message"]
    search_fields = ["to_number"]
    raw_id_fields = ["message"]


@admin.register(InboundMessage)
class InboundMessageAdmin(_ReadOnlyLogAdmin):
    list_display = ["received_at", "from_display", "body", "action", "outcome", "message_sid"]
    list_filter = ["action"]
    search_fields = ["phone_number", "from_raw", "message_sid"]
    date_hierarchy = "received_at"

    @admin.display(description="from", ordering="phone_number")
    def from_display(self, obj):
        return obj.phone_number or obj.from_raw


@admin.register(StatusCallbackEvent)
class StatusCallbackEventAdmin(_ReadOnlyLogAdmin):
    list_display = [
        "received_at",
        "message_sid",
        "to_number",
        "provider_status",
        "error_code",
        "action",
        "outcome",
    ]
    list_filter = ["action", "provider_status"]
    search_fields = ["message_sid", "to_number"]
    raw_id_fields = ["message"]


def _item_or_404(view):
    """A decision on anything but an existing item is a 404. The URL takes any text (an `int`
    pattern sent `abc/opt-out/` to the admin's catch-all, a redirect), and the services read the
    item with .get(), whose DoesNotExist was a 500."""

    @wraps(view)
    def wrapped(request, item_id: str):
        if not item_id.isascii() or not item_id.isdigit():
            raise Http404("No such message in the inbox.")
        try:
            return view(request, item_id=int(item_id))
        except PossibleOptOut.DoesNotExist:
            raise Http404("No such message in the inbox.") from None

    return wrapped


class PossibleOptOutStatusFilter(admin.SimpleListFilter):
    """Open items by default: the inbox is what still needs a decision."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*PossibleOptOutStatus.choices, ("all", "All")]

    def choices(self, changelist):
        value = self.value() or PossibleOptOutStatus.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or PossibleOptOutStatus.OPEN
        if value == "all":
            return queryset
        return queryset.filter(status=value)


@admin.register(PossibleOptOut)
class PossibleOptOutAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    """The inbox: texts with a stop word among other words; opt out in one click, or dismiss."""

    list_display = [
        "created_at",
        "phone_number",
        "message",
        "matched_word",
        "list_status",
        "status",
        "decide",
    ]
    list_filter = [PossibleOptOutStatusFilter]
    search_fields = ["phone_number", "inbound__body"]
    list_select_related = ["inbound", "resolved_by"]
    show_full_result_count = False
    actions = None

    def get_queryset(self, request):
        # The number's current place on the list, in the same query (no lookup per row).
        source = OptOut.objects.filter(phone_number=OuterRef("phone_number")).values("source")
        return super().get_queryset(request).annotate(current_source=Subquery(source[:1]))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided through the buttons (services), never by editing the row

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="message")
    def message(self, obj):
        return obj.inbound.body

    @admin.display(description="number now")
    def list_status(self, obj):
        return f"Opted out ({obj.current_source})" if obj.current_source else "Opted in"

    @admin.display(description="decide")
    def decide(self, obj):
        if obj.status != PossibleOptOutStatus.OPEN:
            who = obj.resolved_by or "someone"
            return f"{obj.get_status_display()} by {who}"
        # Buttons inside the changelist form (which carries the CSRF token) that post to the
        # decision views: one click, no JavaScript, no nested forms.
        return format_html(
            '<button type="submit" class="button sms-inbox-opt-out" formmethod="post" '
            'formaction="{}">Opt out</button> '
            '<button type="submit" class="button sms-inbox-dismiss" formmethod="post" '
            'formaction="{}">Dismiss</button>',
            reverse("admin:optouts_possibleoptout_confirm", args=[obj.pk]),
            reverse("admin:optouts_possibleoptout_dismiss", args=[obj.pk]),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<str:item_id>/opt-out/",
                wrap(_item_or_404(views.possible_opt_out_confirm_view)),
                name="optouts_possibleoptout_confirm",
            ),
            path(
                "<str:item_id>/dismiss/",
                wrap(_item_or_404(views.possible_opt_out_dismiss_view)),
                name="optouts_possibleoptout_dismiss",
            ),
            *super().get_urls(),
        ]
