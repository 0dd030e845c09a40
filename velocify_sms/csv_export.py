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
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from velocify_sms.dates import datetime_display

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The machine column of numbers (`phone_number`): E.164, one or several separated by spaces. A `+`
# and digits cannot carry a formula (a spreadsheet at most reads it as a number), and a program
# reading the file needs it as stored, so it gets no `'`. ASCII digits only ([0-9], not \d, which
# takes any script's digits), so that csv_safe_sql says exactly the same in PostgreSQL.
_E164_CELL = re.compile(r"\+[1-9][0-9]{1,14}(?: \+[1-9][0-9]{1,14})*")


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


def csv_safe_sql(expression: str) -> str:
    """csv_safe_cell in PostgreSQL for a text `expression` (SQL the caller wrote, never input):
    a `'` before what a spreadsheet would run as a formula, and NULL for empty text, so that
    COPY ... CSV writes an empty cell as csv.writer does (it quotes a non-NULL empty string)."""
    e164 = "'^[+][1-9][0-9]{1,14}( [+][1-9][0-9]{1,14})*$'"
    return (
        f"CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"AND {expression} !~ {e164} THEN '''' || {expression} ELSE NULLIF({expression}, '') END"
    )


# Bytes handed to the server per piece of a COPY export: a few hundred rows, so the response is
# written in large pieces while memory stays flat.
COPY_PIECE_BYTES = 64 * 1024


def csv_copy_check(*, sql: str, params: Sequence[object]) -> None:
    """Plan `sql` without reading a row: raises now, before an answer starts, when the
    database is away or the query cannot run (the export's filters, the reader's zone)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM ({sql}) AS checked LIMIT 0", params)  # noqa: S608


def csv_copy_stream(
    *,
    header: Sequence[object],
    sql: str,
    params: Sequence[object],
    finish_line: Callable[[bytes], bytes | None],
    finish_row: Callable[[list[str]], list[object]],
) -> Iterator[bytes]:
    """The CSV of `header` and `COPY (sql) TO STDOUT`, as csv_rows_stream writes it, in bytes.

    PostgreSQL writes the rows (its CSV quoting is csv.writer's: a cell holding a comma, a
    quote or a line break is quoted, quotes doubled), so a million rows cost little more than
    the COPY. What SQL cannot do (how libphonenumber shows a number) is added in Python, one of
    two ways: `finish_line(line)` gets the database's line (without its newline) and returns the
    file's, or None when it cannot tell, and then `finish_row(cells)` gets the line's cells
    parsed and returns the file's (written through csv_safe_cell). Lines end in CRLF, as
    csv.writer's do.

    The COPY starts when the response is read, after the middleware is done with the request's
    connection (a COPY holds it until its last row). Call csv_copy_check first, so that a query
    that cannot run is an ordinary error answer; a failure once the file has started ends it
    with the incomplete line, as csv_rows_stream does.
    """
    from django.db import connection

    writer = csv.writer(_Echo())
    yield writer.writerow([csv_safe_cell(cell) for cell in header]).encode()
    written = 0
    piece: list[bytes] = []
    size = 0
    try:
        with (
            connection.cursor() as cursor,
            cursor.connection.cursor() as raw,
            raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
        ):
            for block in copy:
                line = bytes(block)[:-1]
                done = finish_line(line)
                if done is None:
                    cells = next(csv.reader([line.decode()]))
                    done = writer.writerow([csv_safe_cell(c) for c in finish_row(cells)])
                    done = done.encode()
                else:
                    done += b"\r\n"
                piece.append(done)
                size += len(done)
                written += 1
                if size >= COPY_PIECE_BYTES:
                    yield b"".join(piece)
                    piece, size = [], 0
    except Exception:
        logger.exception("CSV export stopped after %d rows", written)
        if piece:
            yield b"".join(piece)
        yield writer.writerow([INCOMPLETE.format(rows=written)]).encode()
        return
    if piece:
        yield b"".join(piece)


def csv_streaming_response(
    *, filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A download of `rows` under `header` as `filename`, streamed row by row.

    `rows` should be lazy (a generator over `queryset.iterator(chunk_size=...)`): the response
    starts at once and memory stays flat whatever the number of rows.
    """
    return csv_response(filename=filename, content=csv_rows_stream(header=header, rows=rows))


def csv_response(
    *, filename: str, content: Iterator[str] | Iterator[bytes]
) -> StreamingHttpResponse:
    """A CSV download of `content` (csv_rows_stream or csv_copy_stream) as `filename`."""
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
