"""Stream the rows of an uploaded CSV or XLSX file, never loading it whole.

`table_open(path=..., options=...)` checks the file and returns a `Table`: its format, headers,
the detected CSV delimiter/encoding or XLSX sheet, and `rows()`, a generator of
`(row_number, values)` where row_number is the spreadsheet row (the header is row 1) and values
are strings ("" for empty cells). Everything that makes a file unreadable raises
`ImportFileError` with a sentence a user can act on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_SAMPLE_BYTES = 64 * 1024
_CHUNK = 1024 * 1024

# Big cells are legitimate (notes), but a CSV without line breaks is not a CSV.
csv.field_size_limit(10 * 1024 * 1024)


class ImportFileError(ValueError):
    """The file cannot be imported at all; `code` is stable, `str()` is for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)

    def __reduce__(self):
        # Raised in the import's reader process and raised again in the writer: must pickle.
        return type(self), (self.code, self.message)


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
        """Data rows after the header; `skip` data rows are passed over (resuming a job)."""
        reader = _csv_rows if self.file_format == "csv" else _xlsx_rows
        width = len(self.headers)
        for index, (row_number, values) in enumerate(reader(self.path, self.options)):
            if index < skip:
                continue
            if len(values) < width:
                values = values + [""] * (width - len(values))
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
        header_rows = _csv_rows(path, options, header=True)
    else:
        options.delimiter = options.encoding = ""
        options.sheet = _sheet_choose(path, options.sheet)
        header_rows = _xlsx_rows(path, options, header=True)
    try:
        first = next(header_rows, None)
        data = next(header_rows, None)
    finally:
        header_rows.close()
    if first is None:
        raise ImportFileError("empty_file", "The file has no rows: it is empty.")
    headers = _headers_clean(first[1])
    if data is None:
        raise ImportFileError(
            "no_data_rows",
            "The file has a header row but no data rows: there is nothing to import.",
        )
    return Table(path=path, file_format=file_format, headers=headers, options=options)


def _headers_clean(raw: list[str]) -> list[str]:
    headers = [h.strip() for h in raw]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError("no_headers", "The first row is empty: it must hold column headers.")
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


def _csv_rows(
    path: Path, options: ReaderOptions, *, header: bool = False
) -> Iterator[tuple[int, list[str]]]:
    """Rows as (row_number, values); the header row itself only when `header`."""
    with open(path, encoding=options.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=options.delimiter)
        try:
            for index, values in enumerate(reader):
                if index == 0 and not header:
                    continue
                if not header and not any(v.strip() for v in values):
                    continue
                yield index + 1, values
        except csv.Error as exc:
            raise ImportFileError(
                "bad_csv", f"Line {reader.line_num} cannot be read as CSV: {exc}."
            ) from None


# --- XLSX ----------------------------------------------------------------------------------------


def _workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
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


def _sheet_choose(path: Path, sheet: str) -> str:
    workbook = _workbook(path)
    try:
        names = workbook.sheetnames
    finally:
        workbook.close()
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


def _xlsx_rows(
    path: Path, options: ReaderOptions, *, header: bool = False
) -> Iterator[tuple[int, list[str]]]:
    workbook = _workbook(path)
    try:
        worksheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
        try:
            for index, row in enumerate(worksheet.iter_rows(values_only=True)):
                values = [cell_text(v) for v in row]
                if index == 0:
                    if header:
                        yield 1, values
                    continue
                if not any(values):
                    continue
                yield index + 1, values
        except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
            raise ImportFileError(
                "damaged_xlsx", f"The XLSX file is damaged or incomplete ({exc})."
            ) from None
        except Exception as exc:
            if isinstance(exc, ImportFileError | GeneratorExit):
                raise
            raise ImportFileError(
                "damaged_xlsx", f"The XLSX file cannot be read: {type(exc).__name__}: {exc}."
            ) from None
    finally:
        workbook.close()
