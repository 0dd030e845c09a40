"""The one lead writer: rows of leads, their phones and their SMS opt-out, written as one batch.

Every write of a lead goes through `leads_write`: the import sends a batch of a thousand rows,
the lead page and the API send a batch of one (leads.services.lead). The rules are therefore the
same everywhere:

- a row names its lead by id (`lead_id`: update that lead), else by `external_id` (update the
  lead with it, or create it), else it creates a lead; a later row with the external id of an
  earlier row of the same batch updates the lead that row made;
- the import's `on_match` update or skip also match a row without an external id to the lead
  with one of its numbers, else its email (without case); a key two leads share rejects the row;
  skip leaves a matching row's lead alone (leads.services.plan);
- the fields a row gives replace the stored ones, the others stay;
- `phones` (when not None) becomes exactly the lead's phone set (with `phones_add`, the import's
  rows, its numbers are added and none removed); a number dropped from a lead
  stays on the opt-out list if it is on it (consent is per number, not per lead);
- `sms_opt_out=True` opts every number of the row out (the row's phones, or the lead's when the
  row gives none) through optouts.services, source agent, by `actor`; a number on several TRUE
  rows is opted out once, for the first row's lead. FALSE never takes a number off the list.

What each row does (which lead it writes, which numbers it opts out) is decided first, by
leads.services.plan, which the import's preview runs too; this module carries it out.

The batch is one transaction: leads, phones, opt-outs and their events commit together, or
nothing does (a refused opt-out, `ConsentNotPermitted`, rolls the whole batch back).

Fast on purpose (the import writes ~10,000 rows/s through it): new leads are written with one
COPY on PostgreSQL (velocify_sms.db_copy), updates with one bulk UPDATE, phones likewise, and
the opt-outs with one call of the consent service per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from leads.models import Lead, LeadPhone
from leads.services.listed import leads_listed_after_commit, leads_listed_of, leads_listed_set
from leads.services.plan import (
    ON_MATCH_CREATE,
    LeadRow,
    leads_plan,
    leads_plan_contact_keys,
    leads_plan_keys,
    matches_contacts,
    opt_outs_plan,
    phones_wanted,
)
from optouts.lead_directory import LeadRef, lead_directory
from optouts.services import ConsentResult, Outcome, phones_opt_out_by_staff
from velocify_sms.db_arrays import in_values
from velocify_sms.db_copy import copy_rows

# What a row may set, by field name (`assigned_agent` takes a user or a user id).
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "status",
    "assigned_agent",
    "external_id",
    "state",
    "time_zone",
)


@dataclass
class LeadsWriteResult:
    """Per written row, the id of the lead it wrote and whether it created it; the opt-out
    results; the rows skipped (on_match skip) and rejected ((index in the rows, why))."""

    lead_ids: list[int] = field(default_factory=list)
    created: list[bool] = field(default_factory=list)
    opt_outs: list[ConsentResult] = field(default_factory=list)
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def created_count(self) -> int:
        return sum(self.created)

    @property
    def updated_count(self) -> int:
        return len(self.created) - self.created_count

    @property
    def opted_out_count(self) -> int:
        return sum(1 for r in self.opt_outs if r.outcome == Outcome.OPTED_OUT)


# New leads go into COPY as tuples of these columns; a column a row does not give gets the
# field's default. created_at and updated_at are appended (COPY does not run pre_save).
_NEW_LEAD_COLUMNS = [
    (name, Lead._meta.get_field(name).attname, Lead._meta.get_field(name).get_default())
    for name in LEAD_FIELDS
]
_NEW_LEAD_ATTNAMES = [attname for _, attname, _ in _NEW_LEAD_COLUMNS] + [
    "created_at",
    "updated_at",
    "sms_listed",
]
_NEW_LEAD_NAMES = [attname for _, attname, _ in _NEW_LEAD_COLUMNS]
_NEW_LEAD_DEFAULTS = [default for _, _, default in _NEW_LEAD_COLUMNS]


def leads_write(
    *,
    rows: list[LeadRow],
    actor,
    channel: str,
    details: dict | None = None,
    validate: bool = False,
    before_opt_outs: Callable[[], None] | None = None,
    before_locks: Callable[[], None] | None = None,
    locks_taken: Callable[[], None] | None = None,
    on_match: str = ON_MATCH_CREATE,
) -> LeadsWriteResult:
    """Write `rows` (see the module docstring for the rules) in one transaction.

    `channel` and `details` go on the opt-outs' events (ui, api, import; the import job).
    `validate=True` checks each row's lead with the model's full_clean first and raises its
    ValidationError, writing nothing: the single-lead calls use it. The import does not: its
    RowCleaner has already checked every cell, and a model instance per new row would cost more
    than writing the row.

    `before_opt_outs` is called once the leads and phones are written and before any consent
    lock is taken: the import's overlapped batches wait there for the batch before them to
    commit (leads.imports.lanes), so opt-outs and their events are applied in file order.
    `before_locks` is called before the rows' leads are locked and `locks_taken` once they are:
    a batch takes its locks only after the one before it has taken its own, so the one behind
    never holds a lead the one in front is waiting for.

    `on_match` (the import's choice, leads.services.plan): update or skip also match the rows
    without an external id by phone, then email; create (the default) by external id only.
    """
    result = LeadsWriteResult()
    if not rows:
        return result
    now = timezone.now()
    matching = matches_contacts(on_match)
    with transaction.atomic():
        if before_locks is not None:
            before_locks()
        locked = _leads_locked(rows, matching=matching)
        if locks_taken is not None:
            locks_taken()
        by_id = {lead.pk: lead for lead in locked}
        by_external_id = {lead.external_id: lead for lead in locked if lead.external_id}
        current = _phones_current(set(by_id)) if matching else None
        plan = leads_plan(
            rows=rows,
            by_id=by_id,
            by_external_id=by_external_id,
            validate=validate,
            on_match=on_match,
            by_contact=by_id,
            contacts={
                pk: (lead.email.lower(), (current or {}).get(pk, {}).keys())
                for pk, lead in by_id.items()
            }
            if matching
            else None,
        )
        result.created = plan.created
        result.skipped = plan.skipped
        result.rejected = plan.rejected
        if current is None:
            current = _phones_current(set(plan.to_update))
        # Before anything is written: whether each lead the batch touches will have a number on
        # the list (leads.services.listed), so that the new leads go into COPY with it.
        flags, by_list = _listed_ahead(plan, current)
        # New leads stay plain dicts of attname -> value until COPY gives them ids.
        new_ids = copy_rows(
            Lead,
            _NEW_LEAD_ATTNAMES,
            [
                (*map(values.get, _NEW_LEAD_NAMES, _NEW_LEAD_DEFAULTS), now, now, flag)
                for values, flag in zip(
                    plan.new_leads, _new_lead_flags(flags, len(plan.new_leads)), strict=True
                )
            ],
            returning_ids=True,
        )
        if plan.to_update:
            for lead in plan.to_update.values():
                lead.updated_at = now
            Lead.objects.bulk_update(
                list(plan.to_update.values()), sorted(plan.update_fields | {"updated_at"})
            )
        row_leads = plan.row_leads(new_ids)
        result.lead_ids = [lead_id for _, lead_id in row_leads]
        wanted = phones_wanted(row_leads=row_leads)
        adding = {lead_id for row, lead_id in row_leads if row.phones_add}
        _phones_write(wanted, current, adding)
        lead_of = opt_outs_plan(
            row_leads=row_leads, wanted=wanted, phones_stored=lambda _ids: current
        )
        leads_listed_set(
            flags={key: flag for key, flag in flags.items() if key > 0 and flag is not None}
        )
        # A number read as listed may be opted in before this commits (leads.services.listed).
        leads_listed_after_commit(listed=_real_ids(by_list, new_ids))
        if before_opt_outs is not None:
            before_opt_outs()
        if lead_of:
            result.opt_outs = phones_opt_out_by_staff(
                numbers=list(lead_of),
                user=actor,
                channel=channel,
                lead_of=lead_refs_of(lead_of),
                details=details,
            )
    return result


def _listed_ahead(plan, current) -> tuple[dict[int, bool | None], set[int]]:
    """leads.services.listed.leads_listed_of for the leads the batch writes, before it writes
    them: keyed by lead id, and by -1, -2 ... for the new leads in their order."""
    ahead = plan.row_leads([-(index + 1) for index in range(len(plan.new_leads))])
    wanted = phones_wanted(row_leads=ahead)
    opting = opt_outs_plan(row_leads=ahead, wanted=wanted, phones_stored=lambda _ids: current)
    adding = {key for row, key in ahead if row.phones_add}
    phones: dict[int, set[str]] = {}
    for key, pairs in wanted.items():
        phones[key] = {number for number, _ in pairs}
        if key in adding:  # the row's numbers are added to the stored ones
            phones[key] |= set(current.get(key, ()))
    for key in set(opting.values()) - phones.keys():  # TRUE rows that opt out stored numbers
        phones[key] = set(current.get(key, ()))
    # A row that may take numbers away (the lead page, the API) can leave its lead unlisted,
    # which only a read of the list tells; an import's rows only add numbers.
    replacing = any(not row.phones_add for row, _ in ahead)
    return leads_listed_of(phones=phones, opting=opting, read_list=replacing)


def _new_lead_flags(flags: dict[int, bool | None], count: int) -> list[bool]:
    return [bool(flags.get(-(index + 1))) for index in range(count)]


def _real_ids(keys: set[int], new_ids) -> list[int]:
    return [new_ids[-key - 1] if key < 0 else key for key in keys]


def lead_refs_of(lead_of: dict[str, int]) -> dict[str, LeadRef]:
    """{number: lead id} as the consent core names leads, the labels read in one query."""
    labels = lead_directory().labels(set(lead_of.values()))
    return {
        number: LeadRef(lead_id, labels.get(lead_id, "")) for number, lead_id in lead_of.items()
    }


def _leads_locked(rows: list[LeadRow], *, matching: bool) -> list[Lead]:
    """The rows' existing leads, locked until the batch commits: by id and by external id, and
    with `matching` those with one of the rows' numbers or email keys."""
    found = _lead_ids_matching(rows, matching=matching)
    if not found:
        return []
    leads = Lead.objects.select_for_update().filter(in_values("id", found, sql_type="bigint"))
    return list(leads.order_by("pk"))


def _lead_ids_matching(rows: list[LeadRow], *, matching: bool) -> set[int]:
    """The ids of the leads the rows' keys name, each kind of key probed through its own index.

    One query with the keys OR-ed together cannot use them: the planner reads every lead once
    per batch (an import of a whole book then costs the square of its size), so each key is its
    own SELECT and the union answers in one round trip."""
    ids, external_ids = leads_plan_keys(rows=rows)
    numbers, emails = leads_plan_contact_keys(rows=rows) if matching else (set(), set())
    probes = []
    if ids:
        probes.append(Lead.objects.filter(in_values("id", ids, sql_type="bigint")))
    if external_ids:
        probes.append(Lead.objects.filter(in_values("external_id", external_ids)))
    if emails:
        # lead_email_lower_idx answers this; a stored email matches without case.
        probes.append(Lead.objects.filter(in_values("email", emails, lower=True)))
    # order_by(): no model ordering inside a UNION (SQLite refuses it, and it is wasted work).
    found = [probe.order_by().values_list("pk", flat=True) for probe in probes]
    if numbers:
        phones = LeadPhone.objects.filter(in_values("number", numbers))
        found.append(phones.order_by().values_list("lead_id", flat=True))
    if not found:
        return set()
    return set(found[0].union(*found[1:])) if len(found) > 1 else set(found[0])


def _phones_current(lead_ids: set[int]) -> dict[int, dict[str, LeadPhone]]:
    """{lead id: {number: phone}} of the stored phones of these (locked) leads."""
    current: dict[int, dict[str, LeadPhone]] = {}
    if lead_ids:
        for phone in LeadPhone.objects.filter(in_values("lead_id", lead_ids, sql_type="bigint")):
            current.setdefault(phone.lead_id, {})[phone.number] = phone
    return current


def _phones_write(
    wanted: dict[int, list[tuple[str, str]]],
    current: dict[int, dict[str, LeadPhone]],
    adding: set[int],
) -> None:
    """Make each lead of `wanted` have exactly those phones (`current`: what it has now), or for
    the leads in `adding` (the import's rows) at least those: a blank cell removes no number."""
    to_create, to_change, to_delete = [], [], []
    for lead_id, phones in wanted.items():
        have = current.get(lead_id)
        if not have:  # a new lead, or one without phones: the common case of an import
            to_create.extend((lead_id, number, kind) for number, kind in phones)
            continue
        if lead_id not in adding:
            numbers = {number for number, _ in phones}
            to_delete.extend(p.pk for number, p in have.items() if number not in numbers)
        for number, kind in phones:
            phone = have.get(number)
            if phone is None:
                to_create.append((lead_id, number, kind))
            elif phone.kind != kind:
                phone.kind = kind
                to_change.append(phone)
    if to_delete:
        # The numbers stay on the opt-out list if they are on it: consent is per number.
        LeadPhone.objects.filter(pk__in=to_delete).delete()
    if to_change:
        LeadPhone.objects.bulk_update(to_change, ["kind"])
    copy_rows(LeadPhone, ["lead_id", "number", "kind"], to_create)
