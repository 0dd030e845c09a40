"""The admin-only opt-out report: the list and a number's history, and the
helpers the report's pages share. Opt In, bulk opt-in, export and import are in
optouts/views_report_actions.py. Mounted under the admin by optouts/admin.py.

Views translate between HTTP and the services/selectors: the rules stay in optouts/services.py.
Every view checks the report permission itself, because admin_view only checks is_staff.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from optouts.charts import chart_frame, optouts_chart_svg
from optouts.display import SOURCE_ORDER, source_label
from optouts.evidence.selectors import phone_chain_verification
from optouts.filters import ALL_TIME, site_timezone, site_today
from optouts.lead_directory import lead_change_url
from optouts.models import Channel, Source
from optouts.permissions import user_can_opt_in, user_can_opt_out, user_can_view_report
from optouts.selectors import (
    PageCursor,
    lead_refs_by_number,
    optout_filterset,
    optout_report_aggregates,
    optout_report_page,
    phone_history,
    phone_status,
)
from optouts.services import (
    admin_opt_in_refusal,
)
from velocify_sms.cursors import cursor_parse as keyset_cursor_parse
from velocify_sms.cursors import cursor_text as keyset_cursor_text
from velocify_sms.phones import (
    InvalidPhoneNumber,
    phone_display,
    phone_normalize,
)

PER_PAGE = 50
CHANNEL_LABELS = dict(Channel.choices)


def admins_only(view):
    """403 for anyone without the report permission (agents included), whatever URL they forge."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_can_view_report(request.user):
            raise PermissionDenied("Only an admin can use the opt-out report.")
        return view(request, *args, **kwargs)

    return wrapped


def by_whom(*, source: str, actor_label: str) -> str:
    """Who put the number on the list, in words: for an agent, the username it had then.

    The label is a snapshot written with the row, so a deleted or renamed user still shows as
    they were; it is empty only on rows written without a user (bulk demo data).
    """
    if source == Source.CONTACT:
        return "the contact"
    if source == Source.SYSTEM:
        return "the carrier"
    # No actor: an import from the shell without --user.
    return actor_label or "a user not recorded"


def page_context(request, site, **extra) -> dict:
    return {**site.each_context(request), **extra}


def report_url() -> str:
    return reverse("admin:optouts_report")


def next_url(request) -> str:
    """Where to go back after a POST: the `next` field if it is a local URL, else the report."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return report_url()


def number_or_404(number: str) -> str:
    try:
        return phone_normalize(number)
    except InvalidPhoneNumber:
        raise Http404("No such phone number.") from None


# reverse() once per page with this stand-in, then the row's own value in its place: 50 rows of
# three or four links each were ~200 reverse() calls a page. Digits only, which reverse() keeps
# as they are, as it keeps an E.164 number's "+" and a lead's integer id.
_URL_MARK = "9876543210"


def _url_pattern(name: str) -> str | None:
    """The URL of `name` for the stand-in argument, None if that URL is not mounted."""
    try:
        return reverse(name, args=[_URL_MARK])
    except NoReverseMatch:
        return None


def _url_for(pattern: str | None, value) -> str:
    return pattern.replace(_URL_MARK, str(value), 1) if pattern else ""


def _lead_url_pattern() -> str | None:
    """A lead's page for the stand-in id, through the lead directory (None: no lead pages)."""
    return lead_change_url(int(_URL_MARK))


def _lead_links(leads, pattern: str | None = None) -> list[dict]:
    if pattern is None:
        pattern = _lead_url_pattern()
    # Without the leads app or its admin, pattern stays None: names without links.
    return [
        {"url": _url_for(pattern, lead.id), "label": lead.label, "id": lead.id} for lead in leads
    ]


def _row_urls() -> dict[str, str | None]:
    return {
        "lead": _lead_url_pattern(),
        "history": _url_pattern("admin:optouts_report_history"),
        "opt_in": _url_pattern("admin:optouts_report_opt_in"),
    }


def _row(row: dict, urls: dict[str, str | None]) -> dict:
    source = row["source"]
    return {
        "number": row["phone_number"],
        "display": phone_display(row["phone_number"]),
        "history_url": _url_for(urls["history"], row["phone_number"]),
        "opt_in_url": _url_for(urls["opt_in"], row["phone_number"]),
        "source": source,
        "source_label": source_label(source=source, reason=row["reason"]),
        "opted_out_at": row["opted_out_at"],
        "by_whom": by_whom(source=source, actor_label=row["actor_label"]),
        "channel": CHANNEL_LABELS.get(row["channel"], row["channel"]),
        "leads": _lead_links(row["leads"], urls["lead"]),
        "note": row["note"],
        "refusal": admin_opt_in_refusal(source=source),
    }


def _urlencode_without(params, *names: str) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def query_without(request, *names: str) -> str:
    return _urlencode_without(request.GET, *names)


# The page links carry the place they start from, never a page number: `older` (the page after
# a row) or `newer` (the page before one), as velocify_sms.cursors writes them.
CURSOR_PARAMS = ("older", "newer")
BAD_CURSOR = "This page link is not valid (edited or cut short): start again from the first page."


def cursor_text(*, opted_out_at: datetime, id: int) -> str:
    return keyset_cursor_text(at=opted_out_at, id=id)


def cursor_parse(text: str) -> PageCursor | None:
    """The cursor a page link carries (velocify_sms.cursors), None if it is not one."""
    parsed = keyset_cursor_parse(text)
    return None if parsed is None else PageCursor(*parsed)


def _page_cursors(request) -> tuple[PageCursor | None, PageCursor | None, str]:
    """(older_than, newer_than, error) from the query string; both None means the first page."""
    raw = {name: request.GET.get(name, "").strip() for name in CURSOR_PARAMS}
    if raw["older"] and raw["newer"]:
        return None, None, BAD_CURSOR
    cursors = {name: cursor_parse(text) if text else None for name, text in raw.items()}
    if any(text and cursors[name] is None for name, text in raw.items()):
        return None, None, BAD_CURSOR
    return cursors["older"], cursors["newer"], ""


# A custom range may span the whole calendar (0001-01-02 to 9999-12-30): drawn as asked, that is
# 120,000 empty monthly bars and a second of work for one page.
CHART_MAX_DAYS = 36_525


def _chart(filterset, aggregates):
    """The chart over the chosen time frame, empty days drawn, up to today at the latest.

    A chosen period (Last 30 days, a custom range) is drawn whole, so one day of data reads as
    one day among thirty rather than a bar filling the plot; all time starts at the first
    opt-out the selection holds. Days still to come are not drawn.
    """
    tz = site_timezone()
    start, end = filterset.time_frame()
    tomorrow = site_today() + timedelta(days=1)
    first = aggregates.first_day(tzinfo=tz)
    start = start or first or site_today()
    end = min(end, tomorrow) if end else tomorrow
    if first is None and (end - start).days > CHART_MAX_DAYS:
        start = end - timedelta(days=1)  # nothing to draw across the calendar: today alone
    frame = chart_frame(start=start, end=max(end, start + timedelta(days=1)))
    counts = aggregates.daily_counts(tzinfo=tz, by_month=frame.by_month)
    return optouts_chart_svg(frame=frame, counts=counts)


DEFAULT_PERIOD = "last_30_days"
TIME_PARAMS = ("period", "date_from", "date_to", "since", "until")


# A hidden field the page adds while its time frame is the default nobody chose: pressing Filter
# sends the select's "Last 30 days" back, and without it a number typed into the form was still
# searched in 30 days only (found by the admin journey).
PERIOD_DEFAULT_PARAM = "period_default"


def report_filters(request):
    """The page's filters: the query string, opening on the last 30 days when it names no time.

    "All time" is one click away; the default keeps the summary and chart (aggregates over the
    selected rows) cheap on a list of a million numbers. A search for a number looks across all
    time unless a time frame was chosen: a number opted out 90 days ago must not look textable
    because of a default the admin never chose.
    """
    data = request.GET.copy()
    defaulted = data.pop(PERIOD_DEFAULT_PARAM, None)
    others = [name for name in TIME_PARAMS if name != "period"]
    if defaulted and data.get("period") == DEFAULT_PERIOD and not any(data.get(n) for n in others):
        del data["period"]
    if not any(data.get(name) for name in TIME_PARAMS):
        data["period"] = ALL_TIME if data.get("phone_prefix", "").strip() else DEFAULT_PERIOD
        return data, data["period"] == DEFAULT_PERIOD
    return data, False


@admins_only
def report_view(request, *, site):
    data, period_defaulted = report_filters(request)
    filterset = optout_filterset(data=data)
    older_than, newer_than, page_error = _page_cursors(request)
    valid = filterset.is_valid()
    if page_error:
        filterset.form.add_error(None, page_error)
        valid = False
    context = {
        "title": "Opt-out report",
        "period_defaulted": period_defaulted,
        "period_default_param": PERIOD_DEFAULT_PARAM,
        "filter_form": filterset.form,
        "rows": [],
        "has_next": False,
        "has_previous": False,
        # Any page but the first links back to the newest rows, even one left empty.
        "deep": bool(older_than or newer_than),
        "older": "",
        "newer": "",
        "counts": [],
        "total": 0,
        "chart": "",
        "query": _urlencode_without(data, *CURSOR_PARAMS),
        "next_url": request.get_full_path(),
        "can_opt_in": user_can_opt_in(request.user),
        "can_import": user_can_opt_out(request.user),
        "phone_search": filterset.phone_search_described() if valid else "",
    }
    if valid:
        aggregates = optout_report_aggregates(filterset=filterset)
        rows, has_previous, has_next = optout_report_page(
            queryset=filterset.qs,
            per_page=PER_PAGE,
            older_than=older_than,
            newer_than=newer_than,
            among=aggregates.few,
            sorted_in_database=aggregates.sorted_in_database,
        )
        row_urls = _row_urls()
        if not aggregates.exact:
            # Exact counts would read every matching row: the page vouches for a lower bound.
            context.update(total_more_than=f"{aggregates.at_least:,}")
        counts = aggregates.counts_by_source() if aggregates.exact else {}
        context.update(
            rows=[_row(r, row_urls) for r in rows],
            has_next=has_next and bool(rows),
            has_previous=has_previous,
            # The first page's link is the plain query; a cursor needs a row to start from.
            older=cursor_text(opted_out_at=rows[-1]["opted_out_at"], id=rows[-1]["id"])
            if rows
            else "",
            newer=cursor_text(opted_out_at=rows[0]["opted_out_at"], id=rows[0]["id"])
            if rows
            else "",
            counts=[
                {"source": s.value, "label": s.label, "n": counts[s.value]} for s in SOURCE_ORDER
            ]
            if counts
            else [],
            total=sum(counts.values()),
            chart=_chart(filterset, aggregates) if aggregates.exact else "",
            # The empty state names the time frame in words ("Last 30 days"), not its URL value.
            period_label=dict(filterset.form.fields["period"].choices).get(
                filterset.form.cleaned_data.get("period"), ""
            ),
        )
    return TemplateResponse(
        request, "admin/optouts/report.html", page_context(request, site, **context)
    )


@admins_only
def history_view(request, number, *, site):
    e164 = number_or_404(number)
    status = phone_status(number=e164)
    events = list(phone_history(numbers=[e164])[:500])
    return TemplateResponse(
        request,
        "admin/optouts/history.html",
        page_context(
            request,
            site,
            title=f"Consent history of {phone_display(e164)}",
            number=e164,
            display=phone_display(e164),
            status=status,
            by_whom=(
                by_whom(source=status.source, actor_label=status.optout.actor_label)
                if status.source
                else ""
            ),
            refusal=admin_opt_in_refusal(source=status.source) if status.source else "",
            can_opt_in=status.can_opt_in and user_can_opt_in(request.user),
            events=events,
            leads=_lead_links(lead_refs_by_number(numbers=[e164]).get(e164, [])),
            chain=phone_chain_verification(number=e164),
            next_url=request.get_full_path(),
        ),
    )
