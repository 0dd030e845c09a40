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


# Numbers per transaction. PostgreSQL's lock table has room for about 6,400 locks in all (64 per
# connection by default), shared with every other session (a lead import's batch takes one per
# number it opts out): 2,000 leaves room, and a 100,000-line list is 50 commits.
LIST_IMPORT_BATCH = 2000


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
    their line and nothing is written. Otherwise the list is applied in batches of
    LIST_IMPORT_BATCH numbers, each one call of phones_opt_out_by_staff (one transaction, one lock
    pass, each number with its own line's note; a number listed twice keeps its first note).
    One transaction for the whole list cannot work on PostgreSQL: it holds an advisory lock per
    number until it commits, and a server has room for about 6,400 in all (64 per connection by
    default), so 100,000 numbers failed with "out of shared memory". A database failure part-way
    leaves whole batches applied; opt-outs are idempotent, so uploading the file again completes
    it without changing what was done.
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
    numbers = list(note_of)
    results: list[ConsentResult] = []
    for start in range(0, len(numbers), LIST_IMPORT_BATCH):
        batch = numbers[start : start + LIST_IMPORT_BATCH]
        results += phones_opt_out_by_staff(
            numbers=batch,
            user=user,
            channel=Channel.IMPORT,
            note_of={number: note_of[number] for number in batch},
            details=details,
        )
    return results
