"""The lead list at millions of leads: pages by cursor, a count that stops early, a light filter.

What Django's changelist does by default costs the whole table at a million leads: an exact
COUNT(*) of the filtered list, OFFSET pages (page 10,000 reads and drops 999,900 rows first), and
RelatedOnlyFieldListFilter's `SELECT DISTINCT assigned_agent_id` over every lead. Here:

- In the default order (newest first, `created_at DESC, id DESC`, served by lead_newest_first_idx)
  the page links carry a cursor, `older=` / `newer=` the row they start after, never a page
  number: a page deep down costs what the first does. A column sort chosen by the user keeps
  Django's numbered pages and exact count.
- Each page first reads up to COUNT_EXACT_UP_TO + 1 of the selected leads in no order (a probe
  that stops there whatever the filter). That many or fewer: the page is sorted from them and the
  count is exact. More: the page walks the index and reads "more than 1,000 leads" (or, for the
  whole unfiltered list, "about 1,000,000 leads", PostgreSQL's own row estimate). The CSV export
  and the API count nothing this way: they are exact. (docs/decisions.md, "Lists at a million
  rows".)
- The assigned-agent filter lists the agents that have leads, up to AGENT_CHOICES_LIMIT, found
  by a loose index scan (leads.selectors.lead_agents_with_leads), never a DISTINCT over the leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ORDER_VAR
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from leads.models import Lead
from leads.selectors import SEARCH_FEW_PHONES, lead_agents_with_leads, lead_count_estimate
from velocify_sms.admin_lists import InputSafeChangeList
from velocify_sms.cursors import cursor_parse, cursor_text
from velocify_sms.phones import phone_search_parse

COUNT_EXACT_UP_TO = 1_000
_URL_MARK = 9876543210
AGENT_CHOICES_LIMIT = 100
CURSOR_PARAMS = ("older", "newer")


@dataclass(frozen=True)
class LeadCursor:
    """A place in the newest-first order: the lead at (created_at, id)."""

    created_at: datetime
    id: int


def lead_cursor_text(*, created_at: datetime, id: int) -> str:
    return cursor_text(at=created_at, id=id)


def lead_cursor_parse(text: str) -> LeadCursor | None:
    """The cursor a page link carries (velocify_sms.cursors), None if it is not one."""
    parsed = cursor_parse(text)
    return None if parsed is None else LeadCursor(*parsed)


def _after(cursor: LeadCursor, *, older: bool, using: str) -> RawSQL:
    # A row comparison: PostgreSQL answers it with one range of lead_newest_first_idx, where
    # `created_at < x OR (created_at = x AND id < y)` would walk every lead of the same instant
    # (a bulk import gives thousands the same created_at).
    operator = "<" if older else ">"
    return RawSQL(  # noqa: S611 - fixed SQL; the cursor's values go as parameters
        f'("leads_lead"."created_at", "leads_lead"."id") {operator} (%s, %s)',
        # Raw SQL gets no field conversion: the time as the database's own driver stores it.
        [connections[using].ops.adapt_datetimefield_value(cursor.created_at), cursor.id],
        output_field=BooleanField(),
    )


def _leads_by_id(ids: list[int], *, using: str):
    """Leads by id. On PostgreSQL the ids go as one array parameter: thousands of `IN (%s, ...)`
    placeholders cost more to send and plan than reading the rows."""
    if connections[using].vendor != "postgresql":
        return Lead.objects.using(using).filter(pk__in=ids)
    return Lead.objects.using(using).filter(
        RawSQL('"leads_lead"."id" = ANY(%s)', [ids], output_field=BooleanField())  # noqa: S611
    )


class LeadCount(int):
    """The count the page shows; `label` is how it reads ("35", "more than 1,000")."""

    label: str

    def __new__(cls, value: int, label: str | None = None):
        count = super().__new__(cls, value)
        count.label = label if label is not None else str(value)
        return count


class LeadChangeList(InputSafeChangeList):
    """Cursor pages in the default order; Django's numbered pages in any other."""

    keyset = None  # set in get_results: {"older_url", "newer_url", "first_url"} or None

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for name in CURSOR_PARAMS:
            lookup_params.pop(name, None)
        return lookup_params

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Links built from here on (filters, sorting, search) start again from the newest.
        for name in CURSOR_PARAMS:
            self.params.pop(name, None)
            self.filter_params.pop(name, None)

    def _cursors(self, request) -> tuple[LeadCursor | None, LeadCursor | None]:
        raw = {name: request.GET.get(name, "").strip() for name in CURSOR_PARAMS}
        if raw["older"] and raw["newer"]:
            raise IncorrectLookupParameters("Two page cursors.")
        cursors = {name: lead_cursor_parse(text) if text else None for name, text in raw.items()}
        if any(text and cursors[name] is None for name, text in raw.items()):
            raise IncorrectLookupParameters("Not a page cursor.")
        return cursors["older"], cursors["newer"]

    def get_results(self, request):
        # The page's own reads run here rather than in Django's get_results, so the guard that
        # turns a too-large id's OverflowError into Django's "invalid lookup" is applied again.
        try:
            self._get_page(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def _get_page(self, request):
        if ORDER_VAR in self.params or self.show_all:
            # Numbered pages need the exact count (a capped one would cap the pages).
            super().get_results(request)
            return
        older, newer = self._cursors(request)
        per_page = self.list_per_page
        # The ids of up to COUNT_EXACT_UP_TO + 1 selected leads, in no order: the database reads
        # no more than that whatever the filter, and it tells which of two ways the page goes.
        selected = self.queryset.order_by()
        cap = COUNT_EXACT_UP_TO
        if self.query and phone_search_parse(self.query.strip()) is not None:
            # The leads of one import's numbers sit together: walking newest first for them
            # may read most of the list, sorting even thousands of them here does not.
            cap = max(cap, SEARCH_FEW_PHONES)
        probe = list(selected.values_list("pk", flat=True)[: cap + 1])
        if len(probe) <= cap:
            # Few: sorted here, the page read by id. Exact count. Left to sort and walk newest
            # first, the database may read most of the table for leads that all sit together
            # (the numbers of one import), as it cannot know they do.
            result_count = LeadCount(len(probe))
            rows, has_newer, has_older = self._page_of_few(probe, older, newer, per_page)
        else:
            # Many: newest first along lead_newest_first_idx, a page found soon.
            rows, has_newer, has_older = self._page_walked(older, newer, per_page)
            if not (older or newer or has_older):
                result_count = LeadCount(len(rows))  # all of them on this first page
            else:
                result_count = self._count_past_limit(probe, cap)
        paginator = Paginator(self.queryset, per_page)
        paginator.count = result_count  # known: the page links never count again
        self.result_count = result_count
        self.show_full_result_count = False
        self.full_result_count = None
        self.show_admin_actions = True
        self.result_list = rows
        self.can_show_all = result_count <= self.list_max_show_all
        self.multi_page = has_older or has_newer
        self.paginator = paginator
        self.keyset = {
            "first_url": self.get_query_string(remove=list(CURSOR_PARAMS))
            if older or newer
            else "",
            "older_url": self._cursor_url("older", rows[-1]) if has_older and rows else "",
            "newer_url": self._cursor_url("newer", rows[0]) if has_newer and rows else "",
        }

    def _count_past_limit(self, probe, cap: int) -> LeadCount:
        # has_active_filters misses a field lookup typed into the address (`?status=new`
        # rather than the filter's `status__exact`): the leads are filtered all the same. (Not
        # self.filter_params: this runs inside ChangeList.__init__, before the cursors leave it.)
        if not (self.has_active_filters or self.query or self.get_filters_params()):
            estimate = lead_count_estimate(using=self.queryset.db)
            if estimate > cap:
                return LeadCount(estimate, f"about {estimate:,}")
        return LeadCount(len(probe), f"more than {cap:,}")

    def _page_of_few(self, ids, older, newer, per_page):
        """(rows, has_newer, has_older) among the selected leads `ids` (few): the database sorts
        them by id (a top-N sort of thousands takes a few ms; reading their times here took ten
        times that) and gives the page's ids."""
        keys = _leads_by_id(ids, using=self.queryset.db)
        if older is not None:
            keys = keys.filter(_after(older, older=True, using=self.queryset.db))
        elif newer is not None:
            keys = keys.filter(_after(newer, older=False, using=self.queryset.db))
        order = ("created_at", "id") if newer is not None else ("-created_at", "-id")
        page = list(keys.order_by(*order).values_list("pk", flat=True)[: per_page + 1])
        more, page = len(page) > per_page, page[:per_page]
        # By id from the unfiltered list: the filters chose these ids already, and a search's
        # conditions would only be planned and checked again.
        rows = list(self.root_queryset.filter(pk__in=page).order_by("-created_at", "-id"))
        if older is not None:
            return rows, True, more
        if newer is not None:
            return rows, more, True
        return rows, False, more

    def _page_walked(self, older, newer, per_page):
        """(rows, has_newer, has_older) read newest first from the cursor."""
        queryset = self.queryset
        if older is not None:
            queryset = queryset.filter(_after(older, older=True, using=queryset.db))
        elif newer is not None:
            queryset = queryset.reverse().filter(_after(newer, older=False, using=queryset.db))
        rows = list(queryset[: per_page + 1])
        more, rows = len(rows) > per_page, rows[:per_page]
        if newer is not None:
            rows.reverse()
            return rows, more, True
        return rows, older is not None, more

    def url_for_result(self, result) -> str:
        # reverse() once a page, the row's id put in its place: a hundred reverse() calls were a
        # tenth of a page's time. Digits only, which reverse() keeps as they are.
        pattern = getattr(self, "_change_url_pattern", None)
        if pattern is None:
            mark = Lead(pk=_URL_MARK)
            pattern = self._change_url_pattern = super().url_for_result(mark)
        return pattern.replace(str(_URL_MARK), quote(str(result.pk)), 1)

    def _cursor_url(self, name: str, lead) -> str:
        text = lead_cursor_text(created_at=lead.created_at, id=lead.pk)
        return self.get_query_string({name: text}, remove=list(CURSOR_PARAMS))

    @property
    def count_label(self) -> str:
        return getattr(self.result_count, "label", str(self.result_count))


class AgentWithLeadsFilter(admin.RelatedFieldListFilter):
    """The assigned-agent filter: the users that have leads (first AGENT_CHOICES_LIMIT by
    username, plus the one chosen), found from the users' side (see the module docstring)."""

    def field_choices(self, field, request, model_admin):
        chosen = self.lookup_val[0] if self.lookup_val else None
        return lead_agents_with_leads(limit=AGENT_CHOICES_LIMIT, including=chosen)
