"""An uploaded list of numbers put on the opt-out list (the report's "Import numbers")."""

from __future__ import annotations

from typing import NamedTuple

from optouts.models import Channel
from optouts.services.consent import phones_opt_out_by_staff
from optouts.services.rules import ConsentResult
from velocify_sms.phones import phone_normalize
from velocify_sms.text import count_of


class ImportLine(NamedTuple):
    """One line of an uploaded opt-out list: its line number in the file, the number, a note.

    A tuple, not a dataclass: a list has up to 100,000 of them and a frozen dataclass costs
    five times as much to make.
    """

    line: int
    number: str
    note: str = ""


class OptOutImportError(ValueError):
    """Lines without a valid number: `errors` is [{"line", "input", "detail"}]; nothing applied."""

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors
        if len(errors) == 1:
            message = "1 line of the file is not a valid phone number."
        else:
            message = f"{count_of(len(errors), 'line')} of the file are not valid phone numbers."
        super().__init__(message)


def optout_list_import(
    *, lines: list[ImportLine], user, details: dict | None = None
) -> list[ConsentResult]:
    """Add an uploaded list of numbers to the opt-out list as a staff opt-out (channel import).

    Every number is checked first; if any is malformed, OptOutImportError lists them all with
    their line and nothing is written. Otherwise the whole list is one call of
    phones_opt_out_by_staff: one transaction, all or nothing (a list this big takes the global
    lock instead of one per number: optouts/services/locks.py), each number with its own line's
    note; a number listed twice keeps its first note.
    """
    errors, note_of = [], {}
    for item in lines:
        try:
            number = phone_normalize(item.number)
        except ValueError as exc:
            errors.append({"line": item.line, "input": item.number, "detail": str(exc)})
            continue
        note_of.setdefault(number, item.note.strip())
    if errors:
        raise OptOutImportError(errors)
    return phones_opt_out_by_staff(
        numbers=list(note_of),
        user=user,
        channel=Channel.IMPORT,
        note_of=note_of,
        details=details,
    )
