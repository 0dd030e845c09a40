"""Forms of the opt-out report pages (the filters are the FilterSet's form, in filters.py)."""

from __future__ import annotations

import csv
import gc
import io
from contextlib import contextmanager

from django import forms
from django.conf import settings

from optouts.services import ImportLine

_HEADER_WORDS = {"phone", "phone number", "phone_number", "number", "mobile", "e164", "telephone"}


class OptOutImportForm(forms.Form):
    """An uploaded CSV: one number per line, optionally a note in the second column.

    A first line whose first cell is a column name (`phone`, `phone_number`, `number`...) is a
    header and skipped. Numbers are validated by the service; this form only reads the file, and
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


def _lines_read(text: str, *, max_lines: int) -> list[ImportLine]:
    """(line, number, note) per non-blank line, the header line skipped.

    The hot loop of a 100,000-line list: the first two cells are taken as they are, with no
    per-cell list, and the line number is csv's own count (a quoted note may span lines).
    """
    lines: list[ImportLine] = []
    append = lines.append
    reader = csv.reader(io.StringIO(text, newline=""))
    with _collector_paused():
        try:
            for row in reader:
                if not row:
                    continue
                number = row[0].strip()
                note = row[1].strip() if len(row) > 1 else ""
                if not number and not note and not any(cell.strip() for cell in row[2:]):
                    continue
                if not lines and reader.line_num == 1 and number.lower() in _HEADER_WORDS:
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
