"""The list's daily roll-up (OptOutDay): kept in step with the list inside each change.

The report's summary and chart count the list by source and by day; over a million numbers that
is a full pass each time (686 ms for the whole page over all time, before the roll-up). The consent
services instead add to the roll-up in the same transaction (and savepoint) as the rows they
write, so a change and its count commit or roll back together, and the report reads a few
thousand roll-up rows.

One upsert per change, `INSERT ... ON CONFLICT (day, source) DO UPDATE SET count = count +
excluded.count`, which PostgreSQL and SQLite (3.24+) both read the same way; the keys go in sorted
order so two transactions touching the same days take their row locks in the same order.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from optouts.models import OptOut, OptOutDay

# Three parameters a key: well under SQLite's oldest limit of 999 variables a statement.
_KEYS_PER_STATEMENT = 300


def rollup_day(instant: datetime) -> date:
    """The site-calendar day (settings.TIME_ZONE) an opt-out at `instant` is counted on."""
    return timezone.localtime(instant, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


class RollupChange(Counter):
    """{(day, source): change in count} gathered while a service decides, applied once."""

    def added(self, *, at: datetime, source: str) -> None:
        self[(rollup_day(at), source)] += 1

    def removed(self, *, at: datetime, source: str) -> None:
        self[(rollup_day(at), source)] -= 1


def optout_rollup_add(*, change: dict[tuple[date, str], int]) -> None:
    """Add `change` ({(day, source): n}, n may be negative) to the roll-up, in the caller's
    transaction: call it inside the atomic block that writes the matching OptOut rows."""
    keys = sorted((key, n) for key, n in change.items() if n)
    if not keys:
        return
    quote = connection.ops.quote_name
    table, count = quote(OptOutDay._meta.db_table), quote("count")
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _KEYS_PER_STATEMENT):
            batch = keys[start : start + _KEYS_PER_STATEMENT]
            values = ", ".join(["(%s, %s, %s)"] * len(batch))
            params = []
            for (day, source), n in batch:
                params += [connection.ops.adapt_datefield_value(day), source, n]
            cursor.execute(
                f"INSERT INTO {table} (day, source, {count}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (day, source) DO UPDATE SET {count} = {table}.{count} + "
                f"excluded.{count}",
                params,
            )


def optout_rollup_of_rows(*, rows: Iterable[tuple[datetime, str]]) -> RollupChange:
    """The roll-up change of adding rows given as (opted_out_at, source) (a bulk load's rows)."""
    change = RollupChange()
    for at, source in rows:
        change.added(at=at, source=source)
    return change


def optout_rollup_live() -> dict[tuple[date, str], int]:
    """{(day, source): n} counted from the list itself: what the roll-up must equal."""
    rows = (
        OptOut.objects.order_by()
        .annotate(day=TruncDate("opted_out_at", tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)))
        .values("day", "source")
        .annotate(n=Count("id"))
    )
    return {(row["day"], row["source"]): row["n"] for row in rows}


def optout_rollup_rebuild() -> int:
    """Recount the roll-up from the list (after a change of TIME_ZONE, or a raw load that skipped
    optout_rollup_add); returns the number of (day, source) rows written.

    On PostgreSQL the list is locked in SHARE mode meanwhile: reads go on, a change waits the
    few seconds of the recount, so none is counted twice or lost.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {OptOut._meta.db_table} IN SHARE MODE")
        OptOutDay.objects.all().delete()
        live = optout_rollup_live()
        OptOutDay.objects.bulk_create(
            [OptOutDay(day=day, source=source, count=n) for (day, source), n in live.items()],
            batch_size=1000,
        )
    return len(live)
