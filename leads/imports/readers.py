"""Stream the rows of an uploaded CSV or XLSX file, never loading it whole.

`table_open(path=..., options=...)` checks the file and returns a `Table`: its format, headers,
the detected CSV delimiter/encoding or XLSX sheet, and `rows()`, a generator of
`(row_number, values)` where row_number is the spreadsheet row (the header is row 1) and values
are strings ("" for empty cells). Everything that makes a file unreadable raises
`ImportFileError` with a sentence a user can act on.

Nothing in a file is trusted to be small (issue 13): an XLSX file's zip directory is checked
before any part is unpacked (`xlsx_archive_check`), and both readers stop at IMPORT_MAX_ROWS
rows, IMPORT_MAX_COLUMNS header columns and a run of IMPORT_MAX_EMPTY_ROWS empty rows, whatever
the file declares. The admin, the API and `import_leads` all read through `table_open`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

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
        f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows, the most one import reads "
        "(empty rows count). Split it into smaller files.",
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
    if len(headers) > settings.IMPORT_MAX_COLUMNS:
        raise ImportFileError(
            "too_many_columns",
            f"The header row has more than {settings.IMPORT_MAX_COLUMNS:,} columns, the most an "
            "import reads. Delete the columns you do not import and upload the file again.",
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
    max_rows, max_empty = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_EMPTY_ROWS
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
                if not any(v.strip() for v in values):
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


_MB = 1024 * 1024
# Parts smaller than this are not held to the ratio: tiny parts compress oddly, and the total
# size limit bounds them anyway.
_RATIO_FROM_BYTES = _MB
_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_MANIFEST = "[Content_Types].xml"


def _too_large(detail: str) -> ImportFileError:
    return ImportFileError(
        "xlsx_too_large",
        f"{detail} Save the sheet as CSV (or split it into smaller workbooks) and upload that.",
    )


def _zip_directory_bytes(path: Path) -> int:
    """The length of the zip's central directory as its end record states it (0 if none)."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65557))  # the end record, with a comment of up to 64 KiB
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return 0  # not a zip: zipfile says so below
    (directory_bytes,) = struct.unpack("<I", tail[at + 12 : at + 16])
    if directory_bytes == 0xFFFFFFFF:  # zip64: the length is in the zip64 end record
        at64 = tail.rfind(_EOCD64, 0, at)
        if at64 >= 0 and len(tail) >= at64 + 48:
            (directory_bytes,) = struct.unpack("<Q", tail[at64 + 40 : at64 + 48])
    return directory_bytes


def xlsx_archive_check(path: Path | str) -> None:
    """Refuse a workbook whose zip directory declares too much, before anything is unpacked.

    The limits: IMPORT_MAX_XLSX_PARTS parts, IMPORT_MAX_UNCOMPRESSED_MB unpacked in all, no
    part over 1 MiB unpacking to more than IMPORT_MAX_COMPRESSION_RATIO times its packed size,
    and a manifest of at most IMPORT_MAX_XLSX_PART_MB (the other parts read whole are checked
    once the manifest has named them, in _workbook). The declared sizes can be trusted as
    bounds: zipfile stops a part at its declared size (and fails its CRC check if there was
    more).
    """
    path = Path(path)
    max_parts = settings.IMPORT_MAX_XLSX_PARTS
    # zipfile makes an object per entry of the directory, reading it to its stated length
    # (whatever count the end record gives): bound that length before it does.
    directory_bytes = _zip_directory_bytes(path)
    if directory_bytes > max_parts * 1024:  # about 1 KiB per part at the most
        raise _too_large(
            f"The workbook's table of contents is {directory_bytes / _MB:,.1f} MB long: it is "
            "not an ordinary spreadsheet."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > max_parts:
                raise _too_large(
                    f"The workbook holds {len(infos):,} parts; the limit is {max_parts:,}: it "
                    "is not an ordinary spreadsheet."
                )
            total = sum(info.file_size for info in infos)
            if total > settings.IMPORT_MAX_UNCOMPRESSED_MB * _MB:
                raise _too_large(
                    f"The workbook unpacks to {total / _MB:,.0f} MB; the limit is "
                    f"{settings.IMPORT_MAX_UNCOMPRESSED_MB:,} MB."
                )
            max_ratio = settings.IMPORT_MAX_COMPRESSION_RATIO
            for info in infos:
                if (
                    info.file_size >= _RATIO_FROM_BYTES
                    and info.file_size > max_ratio * info.compress_size
                ):
                    ratio = info.file_size / max(info.compress_size, 1)
                    raise _too_large(
                        f"The part {info.filename} of the workbook compresses {ratio:,.0f} to "
                        f"1; the limit is {max_ratio:,} to 1 (a spreadsheet's parts compress "
                        "5 to 20 to 1): it looks like a zip bomb."
                    )
            _parts_read_whole_check({info.filename: info.file_size for info in infos}, [_MANIFEST])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ImportFileError):
            raise
        raise ImportFileError(
            "damaged_xlsx",
            f"The XLSX file is damaged or incomplete ({exc}). Was the upload cut short? Save it "
            "again from Excel or LibreOffice and retry.",
        ) from None


def _parts_read_whole_check(sizes: dict[str, int], names: list[str], strings: str = "") -> None:
    """Each part loaded whole (manifest, workbook, its relationships, styles, shared strings)
    may unpack to at most IMPORT_MAX_XLSX_PART_MB: parsing one builds it all in memory."""
    limit = settings.IMPORT_MAX_XLSX_PART_MB
    for name in names:
        size = sizes.get(name, 0)
        if size > limit * _MB:
            what = "shared strings (its text cells)" if name == strings else f"part {name}"
            raise _too_large(
                f"The workbook's {what} unpack to {size / _MB:,.0f} MB; the limit is {limit:,} MB."
            )


@dataclass
class _Workbook:
    """What the reader needs of a workbook: its sheets (name -> part), shared strings, and the
    styles that make a number a date.

    openpyxl reads those small parts; its worksheet reader is never used, because it builds
    each row, every section after the rows, and (without a <dimension>) the whole sheet as a
    tree in memory: one row of 2,000,000 cells in a 7.8 MB file took 1.1 GB. Sheets are
    streamed by _SheetReader instead.
    """

    archive: zipfile.ZipFile
    sheets: dict[str, str]
    shared_strings: list[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: dt.datetime

    @property
    def sheetnames(self) -> list[str]:
        return list(self.sheets)

    def rows(self, sheet: str, *, width: int) -> Iterator[tuple[int, list]]:
        with self.archive.open(self.sheets[sheet]) as source:
            yield from _SheetReader(self, width=width).read(source)

    def close(self) -> None:
        self.archive.close()


def _workbook_read(path: Path) -> _Workbook:
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import ExcelReader, _find_workbook_part
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.xml.constants import ARC_STYLE, SHARED_STRINGS

    reader = ExcelReader(str(path), read_only=True, data_only=True, keep_links=False)
    try:
        reader.read_manifest()
        part = _find_workbook_part(reader.package).PartName[1:]
        strings = reader.package.find(SHARED_STRINGS)
        strings = strings.PartName[1:] if strings is not None else ""
        sizes = {info.filename: info.file_size for info in reader.archive.infolist()}
        _parts_read_whole_check(
            sizes, [part, get_rels_path(part), ARC_STYLE, strings], strings=strings
        )
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = {
            sheet.name: rel.target
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        }
    except BaseException:
        reader.archive.close()
        raise
    return _Workbook(
        archive=reader.archive,
        sheets=sheets,
        shared_strings=reader.shared_strings,
        date_styles=frozenset(getattr(reader.wb, "_date_formats", ())),
        timedelta_styles=frozenset(getattr(reader.wb, "_timedelta_formats", ())),
        epoch=reader.wb.epoch,
    )


def _workbook(path: Path) -> _Workbook:
    xlsx_archive_check(path)
    try:
        return _workbook_read(path)
    except ImportFileError:
        raise
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


def xlsx_sheet_names(path: Path | str) -> list[str]:
    workbook = _workbook(Path(path))
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


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
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file is damaged or incomplete ({exc})."
        ) from None
    except Exception as exc:
        raise ImportFileError(
            "damaged_xlsx", f"The XLSX file cannot be read: {type(exc).__name__}: {exc}."
        ) from None


def _xlsx_header(workbook: _Workbook, sheet: str) -> list[str] | None:
    """Row 1, read one cell past the column limit so a wider header is seen (None: no rows)."""
    for row_number, values in workbook.rows(sheet, width=settings.IMPORT_MAX_COLUMNS + 1):
        return [cell_text(v) for v in values] if row_number == 1 else []
    return None


def _xlsx_rows(path: Path, options: ReaderOptions, width: int) -> Iterator[tuple[int, list[str]]]:
    """Data rows as (row_number, values), `width` cells each; empty rows are passed over.

    The rows a sheet leaves out (it only holds rows with something in them) are empty rows
    too: they count toward IMPORT_MAX_ROWS and the run of IMPORT_MAX_EMPTY_ROWS, so a sheet
    whose next row is 1,048,576 is refused at once, not walked row by row.
    """
    max_rows, max_empty = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_EMPTY_ROWS
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


# --- Streaming a worksheet -----------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_ROW, _CELL, _V, _IS, _T, _RPH, _DATA = (
    _MAIN + name for name in ("row", "c", "v", "is", "t", "rPh", "sheetData")
)
_READ_BYTES = 64 * 1024
_CELL_CHARS = 32_767  # the most Excel puts in one cell
_MAX_COLUMN = 16_384  # XFD, Excel's last column
_COLUMNS: dict[str, int] = {}


def _damaged(detail: str) -> ImportFileError:
    return ImportFileError("damaged_xlsx", f"The XLSX file is damaged: {detail}.")


def _column_of(ref: str) -> int:
    """'AB12' -> 28."""
    letters = ref.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
            raise _damaged(f"{ref[:20]!r} is not a cell reference")
        column = 0
        for char in letters.upper():
            column = column * 26 + ord(char) - 64
        if column > _MAX_COLUMN:
            raise _damaged(f"{ref[:20]!r} is past Excel's last column")
        _COLUMNS[letters] = column  # at most 16,384 references, in either case
    return column


def _row_of(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = 0.5
        if not number.is_integer():
            raise _damaged(f"{text[:20]!r} is not a row number") from None
        return int(number)


class _SheetReader:
    """A worksheet's rows from its XML, streamed with expat: (row_number, values) for each row
    the XML holds, `width` values each (None for an empty cell).

    Memory does not grow with the sheet: only the current row's first `width` cells are kept,
    a cell's text stops at 32,767 characters, and everything outside <sheetData> is skipped
    unread. A DOCTYPE (entity expansion) is refused. Values are what openpyxl's read-only
    reader gives with data_only (the differential test in tests/leads/imports holds it to
    that): numbers, dates by the cell's style, booleans, shared and inline strings, the cached
    result of a formula.
    """

    def __init__(self, workbook: _Workbook, *, width: int) -> None:
        self.width = width
        self.strings = workbook.shared_strings
        self.dates = workbook.date_styles
        self.timedeltas = workbook.timedelta_styles
        self.epoch = workbook.epoch
        self.ready: list[tuple[int, list]] = []
        self.in_data = False
        self.row_number = 0
        self.values: list | None = None
        self.column = 0
        self.keep = False
        self.kind = "n"
        self.style = ""
        self.ref = ""
        self.value: str | None = None
        self.inline: list[str] | None = None
        self.text: list[str] | None = None
        self.chars = 0
        self.phonetic = 0

    def read(self, source) -> Iterator[tuple[int, list]]:
        from xml.parsers import expat

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            while chunk := source.read(_READ_BYTES):
                parser.Parse(chunk, False)
                if self.ready:
                    ready, self.ready = self.ready, []
                    yield from ready
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise _damaged(f"its sheet is not well-formed XML ({exc})") from None
        yield from self.ready

    def _doctype(self, *args) -> None:
        raise _damaged("its sheet declares a DOCTYPE, which no spreadsheet does")

    def _start(self, name: str, attrs: dict) -> None:
        if name == _CELL:
            if self.values is None:
                return
            ref = attrs.get("r")
            self.column = _column_of(ref) if ref else self.column + 1
            self.keep = self.column <= self.width
            if self.keep:
                self.kind = attrs.get("t", "n")
                self.style = attrs.get("s", "")
                self.ref = ref or f"row {self.row_number}, column {self.column}"
                self.value = self.inline = None
                self.chars = 0
        elif name == _V:
            if self.keep:
                self.text = []
        elif name == _T:
            if self.keep and self.inline is not None and not self.phonetic:
                self.text = []
        elif name == _IS:
            if self.keep:
                self.inline = []
        elif name == _RPH:
            self.phonetic += 1
        elif name == _ROW:
            if self.in_data:
                ref = attrs.get("r")
                self.row_number = _row_of(ref) if ref else self.row_number + 1
                self.values = [None] * self.width
                self.column = 0
        elif name == _DATA:
            self.in_data = True

    def _end(self, name: str) -> None:
        if name == _V:
            if self.text is not None:
                self.value = "".join(self.text)
                self.text = None
        elif name == _CELL:
            if self.keep and self.values is not None:
                self.values[self.column - 1] = self._cell_value()
            self.keep = False
        elif name == _T:
            if self.text is not None:
                self.inline.append("".join(self.text))
                self.text = None
        elif name == _RPH:
            self.phonetic -= 1
        elif name == _ROW:
            if self.values is not None:
                self.ready.append((self.row_number, self.values))
                self.values = None
        elif name == _DATA:
            self.in_data = False

    def _characters(self, data: str) -> None:
        if self.text is not None:
            self.chars += len(data)
            if self.chars > _CELL_CHARS:
                raise _damaged(
                    f"cell {self.ref} holds more than {_CELL_CHARS:,} characters, more than "
                    "Excel puts in a cell"
                )
            self.text.append(data)

    def _cell_value(self):
        """The cell as openpyxl's WorkSheetParser.parse_cell reads it (data_only)."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        kind = self.kind
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline is not None else None
        value = self.value or None
        if value is None:
            return None
        try:
            if kind == "n":
                number = (
                    float(value) if "." in value or "E" in value or "e" in value else int(value)
                )
                style = int(self.style) if self.style else 0
                if style in self.dates:
                    try:
                        return from_excel(number, self.epoch, timedelta=style in self.timedeltas)
                    except (OverflowError, ValueError):
                        return "#VALUE!"  # a date style on a number no date has
                return number
            if kind == "s":
                return self.strings[int(value)]
            if kind == "b":
                return bool(int(value))
            if kind == "d":
                return from_ISO8601(value)
        except (ValueError, IndexError, OverflowError):
            raise _damaged(
                f"cell {self.ref} holds {value[:40]!r}, which is not a {kind!r}"
            ) from None
        return value  # "str" (a formula's text), "e" (#N/A...), and kinds Excel does not write
