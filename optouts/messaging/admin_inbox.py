"""The possible-opt-out inbox (admin); imported by optouts.admin.

Texts with a stop word among other words, waiting for a person. Opt out opens a confirmation page
(GET) whose form POSTs to the same address, as on the lead page; Dismiss asks for the reason. The
POSTs go to views in optouts.messaging.views (each with its own permission).
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from optouts.display import SMS_STATUS_CSS, sms_status_html
from optouts.lead_directory import lead_change_url, lead_directory
from optouts.messaging import views
from optouts.messaging.deadlines import business_days_between, revocation_deadline
from optouts.messaging.models import PossibleOptOut, PossibleOptOutStatus
from optouts.messaging.selectors import possible_opt_outs_waiting
from optouts.models import OptOut, Source
from optouts.permissions import (
    user_can_confirm_possible_opt_out,
    user_can_dismiss_possible_opt_out,
    user_can_resolve_possible_opt_outs,
)
from optouts.selectors import phones_status
from velocify_sms.admin_lists import InputSafeChangeListMixin, phone_cell, time_cell
from velocify_sms.phones import phone_display


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
    """The inbox: texts with a stop word among other words; opt out (after a confirmation page),
    or dismiss."""

    # Few columns, so that at 1280 pixels, with the side menu and the filter open, the
    # buttons stay in sight: when it came, how old it is and its deadline share one cell, the
    # matched word goes under the message, and the status is what the last cell says (buttons
    # while open).
    list_display = ["received", "number", "message", "list_status", "decide"]
    list_filter = [PossibleOptOutStatusFilter]
    search_fields = ["phone_number", "inbound__body"]
    list_select_related = ["inbound", "resolved_by"]
    show_full_result_count = False
    actions = None

    class Media:
        css = {"all": [SMS_STATUS_CSS]}

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

    @admin.display(description="received / deadline", ordering="created_at")
    def received(self, obj):
        return format_html(
            '{}<div class="sms-age">{}</div>{}',
            time_cell(obj.created_at),
            self.age(obj),
            self.deadline(obj),
        )

    def age(self, obj):
        now = timezone.now()
        days = business_days_between(start=obj.created_at, end=now)
        unit = "business day" if days == 1 else "business days"
        return f"{timesince(obj.created_at, now, depth=1)} ago ({days} {unit})"

    def deadline(self, obj):
        """The revocation deadline of an open item: the end of its last business day (a day of
        the site's zone, as the deadline sweep counts them)."""
        if obj.status != PossibleOptOutStatus.OPEN:
            return ""
        deadline = revocation_deadline(received_at=obj.created_at)
        text = f"end of {(deadline - timedelta(days=1)):%a %Y-%m-%d}"
        if timezone.now() < deadline:
            return format_html(
                '<div class="sms-deadline">Decide by <span class="nowrap">{}</span></div>', text
            )
        return format_html(
            '<div class="sms-deadline"><strong class="sms-deadline-overdue">'
            '<span class="nowrap">{}</span>: overdue, the worker applies it</strong></div>',
            text,
        )

    @admin.display(description="number", ordering="phone_number")
    def number(self, obj):
        return phone_cell(obj.phone_number)

    @admin.display(description="message")
    def message(self, obj):
        return format_html(
            '<div class="sms-message">{}</div><div class="help">matched “{}”</div>',
            obj.inbound.body,
            obj.matched_word,
        )

    @admin.display(description="number now")
    def list_status(self, obj):
        # Never "Opted in": a number that is not on the list may never have given consent.
        source = Source(obj.current_source).label if obj.current_source else ""
        return sms_status_html(opted_out=bool(obj.current_source), source_label=source)

    @admin.display(description="status")
    def decide(self, obj):
        return self._decide(obj, can_dismiss=False)

    def index_notices(self, request) -> list[str]:
        """How many texts wait for a decision and the nearest deadline, for those who decide."""
        if not user_can_resolve_possible_opt_outs(request.user):
            return []
        summary = possible_opt_outs_waiting()
        if not summary.count:
            return []
        return [
            format_html(
                '<a href="{}">{} possible opt-out{} wait{} for a decision</a>: no texts go to '
                "those numbers meanwhile, and the nearest deadline is the end of {}.",
                reverse("admin:optouts_possibleoptout_changelist"),
                summary.count,
                "" if summary.count == 1 else "s",
                "s" if summary.count == 1 else "",
                f"{summary.nearest_deadline - timedelta(days=1):%a %d %b %Y}",
            )
        ]

    def get_list_display(self, request):
        # Dismiss is an admin's decision: agents see only Opt out (the view checks it again).
        can_dismiss = user_can_dismiss_possible_opt_out(request.user)

        def decide(obj):
            return self._decide(obj, can_dismiss=can_dismiss)

        decide.short_description = "status"
        return [*self.list_display[:-1], decide]

    def _decide(self, obj, *, can_dismiss: bool):
        if obj.resolved_by_system and obj.status == PossibleOptOutStatus.OPTED_OUT:
            return "Opted out by the system at the deadline"
        if obj.resolved_by_system:
            return "Dismissed by the system: the contact texted a start word later"
        if obj.status != PossibleOptOutStatus.OPEN:
            who = obj.resolved_by or "someone"
            return f"{obj.get_status_display()} by {who}"
        # Each decision is a link to its confirmation page, as on the lead page: Opt out says
        # what it does, Dismiss asks for the reason that goes into the number's history.
        opt_out = format_html(
            '<a class="button sms-inbox-opt-out" href="{}">Opt out</a>',
            reverse("admin:optouts_possibleoptout_confirm", args=[obj.pk]),
        )
        if not can_dismiss:
            return opt_out
        return format_html(
            '{} <a class="button sms-inbox-dismiss" href="{}">Dismiss</a>',
            opt_out,
            reverse("admin:optouts_possibleoptout_dismiss", args=[obj.pk]),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<str:item_id>/opt-out/",
                wrap(_item_or_404(self.opt_out_view)),
                name="optouts_possibleoptout_confirm",
            ),
            path(
                "<str:item_id>/dismiss/",
                wrap(_item_or_404(self.dismiss_view)),
                name="optouts_possibleoptout_dismiss",
            ),
            *super().get_urls(),
        ]

    def opt_out_view(self, request, item_id: int):
        """GET: what opting this number out does, and a Confirm button. POST: do it (the view
        in optouts.messaging.views, which checks its own permission)."""
        user = request.user
        allowed = user_can_confirm_possible_opt_out(user)
        return self._decision_page(
            request,
            item_id,
            decision="opt_out",
            allowed=allowed,
            post=views.possible_opt_out_confirm_view,
        )

    def dismiss_view(self, request, item_id: int):
        """GET: the reason form. POST with a reason: dismiss (the view checks it is an admin);
        without one: the form again, with the error."""
        user = request.user
        allowed = user_can_dismiss_possible_opt_out(user)
        if request.method == "POST" and allowed and not request.POST.get("reason", "").strip():
            return self._decision_page(
                request, item_id, decision="dismiss", allowed=True, post=None, reason_missing=True
            )
        return self._decision_page(
            request,
            item_id,
            decision="dismiss",
            allowed=allowed,
            post=views.possible_opt_out_dismiss_view,
        )

    def _decision_page(
        self, request, item_id, *, decision, allowed, post, reason_missing: bool = False
    ):
        if request.method == "POST" and post is not None:
            return post(request, item_id)
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not allowed:
            raise PermissionDenied("You do not have permission to decide this message.")
        item = get_object_or_404(
            PossibleOptOut.objects.select_related("inbound", "resolved_by"), pk=item_id
        )
        number = phone_display(item.phone_number)
        title = (
            f"Opt out {number}?" if decision == "opt_out" else f"Dismiss the message from {number}?"
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "decision": decision,
            "reason_missing": reason_missing,
            "reason": request.POST.get("reason", ""),
            "item": item,
            "number": number,
            "status": phones_status(numbers=[item.phone_number])[item.phone_number],
            "leads": [
                {"label": lead.label, "url": lead_change_url(lead.id)}
                for lead in lead_directory()
                .refs_by_number([item.phone_number])
                .get(item.phone_number, [])
            ],
            "inbox_url": reverse("admin:optouts_possibleoptout_changelist"),
        }
        return TemplateResponse(
            request,
            "admin/optouts/messaging/possible_opt_out_confirm.html",
            context,
            status=400 if reason_missing else 200,
        )
