"""Writes of one lead (lead page, API, demo data): each is the one-row call of the batch writer.

They read what a person or client sent (phones in any written form, a Lead to update), check it,
and hand one LeadRow to leads.services.writer.leads_write, the writer the import uses for its
batches; so a lead written here and the same row imported end the same, opt-outs included.

Editing or deleting a lead's phones never removes a number from the opt-out list (consent is per
number, and the list outlives any one lead), and `sms_opt_out=False` never opts a number in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leads.models import Lead, LeadPhone
from leads.services.writer import LEAD_FIELDS, LeadRow, leads_write
from optouts.models import Channel
from optouts.services import ConsentResult
from velocify_sms.errors import InputError
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize


class LeadPhoneError(InputError):
    """One or more phones of a lead are malformed: 400 `invalid_phone_numbers` in the API, with
    `errors={"phones": [{"index", "input", "detail"}, ...]}`."""

    code = "invalid_phone_numbers"

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(
            f"{len(errors)} of the lead's phones could not be read; nothing was saved.",
            errors={"phones": errors},
        )


@dataclass(frozen=True)
class PhoneInput:
    number: str
    kind: str = LeadPhone.Kind.MOBILE


@dataclass
class LeadWriteResult:
    lead: Lead
    created: bool
    opt_outs: list[ConsentResult]


def lead_phones_normalize(*, phones: Iterable[PhoneInput | dict]) -> list[PhoneInput]:
    """Normalise phone inputs to E.164, dropping repeats.

    Raises LeadPhoneError naming each bad one."""
    result: list[PhoneInput] = []
    seen: set[str] = set()
    errors = []
    for index, phone in enumerate(phones):
        if isinstance(phone, dict):
            phone = PhoneInput(number=phone.get("number"), kind=phone.get("kind") or "mobile")
        if phone.kind not in LeadPhone.Kind.values:
            errors.append(
                {
                    "index": index,
                    "input": phone.kind,
                    "detail": f"Unknown phone kind {phone.kind!r}.",
                }
            )
            continue
        try:
            number = phone_normalize(phone.number)
        except InvalidPhoneNumber as exc:
            errors.append({"index": index, "input": phone.number, "detail": str(exc)})
            continue
        if number not in seen:
            seen.add(number)
            result.append(PhoneInput(number=number, kind=phone.kind))
    if errors:
        raise LeadPhoneError(errors)
    return result


def _fields_check(fields: dict) -> None:
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {', '.join(sorted(unknown))}")


def _phone_pairs(phones: Iterable[PhoneInput | dict] | None) -> list[tuple[str, str]] | None:
    if phones is None:
        return None
    return [(p.number, p.kind) for p in lead_phones_normalize(phones=phones)]


def _write_one(row: LeadRow, *, actor, channel: str, details: dict | None) -> LeadWriteResult:
    result = leads_write(rows=[row], actor=actor, channel=channel, details=details, validate=True)
    (lead_id,) = result.lead_ids
    return LeadWriteResult(
        lead=Lead.objects.get(pk=lead_id), created=result.created[0], opt_outs=result.opt_outs
    )


def lead_create(
    *,
    external_id: str | None = None,
    phones: Iterable[PhoneInput | dict] = (),
    sms_opt_out: bool = False,
    actor=None,
    channel: str = Channel.UI,
    details: dict | None = None,
    **fields,
) -> LeadWriteResult:
    """Create a lead with its phones; `sms_opt_out=True` opts every phone out (source agent).

    An `external_id` that a lead already has is a ValidationError (lead_upsert updates it).
    One transaction: the lead, its phones and the opt-outs commit together.
    """
    _fields_check(fields)
    row = LeadRow(
        fields={**fields, "external_id": external_id or None},
        phones=_phone_pairs(phones),
        sms_opt_out=sms_opt_out,
        create_only=True,
    )
    return _write_one(row, actor=actor, channel=channel, details=details)


def lead_upsert(
    *,
    external_id: str | None,
    phones: Iterable[PhoneInput | dict] | None = (),
    sms_opt_out: bool = False,
    actor=None,
    channel: str = Channel.UI,
    details: dict | None = None,
    **fields,
) -> LeadWriteResult:
    """Create a lead, or update the one with this `external_id` (the import's rule, row by row).

    On update, given fields are replaced and, when `phones` is not None, the phone set becomes
    exactly `phones`; numbers dropped from the lead stay on the opt-out list if they are on it.
    `sms_opt_out=True` opts out the lead's numbers (its new phones when given).
    """
    _fields_check(fields)
    if external_id:
        fields["external_id"] = external_id
    row = LeadRow(fields=fields, phones=_phone_pairs(phones), sms_opt_out=sms_opt_out)
    return _write_one(row, actor=actor, channel=channel, details=details)


def lead_update(
    *,
    lead: Lead,
    phones: Iterable[PhoneInput | dict] | None = None,
    sms_opt_out: bool = False,
    actor=None,
    channel: str = Channel.UI,
    details: dict | None = None,
    **fields,
) -> LeadWriteResult:
    """Update a lead by id: given fields (checked with full_clean), its phones when given.

    `sms_opt_out=True` opts every number of the lead out; False changes nothing (it never takes
    a number off the list).
    """
    _fields_check(fields)
    row = LeadRow(
        fields=fields, phones=_phone_pairs(phones), sms_opt_out=sms_opt_out, lead_id=lead.pk
    )
    return _write_one(row, actor=actor, channel=channel, details=details)
