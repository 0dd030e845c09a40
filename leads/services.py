"""Writes to leads. Phones are E.164; consent is never touched here except through optouts.

Editing or deleting a lead's phones never removes a number from the opt-out list (consent is per
number, and the list outlives any one lead), and `sms_opt_out=False` never opts a number in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from leads.models import Lead, LeadPhone
from optouts.models import Channel
from optouts.services import ConsentResult, phones_opt_out_by_staff
from velocify_sms.errors import InputError
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

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


def _replace_phones(lead: Lead, phones: list[PhoneInput]) -> None:
    existing = {p.number: p for p in lead.phones.all()}
    wanted = {p.number: p for p in phones}
    LeadPhone.objects.filter(lead=lead).exclude(number__in=list(wanted)).delete()
    to_create = []
    for number, phone in wanted.items():
        current = existing.get(number)
        if current is None:
            to_create.append(LeadPhone(lead=lead, number=number, kind=phone.kind))
        elif current.kind != phone.kind:
            current.kind = phone.kind
            current.save(update_fields=["kind"])
    LeadPhone.objects.bulk_create(to_create)


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

    One transaction: the lead, its phones and the opt-outs commit together.
    """
    return lead_upsert(
        external_id=external_id,
        create_only=True,
        phones=phones,
        sms_opt_out=sms_opt_out,
        actor=actor,
        channel=channel,
        details=details,
        **fields,
    )


def lead_upsert(
    *,
    external_id: str | None,
    create_only: bool = False,
    phones: Iterable[PhoneInput | dict] | None = (),
    sms_opt_out: bool = False,
    actor=None,
    channel: str = Channel.UI,
    details: dict | None = None,
    **fields,
) -> LeadWriteResult:
    """Create a lead, or update the one with this `external_id`.

    On update, given fields are replaced and, when `phones` is not None, the phone set becomes
    exactly `phones`; numbers dropped from the lead stay on the opt-out list if they are on it.
    """
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    normalized = lead_phones_normalize(phones=phones) if phones is not None else None
    with transaction.atomic():
        lead = None
        if external_id and not create_only:
            lead = Lead.objects.select_for_update().filter(external_id=external_id).first()
        created = lead is None
        if created:
            lead = Lead(external_id=external_id or None)
        for name, value in fields.items():
            setattr(lead, name, value)
        lead.full_clean(exclude=["assigned_agent", "external_id"] if not created else None)
        lead.save()
        if normalized is not None:
            _replace_phones(lead, normalized)
        opt_outs: list[ConsentResult] = []
        if sms_opt_out:
            numbers = (
                [p.number for p in normalized]
                if normalized is not None
                else list(lead.phones.values_list("number", flat=True))
            )
            if numbers:
                opt_outs = phones_opt_out_by_staff(
                    numbers=numbers, user=actor, channel=channel, lead=lead, details=details
                )
    return LeadWriteResult(lead=lead, created=created, opt_outs=opt_outs)


def lead_update(
    *,
    lead: Lead,
    phones: Iterable[PhoneInput | dict] | None = None,
    sms_opt_out: bool = False,
    actor=None,
    channel: str = Channel.UI,
    **fields,
) -> LeadWriteResult:
    """Update a lead's fields (and phones when given). Never removes anything from the list."""
    unknown = set(fields) - set(LEAD_FIELDS)
    if unknown:
        raise TypeError(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    normalized = lead_phones_normalize(phones=phones) if phones is not None else None
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        for name, value in fields.items():
            setattr(lead, name, value)
        lead.full_clean(exclude=["assigned_agent"])
        lead.save()
        if normalized is not None:
            _replace_phones(lead, normalized)
        opt_outs: list[ConsentResult] = []
        if sms_opt_out:
            numbers = list(lead.phones.values_list("number", flat=True))
            if numbers:
                opt_outs = phones_opt_out_by_staff(
                    numbers=numbers, user=actor, channel=channel, lead=lead
                )
    return LeadWriteResult(lead=lead, created=False, opt_outs=opt_outs)
