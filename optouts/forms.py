"""Forms of the opt-out report pages (the filters are the FilterSet's form, in filters.py)."""

from __future__ import annotations

import csv
import gc
import io
import re
import sys
from contextlib import contextmanager
from itertools import chain

from django import forms
from django.conf import settings

from optouts.services import ImportLine
from velocify_sms.csv_export import INCOMPLETE_MARKER

# Column names read as "the phone number" and "the note" in a first line. The report's own export
# (`Phone number`, ..., `Note`, ...) is one of them: it is uploaded back as it is.
_PHONE_HEADERS = {"phone", "phone number", "phone_number", "number", "mobile", "e164", "telephone"}
_NOTE_HEADERS = {"note", "notes", "comment", "comments", "reason"}
# `Phone number (E.164)`, `Opted out at (UTC)`: a unit or zone in parentheses after the name.
_HEADER_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")


def _header_name(cell: str) -> str:
    """A header cell as a plain lower-case name: `'Phone number (E.164)` -> `phone number`."""
    return _HEADER_SUFFIX.sub("", cell.strip().lstrip("'")).strip().lower()


def _columns(row: list[str]) -> tuple[int, int | None] | None:
    """(phone column, note column or None) if `row` is a header line, else None.

    The phone column is the first cell named like one. The note is the column named like one, or,
    when none is, the second column, as in a file of `phone,note` under any names.
    """
    names = [_header_name(cell) for cell in row]
    if any(char.isdigit() for name in names for char in name):
        return None  # a number on the first line (`4155550101,asked by phone`): data, no header
    phone = next((i for i, name in enumerate(names) if name in _PHONE_HEADERS), None)
    if phone is None:
        return None
    note = next((i for i, name in enumerate(names) if name in _NOTE_HEADERS), None)
    if note is None and phone == 0 and len(row) > 1:
        note = 1
    return phone, note


class OptOutImportForm(forms.Form):
    """An uploaded CSV: one number per line, optionally a note in the second column.

    A first line that names a column `phone`, `phone number`, `number`... is a header: the numbers
    are read from that column and the notes from a `note` column (else the second one), so the
    report's CSV export can be uploaded as it is. A cell may start with `'` (how spreadsheets and
    older exports mark text). A file that ends with the export's "EXPORT INCOMPLETE" line is
    refused whole. Numbers are validated by the service; this form only reads the file, and
    refuses what is not UTF-8 CSV text (NUL bytes: a binary or UTF-16 file, which PostgreSQL
    could not store anyway) or is over OPTOUT_LIST_MAX_UPLOAD_MB / OPTOUT_LIST_MAX_LINES.
    """

    file = forms.FileField(
        label="CSV file",
        help_text="One phone number per line, optionally a note in a second column.",
    )

    def clean_file(self) -> list[ImportLine]:
        upload = self.cleaned_data["file"]
        max_bytes = settings.OPTOUT_LIST_MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > max_bytes:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024:,} KiB; the limit is "
                f"{settings.OPTOUT_LIST_MAX_UPLOAD_MB} MiB. Split it into smaller files."
            )
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {exc.start} cannot be read). "
                "Save it as CSV UTF-8 and upload it again."
            ) from None
        if "\x00" in text:
            raise forms.ValidationError(
                "The file contains binary data (NUL bytes): it is not CSV text. If it was saved "
                "as Unicode (UTF-16) text, save it again as CSV UTF-8 and upload that."
            )
        return _lines_read(text, max_lines=settings.OPTOUT_LIST_MAX_LINES)


@contextmanager
def _collector_paused():
    """Reading a list makes a few hundred thousand small objects that all live on: the cyclic
    collector would walk the whole heap again and again for nothing (3/4 of the time of a
    100,000-line read). Nothing here makes cycles; the collector runs again right after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _number_unmarked(number: str, *, line: int) -> str:
    """A number cell without its text mark (`'+14155550101`); a cut-short export refused."""
    if number.startswith("'"):
        number = number[1:].lstrip()
    if number.startswith(INCOMPLETE_MARKER):
        raise forms.ValidationError(
            f"Line {line} says the export was cut short: {number[:200]} Nothing was imported. "
            "Export the list again and upload the whole file."
        )
    return number


_NO_COLUMN = sys.maxsize


def _lines_read(text: str, *, max_lines: int) -> list[ImportLine]:
    """(line, number, note) per non-blank line, the header line skipped.

    The hot loop of a 100,000-line list: two cells are taken as they are, with no per-cell list,
    and the line number is csv's own count (a quoted note may span lines). The header is dealt
    with before the loop, and the loop looks for text marks (`'`) and the cut-short line only in
    a file that has them: one scan of the text instead of two checks per line.
    """
    lines: list[ImportLine] = []
    append = lines.append
    reader = csv.reader(io.StringIO(text, newline=""))
    marked = "'" in text or INCOMPLETE_MARKER in text
    with _collector_paused():
        try:
            first = next(reader, None)
            columns = _columns(first) if first else None
            phone_at, note_at = (0, 1) if columns is None else columns
            note_at = _NO_COLUMN if note_at is None else note_at
            rows = reader if columns is not None or first is None else chain([first], reader)
            for row in rows:
                if not row:
                    continue
                number = row[phone_at].strip() if len(row) > phone_at else ""
                note = row[note_at].strip() if len(row) > note_at else ""
                if marked:
                    number = _number_unmarked(number, line=reader.line_num)
                    if note.startswith("'"):
                        note = note[1:]  # the export's guard against formulas, not the note
                if not number and not note and not any(cell.strip() for cell in row):
                    continue
                if len(lines) >= max_lines:
                    raise forms.ValidationError(
                        f"The file has more than {max_lines:,} numbers; split it."
                    )
                append(ImportLine(reader.line_num, number, note))
        except csv.Error as exc:
            raise forms.ValidationError(
                f"Line {reader.line_num} cannot be read as CSV: {exc}."
            ) from None
    if not lines:
        raise forms.ValidationError("The file holds no phone numbers.")
    return lines
