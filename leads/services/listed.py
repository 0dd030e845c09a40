"""The stored hint `Lead.sms_listed` (one of the lead's numbers is on the opt-out list), kept true.

The lead list's "Textable" filter asks it first (LeadQuerySet.filter_sms_opt_out): with a million
leads nearly all opted out, the few others are a range of a partial index instead of every lead's
phones read against the list. The filter still checks the list itself, so a lead wrongly marked
not listed is only read and dropped; a lead wrongly marked listed would be missing from
"Textable", and that is what the order of the writes below rules out.

Who writes it:
- the lead writer, for the leads of a batch, in the batch's transaction: the new leads go into
  COPY with it, the stored ones it changes are updated (`leads_listed_of`, `leads_listed_set`);
  it holds those leads' row locks already;
- after a change of the list commits, for every lead with one of the changed numbers
  (`leads_listed_after_commit`, called by the consent core through optouts.lead_directory).
  After the commit, never inside: inside, an opt-out holding a number's consent lock would wait
  for a lead an import batch holds, while that batch waits for the consent lock;
- `leads_listed_rebuild`, for all leads: after a raw load, and hourly from the scheduler
  (`lead_listed_rebuild`) for a change whose after-commit step never ran (its process died).

Why nothing is left wrong by two changes at once: each refresh reads the list as committed when it
runs. A batch that read a number as listed while an opt-in of it was under way is fixed by that
opt-in's after-commit refresh if the batch committed first, else by the batch's own check of the
leads it marked listed once it has.

On PostgreSQL the statements are written out: they run after every API opt-out and in every
import batch, and a queryset over an id array let the planner scan the whole partial index
checking each lead against the array (quadratic in an import of new leads).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from leads.models import Lead, LeadPhone, lead_listed
from optouts.selectors import phones_opted_out
from velocify_sms.db_arrays import array_param, in_values

logger = logging.getLogger(__name__)

# Numbers refreshed per transaction: the row locks of one stay a few thousand.
REFRESH_CHUNK = 5_000

_LEAD, _PHONE = Lead._meta.db_table, LeadPhone._meta.db_table


def _optout_table() -> str:
    from optouts.models import OptOut

    return OptOut._meta.db_table


def _listed_sql(lead_id: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {_PHONE} p JOIN {_optout_table()} o "  # noqa: S608 - fixed names
        f"ON o.phone_number = p.number WHERE p.lead_id = {lead_id})"
    )


def _mark_sql(*, listed: bool) -> str:
    # The leads whose mark is wrong, locked in id order (two refreshes of the same leads queue
    # instead of deadlocking), then written; leads already right are neither locked nor written.
    test = _listed_sql("l.id") if listed else f"NOT {_listed_sql('l.id')}"
    return (
        f"UPDATE {_LEAD} SET sms_listed = {'TRUE' if listed else 'FALSE'} WHERE id IN ("  # noqa: S608
        f"SELECT l.id FROM unnest(%s::bigint[]) AS w(id) JOIN {_LEAD} l ON l.id = w.id "
        f"WHERE {'NOT ' if listed else ''}l.sms_listed AND {test} ORDER BY l.id FOR UPDATE OF l)"
    )


def leads_listed_of(
    *, phones: Mapping[int, Iterable[str]], opting: Iterable[str] = (), read_list: bool = True
) -> tuple[dict[int, bool | None], set[int]]:
    """({lead key: listed}, the keys listed by a number already on the list) for leads given by
    the numbers they will have (`phones`), `opting` the numbers about to go on the list.

    `read_list`: one read of the list for every number. Without it (an import, whose rows only
    ever add numbers) a lead is known listed only by the numbers it opts out, and None says
    "not known": its mark is left as it is, or false for a new lead, which the filter then
    reads and drops like any lead wrongly marked not listed, until the hourly rebuild. The
    read cost an import of new numbers about as much as writing their leads' phones."""
    opting = set(opting)
    wanted = {number for numbers in phones.values() for number in numbers}
    on_list = set(phones_opted_out(numbers=wanted)) if read_list else set()
    flags: dict[int, bool | None] = {}
    by_list = set()
    for key, numbers in phones.items():
        numbers = set(numbers)
        if numbers & on_list:
            by_list.add(key)
            flags[key] = True
        elif numbers & opting:
            flags[key] = True
        else:
            flags[key] = False if read_list else None
    return flags, by_list


def leads_listed_set(*, flags: Mapping[int, bool]) -> int:
    """Write these marks ({lead id: listed}) where they differ, in the caller's transaction (its
    leads locked by it already)."""
    if not flags:
        return 0
    if connection.vendor != "postgresql":
        changed = 0
        for value in (True, False):
            ids = [lead_id for lead_id, flag in flags.items() if flag is value]
            if ids:
                selected = Lead.objects.filter(pk__in=ids).exclude(sms_listed=value)
                changed += selected.update(sms_listed=value)
        return changed
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_LEAD} l SET sms_listed = v.listed "  # noqa: S608 - fixed names
            "FROM unnest(%s::bigint[], %s::boolean[]) AS v(id, listed) "
            "WHERE l.id = v.id AND l.sms_listed <> v.listed",
            [array_param(flags, sql_type="bigint"), list(flags.values())],
        )
        return cursor.rowcount


def _mark(lead_ids: list[int], *, listed: bool) -> int:
    """Mark listed (or not) those of these leads whose numbers now are (are not) on the list."""
    if not lead_ids:
        return 0
    if connection.vendor != "postgresql":
        selected = Lead.objects.filter(pk__in=lead_ids).filter(sms_listed=not listed)
        test = Q(lead_listed()) if listed else ~Q(lead_listed())
        return selected.filter(test).update(sms_listed=listed)
    with connection.cursor() as cursor:
        cursor.execute(_mark_sql(listed=listed), [array_param(set(lead_ids), sql_type="bigint")])
        return cursor.rowcount


def leads_listed_refresh_numbers(*, numbers: Iterable[str], on_list: bool) -> int:
    """These numbers went onto the list (`on_list`) or off it: mark the leads with them,
    REFRESH_CHUNK numbers a statement (a bulk load of the list changes a hundred thousand)."""
    numbers = sorted(set(numbers))
    changed = 0
    for start in range(0, len(numbers), REFRESH_CHUNK):
        changed += _mark(_lead_ids_of(numbers[start : start + REFRESH_CHUNK]), listed=on_list)
    return changed


def _lead_ids_of(numbers: list[str]) -> list[int]:
    """The ids of the leads with one of `numbers`. Most numbers of the API and the webhooks
    belong to no lead, and then this one statement is all a change of the list costs here."""
    if connection.vendor != "postgresql":
        phones = LeadPhone.objects.filter(in_values("number", numbers)).order_by("lead_id")
        return list(phones.values_list("lead_id", flat=True).distinct())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT lead_id FROM {_PHONE} WHERE number = ANY(%s::text[])",  # noqa: S608
            [array_param(numbers)],
        )
        return [row[0] for row in cursor.fetchall()]


def leads_listed_after_commit(
    *, numbers: Iterable[str] = (), on_list: bool = True, listed: Iterable[int] = ()
) -> None:
    """Once the caller's transaction commits: mark the leads with these `numbers`, which went
    onto the list (`on_list`) or off it, and unmark those of the leads `listed` (marked listed
    by the caller from a read of the list) whose numbers are no longer on it. A failure there
    is logged, not raised: the change it follows has committed, and the hourly rebuild mends
    what it missed."""
    numbers, listed = sorted(set(numbers)), sorted(set(listed))
    if not (numbers or listed):
        return

    def refresh() -> None:
        try:
            if numbers:
                leads_listed_refresh_numbers(numbers=numbers, on_list=on_list)
            if listed:
                _mark(listed, listed=False)
        except DatabaseError:
            logger.exception("lead list hint not refreshed (%d numbers)", len(numbers))

    transaction.on_commit(refresh)


def leads_listed_rebuild() -> int:
    """Recompute the hint of every lead; returns how many changed."""
    listed = Q(lead_listed())
    with transaction.atomic():
        changed = Lead.objects.filter(sms_listed=False).filter(listed).update(sms_listed=True)
        changed += Lead.objects.filter(sms_listed=True).exclude(listed).update(sms_listed=False)
    if changed:
        logger.info("lead list hint: %d leads corrected", changed)
    return changed
