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
from dataclasses import dataclass, field
from typing import Protocol

from leads.models import Lead

# What the import does with a row that matches a stored lead by phone or email (or external id):
# update that lead, leave it alone (skip the row), or create a new lead anyway.
# (leads.imports.models.ImportOnMatch gives them their labels.)
ON_MATCH_UPDATE, ON_MATCH_SKIP, ON_MATCH_CREATE = "update", "skip", "create"


@dataclass(slots=True)
class LeadRow:
    """One lead to write.

    `fields`: lead fields to set (names from LEAD_FIELDS). `phones`: (E.164, kind) pairs, no
    repeats, already normalised; None leaves the lead's phones as they are. `lead_id`: update
    this lead (it must exist). `create_only`: never match by external id (a clash is an error).
    `phones_add`: the phones are added to the lead's (the import), not made its exact set.
    `row_number`: where the row comes from, for the errors that name it.
    """

    fields: dict[str, object]
    phones: list[tuple[str, str]] | None = None
    sms_opt_out: bool = False
    lead_id: int | None = None
    create_only: bool = False
    phones_add: bool = False
    row_number: int | None = None

    @property
    def external_id(self) -> str | None:
        return self.fields.get("external_id") or None

    @property
    def email_key(self) -> str:
        """The row's email as it is matched: without case ("" when it gives none)."""
        return str(self.fields.get("email") or "").casefold()


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
    created: list[bool]  # per written row: whether it creates its lead
    refs: list[tuple[LeadRow, int, bool]]  # per written row: (row, lead id or new index, is new)
    made_by: list[int | None] = field(default_factory=list)  # per new lead: its row's number
    skipped: int = 0  # rows that match a stored lead, left alone (on_match skip)
    # (index in the rows, why) of the rows not written: a key that names several leads.
    rejected: list[tuple[int, str]] = field(default_factory=list)
    index: ContactsDeferred | None = None

    @property
    def contacts(self) -> dict[tuple[bool, int], tuple[str, set[str]]]:
        """Email key and numbers of every lead the contact matching saw, as the rows leave them:
        (is new, lead id or new index) -> (email key, numbers)."""
        return self.index.built().of if self.index is not None else {}

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


def leads_plan_contact_keys(*, rows: Iterable[LeadRow]) -> tuple[set[str], set[str]]:
    """The numbers and email keys by which the rows without an id or external id may match
    stored leads, and those of the rows that change their lead's (see leads_plan's `contacts`)."""
    rows = list(rows)
    numbers = {number for row in rows if row.phones for number, _ in row.phones}
    emails = {row.email_key for row in rows}
    emails.discard("")
    return numbers, emails


def matches_contacts(on_match: str) -> bool:
    """Whether rows without an external id are matched to stored leads by phone and email."""
    return on_match in (ON_MATCH_UPDATE, ON_MATCH_SKIP)


class LeadContacts:
    """Which leads have which number and email key, kept up to date row by row: a later row of
    the batch matches the leads as the earlier rows leave them, as a later batch would."""

    def __init__(self, contacts: Mapping[int, tuple[str, Iterable[str]]]) -> None:
        self.of: dict[tuple[bool, int], tuple[str, set[str]]] = {}
        self.by_number: dict[str, set[tuple[bool, int]]] = {}
        self.by_email: dict[str, set[tuple[bool, int]]] = {}
        for pk, (email, numbers) in contacts.items():
            self.set((False, pk), email, set(numbers))

    def set(self, ref: tuple[bool, int], email: str, numbers: set[str]) -> None:
        old_email, old_numbers = self.of.get(ref, ("", set()))
        for number in old_numbers - numbers:
            self.by_number[number].discard(ref)
        for number in numbers - old_numbers:
            self.by_number.setdefault(number, set()).add(ref)
        if old_email != email:
            if old_email:
                self.by_email[old_email].discard(ref)
            if email:
                self.by_email.setdefault(email, set()).add(ref)
        self.of[ref] = (email, numbers)

    def written(self, ref: tuple[bool, int], row: LeadRow) -> None:
        email, numbers = self.of.get(ref, ("", set()))
        if row.email_key:
            email = row.email_key
        if row.phones is not None:
            given = {number for number, _ in row.phones}
            numbers = numbers | given if row.phones_add else given
        self.set(ref, email, numbers)

    def match(
        self, row: LeadRow, made_by: list[int | None], names: Mapping[int, str]
    ) -> tuple[bool, int] | str | None:
        """The one lead the row's numbers, else its email, name; a text saying which leads
        when a key names several; None when nothing matches."""
        for key, found in (
            ("phone", set().union(*(self.by_number.get(n, ()) for n, _ in row.phones or ()))),
            ("email", self.by_email.get(row.email_key, set()) if row.email_key else set()),
        ):
            if len(found) == 1:
                return next(iter(found))
            if found:
                named = ", ".join(
                    lead_made_by(made_by[ref]) if is_new else names.get(ref, f"#{ref}")
                    for is_new, ref in sorted(found)
                )
                what = "phone number" if key == "phone" else "email"
                return (
                    f"Its {what} matches {len(found)} leads ({named}): fix the duplicates, or "
                    "give the row an External ID."
                )
        return None


class ContactsDeferred:
    """A LeadContacts built only once something asks it: the batch's first row matched by phone
    or email, or the plan's `contacts`. Until then the rows' writes are only noted, and replayed
    in their order when it is built, so it answers as one kept up to date row by row would. A
    file whose every row has an external id (most re-imports, and the import of a new book)
    never matches by contact, and the writer never asks for `contacts`: keeping the index up to
    date row by row was most of the planning (a 5,000-row batch: 29 ms with it, 5 without)."""

    def __init__(self, contacts: Mapping[int, tuple[str, Iterable[str]]]) -> None:
        self._contacts = contacts
        self._writes: list[tuple[tuple[bool, int], LeadRow]] = []
        self._index: LeadContacts | None = None

    def written(self, ref: tuple[bool, int], row: LeadRow) -> None:
        if self._index is None:
            self._writes.append((ref, row))
        else:
            self._index.written(ref, row)

    def built(self) -> LeadContacts:
        if self._index is None:
            self._index = LeadContacts(self._contacts)
            for ref, row in self._writes:
                self._index.written(ref, row)
            self._writes = []
        return self._index

    def match(
        self, row: LeadRow, made_by: list[int | None], names: Mapping[int, str]
    ) -> tuple[bool, int] | str | None:
        return self.built().match(row, made_by, names)


def lead_made_by(row_number: int | None) -> str:
    """How a row error names a lead the file creates (it has no id yet)."""
    return f"a lead created by row {row_number} of this file"


def leads_plan(
    *,
    rows: list[LeadRow],
    by_id: Mapping[int, StoredLead],
    by_external_id: Mapping[str, StoredLead],
    validate: bool = False,
    on_match: str = ON_MATCH_CREATE,
    by_contact: Mapping[int, StoredLead] | None = None,
    contacts: Mapping[int, tuple[str, Iterable[str]]] | None = None,
    names: Mapping[int, str] | None = None,
) -> LeadsPlan:
    """Decide, row by row, which lead each row writes; the stored leads are given by the ids and
    external ids of leads_plan_keys. Raises Lead.DoesNotExist for a `lead_id` not in `by_id`,
    and with `validate` the ValidationError of the first row whose lead is not valid.

    `on_match` update or skip (the import): a row without an external id matches the stored
    lead that has one of its numbers, else its email (`by_contact`, every stored lead with a key
    of leads_plan_contact_keys, and `contacts`: {id: (email key, numbers)} of those and of the
    leads of `by_id` and `by_external_id`); a key naming several leads rejects the row. With
    skip, a row matching a stored lead (by any key) is not written. create: today's rule, by
    external id only. `names`: how a row error names a lead (else "#id")."""
    plan = LeadsPlan(new_leads=[], to_update={}, update_fields=set(), created=[], refs=[])
    new_leads, to_update, refs, created = plan.new_leads, plan.to_update, plan.refs, plan.created
    made: dict[str, int] = {}  # external_id -> index in new_leads
    matching = matches_contacts(on_match)
    skip = on_match == ON_MATCH_SKIP
    index = ContactsDeferred(contacts or {}) if matching else None
    made_by = plan.made_by
    for position, row in enumerate(rows):
        external_id = row.external_id
        new_ref: int | None = None
        if row.lead_id is not None:
            lead = by_id.get(row.lead_id)
            if lead is None:
                raise Lead.DoesNotExist(f"There is no lead #{row.lead_id}.")
        elif external_id and not row.create_only:
            lead = by_external_id.get(external_id)
        elif index is not None and not row.create_only:
            found = index.match(row, made_by, names or {})
            if isinstance(found, str):
                plan.rejected.append((position, found))
                continue
            lead = None
            if found is not None:
                is_new, ref = found
                if is_new:
                    new_ref = ref
                else:
                    lead = (by_contact or {})[ref]
        else:
            lead = None
        if skip and (lead is not None or new_ref is not None):
            plan.skipped += 1
            continue
        if new_ref is not None:
            # A lead an earlier row of this batch creates, matched by phone or email.
            new_leads[new_ref] = {**new_leads[new_ref], **_attnames(row.fields)}
            if validate:
                Lead(**new_leads[new_ref]).full_clean()
            refs.append((row, new_ref, True))
            created.append(False)
            index.written((True, new_ref), row)
            continue
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
            if index is not None:
                index.written((False, lead.pk), row)
        elif external_id and not row.create_only and external_id in made:
            at = made[external_id]
            if skip:
                # Left alone like a stored lead: the lead an earlier row made is "existing" too.
                plan.skipped += 1
                continue
            # A new dict: the first row's may be that row's own `fields` (see _attnames).
            new_leads[at] = {**new_leads[at], **_attnames(row.fields)}
            if validate:
                Lead(**new_leads[at]).full_clean(exclude=["external_id"])
            refs.append((row, at, True))
            created.append(False)
            if index is not None:
                index.written((True, at), row)
        else:
            if external_id:
                made[external_id] = len(new_leads)
            values = _attnames(row.fields)
            if validate:
                Lead(**values).full_clean()
            refs.append((row, len(new_leads), True))
            if index is not None:
                index.written((True, len(new_leads)), row)
            new_leads.append(values)
            made_by.append(row.row_number)
            created.append(True)
    plan.index = index
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
    last such row's; with `phones_add`, the numbers of every such row, the last kind given, to
    add to the stored ones)."""
    wanted: dict[int, list[tuple[str, str]]] = {}
    for row, lead_id in row_leads:
        if row.phones is None:
            continue
        if row.phones_add and lead_id in wanted:
            merged = dict(wanted[lead_id])
            merged.update(row.phones)
            wanted[lead_id] = list(merged.items())
        else:
            wanted[lead_id] = row.phones
    return wanted


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
