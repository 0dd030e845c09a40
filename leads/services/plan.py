"""What a batch of lead rows will do, decided before anything is written.

The batch writer (leads.services.writer.leads_write) makes these decisions on the leads it has
locked and then carries them out; the import's preview (leads.imports.preview) makes the same
decisions on what it reads, and writes nothing. One set of decisions, so the preview's counts
are the import's: which row creates a lead and which updates one, and which numbers a TRUE row
opts out, for which lead. Whether a number already on the list changes is the consent rules'
decision (optouts.services.rules.opt_out_decision), which both take from there.

The rules themselves are stated in leads.services.writer's docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from leads.models import Lead


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


class StoredLead(Protocol):
    """A lead the rows may update: the writer's are locked Lead rows; the preview's stand-ins
    carry only the id (the plan sets the rows' fields on it, which the writer then saves)."""

    pk: int


@dataclass(slots=True)
class LeadsPlan:
    """Per row, the lead it writes: a stored one (updated) or a new one (by its place in
    `new_leads`, whose ids exist only once they are written)."""

    new_leads: list[dict[str, object]]  # attname -> value, one per lead to create
    to_update: dict[int, StoredLead]  # id -> stored lead with the rows' fields set on it
    update_fields: set[str]
    created: list[bool]  # per row: whether it creates its lead
    refs: list[tuple[LeadRow, int, bool]]  # per row: (row, lead id or new index, is new)

    def row_leads(self, new_ids: Sequence[int]) -> list[tuple[LeadRow, int]]:
        """(row, lead id) per row, given the ids of `new_leads` in their order."""
        return [(row, new_ids[ref] if new else ref) for row, ref, new in self.refs]


def leads_plan_keys(*, rows: Iterable[LeadRow]) -> tuple[set[int], set[str]]:
    """The ids and the external ids by which the rows name stored leads."""
    ids: set[int] = set()
    external_ids: set[str] = set()
    for row in rows:
        if row.lead_id is not None:
            ids.add(row.lead_id)
        elif not row.create_only and row.external_id:
            external_ids.add(row.external_id)
    return ids, external_ids


def leads_plan(
    *,
    rows: list[LeadRow],
    by_id: Mapping[int, StoredLead],
    by_external_id: Mapping[str, StoredLead],
    validate: bool = False,
) -> LeadsPlan:
    """Decide, row by row, which lead each row writes; the stored leads are given by the ids and
    external ids of leads_plan_keys. Raises Lead.DoesNotExist for a `lead_id` not in `by_id`,
    and with `validate` the ValidationError of the first row whose lead is not valid."""
    plan = LeadsPlan(new_leads=[], to_update={}, update_fields=set(), created=[], refs=[])
    new_leads, to_update, refs, created = plan.new_leads, plan.to_update, plan.refs, plan.created
    made: dict[str, int] = {}  # external_id -> index in new_leads
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
            plan.update_fields.update(row.fields)
            refs.append((row, lead.pk, False))
            created.append(False)
        elif external_id and not row.create_only and external_id in made:
            index = made[external_id]
            # A new dict: the first row's may be that row's own `fields` (see _attnames).
            new_leads[index] = {**new_leads[index], **_attnames(row.fields)}
            if validate:
                Lead(**new_leads[index]).full_clean(exclude=["external_id"])
            refs.append((row, index, True))
            created.append(False)
        else:
            if external_id:
                made[external_id] = len(new_leads)
            values = _attnames(row.fields)
            if validate:
                Lead(**values).full_clean()
            refs.append((row, len(new_leads), True))
            new_leads.append(values)
            created.append(True)
    return plan


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


def phones_wanted(*, row_leads: list[tuple[LeadRow, int]]) -> dict[int, list[tuple[str, str]]]:
    """{lead id: the phone set it ends the batch with} for the leads whose rows give phones (the
    last such row's)."""
    return {lead_id: row.phones for row, lead_id in row_leads if row.phones is not None}


def opt_outs_plan(
    *,
    row_leads: list[tuple[LeadRow, int]],
    wanted: Mapping[int, list[tuple[str, str]]],
    phones_stored: Callable[[set[int]], Mapping[int, Iterable[str]]],
) -> dict[str, int]:
    """{number: lead id} of every number the TRUE rows opt out, each for its first row's lead.

    A TRUE row opts out its own phones, or when it gives none, the phones its lead ends the batch
    with: `wanted`, else the stored ones, which `phones_stored` is asked for once, with the ids
    of the leads whose stored numbers are needed (and answers {id: numbers}).
    """
    needed = {
        lead_id
        for row, lead_id in row_leads
        if row.sms_opt_out and row.phones is None and lead_id not in wanted
    }
    stored = phones_stored(needed) if needed else {}
    lead_of: dict[str, int] = {}
    for row, lead_id in row_leads:
        if not row.sms_opt_out:
            continue
        if row.phones is not None:
            numbers: Iterable[str] = [number for number, _ in row.phones]
        elif lead_id in wanted:
            numbers = [number for number, _ in wanted[lead_id]]
        else:
            numbers = stored.get(lead_id, ())
        for number in numbers:
            lead_of.setdefault(number, lead_id)
    return lead_of
