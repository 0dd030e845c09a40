"""Stream the rows of an uploaded CSV or XLSX file, never loading it whole.

`table_open(path=..., options=...)` checks the file and returns a `Table`: its format, headers,
the detected CSV delimiter/encoding or XLSX sheet, and `rows()`, a generator of
`(row_number, values)` where row_number is the spreadsheet row (the header is row 1) and values
are strings ("" for empty cells). Everything that makes a file unreadable raises
`ImportFileError` with a sentence a user can act on.

Nothing in a file is trusted to be small: an XLSX file's zip directory is checked
before any part is unpacked and its sheets are streamed (leads/imports/xlsx_stream.py), and both
readers stop at IMPORT_MAX_ROWS rows, IMPORT_MAX_COLUMNS header columns and a run of
IMPORT_MAX_EMPTY_ROWS empty rows, whatever the file declares. The admin, the API and
`import_leads` all read through `table_open`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from leads.imports.errors import ImportFileError
from leads.imports.xlsx_stream import Workbook, workbook_read, xlsx_archive_check

__all__ = [
    "ImportFileError",
    "ReaderOptions",
    "Table",
    "cell_text",
    "table_open",
    "xlsx_archive_check",
]

ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SAMPLE_BYTES = 64 * 1024
_CHUNK = 1024 * 1024

# Big cells are legitimate (notes), but a CSV without line breaks is not a CSV.
csv.field_size_limit(10 * 1024 * 1024)


@dataclass
class ReaderOptions:
    delimiter: str = ""  # "" = detect
    encoding: str = ""  # "" = detect
    sheet: str = ""  # "" = first sheet

    @classmethod
    def from_dict(cls, data: dict | None) -> ReaderOptions:
        data = data or {}
        return cls(
            delimiter=data.get("delimiter") or "",
            encoding=data.get("encoding") or "",
            sheet=data.get("sheet") or "",
        )

    def as_dict(self) -> dict:
        return {"delimiter": self.delimiter, "encoding": self.encoding, "sheet": self.sheet}


@dataclass
class Table:
    path: Path
    file_format: str
    headers: list[str]
    options: ReaderOptions = field(default_factory=ReaderOptions)

    def rows(self, *, skip: int = 0) -> Iterator[tuple[int, list[str]]]:
        """Data rows after the header, each exactly as wide as the header (cells right of it
        have no column to map to and are not kept); `skip` data rows are passed over (resuming
        a job). Empty rows are not yielded, but count toward the row limits."""
        reader = _csv_rows if self.file_format == "csv" else _xlsx_rows
        width = len(self.headers)
        for index, (row_number, values) in enumerate(reader(self.path, self.options, width)):
            if index < skip:
                continue
            if len(values) != width:
                values = values[:width] + [""] * (width - len(values))
            yield row_number, values

    def count_rows(self) -> int:
        return sum(1 for _ in self.rows())


def file_format_detect(path: Path, *, name: str = "") -> str:
    """'csv' or 'xlsx', from the file's first bytes (not its name), or ImportFileError."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    suffix = Path(name or path.name).suffix.lower()
    if not head:
        raise ImportFileError("empty_file", "The file is empty.")
    if head.startswith(b"%PDF"):
        raise ImportFileError(
            "not_a_spreadsheet",
            "This file is a PDF, not a spreadsheet. Save the data as CSV or XLSX and upload that.",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "old_excel_format",
            "This is an old Excel (.xls) file. Open it in Excel or LibreOffice and save it as "
            ".xlsx or CSV.",
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFileError(
            "not_a_spreadsheet",
            f"{name or path.name} is named like an Excel file but is not one (an .xlsx file is a "
            "zip archive). Save it again as .xlsx or CSV.",
        )
    return "csv"


def table_open(*, path: Path | str, name: str = "", options: ReaderOptions | None = None) -> Table:
    """Check the file, detect what was not chosen, read the header row, require one data row."""
    path = Path(path)
    options = ReaderOptions(**(options or ReaderOptions()).as_dict())
    file_format = file_format_detect(path, name=name)
    if file_format == "csv":
        options.sheet = ""
        options.encoding = options.encoding or _encoding_detect(path)
        if options.encoding not in ENCODINGS:
            raise ImportFileError("bad_option", f"Unknown encoding {options.encoding!r}.")
        _encoding_check(path, options.encoding)
        options.delimiter = options.delimiter or _delimiter_detect(path, options.encoding)
        if options.delimiter not in DELIMITERS:
            raise ImportFileError("bad_option", f"Unknown delimiter {options.delimiter!r}.")
        first = _csv_header(path, options)
        if first is None:
            raise ImportFileError("empty_file", "The file has no rows: it is empty.")
        headers = _headers_clean(first)
        data_rows = _csv_rows(path, options, len(headers))
    else:
        options.delimiter = options.encoding = ""
        workbook = _workbook(path)
        try:
            with _xlsx_errors():
                options.sheet = _sheet_choose(workbook, options.sheet)
                first = _xlsx_header(workbook, options.sheet)
        finally:
            workbook.close()
        if first is None:
            raise ImportFileError("empty_file", "The file has no rows: it is empty.")
        headers = _headers_clean(first)
        data_rows = _xlsx_rows(path, options, len(headers))
    try:
        data = next(data_rows, None)
    finally:
        data_rows.close()
    if data is None:
        raise ImportFileError(
            "no_data_rows",
            "The file has a header row but no data rows: there is nothing to import.",
        )
    return Table(path=path, file_format=file_format, headers=headers, options=options)


# --- Limits --------------------------------------------------------------------------------------


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        "too_many_rows",
        f"The file has more than {settings.LEAD_IMPORT['MAX_ROWS']:,} rows, the most one import "
        "reads (empty rows count). Split it into smaller files.",
    )


def _too_many_empty_rows(first: int, last: int) -> ImportFileError:
    return ImportFileError(
        "too_many_empty_rows",
        f"Rows {first:,} to {last:,} are empty: {last - first + 1:,} empty rows in a row is the "
        "most an import reads past. Delete the empty rows (in Excel: select them, right-click, "
        "Delete) and upload the file again.",
    )


def _headers_clean(raw: list[str]) -> list[str]:
    headers = [h.strip() for h in raw]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError("no_headers", "The first row is empty: it must hold column headers.")
    if len(headers) > settings.LEAD_IMPORT["MAX_COLUMNS"]:
        raise ImportFileError(
            "too_many_columns",
            f"The header row has more than {settings.LEAD_IMPORT['MAX_COLUMNS']:,} columns, the "
            "most an import reads. Delete the columns you do not import and upload the file again.",
        )
    seen: dict[str, int] = {}
    duplicates = []
    for index, header in enumerate(headers):
        if not header:
            headers[index] = f"Column {_column_letter(index)}"
            continue
        key = header.casefold()
        if key in seen and header not in duplicates:
            duplicates.append(header)
        seen[key] = index
    if duplicates:
        names = ", ".join(f'"{h}"' for h in duplicates)
        raise ImportFileError(
            "duplicate_headers",
            f"The header row names the same column more than once: {names}. "
            "Rename or remove the repeated columns.",
        )
    return headers


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# --- CSV -----------------------------------------------------------------------------------------


def _encoding_detect(path: Path) -> str:
    with open(path, "rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # The sample may end inside a multi-byte character: an incremental decoder waits for it.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _encoding_check(path: Path, encoding: str) -> None:
    """Decode the whole file once (fast, in chunks) so a bad byte stops it before any write."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                raise ImportFileError(
                    "binary_file",
                    "The file contains binary data (NUL bytes): it is not a CSV text file.",
                )
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                where = line + chunk[: exc.start].count(b"\n")
                bad = chunk[exc.start : exc.end].hex(" ")
                raise ImportFileError(
                    "undecodable",
                    f"Line {where} (byte {offset + exc.start + 1}) has bytes that are not valid "
                    f"{ENCODINGS[encoding]} (0x{bad}). Save the file as UTF-8, or choose the "
                    "encoding it was saved in.",
                ) from None
            offset += len(chunk)
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(
                "undecodable",
                "The file ends in the middle of a character: it is not valid "
                f"{ENCODINGS[encoding]}.",
            ) from None


def _delimiter_detect(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(_SAMPLE_BYTES // 4)
    lines = sample.splitlines()[:20]
    if len(lines) > 1 and len(sample) == _SAMPLE_BYTES // 4:
        lines = lines[:-1]  # possibly cut
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        return max(DELIMITERS, key=header.count)


def _csv_header(path: Path, options: ReaderOptions) -> list[str] | None:
    """The first record of the file (None when there is none)."""
    with open(path, encoding=options.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=options.delimiter)
        try:
            return next(reader, None)
        except csv.Error as exc:
            raise ImportFileError("bad_csv", f"Line 1 cannot be read as CSV: {exc}.") from None


def _csv_rows(path: Path, options: ReaderOptions, width: int) -> Iterator[tuple[int, list[str]]]:
    """Data rows as (row_number, values) cut to `width` cells; blank rows are passed over."""
    max_rows, max_empty = settings.LEAD_IMPORT["MAX_ROWS"], settings.LEAD_IMPORT["MAX_EMPTY_ROWS"]
    empty_from = 0  # first row of the current run of empty rows, 0 when not in one
    with open(path, encoding=options.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=options.delimiter)
        try:
            next(reader, None)  # the header
            for row_number, values in enumerate(reader, start=2):
                if row_number > max_rows:
                    raise _too_many_rows()
                if len(values) > width:
                    values = values[:width]
                # One join, not a generator per row: the writer counts every row first.
                if not "".join(values).strip():
                    if not empty_from:
                        empty_from = row_number
                    if row_number - empty_from + 1 >= max_empty:
                        raise _too_many_empty_rows(empty_from, row_number)
                    continue
                empty_from = 0
                yield row_number, values
        except csv.Error as exc:
            raise ImportFileError(
                "bad_csv", f"Line {reader.line_num} cannot be read as CSV: {exc}."
            ) from None


# --- XLSX ----------------------------------------------------------------------------------------


def _workbook(path: Path) -> Workbook:
    xlsx_archive_check(path)
    try:
        return workbook_read(path)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise ImportFileError(
            "damaged_xlsx",
            f"The XLSX file is damaged or incomplete ({exc}). Was the upload cut short? Save it "
            "again from Excel or LibreOffice and retry.",
        ) from None
    except KeyError as exc:
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file is missing a part ({exc}): it is damaged."
        ) from None
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file cannot be read: {type(exc).__name__}: {exc}."
        ) from None


def _sheet_choose(workbook, sheet: str) -> str:
    names = workbook.sheetnames
    if not names:
        raise ImportFileError("empty_file", "The workbook has no sheets.")
    if sheet and sheet not in names:
        raise ImportFileError(
            "unknown_sheet",
            f"The workbook has no sheet {sheet!r}; its sheets are: {', '.join(names)}.",
        )
    return sheet or names[0]


def cell_text(value) -> str:
    """An Excel cell as the text a person sees: 4155552671.0 -> '4155552671', dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


@contextmanager
def _xlsx_errors() -> Iterator[None]:
    """openpyxl raises many kinds of error on a broken file: each becomes an ImportFileError."""
    try:
        yield
    except (ImportFileError, GeneratorExit):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, NotImplementedError) as exc:
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file is damaged or incomplete ({exc})."
        ) from None
    except Exception as exc:
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file cannot be read: {type(exc).__name__}: {exc}."
        ) from None


def _xlsx_header(workbook: Workbook, sheet: str) -> list[str] | None:
    """Row 1, read one cell past the column limit so a wider header is seen (None: no rows)."""
    for row_number, values in workbook.rows(sheet, width=settings.LEAD_IMPORT["MAX_COLUMNS"] + 1):
        return [cell_text(v) for v in values] if row_number == 1 else []
    return None


def _xlsx_rows(path: Path, options: ReaderOptions, width: int) -> Iterator[tuple[int, list[str]]]:
    """Data rows as (row_number, values), `width` cells each; empty rows are passed over.

    The rows a sheet leaves out (it only holds rows with something in them) are empty rows
    too: they count toward IMPORT_MAX_ROWS and the run of IMPORT_MAX_EMPTY_ROWS, so a sheet
    whose next row is 1,048,576 is refused at once, not walked row by row.
    """
    max_rows, max_empty = settings.LEAD_IMPORT["MAX_ROWS"], settings.LEAD_IMPORT["MAX_EMPTY_ROWS"]
    empty_from = 0  # first row of the current run of empty rows, 0 when not in one
    last = 1  # the header
    workbook = _workbook(path)
    try:
        with _xlsx_errors():
            sheet = options.sheet or workbook.sheetnames[0]
            for row_number, row in workbook.rows(sheet, width=width):
                if row_number <= last:
                    continue  # out of order or repeated: Excel never writes it; openpyxl skips it
                if row_number > last + 1 and not empty_from:
                    empty_from = last + 1
                last = row_number
                values = [cell_text(v) for v in row]
                if any(values):
                    if empty_from and row_number - empty_from >= max_empty:
                        raise _too_many_empty_rows(empty_from, empty_from + max_empty - 1)
                    if row_number > max_rows:
                        raise _too_many_rows()
                    empty_from = 0
                    yield row_number, values
                    continue
                empty_from = empty_from or row_number
                if row_number - empty_from + 1 >= max_empty:
                    raise _too_many_empty_rows(empty_from, empty_from + max_empty - 1)
                if row_number > max_rows:
                    raise _too_many_rows()
    finally:
        workbook.close()
