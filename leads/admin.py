"""The lead pages agents work in: add/edit with per-number consent, and the lead list as a report.

Thin on purpose: forms read what people type, leads.services writes leads and phones,
optouts.services applies the consent rules, and the selectors compute SMS Opt-Out. Every custom
view checks its own permission, because admin_view only checks is_staff.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from leads.changelist import AgentWithLeadsFilter, LeadChangeList
from leads.export import leads_csv_response
from leads.forms import LEAD_FORM_FIELDS, LeadForm, LeadPhoneForm, LeadPhoneFormSet

# Django's autodiscover imports only this admin module of the app: the lead import's pages
# (leads.imports.admin) register when imported here.
from leads.imports import admin as imports_admin  # noqa: F401
from leads.models import Lead, LeadPhone
from leads.selectors import (
    lead_ids_existing,
    lead_list,
    lead_phones_consent,
    lead_search,
)
from leads.services import lead_create, lead_update
from optouts.display import OPTED_OUT, TEXTABLE, sms_status_html
from optouts.field_access import event_details_readable
from optouts.models import Channel, Source
from optouts.permissions import user_can_opt_in, user_can_opt_out
from optouts.selectors import phone_history
from optouts.services import (
    ASKED_BY_AGENT,
    ASKED_BY_CHOICES,
    OptInEvidenceTooLong,
    OptInNoteRequired,
    Outcome,
    phones_opt_in_by_admin,
    phones_opt_out_as_asked,
)
from velocify_sms.admin_lists import InputSafeChangeListMixin, phones_cell
from velocify_sms.phones import phone_display

HISTORY_LIMIT = 100


class SmsOptOutFilter(admin.SimpleListFilter):
    """Opted out: leads with at least one number on the opt-out list; Textable: leads with none."""

    title = "SMS Opt-Out"
    parameter_name = "sms_opt_out"

    def lookups(self, request, model_admin):
        # The URL values stay yes/no (bookmarks, the CSV export link); only the words changed.
        return [("yes", OPTED_OUT), ("no", TEXTABLE)]

    def queryset(self, request, queryset):
        # The `sms_opt_out` EXISTS annotation that lead_list() puts on every row.
        if self.value() in ("yes", "no"):
            return queryset.filter_sms_opt_out(self.value() == "yes")
        return queryset


class LeadPhoneInline(admin.TabularInline):
    model = LeadPhone
    form = LeadPhoneForm
    formset = LeadPhoneFormSet
    fields = ["number", "kind"]
    verbose_name = "phone"
    verbose_name_plural = "Phones"

    def get_extra(self, request, obj=None, **kwargs):
        # One empty row to type the first number into; a lead that has numbers gets none (an
        # always-empty row looked like a missing phone), "Add another phone" adds one.
        if obj is not None and obj.pk and obj.phones.exists():
            return 0
        return 1


@admin.register(Lead)
class LeadAdmin(InputSafeChangeListMixin, admin.ModelAdmin):
    form = LeadForm
    inlines = [LeadPhoneInline]
    fieldsets = [
        (None, {"fields": LEAD_FORM_FIELDS}),
        (
            "SMS consent",
            {
                "fields": ["sms_opt_out_label"],
                "description": (
                    "Computed, never edited: Opted out when any of this lead's numbers is on "
                    "the opt-out list. Opt out per number under SMS consent by number, below "
                    "the phones."
                ),
            },
        ),
    ]
    readonly_fields = ["sms_opt_out_label"]

    list_display = ["name", "phone_numbers", "agent", "sms_opt_out", "textable", "status"]
    list_display_links = ["name"]
    list_filter = [SmsOptOutFilter, "status", ("assigned_agent", AgentWithLeadsFilter)]
    list_select_related = ["assigned_agent"]
    search_fields = ["first_name", "last_name", "email", "company"]
    # The box shows because search_fields is set; get_search_results does the searching.
    search_help_text = (
        "Name, email or company; or a phone number in any format, its first 3 digits or "
        "its last 4 (0142)."
    )
    show_full_result_count = False
    actions = ["export_selected_csv"]

    def get_changelist(self, request, **kwargs):
        # Cursor pages and a count that stops early: leads/changelist.py.
        return LeadChangeList

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", None) and response.context_data.get("cl")
        if cl is not None and cl.count_label != str(cl.result_count):
            # Django words "All N selected" itself; past the exact count N is a lower bound.
            response.context_data["selection_note_all"] = f"All {cl.count_label} selected"
        return response

    def get_queryset(self, request):
        # sms_opt_out is an EXISTS annotation and phones are prefetched: a page of any size
        # costs the same few queries.
        return lead_list()

    # --- list columns ------------------------------------------------------------------

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj: Lead) -> str:
        # Django's markup, without rendering a form widget's template for each row (a third of
        # the time of a page of 100 leads).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description="Name", ordering="last_name")
    def name(self, obj: Lead) -> str:
        return str(obj)

    @admin.display(description="Phones")
    def phone_numbers(self, obj: Lead) -> str:
        return phones_cell(p.number for p in obj.phones.all())

    @admin.display(description="Assigned agent", ordering="assigned_agent__username")
    def agent(self, obj: Lead) -> str:
        return obj.assigned_agent.get_username() if obj.assigned_agent else "-"

    @admin.display(description="SMS Opt-Out", ordering="sms_opt_out")
    def sms_opt_out(self, obj: Lead) -> str:
        # obj.phones is prefetched by lead_list(): no query per row.
        return sms_status_html(opted_out=obj.sms_opt_out, has_phone=bool(obj.phones.all()))

    @admin.display(description="Textable now", ordering="textable_phones")
    def textable(self, obj: Lead) -> str:
        # Annotated by lead_list(): a lead "opted out" on one number may still be textable on
        # another, and agents should not skip it.
        if not obj.phone_count:
            return "-"
        return f"{obj.textable_phones} of {obj.phone_count}"

    @admin.display(description="SMS Opt-Out")
    def sms_opt_out_label(self, obj: Lead) -> str:
        if obj.pk is None:
            return "-"  # the add page: no number yet
        return sms_status_html(opted_out=obj.sms_opt_out, has_phone=bool(obj.phones.all()))

    def get_search_results(self, request, queryset, search_term):
        # The same search as the lead API (leads.selectors.lead_search): one set of rules.
        return lead_search(queryset=queryset, term=search_term), False

    # --- saving: one service call for the lead and its phones ----------------------------

    def save_model(self, request, obj, form, change):
        # Deliberately empty: the phones are only known in save_related, and the lead and its
        # phones must be written together by leads.services (one transaction, E.164 only).
        return None

    def save_related(self, request, form, formsets, change):
        phones_formset = next((f for f in formsets if isinstance(f, LeadPhoneFormSet)), None)
        phones = None
        if phones_formset is not None and "number" in phones_formset.form.base_fields:
            phones = phones_formset.phones_wanted()
        before = {p.number: p for p in LeadPhone.objects.filter(lead_id=form.instance.pk)}
        fields = {name: form.cleaned_data[name] for name in LEAD_FORM_FIELDS}
        if change:
            result = lead_update(lead=form.instance, phones=phones, actor=request.user, **fields)
        else:
            result = lead_create(phones=phones or (), actor=request.user, **fields)
        _copy_saved_lead(target=form.instance, saved=result.lead)
        after = {p.number: p for p in LeadPhone.objects.filter(lead=result.lead)}
        for formset in formsets:
            # What construct_change_message reads to write the admin's history entry.
            formset.new_objects = [p for n, p in after.items() if n not in before]
            formset.deleted_objects = [p for n, p in before.items() if n not in after]
            formset.changed_objects = [
                (p, ["kind"]) for n, p in after.items() if n in before and before[n].kind != p.kind
            ]

    # --- the lead page's consent section --------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            consents = lead_phones_consent(lead=obj)
            numbers = [c.phone.number for c in consents]
            history = list(phone_history(numbers=numbers)[:HISTORY_LIMIT])
            for event in history:
                # Agents work on this page too: the keys only admins read stay off it.
                event.details_shown = event_details_readable(
                    details=event.details, action=event.action, user=request.user
                )
            context.update(
                phone_consents=consents,
                consent_history=history,
                live_lead_ids=lead_ids_existing(ids=(e.lead_id for e in history)),
                history_limit=HISTORY_LIMIT,
                user_can_opt_out=user_can_opt_out(request.user),
                user_can_opt_in=user_can_opt_in(request.user),
                asked_by_choices=ASKED_BY_CHOICES,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- custom pages ------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_csv_view), name="{}_{}_export_csv".format(*info)),
            path(
                "<int:lead_id>/phones/<int:phone_id>/opt-out/",
                view(self.phone_consent_view),
                {"direction": "out"},
                name="{}_{}_phone_opt_out".format(*info),
            ),
            path(
                "<int:lead_id>/phones/<int:phone_id>/opt-in/",
                view(self.phone_consent_view),
                {"direction": "in"},
                name="{}_{}_phone_opt_in".format(*info),
            ),
            *super().get_urls(),
        ]

    def _lead_and_phone(self, request, lead_id: int, phone_id: int) -> tuple[Lead, LeadPhone]:
        lead = self.get_object(request, str(lead_id))
        if lead is None:
            raise Http404("No such lead.")
        if not self.has_view_permission(request, lead):
            raise PermissionDenied
        phone = get_object_or_404(LeadPhone, pk=phone_id, lead=lead)
        return lead, phone

    def _change_url(self, lead: Lead) -> str:
        return reverse("admin:leads_lead_change", args=[lead.pk])

    def _confirm_page(
        self, request, *, lead, phone, direction, title, note="", evidence="", note_error=""
    ):
        consent = next(c for c in lead_phones_consent(lead=lead) if c.phone.pk == phone.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "lead": lead,
            "consent": consent,
            "direction": direction,
            "user_can_opt_out": user_can_opt_out(request.user),
            "user_can_opt_in": user_can_opt_in(request.user),
            "note": note,
            "evidence": evidence,
            "note_error": note_error,
            "asked_by_choices": ASKED_BY_CHOICES,
        }
        return TemplateResponse(
            request,
            "admin/leads/lead/phone_confirm.html",
            context,
            status=400 if note_error else 200,
        )

    def phone_consent_view(self, request, lead_id: int, phone_id: int, direction: str):
        """GET: the no-JavaScript confirmation page. POST: opt the number out (source agent, or
        the contact's when staff say so), or back in (admins only)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        may = user_can_opt_out if direction == "out" else user_can_opt_in
        if not may(request.user):
            raise PermissionDenied
        lead, phone = self._lead_and_phone(request, lead_id, phone_id)
        display = phone_display(phone.number)
        title = f"Opt out {display}?" if direction == "out" else f"Opt {display} back in?"
        if request.method == "GET":
            return self._confirm_page(
                request, lead=lead, phone=phone, direction=direction, title=title
            )
        if direction == "out":
            return self._phone_opt_out(request, lead=lead, phone=phone, display=display)
        return self._phone_opt_in(request, lead=lead, phone=phone, display=display, title=title)

    def _phone_opt_out(self, request, *, lead, phone, display):
        try:
            # Who may ask is the service's to say: it refuses anything else, writing nothing.
            (result,) = phones_opt_out_as_asked(
                numbers=[phone.number],
                user=request.user,
                asked_by=request.POST.get("asked_by") or ASKED_BY_AGENT,
                channel=Channel.UI,
                lead=lead.ref,
            )
        except ValueError:
            return HttpResponseBadRequest("Say who asked for the opt-out.")
        if result.outcome == Outcome.OPTED_OUT:
            undo = (
                "An admin can undo it."
                if result.source == Source.AGENT
                else "It is the contact's own request: only the contact can undo it, by texting "
                "START."
            )
            label = Source(result.source).label
            self.message_user(
                request,
                f"{display} is opted out of SMS (source {label}), on every lead with this "
                f"number. {undo}",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"{display} was already opted out (source {Source(result.source).label}); "
                "nothing changed.",
                messages.INFO,
            )
        return HttpResponseRedirect(self._change_url(lead))

    def _phone_opt_in(self, request, *, lead, phone, display, title):
        note, evidence = request.POST.get("note", ""), request.POST.get("evidence", "")
        try:
            (result,) = phones_opt_in_by_admin(
                numbers=[phone.number],
                user=request.user,
                channel=Channel.UI,
                note=note,
                evidence=evidence,
                lead=lead.ref,
            )
        except (OptInNoteRequired, OptInEvidenceTooLong) as exc:
            return self._confirm_page(
                request,
                lead=lead,
                phone=phone,
                direction="in",
                title=title,
                note=note,
                evidence=evidence,
                note_error=str(exc),
            )
        if result.outcome == Outcome.OPTED_IN:
            self.message_user(request, f"{display} is opted in to SMS again.", messages.SUCCESS)
        elif result.outcome == Outcome.REFUSED:
            self.message_user(
                request, f"{display} stays opted out. {result.detail}", messages.ERROR
            )
        else:
            self.message_user(request, f"{display} was not opted out; nothing changed.")
        return HttpResponseRedirect(self._change_url(lead))

    # --- CSV export --------------------------------------------------------------------

    def export_csv_view(self, request):
        """The lead list as CSV, with the filters and search of the list page it was opened from."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:leads_lead_changelist") + "?e=1")
        return leads_csv_response(changelist.get_queryset(request))

    @admin.action(description="Export selected leads to CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return leads_csv_response(queryset)


def _copy_saved_lead(*, target: Lead, saved: Lead) -> None:
    """Make the admin's form instance the row the service saved (the admin logs and redirects
    with it)."""
    for field in Lead._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db
