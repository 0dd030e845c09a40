"""The one lead writer: rows of leads, their phones and their SMS opt-out, written as one batch.

Every write of a lead goes through `leads_write`: the import sends a batch of a thousand rows,
the lead page and the API send a batch of one (leads.services.lead). The rules are therefore the
same everywhere:

- a row names its lead by id (`lead_id`: update that lead), else by `external_id` (update the
  lead with it, or create it), else it creates a lead; a later row with the external id of an
  earlier row of the same batch updates the lead that row made;
- the fields a row gives replace the stored ones, the others stay;
- `phones` (when not None) becomes exactly the lead's phone set; a number dropped from a lead
  stays on the opt-out list if it is on it (consent is per number, not per lead);
- `sms_opt_out=True` opts every number of the row out (the row's phones, or the lead's when the
  row gives none) through optouts.services, source agent, by `actor`; a number on several TRUE
  rows is opted out once, for the first row's lead. FALSE never takes a number off the list.

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
from django.db.models import Q
from django.utils import timezone

from leads.models import Lead, LeadPhone
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


@dataclass(slots=True)
class LeadRow:
    """One lead to write.

    `fields`: lead fields to set (names from LEAD_FIELDS). `phones`: (E.164, kind) pairs, no
    repeats, already normalised; None leaves the lead's phones as they are. `lead_id`: update
    this lead (it must exist). `create_only`: never match by external id (a clash is an error).
    """

    fields: dict[str, object]
    phones: list[tuple[str, str]] | None = None
    sms_opt_out: bool = False
    lead_id: int | None = None
    create_only: bool = False

    @property
    def external_id(self) -> str | None:
        return self.fields.get("external_id") or None


@dataclass
class LeadsWriteResult:
    """Per row, the id of the lead it wrote and whether it created it; the opt-out results."""

    lead_ids: list[int] = field(default_factory=list)
    created: list[bool] = field(default_factory=list)
    opt_outs: list[ConsentResult] = field(default_factory=list)

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
_NEW_LEAD_ATTNAMES = [attname for _, attname, _ in _NEW_LEAD_COLUMNS] + ["created_at", "updated_at"]
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
    """
    result = LeadsWriteResult()
    if not rows:
        return result
    now = timezone.now()
    with transaction.atomic():
        by_id, by_external_id = _leads_locked(rows)
        # New leads stay plain dicts of attname -> value until COPY gives them ids.
        new_leads: list[dict[str, object]] = []
        made: dict[str, int] = {}  # external_id -> index in new_leads
        to_update: dict[int, Lead] = {}
        update_fields: set[str] = set()
        row_refs: list[tuple[LeadRow, int, bool]] = []  # (row, lead pk or new index, is new)
        for row in rows:
            external_id = row.external_id
            if row.lead_id is not None:
                lead = by_id.get(row.lead_id)
                if lead is None:
                    raise Lead.DoesNotExist(f"There is no lead #{row.lead_id}.")
            elif external_id and not row.create_only:
                lead = by_external_id.get(external_id)
            else:
                lead = None
            if lead is not None:
                for name, value in row.fields.items():
                    setattr(lead, name, value)
                if validate:
                    # The agent was checked where it was chosen (form, serializer).
                    lead.full_clean(exclude=["assigned_agent"])
                to_update[lead.pk] = lead
                update_fields.update(row.fields)
                row_refs.append((row, lead.pk, False))
                result.created.append(False)
            elif external_id and not row.create_only and external_id in made:
                index = made[external_id]
                # A new dict: the first row's may be that row's own `fields` (see _attnames).
                new_leads[index] = {**new_leads[index], **_attnames(row.fields)}
                if validate:
                    Lead(**new_leads[index]).full_clean(exclude=["external_id"])
                row_refs.append((row, index, True))
                result.created.append(False)
            else:
                if external_id:
                    made[external_id] = len(new_leads)
                values = _attnames(row.fields)
                if validate:
                    Lead(**values).full_clean()
                row_refs.append((row, len(new_leads), True))
                new_leads.append(values)
                result.created.append(True)
        new_ids = copy_rows(
            Lead,
            _NEW_LEAD_ATTNAMES,
            [
                (*map(values.get, _NEW_LEAD_NAMES, _NEW_LEAD_DEFAULTS), now, now)
                for values in new_leads
            ],
            returning_ids=True,
        )
        if to_update:
            for lead in to_update.values():
                lead.updated_at = now
            Lead.objects.bulk_update(
                list(to_update.values()), sorted(update_fields | {"updated_at"})
            )
        row_leads = [(row, new_ids[ref] if new else ref) for row, ref, new in row_refs]
        result.lead_ids = [lead_id for _, lead_id in row_leads]
        phones_of = _phones_write(row_leads, updated_ids=set(to_update))
        lead_of: dict[str, int] = {}  # a number on several TRUE rows names the first one's lead
        for row, lead_id in row_leads:
            if row.sms_opt_out:
                numbers = [n for n, _ in row.phones] if row.phones is not None else None
                for number in numbers if numbers is not None else phones_of(lead_id):
                    lead_of.setdefault(number, lead_id)
        if before_opt_outs is not None:
            before_opt_outs()
        if lead_of:
            result.opt_outs = phones_opt_out_by_staff(
                numbers=list(lead_of),
                user=actor,
                channel=channel,
                lead_of=lead_of,
                details=details,
            )
    return result


def _leads_locked(rows: list[LeadRow]) -> tuple[dict[int, Lead], dict[str, Lead]]:
    """The rows' existing leads, locked until the batch commits: by id and by external id."""
    ids = {row.lead_id for row in rows if row.lead_id is not None}
    external_ids = {
        row.external_id
        for row in rows
        if row.lead_id is None and not row.create_only and row.external_id
    }
    if not ids and not external_ids:
        return {}, {}
    condition = Q()
    if ids:
        condition |= Q(in_values("id", ids, sql_type="bigint"))
    if external_ids:
        condition |= Q(in_values("external_id", external_ids))
    leads = list(Lead.objects.select_for_update().filter(condition))
    return (
        {lead.pk: lead for lead in leads},
        {lead.external_id: lead for lead in leads if lead.external_id},
    )


def _attnames(fields: dict[str, object]) -> dict[str, object]:
    """A row's fields keyed by column attname (`assigned_agent` -> `assigned_agent_id`).

    Not a copy when nothing is renamed (the import's rows): callers never change the result.
    """
    if "assigned_agent" not in fields:
        return fields
    values = dict(fields)
    agent = values.pop("assigned_agent")
    values["assigned_agent_id"] = getattr(agent, "pk", agent)
    return values


def _phones_write(
    row_leads: list[tuple[LeadRow, int]], *, updated_ids: set[int]
) -> Callable[[int], list[str]]:
    """Make each lead's phone set exactly its (last) row's phones; return a lookup of numbers."""
    wanted: dict[int, list[tuple[str, str]]] = {}
    for row, lead_id in row_leads:
        if row.phones is not None:
            wanted[lead_id] = row.phones
    current: dict[int, dict[str, LeadPhone]] = {}
    if updated_ids:
        for phone in LeadPhone.objects.filter(lead_id__in=updated_ids):
            current.setdefault(phone.lead_id, {})[phone.number] = phone
    to_create, to_change, to_delete = [], [], []
    for lead_id, phones in wanted.items():
        have = current.get(lead_id)
        if not have:  # a new lead, or one without phones: the common case of an import
            to_create.extend((lead_id, number, kind) for number, kind in phones)
            continue
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

    def phones_of(lead_id: int) -> list[str]:
        if lead_id in wanted:
            return [number for number, _ in wanted[lead_id]]
        return list(current.get(lead_id, {}))

    return phones_of
