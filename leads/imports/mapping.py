"""Columns to lead fields, and one row of text to what will be stored (or the row's errors).

Targets a column can map to: a lead field (`first_name`, ..., `external_id`), a phone
(`phone:mobile`, `phone:home`, `phone:work`, `phone:other`; several columns may map to phones),
the SMS opt-out field (`sms_opt_out`, at most one column) or `ignore`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from leads.models import Lead, LeadPhone
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

IGNORE = "ignore"
OPT_OUT = "sms_opt_out"
LEAD_TARGETS = {
    "external_id": "External ID",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "company": "Company",
    "status": "Status",
}
PHONE_TARGETS = {
    f"phone:{kind}": f"Phone ({label.lower()})" for kind, label in LeadPhone.Kind.choices
}
TARGETS = {
    **LEAD_TARGETS,
    **PHONE_TARGETS,
    OPT_OUT: "SMS Opt Out",
    IGNORE: "Ignore this column",
}
TARGET_CHOICES = list(TARGETS.items())

_NOT_KEY = re.compile(r"[\W_]+")


def header_key(header: str) -> str:
    """'General.Sms.OptOut' -> 'generalsmsoptout': no case, spaces or punctuation; '#' reads
    as 'number' ('Loan #' -> 'loannumber'), so that a bare 'Loan' column is not taken for it."""
    return _NOT_KEY.sub("", header.casefold().replace("#", "number"))


_ALIASES = {
    "external_id": [
        "External ID",
        "ExternalId",
        "Lead ID",
        "LeadId",
        "Id",
        "General.Id",
        "Record ID",
        "CRM ID",
        "Loan #",
        "Loan Number",
        "Loan No",
        "Loan ID",
        "LoanId",
        "Lead #",
        "Lead Number",
    ],
    "first_name": ["First Name", "FirstName", "First", "Given Name", "General.FirstName", "FName"],
    "last_name": [
        "Last Name",
        "LastName",
        "Last",
        "Surname",
        "Family Name",
        "General.LastName",
        "LName",
    ],
    "email": ["Email", "E-mail", "Email Address", "E-mail Address", "General.Email", "Mail"],
    "company": ["Company", "Company Name", "Organization", "Organisation", "Employer"],
    "status": ["Status", "Lead Status", "LeadStatus", "General.Status"],
    "phone:mobile": [
        "Mobile Phone",
        "MobilePhone",
        "Mobile",
        "Cell",
        "Cell Phone",
        "CellPhone",
        "Mobile #",
        "Mobile Number",
        "Cell #",
        "Cell Number",
        "Cell Phone #",
        "Phone",
        "Phone #",
        "Phone Number",
        "General.MobilePhone",
        "General.CellPhone",
    ],
    "phone:home": ["Home Phone", "HomePhone", "Home", "Day Phone", "General.HomePhone"],
    "phone:work": [
        "Work Phone",
        "WorkPhone",
        "Work",
        "Business Phone",
        "Office Phone",
        "Evening Phone",
        "General.WorkPhone",
    ],
    "phone:other": ["Other Phone", "OtherPhone", "Alternate Phone", "Alt Phone", "Phone 2"],
    OPT_OUT: ["General.Sms.OptOut", "SMS Opt Out", "SMS Opt-Out", "SmsOptOut", "Opt Out SMS"],
}
ALIASES: dict[str, str] = {
    header_key(alias): target for target, aliases in _ALIASES.items() for alias in aliases
}


class MappingError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors))


MAPPING_MAX_CHARS = 64 * 1024


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def mapping_shape_check(columns: object) -> dict[str, str]:
    """`columns` if it is a mapping's JSON shape, {"Header": "field", ...}, else MappingError.

    Every value must be a target, every header must have a letter or digit, and no two headers
    may name the same column (headers match without case, spaces or punctuation). Used for a
    saved mapping where it is written (admin form) and read (each upload), and for the API's
    `mapping`, so a stored mapping can never make an upload fail other than with its errors.
    """
    if not isinstance(columns, dict):
        kind = {list: "a list", str: "a string"}.get(type(columns), type(columns).__name__)
        raise MappingError([f'A mapping must be a JSON object {{"Header": "field"}}, not {kind}.'])
    errors: list[str] = []
    limit = settings.LEAD_IMPORT["MAX_COLUMNS"]
    if len(columns) > limit:
        raise MappingError(
            [f"A mapping names at most {limit:,} columns; this one {len(columns):,}."]
        )
    seen: dict[str, str] = {}
    for header, target in columns.items():
        if not isinstance(target, str) or target not in TARGETS:
            errors.append(
                f'Column "{header}": {_shown(target)} is not a field (choose one of '
                f"{', '.join(TARGETS)})."
            )
        key = header_key(header)
        if not key:
            errors.append(f"{_shown(header)} is not a column name (it has no letter or digit).")
        elif key in seen:
            errors.append(f'"{seen[key]}" and "{header}" name the same column.')
        else:
            seen[key] = header
    if errors:
        raise MappingError(errors)
    return columns


def mapping_from_json(text: str) -> dict[str, str]:
    """A mapping typed as JSON text (API, admin), checked by mapping_shape_check."""
    if len(text) > MAPPING_MAX_CHARS:
        raise MappingError([f"A mapping is at most {MAPPING_MAX_CHARS:,} characters of JSON."])
    try:
        value = json.loads(text)
    except RecursionError:
        raise MappingError(
            ["The mapping is nested too deeply: it must be a flat object."]
        ) from None
    except ValueError as exc:
        raise MappingError([f"The mapping is not valid JSON ({exc})."]) from None
    return mapping_shape_check(value)


def mapping_guess(*, headers: list[str], saved: object = None) -> dict[str, str]:
    """A target for every header: from a saved mapping (by header key), else the aliases.

    A lead field or the opt-out field is given to the first matching column only; later columns
    with the same meaning are set to `ignore` (and so listed as unmapped). A saved mapping that
    is not a mapping's shape (stored before it was checked, or edited in the database) raises
    MappingError saying so, rather than failing half-way.
    """
    if saved is not None:
        try:
            mapping_shape_check(saved)
        except MappingError as exc:
            raise MappingError(
                [
                    "The saved mapping cannot be used (fix it under Lead imports, Import "
                    "mappings, or let the columns be guessed):",
                    *exc.errors,
                ]
            ) from None
    saved = {header_key(k): v for k, v in (saved or {}).items()}
    result: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        key = header_key(header)
        target = saved.get(key) or ALIASES.get(key, IGNORE)
        if target not in TARGETS:
            target = IGNORE
        if target != IGNORE and not target.startswith("phone:"):
            if target in taken:
                target = IGNORE
            taken.add(target)
        result[header] = target
    return result


def mapping_check(*, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """A complete, valid mapping for `headers` (missing headers -> ignore), or MappingError."""
    errors = []
    unknown_headers = [h for h in mapping if h not in headers]
    if unknown_headers:
        errors.append(
            "The mapping names columns the file does not have: "
            + ", ".join(f'"{h}"' for h in unknown_headers)
            + "."
        )
    complete = {h: mapping.get(h) or IGNORE for h in headers}
    for header, target in complete.items():
        if target not in TARGETS:
            errors.append(
                f'Column "{header}": {target!r} is not a field (choose one of '
                f"{', '.join(TARGETS)})."
            )
    singles: dict[str, list[str]] = {}
    for header, target in complete.items():
        if target in TARGETS and target != IGNORE and not target.startswith("phone:"):
            singles.setdefault(target, []).append(header)
    for target, headers_for in singles.items():
        if len(headers_for) > 1:
            errors.append(
                f"{TARGETS[target]} is mapped from more than one column: "
                + ", ".join(f'"{h}"' for h in headers_for)
                + "."
            )
    if not any(t.startswith("phone:") or t in LEAD_TARGETS for t in complete.values()):
        errors.append("No column is mapped to a lead field or a phone: nothing would be imported.")
    if errors:
        raise MappingError(errors)
    return complete


def mapping_unmapped(*, mapping: dict[str, str], headers: list[str] | None = None) -> list[str]:
    """Columns set to ignore, in file order when `headers` is given (jsonb keeps no key order)."""
    order = headers if headers is not None else list(mapping)
    return [header for header in order if mapping.get(header, IGNORE) == IGNORE]


def mapping_parse_pairs(pairs: list[str]) -> dict[str, str]:
    """["Header=field", ...] (the CLI's --map) -> {header: field}."""
    result = {}
    for pair in pairs:
        header, sep, target = pair.rpartition("=")
        if not sep or not header.strip():
            raise MappingError([f'--map {pair!r} must look like "Header=field".'])
        result[header.strip()] = target.strip()
    return result


# --- Values --------------------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}


def opt_out_value(text: str) -> bool:
    """TRUE/Yes/Y/1 -> True; FALSE/No/N/0/blank -> False (any case); anything else ValueError."""
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{text!r} is not a yes/no value: use TRUE or FALSE (also Yes/No, Y/N, 1/0; blank = FALSE)."
    )


_STATUS = {s.casefold(): s for s in Lead.Status.values} | {
    label.casefold(): value for value, label in Lead.Status.choices
}
_MAX_LENGTH = {
    name: Lead._meta.get_field(name).max_length for name in LEAD_TARGETS if name != "status"
}


def _compiled(lazy) -> re.Pattern:
    return re.compile(lazy.pattern, lazy.flags)


class _EmailValidator(EmailValidator):
    """Django's email check (the one EmailField uses), with its patterns compiled once.

    Django keeps them lazy; every use then goes through a proxy, which made this check a third of
    the time spent cleaning an import row.
    """

    user_regex = _compiled(EmailValidator.user_regex)
    domain_regex = _compiled(EmailValidator.domain_regex)
    literal_regex = _compiled(EmailValidator.literal_regex)


validate_email = _EmailValidator()


@dataclass
class CellError:
    column: str
    value: str
    detail: str


@dataclass(slots=True)
class CleanRow:
    """A row as it will be stored."""

    row_number: int
    fields: dict[str, str]
    phones: list[tuple[str, str]]  # (E.164, kind), no repeats
    sms_opt_out: bool
    phones_mapped: bool
    errors: list[CellError] = field(default_factory=list)

    @property
    def external_id(self) -> str | None:
        return self.fields.get("external_id") or None


_PHONE, _OPT_OUT, _STATUS_KIND, _EXTERNAL_ID, _EMAIL, _TEXT = (
    "phone", "opt_out", "status", "external_id", "email", "text",
)  # fmt: skip


def _column_kind(target: str) -> tuple[str, str, int]:
    """(kind, target or the phone's kind, max length) of a mapped column."""
    if target.startswith("phone:"):
        return _PHONE, target[6:], 0
    if target == OPT_OUT:
        return _OPT_OUT, target, 0
    if target == "status":
        return _STATUS_KIND, target, 0
    kind = _EXTERNAL_ID if target == "external_id" else _EMAIL if target == "email" else _TEXT
    return kind, target, _MAX_LENGTH[target]


class RowCleaner:
    """Turns (row_number, values) into a CleanRow, collecting every error of the row."""

    def __init__(self, *, headers: list[str], mapping: dict[str, str]) -> None:
        self.columns = [
            (index, header, mapping.get(header, IGNORE))
            for index, header in enumerate(headers)
            if mapping.get(header, IGNORE) != IGNORE
        ]
        self.phones_mapped = any(t.startswith("phone:") for _, _, t in self.columns)
        # What each column is, worked out once rather than per cell (clean runs per row of a
        # file of a million): (index, header, kind, target or phone kind, max length).
        self._plan = [
            (index, header, *_column_kind(target)) for index, header, target in self.columns
        ]

    def clean(self, row_number: int, values: list[str]) -> CleanRow:
        fields: dict[str, str] = {}
        phones: list[tuple[str, str]] = []
        seen: set[str] = set()
        opt_out = False
        errors: list[CellError] = []
        width = len(values)
        for index, header, kind, target, limit in self._plan:
            raw = values[index] if index < width else ""
            text = raw.strip()
            if kind is _PHONE:
                if not text:
                    continue
                try:
                    number = phone_normalize(text)
                except InvalidPhoneNumber as exc:
                    errors.append(CellError(header, raw, str(exc)))
                    continue
                if number not in seen:
                    seen.add(number)
                    phones.append((number, target))
            elif kind is _OPT_OUT:
                try:
                    opt_out = opt_out_value(text)
                except ValueError as exc:
                    errors.append(CellError(header, raw, str(exc)))
            elif kind is _STATUS_KIND:
                if text:
                    status = _STATUS.get(text.casefold())
                    if status is None:
                        errors.append(
                            CellError(
                                header,
                                raw,
                                f"{text!r} is not a lead status (one of "
                                f"{', '.join(Lead.Status.labels)}).",
                            )
                        )
                    else:
                        fields["status"] = status
            elif not text:
                # A blank cell sets nothing: a new lead gets the field's default, an update
                # keeps the stored value (and no external id is stored as NULL).
                continue
            else:
                if len(text) > limit:
                    errors.append(CellError(header, raw, f"It is longer than {limit} characters."))
                    continue
                if kind is _EMAIL and text:
                    try:
                        validate_email(text)
                    except ValidationError:
                        errors.append(CellError(header, raw, f"{text!r} is not an email address."))
                        continue
                fields[target] = text
        if not errors and not fields and not phones:
            errors.append(
                CellError("", "", "The row has no value in any mapped column: nothing to import.")
            )
        elif opt_out and not phones and self.phones_mapped and not errors:
            errors.append(
                CellError(
                    next(h for _, h, t in self.columns if t == OPT_OUT),
                    "TRUE",
                    "SMS Opt Out is TRUE but the row has no phone number to opt out.",
                )
            )
        return CleanRow(
            row_number=row_number,
            fields=fields,
            phones=phones,
            sms_opt_out=opt_out,
            phones_mapped=self.phones_mapped,
            errors=errors,
        )
