"""Reads of the opt-out list and the consent history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from optouts.lead_directory import LeadRef, lead_directory
from optouts.models import ConsentEvent, OptOut, OptOutDay, Source
from optouts.services import admin_may_opt_in
from velocify_sms.db_arrays import in_values
from velocify_sms.phones import phone_normalize


@dataclass(frozen=True)
class PhoneStatus:
    phone_number: str
    sms_opted_out: bool
    source: str | None
    opted_out_at: datetime | None
    optout: OptOut | None

    @property
    def can_opt_in(self) -> bool:
        """Whether an admin could opt this number in now (agent opt-outs only)."""
        return admin_may_opt_in(source=self.source)


def phones_opted_out(*, numbers: Iterable[str]) -> dict[str, str]:
    """{E.164 number: source} for those of `numbers` (already E.164) on the list; one query.

    A big batch goes to PostgreSQL as one opaque array (velocify_sms.db_arrays): given the list's
    contents the planner expects thousands of matches and scans the whole table; hidden it probes
    the unique index once per number, about 3x faster at 10,000 numbers (bench/send_guard.py).
    """
    wanted = set(numbers)
    if not wanted:
        return {}
    rows = OptOut.objects.filter(in_values("phone_number", wanted))
    return dict(rows.values_list("phone_number", "source"))


def optout_row(*, number: str) -> OptOut | None:
    """The list's row of an E.164 number, or None when it is opted in."""
    return OptOut.objects.filter(phone_number=number).first()


def phone_is_opted_out(*, number: str) -> bool:
    """Whether an E.164 number is on the list (the send guard's question)."""
    return OptOut.objects.filter(phone_number=number).exists()


def phone_status(*, number: str) -> PhoneStatus:
    """Status of a number typed in any form (raises InvalidPhoneNumber)."""
    e164 = phone_normalize(number)
    return phones_status(numbers=[e164])[e164]


def phone_history(*, numbers: Iterable[str]) -> QuerySet[ConsentEvent]:
    """Consent events of E.164 `numbers`, newest first."""
    return ConsentEvent.objects.filter(phone_number__in=list(numbers)).order_by(
        "-created_at", "-id"
    )


def optout_list(*, filters: dict | None = None) -> QuerySet[OptOut]:
    """The opt-out list, newest first, narrowed by the report's FilterSet when filters are given."""
    queryset = OptOut.objects.order_by("-opted_out_at", "-id")
    if filters:
        from optouts.filters import OptOutFilter

        filterset = OptOutFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            from django.core.exceptions import ValidationError

            raise ValidationError(filterset.errors)
        queryset = filterset.qs
    return queryset


def optout_counts_by_source(*, queryset: QuerySet[OptOut]) -> dict[str, int]:
    """{source: count} for every source, zeros included."""
    from django.db.models import Count

    counts = {s.value: 0 for s in Source}
    for row in queryset.order_by().values("source").annotate(n=Count("id")):
        counts[row["source"]] = row["n"]
    return counts


def state_from_events(*, events: Iterable[ConsentEvent]) -> str | None:
    """Replay events (oldest first) of one number: its source, or None if opted in."""
    state = None
    for event in events:
        if event.action == ConsentEvent.Action.OPT_OUT:
            state = event.source
        elif event.action == ConsentEvent.Action.OPT_IN:
            state = None
    return state


# --- The opt-out report -------------------------------------------------------------


def optout_filterset(*, data=None):
    """The report's FilterSet bound to `data` (a QueryDict), over the same list optout_list reads.

    The page needs the FilterSet itself (its form renders the filters and their errors); the
    API list goes through optout_list. Both share OptOutFilter, so they cannot drift.
    """
    from optouts.filters import OptOutFilter

    return OptOutFilter(data if data is not None else {}, queryset=optout_list(), phone_search=True)


REPORT_FIELDS = (
    "id",
    "phone_number",
    "source",
    "reason",
    "channel",
    "opted_out_at",
    "actor_label",
    "note",
)


@dataclass(frozen=True)
class PageCursor:
    """A place in the report's order (newest first): the row at (opted_out_at, id).

    Deep pages start from a cursor, not an OFFSET: page 20,000 of a million numbers costs what
    page 1 costs, and a number opted out meanwhile does not shift every later page by one.
    """

    opted_out_at: datetime
    id: int


def optout_report_page(
    *,
    queryset: QuerySet[OptOut],
    per_page: int,
    older_than: PageCursor | None = None,
    newer_than: PageCursor | None = None,
    among: list[tuple] | None = None,
    sorted_in_database: bool = False,
):
    """One page of the report as dicts: (rows, has_newer, has_older), without COUNT(*).

    `among`: (opted_out_at, id, ...) of every row `queryset` selects, when they are known to be
    few (ReportAggregates.few): the page is sorted from them here and read by id, which costs the
    same for any filter, instead of leaving the database to guess where a phone search's rows
    sit (walking the time index for numbers that all sit together reads most of the list).

    The first page without a cursor; `older_than` the page after a row, `newer_than` the page
    before one (read in reverse, then turned back). Reads per_page + 1 rows (the extra one only
    says "there is another page"), only the columns the page shows, and gives each row `leads`:
    the leads carrying its number, read for the whole page in one more query (never one per row).

    `sorted_in_database`: the rows `queryset` selects are known to be at most
    REPORT_SORTED_UP_TO (ReportAggregates.sorted_in_database): too many to read one by one, few
    enough to sort, so the database sorts them all rather than walk the time index to them.
    """
    if among is not None:
        return _report_page_among(among, per_page, older_than, newer_than)
    if sorted_in_database:
        return _report_page_sorted(queryset, per_page, older_than, newer_than)
    has_newer = has_older = False
    if newer_than is not None:
        at, pk = newer_than.opted_out_at, newer_than.id
        # The redundant `>= at` lets the planner range-scan the opted_out_at index.
        queryset = queryset.filter(
            Q(opted_out_at__gt=at) | Q(opted_out_at=at, id__gt=pk), opted_out_at__gte=at
        ).reverse()
        has_older = True
    elif older_than is not None:
        at, pk = older_than.opted_out_at, older_than.id
        queryset = queryset.filter(
            Q(opted_out_at__lt=at) | Q(opted_out_at=at, id__lt=pk), opted_out_at__lte=at
        )
        has_newer = True
    rows = list(queryset.values(*REPORT_FIELDS)[: per_page + 1])
    more, rows = len(rows) > per_page, rows[:per_page]
    if newer_than is not None:
        rows.reverse()
        has_newer = more
    else:
        has_older = more
    return _with_leads(rows), has_newer, has_older


def _report_page_among(among, per_page, older_than, newer_than):
    keys = sorted(((at, pk) for at, pk, *_ in among), reverse=True)
    if older_than is not None:
        keys = [k for k in keys if k < (older_than.opted_out_at, older_than.id)]
        page, has_newer, has_older = keys[:per_page], True, len(keys) > per_page
    elif newer_than is not None:
        keys = [k for k in keys if k > (newer_than.opted_out_at, newer_than.id)]
        page, has_newer, has_older = keys[-per_page:], len(keys) > per_page, True
    else:
        page, has_newer, has_older = keys[:per_page], False, len(keys) > per_page
    ids = [pk for _, pk in page]
    rows = list(
        OptOut.objects.filter(id__in=ids).order_by("-opted_out_at", "-id").values(*REPORT_FIELDS)
    )
    return _with_leads(rows), has_newer, has_older


def _report_page_sorted(queryset, per_page, older_than, newer_than):
    # MATERIALIZED fences the selection off from the ORDER BY ... LIMIT: PostgreSQL otherwise
    # walks the time index backwards and tests each row, which for matches that sit together
    # (the numbers of one import, within one day of a million) passes hundreds of thousands
    # of rows first. Fenced, it reads the matches through their own index and sorts them.
    inner, params = queryset.order_by().values("id", "opted_out_at").query.sql_with_params()
    cursor_at = older_than or newer_than
    where, more_params = "", []
    if cursor_at is not None:
        operator = "<" if older_than is not None else ">"
        where = f"WHERE (m.opted_out_at, m.id) {operator} (%s, %s)"
        at = connection.ops.adapt_datetimefield_value(cursor_at.opted_out_at)
        more_params = [at, cursor_at.id]
    direction = "ASC" if newer_than is not None else "DESC"
    sql = (
        f"WITH m AS MATERIALIZED ({inner}) SELECT m.id FROM m {where} "  # noqa: S608 - ORM SQL
        f"ORDER BY m.opted_out_at {direction}, m.id {direction} LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *more_params, per_page + 1])
        ids = [pk for (pk,) in cursor.fetchall()]
    more, ids = len(ids) > per_page, ids[:per_page]
    rows = list(
        OptOut.objects.filter(id__in=ids).order_by("-opted_out_at", "-id").values(*REPORT_FIELDS)
    )
    if older_than is not None:
        return _with_leads(rows), True, more
    if newer_than is not None:
        return _with_leads(rows), more, True
    return _with_leads(rows), False, more


def _with_leads(rows: list[dict]) -> list[dict]:
    carriers = lead_refs_by_number(numbers=[row["phone_number"] for row in rows])
    for row in rows:
        row["leads"] = carriers.get(row["phone_number"], [])
    return rows


def lead_refs_by_number(*, numbers: Iterable[str]) -> dict[str, list[LeadRef]]:
    """{E.164 number: [leads carrying it]}, one query for a page of the list or an export chunk."""
    return lead_directory().refs_by_number(numbers)


def optout_daily_counts(
    *, queryset: QuerySet[OptOut], tzinfo, by_month: bool = False
) -> dict[tuple, int]:
    """{(day or first day of month in `tzinfo`, source): count} of the list rows in `queryset`."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate, TruncMonth

    bucket = TruncMonth if by_month else TruncDate
    rows = (
        queryset.order_by()
        .annotate(bucket=bucket("opted_out_at", tzinfo=tzinfo))
        .values("bucket", "source")
        .annotate(n=Count("id"))
    )
    counts = {}
    for row in rows:
        day = row["bucket"]
        if isinstance(day, datetime):
            day = day.date()
        counts[(day, row["source"])] = row["n"]
    return counts


def optout_first_opted_out_at(*, queryset: QuerySet[OptOut]) -> datetime | None:
    """When the oldest row of `queryset` was opted out (uses the opted_out_at index)."""
    row = queryset.order_by("opted_out_at").values_list("opted_out_at", flat=True).first()
    return row


def optout_export_rows(*, queryset: QuerySet[OptOut], chunk_size: int = 2000):
    """Yield the export's tuples for every row of `queryset`, streaming from the database.

    values_list + iterator(chunk_size): a server-side cursor on PostgreSQL, so a million rows
    never sit in memory; the leads of each chunk are read with one query per chunk.
    """
    rows = queryset.values_list(
        "phone_number", "source", "reason", "channel", "opted_out_at", "actor_label", "note"
    ).iterator(chunk_size=chunk_size)
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from _export_chunk(chunk)
            chunk = []
    if chunk:
        yield from _export_chunk(chunk)


def _export_chunk(chunk: list[tuple]):
    carriers = lead_refs_by_number(numbers=[row[0] for row in chunk])
    for number, source, reason, channel, opted_out_at, actor_label, note in chunk:
        leads = carriers.get(number, [])
        yield number, source, reason, channel, opted_out_at, actor_label, note, leads


# --- The report's summary and chart: from the daily roll-up when it can answer ----------------

# Filters the roll-up cannot answer: a time of day (the API's instants) or part of a number.
_LIVE_ONLY_FILTERS = ("since", "until", "phone_prefix")
_TIME_OF_DAY_FILTERS = ("since", "until")

# The most rows of the list the report counts one by one for a page (a phone search): past it the
# counts come from the roll-up minus the rows the search leaves out when those are few, or read
# "more than 5,000" (the CSV export and the API stay exact: they read every row anyway).
REPORT_EXACT_UP_TO = 5_000
# Up to this many selected rows, counted (not read) past REPORT_EXACT_UP_TO, the database counts
# and sorts them all: tens of milliseconds, whatever order they sit in.
REPORT_SORTED_UP_TO = 20_000


class ReportAggregates:
    """The report's counts by source, chart series and first day for one valid FilterSet.

    From the daily roll-up (OptOutDay, a few thousand rows) when the filters select only sources
    and whole days of the site's calendar (a preset, all time, a custom range); from the list
    itself when they need more. This is the one place that chooses, so the summary and the chart
    never disagree.

    With a phone search (or the API's instants) the time, id and source of the selected rows are
    first read in no order, up to REPORT_EXACT_UP_TO + 1 of them:
    - that many or fewer (`few`): counted and charted from those, and handed to the page, whose
      50 rows are sorted from them (docs/decisions.md, "Lists at a million rows");
    - more, for a prefix search: the roll-up minus the rows the prefix leaves out, when those are
      that few (a prefix most numbers share, `415`): exact again;
    - more, but no more than REPORT_SORTED_UP_TO (`sorted_in_database`): counted and charted by
      the database from the list itself, and the page sorts them all in the database;
    - otherwise `exact` is False: the page says "more than REPORT_SORTED_UP_TO" and draws no chart.
    """

    def __init__(self, filterset) -> None:
        data = filterset.form.cleaned_data
        self.from_rollup = not any(data.get(name) for name in _LIVE_ONLY_FILTERS)
        self.exact = True
        # (opted_out_at, id, source) of every selected row, when they are few.
        self.few: list[tuple[datetime, int, str]] | None = None
        self.sorted_in_database = False
        self._live = filterset.qs
        self._minus: QuerySet[OptOut] | None = None
        if not self.from_rollup:
            # Ids first: a probe of many rows then costs little (their times are read, and
            # parsed, only when they are few).
            selected = self._live.order_by()
            ids = list(selected.values_list("id", flat=True)[: REPORT_EXACT_UP_TO + 1])
            if len(ids) <= REPORT_EXACT_UP_TO:
                self.few = list(selected.values_list("opted_out_at", "id", "source"))
            else:
                self._minus = self._complement(filterset, data)
                self.from_rollup = self._minus is not None
                self.exact = self.from_rollup
                if not self.exact:
                    counted = selected.values("id")[: REPORT_SORTED_UP_TO + 1].count()
                    self.exact = self.sorted_in_database = counted <= REPORT_SORTED_UP_TO
        if self.from_rollup:
            start, end = filterset.time_frame()
            days = OptOutDay.objects.filter(count__gt=0)
            if start is not None:
                days = days.filter(day__gte=start)
            if end is not None:
                days = days.filter(day__lt=end)
            if data.get("source"):
                days = days.filter(source__in=data["source"])
            self._days = days.order_by()
        self._rows: list[tuple[date, str, int]] | None = None

    @staticmethod
    def _complement(filterset, data) -> QuerySet[OptOut] | None:
        """The few rows the phone search leaves out of the other filters' selection, or None when
        they are not few (or cannot be read from the roll-up: a time of day)."""
        if any(data.get(name) for name in _TIME_OF_DAY_FILTERS):
            return None
        rows = filterset.phone_search_complement()
        if rows is None:
            return None
        ids = list(rows.order_by().values_list("id", flat=True)[: REPORT_EXACT_UP_TO + 1])
        if len(ids) > REPORT_EXACT_UP_TO:
            return None
        return OptOut.objects.filter(id__in=ids)

    def _day_rows(self) -> list[tuple[date, str, int]]:
        # One read of the selected roll-up rows (about 3 a day of data, ~3,300 for three years)
        # serves the counts, the chart and the first day: one round trip instead of three.
        if self._rows is None:
            rows = list(self._days.values_list("day", "source", "count"))
            if self._minus is not None:
                from optouts.filters import site_timezone

                # The roll-up's days are the site's days (OptOutDay): the same buckets here.
                left_out = optout_daily_counts(queryset=self._minus, tzinfo=site_timezone())
                rows = [
                    (day, source, n - left_out.get((day, source), 0)) for day, source, n in rows
                ]
                rows = [row for row in rows if row[2] > 0]
            self._rows = rows
        return self._rows

    @property
    def at_least(self) -> int:
        """When not `exact`: the count the page can vouch for ("more than" it)."""
        return REPORT_SORTED_UP_TO

    def counts_by_source(self) -> dict[str, int]:
        """{source: count} for every source, zeros included."""
        if self.few is not None:
            counts = {s.value: 0 for s in Source}
            for _, _, source in self.few:
                counts[source] = counts.get(source, 0) + 1
            return counts
        if not self.from_rollup:
            return optout_counts_by_source(queryset=self._live)
        counts = {s.value: 0 for s in Source}
        for _, source, n in self._day_rows():
            counts[source] = counts.get(source, 0) + n
        return counts

    def daily_counts(self, *, tzinfo, by_month: bool = False) -> dict[tuple, int]:
        """{(day or first day of month, source): count}, as optout_daily_counts gives them."""
        if self.few is not None:
            counts: dict[tuple, int] = {}
            for at, _, source in self.few:
                day = timezone.localtime(at, tzinfo).date()
                key = (day.replace(day=1) if by_month else day, source)
                counts[key] = counts.get(key, 0) + 1
            return counts
        if not self.from_rollup:
            return optout_daily_counts(queryset=self._live, tzinfo=tzinfo, by_month=by_month)
        counts: dict[tuple, int] = {}
        for day, source, n in self._day_rows():
            key = (day.replace(day=1) if by_month else day, source)
            counts[key] = counts.get(key, 0) + n
        return counts

    def first_day(self, *, tzinfo) -> date | None:
        """The site day of the oldest selected opt-out, None when nothing is selected."""
        if self.few is not None:
            first = min((at for at, _, _ in self.few), default=None)
            return timezone.localtime(first, tzinfo).date() if first else None
        if self.from_rollup:
            return min((day for day, _, _ in self._day_rows()), default=None)
        if self.sorted_in_database:
            # The oldest of matches that sit together is no quicker to find along the time index
            # than the newest (optout_report_page): from the day counts, which read only them.
            days = optout_daily_counts(queryset=self._live, tzinfo=tzinfo)
            return min((day for day, _ in days), default=None)
        first = optout_first_opted_out_at(queryset=self._live)
        return timezone.localtime(first, tzinfo).date() if first else None


def optout_report_aggregates(*, filterset) -> ReportAggregates:
    """The summary and chart figures of a valid report FilterSet (see ReportAggregates)."""
    return ReportAggregates(filterset)


def phones_status(*, numbers: Iterable[str]) -> dict[str, PhoneStatus]:
    """{number: PhoneStatus} for E.164 `numbers`, opted in or not; one query for all of them."""
    wanted = list(dict.fromkeys(numbers))
    rows = {
        row.phone_number: row for row in OptOut.objects.filter(in_values("phone_number", wanted))
    }
    return {
        number: PhoneStatus(
            phone_number=number,
            sms_opted_out=number in rows,
            source=rows[number].source if number in rows else None,
            opted_out_at=rows[number].opted_out_at if number in rows else None,
            optout=rows.get(number),
        )
        for number in wanted
    }
