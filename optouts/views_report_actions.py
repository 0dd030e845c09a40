"""The opt-out report's actions: Opt In (one number, or the selected ones
after a confirmation), export the filtered list as CSV, import numbers onto the list. The list,
the history and the helpers the pages share are in optouts/views_report.py; optouts/admin.py
mounts both under the admin.

Views translate between HTTP and the services/selectors: the rules stay in optouts/services.
Every view checks the report permission itself (admins_only), because admin_view only checks
is_staff.
"""

from __future__ import annotations

from itertools import chain

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from optouts.display import source_label
from optouts.export import optout_export_stream
from optouts.filters import site_timezone
from optouts.forms import OptOutImportForm
from optouts.models import Channel
from optouts.permissions import user_can_opt_out
from optouts.selectors import optout_export_rows, optout_filterset, phone_status
from optouts.services import (
    OptInEvidenceTooLong,
    OptInNoteRequired,
    OptOutImportError,
    Outcome,
    admin_opt_in_refusal,
    optout_list_import,
    phones_opt_in_by_admin,
)
from optouts.views_report import (
    CHANNEL_LABELS,
    CURSOR_PARAMS,
    admins_only,
    by_whom,
    next_url,
    number_or_404,
    page_context,
    query_without,
    report_filters,
    report_url,
)
from velocify_sms.csv_export import csv_response, csv_streaming_response
from velocify_sms.dates import datetime_display, datetime_header, time_zone_name
from velocify_sms.phones import (
    InvalidPhoneNumber,
    phone_display,
    phone_display_for_csv,
    phone_normalize,
)
from velocify_sms.text import count_of


@admins_only
@require_http_methods(["GET", "POST"])
def opt_in_view(request, number, *, site):
    """GET: the confirmation page (works without JavaScript). POST: the opt-in itself."""
    e164 = number_or_404(number)
    note, note_error = request.POST.get("note", ""), ""
    evidence = request.POST.get("evidence", "")
    if request.method == "POST":
        try:
            (result,) = phones_opt_in_by_admin(
                numbers=[e164],
                user=request.user,
                channel=Channel.REPORT,
                note=note,
                evidence=evidence,
            )
        except (OptInNoteRequired, OptInEvidenceTooLong) as exc:
            note_error = str(exc)
        else:
            shown = phone_display(e164)
            if result.outcome == Outcome.OPTED_IN:
                messages.success(request, f"{shown} was opted back in to SMS.")
            elif result.outcome == Outcome.REFUSED:
                messages.error(request, f"{shown} was not opted in. {result.detail}")
            else:
                messages.warning(request, f"{shown} is not on the opt-out list.")
            return redirect(next_url(request))
    status = phone_status(number=e164)
    return TemplateResponse(
        request,
        "admin/optouts/opt_in_confirm.html",
        page_context(
            request,
            site,
            title=f"Opt {phone_display(e164)} back in?",
            number=e164,
            display=phone_display(e164),
            status=status,
            refusal=admin_opt_in_refusal(source=status.source) if status.source else "",
            next_url=next_url(request),
            note=note,
            evidence=evidence,
            note_error=note_error,
        ),
        status=400 if note_error else 200,
    )


def _bulk_message(results) -> tuple[str, str]:
    """(level, sentence) for a bulk opt-in: how many went back in, how many skipped and why."""
    done = sum(1 for r in results if r.outcome == Outcome.OPTED_IN)
    skipped: dict[str, int] = {}
    for r in results:
        if r.outcome == Outcome.REFUSED:
            skipped[r.detail] = skipped.get(r.detail, 0) + 1
        elif r.outcome == Outcome.NOT_OPTED_OUT:
            skipped["It is no longer on the opt-out list."] = (
                skipped.get("It is no longer on the opt-out list.", 0) + 1
            )
    sentence = f"Opted in {done} number{'s' if done != 1 else ''}."
    if skipped:
        total = sum(skipped.values())
        reasons = " ".join(f"{n} × {why}" for why, n in skipped.items())
        sentence += f" Skipped {total}: {reasons}"
    return ("warning" if skipped else "success"), sentence


@admins_only
@require_POST
def bulk_opt_in_view(request, *, site):
    """The bulk action: first POST shows what will happen, the confirmed POST does it."""
    numbers = request.POST.getlist("number")
    if not numbers:
        messages.warning(request, "Select at least one number to opt in.")
        return redirect(next_url(request))
    try:
        normalised = sorted({phone_normalize(n) for n in numbers})
    except InvalidPhoneNumber as exc:
        messages.error(request, f"Nothing was changed: {exc}")
        return redirect(next_url(request))
    note, note_error = request.POST.get("note", ""), ""
    evidence = request.POST.get("evidence", "")
    if request.POST.get("confirm") == "yes":
        try:
            results = phones_opt_in_by_admin(
                numbers=normalised,
                user=request.user,
                channel=Channel.REPORT,
                note=note,
                evidence=evidence,
            )
        except (OptInNoteRequired, OptInEvidenceTooLong) as exc:
            note_error = str(exc)
        else:
            level, sentence = _bulk_message(results)
            getattr(messages, level)(request, sentence)
            return redirect(next_url(request))
    return TemplateResponse(
        request,
        "admin/optouts/bulk_opt_in_confirm.html",
        page_context(
            request,
            site,
            title="Opt the selected numbers back in?",
            numbers=[{"number": n, "display": phone_display(n)} for n in normalised],
            next_url=next_url(request),
            note=note,
            evidence=evidence,
            note_error=note_error,
        ),
        status=400 if note_error else 200,
    )


def export_header() -> list[str]:
    """The export's columns. "Phone number" as pages show it (national in the site's region, the
    country code in parentheses otherwise): a spreadsheet keeps it as text, and "Import numbers"
    reads the file back as it is (the first column named like a number). `phone_number` beside it
    is the same number in E.164, for programs. The time column names the reader's zone."""
    return [
        "Phone number",
        "phone_number",
        "Source",
        datetime_header("Opted out at"),
        "By whom",
        "Channel",
        "Note",
        "Lead IDs",
    ]


def export_in_database() -> bool:
    """Whether the database writes the export (PostgreSQL's COPY); Python writes it elsewhere."""
    return connection.vendor == "postgresql"


@admins_only
def export_view(request, *, site):
    """The filtered list as CSV, streamed: a million rows never sit in memory."""
    filterset = optout_filterset(data=report_filters(request)[0])
    if not filterset.is_valid():
        messages.error(request, "Fix the filters before exporting.")
        return redirect(f"{report_url()}?{query_without(request, *CURSOR_PARAMS)}")
    tz = site_timezone()
    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y%m%d-%H%M")
    filename = f"opt-outs-{stamp}.csv"
    if export_in_database():
        # The database writes the file (optouts.export): the same bytes, at COPY's speed.
        content = optout_export_stream(
            queryset=filterset.qs, header=export_header(), time_zone=time_zone_name()
        )
        return csv_response(filename=filename, content=content)
    # The query runs before the answer starts: a failure here (the database away) is an ordinary
    # error answer, not a file with a header and nothing under it. A failure later, once rows
    # are flowing, ends the file with a line saying it is incomplete (csv_rows_stream).
    found = optout_export_rows(queryset=filterset.qs)
    first = next(found, None)
    found = found if first is None else chain([first], found)

    def rows():
        for number, source, reason, channel, at, actor_label, note, leads in found:
            yield (
                phone_display_for_csv(number),
                number,
                source_label(source=source, reason=reason),
                datetime_display(at),
                by_whom(source=source, actor_label=actor_label),
                CHANNEL_LABELS.get(channel, channel),
                note,
                " ".join(str(lead.id) for lead in leads),
            )

    return csv_streaming_response(filename=filename, header=export_header(), rows=rows())


@admins_only
@require_http_methods(["GET", "POST"])
def import_view(request, *, site):
    """Admins upload numbers to put on the list directly: all valid, or nothing applied."""
    if not user_can_opt_out(request.user):
        raise PermissionDenied("You may not opt numbers out.")
    errors: list[dict] = []
    form = OptOutImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = request.FILES["file"]
        try:
            results = optout_list_import(
                lines=form.cleaned_data["file"],
                user=request.user,
                details={"import_file": upload.name},
            )
        except OptOutImportError as exc:
            errors = exc.errors
        else:
            added = sum(1 for r in results if r.outcome == Outcome.OPTED_OUT)
            already = len(results) - added
            messages.success(
                request,
                f"Imported {count_of(len(results), 'number')} from {upload.name}: {added} "
                f"added to the opt-out list, {already} already on it and left unchanged.",
            )
            return redirect(report_url())
    return TemplateResponse(
        request,
        "admin/optouts/import.html",
        page_context(
            request, site, title="Import numbers to the opt-out list", form=form, errors=errors
        ),
    )
