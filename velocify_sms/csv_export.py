"""CSV exports that stream and that a spreadsheet cannot turn into formulas.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (`=HYPERLINK("http://evil", "click")`), so such text gets a
leading `'` (OWASP "CSV injection"). Numbers, which cannot carry a formula, are written as they
are. Phone numbers should be given as `velocify_sms.phones.phone_display_for_csv` writes them,
which never starts with a formula character, so they get no `'`. Dates and times are written as
the pages show them (`velocify_sms.dates.datetime_display`, the reader's time zone). Rows are
produced one at a time, so an export of the whole table never sits in memory.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from velocify_sms.dates import datetime_display

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The machine column of numbers (`phone_number`): E.164, one or several separated by spaces. A `+`
# and digits cannot carry a formula (a spreadsheet at most reads it as a number), and a program
# reading the file needs it as stored, so it gets no `'`.
_E164_CELL = re.compile(r"\+[1-9]\d{1,14}(?: \+[1-9]\d{1,14})*")


def csv_safe_cell(value: object) -> str | int | float | Decimal:
    """One cell, safe to open in a spreadsheet: None is empty, booleans are Yes/No,
    dates and times are `2026-12-02 14:05` in the reader's time zone, and text that a spreadsheet
    would run as a formula starts with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return datetime_display(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _E164_CELL.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


# The first words of the line that ends an export cut short: an import that reads files back
# (the opt-out list's "Import numbers") looks for them and refuses the file.
INCOMPLETE_MARKER = "EXPORT INCOMPLETE"
INCOMPLETE = (
    INCOMPLETE_MARKER + ": an error stopped this file after {rows:,} rows. The rows above are "
    "right, but more were due: download it again, and report the time if it fails again."
)


def csv_rows_stream(*, header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, line by line, every cell through csv_safe_cell.

    Once the first line has gone, the status (200) and headers are sent and an error can no
    longer change them: a failure while reading `rows` (a dropped connection, a statement
    timeout) is logged and ends the file with a line saying it is incomplete, instead of a
    file cut short that looks whole.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_safe_cell(cell) for cell in header])
    written = 0
    try:
        for row in rows:
            line = writer.writerow([csv_safe_cell(cell) for cell in row])
            written += 1
            yield line
    except Exception:
        logger.exception("CSV export stopped after %d rows", written)
        yield writer.writerow([INCOMPLETE.format(rows=written)])


def csv_streaming_response(
    *, filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A download of `rows` under `header` as `filename`, streamed row by row.

    `rows` should be lazy (a generator over `queryset.iterator(chunk_size=...)`): the response
    starts at once and memory stays flat whatever the number of rows.
    """
    response = StreamingHttpResponse(
        csv_rows_stream(header=header, rows=rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
