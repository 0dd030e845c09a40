"""Forms of the opt-out report pages (the filters are the FilterSet's form, in filters.py)."""

from __future__ import annotations

import csv
import io

from django import forms

from optouts.services import ImportLine

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_LINES = 100_000
_HEADER_WORDS = {"phone", "phone number", "phone_number", "number", "mobile", "e164", "telephone"}


class OptOutImportForm(forms.Form):
    """An uploaded CSV: one number per line, optionally a note in the second column.

    A first line whose first cell is a column name (`phone`, `phone_number`, `number`...) is a
    header and skipped. Numbers are validated by the service; this form only reads the file.
    """

    file = forms.FileField(
        label="CSV file",
        help_text="One phone number per line, optionally a note in a second column.",
    )

    def clean_file(self) -> list[ImportLine]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KiB; the limit is "
                f"{MAX_IMPORT_BYTES // 1024 // 1024} MiB. Split it into smaller files."
            )
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {exc.start} cannot be read). "
                "Save it as CSV UTF-8 and upload it again."
            ) from None
        lines: list[ImportLine] = []
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            for row in reader:
                line_number = reader.line_num
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if not lines and line_number == 1 and cells[0].lower() in _HEADER_WORDS:
                    continue
                note = cells[1] if len(cells) > 1 else ""
                lines.append(ImportLine(line=line_number, number=cells[0], note=note))
                if len(lines) > MAX_IMPORT_LINES:
                    raise forms.ValidationError(
                        f"The file has more than {MAX_IMPORT_LINES:,} numbers; split it."
                    )
        except csv.Error as exc:
            raise forms.ValidationError(
                f"Line {reader.line_num} cannot be read as CSV: {exc}."
            ) from None
        if not lines:
            raise forms.ValidationError("The file holds no phone numbers.")
        return lines
