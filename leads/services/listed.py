"""The stored hint `Lead.sms_listed` (one of the lead's numbers is on the opt-out list), kept true.

The lead list's "Textable" filter asks it first (LeadQuerySet.filter_sms_opt_out): with a million
leads nearly all opted out, the few others are a range of a partial index instead of every lead's
phones read against the list. The filter still checks the list itself, so a lead wrongly marked
not listed is only read and dropped; a lead wrongly marked listed would be missing from
"Textable", and that is what the order of the writes below rules out.

Who writes it:
- the lead writer, for the leads of a batch, in the batch's transaction, once their phones are
  written (`leads_listed_refresh`); it holds those leads' row locks already;
- after a change of the list commits, for every lead with one of the changed numbers
  (`leads_listed_after_commit`, called by the consent core through optouts.lead_directory).
  After the commit, never inside: inside, an opt-out holding a number's consent lock would wait
  for a lead an import batch holds, while that batch waits for the consent lock;
- `leads_listed_rebuild`, for all leads: after a raw load, and hourly from the scheduler
  (`lead_listed_rebuild`) for a change whose after-commit step never ran (its process died).

Why nothing is left wrong by two changes at once: each refresh reads the list as committed when it
runs. A batch that read a number as listed while an opt-in of it was under way is fixed by that
opt-in's after-commit refresh if the batch committed first, else by the batch's own (for the
leads it marked listed) once it has.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import Q

from leads.models import Lead, LeadPhone, lead_listed
from velocify_sms.db_arrays import any_of_sql, in_values

logger = logging.getLogger(__name__)

# Numbers refreshed per transaction: the row locks of one stay a few thousand.
REFRESH_CHUNK = 5_000
_LEAD_IDS_SQL = (
    f"SELECT DISTINCT lead_id FROM {LeadPhone._meta.db_table} "  # noqa: S608 - fixed names
    f"WHERE {any_of_sql('number')} ORDER BY lead_id"
)


def leads_listed_refresh(*, lead_ids: Iterable[int], opting: Iterable[int] = ()) -> int:
    """Set `sms_listed` of these leads from the list as it stands, in the caller's transaction;
    `opting`: leads the caller is about to put a number of on the list (counted as listed).
    Returns how many changed. Only the leads whose hint is wrong are written."""
    ids = set(lead_ids)
    if not ids:
        return 0
    opting = set(opting) & ids
    selected = Lead.objects.filter(in_values("id", ids, sql_type="bigint"))
    listed = Q(lead_listed())
    if opting:
        listed |= Q(in_values("id", opting, sql_type="bigint"))
    changed = selected.filter(sms_listed=False).filter(listed).update(sms_listed=True)
    changed += selected.filter(sms_listed=True).exclude(listed).update(sms_listed=False)
    return changed


def leads_listed_refresh_numbers(*, numbers: Iterable[str]) -> int:
    """Refresh the hint of every lead with one of `numbers` (their place on the list changed),
    REFRESH_CHUNK numbers a transaction (a bulk load of the list changes a hundred thousand)."""
    numbers = sorted(set(numbers))
    changed = 0
    for start in range(0, len(numbers), REFRESH_CHUNK):
        changed += _refresh_numbers(numbers[start : start + REFRESH_CHUNK])
    return changed


def _refresh_numbers(numbers: list[str]) -> int:
    lead_ids = _lead_ids_of(numbers)
    if not lead_ids:
        return 0
    with transaction.atomic():
        # The leads' rows in id order before the update, so that two refreshes of overlapping
        # leads queue one behind the other instead of deadlocking.
        list(
            Lead.objects.select_for_update()
            .filter(in_values("id", lead_ids, sql_type="bigint"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return leads_listed_refresh(lead_ids=lead_ids)


def _lead_ids_of(numbers: list[str]) -> list[int]:
    """The ids of the leads with one of `numbers`, ascending. Read before any transaction: most
    numbers of the API and the webhooks belong to no lead, and then this one statement is all a
    change of the list costs here. Written out on PostgreSQL: it runs after every API opt-out,
    where building the queryset cost more than running it."""
    if connection.vendor != "postgresql":
        phones = LeadPhone.objects.filter(in_values("number", numbers)).order_by("lead_id")
        return list(phones.values_list("lead_id", flat=True).distinct())
    with connection.cursor() as cursor:
        cursor.execute(_LEAD_IDS_SQL, [numbers])
        return [row[0] for row in cursor.fetchall()]


def leads_listed_after_commit(*, numbers: Iterable[str] = (), listed: Iterable[int] = ()) -> None:
    """Once the caller's transaction commits, refresh the leads with these `numbers`, and check
    that those of the leads `listed` (the ones the caller refreshed) marked listed still are.
    A failure there is logged, not raised: the change it follows has committed, and the hourly
    rebuild mends what it missed."""
    numbers, listed = sorted(set(numbers)), sorted(set(listed))
    if not (numbers or listed):
        return

    def refresh() -> None:
        try:
            if numbers:
                leads_listed_refresh_numbers(numbers=numbers)
            if listed:
                # Only the leads marked listed: a lead wrongly marked not listed costs the
                # filter one check, one wrongly marked listed would be missing from it.
                unlisted = Lead.objects.filter(in_values("id", listed, sql_type="bigint"))
                unlisted.filter(sms_listed=True).exclude(lead_listed()).update(sms_listed=False)
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
