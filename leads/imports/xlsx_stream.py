"""XLSX files read without trusting them: the zip directory checked before anything is unpacked,
the small parts read by openpyxl, and sheets streamed with expat (see leads/imports/readers.py,
which is what the rest of the app calls)."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from leads.imports.errors import ImportFileError

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
    max_parts = settings.LEAD_IMPORT["MAX_XLSX_PARTS"]
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
            if total > settings.LEAD_IMPORT["MAX_UNCOMPRESSED_MB"] * _MB:
                raise _too_large(
                    f"The workbook unpacks to {total / _MB:,.0f} MB; the limit is "
                    f"{settings.LEAD_IMPORT['MAX_UNCOMPRESSED_MB']:,} MB."
                )
            max_ratio = settings.LEAD_IMPORT["MAX_COMPRESSION_RATIO"]
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
    # NotImplementedError: a zip feature Python cannot read (an unknown version or method).
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
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
    limit = settings.LEAD_IMPORT["MAX_XLSX_PART_MB"]
    for name in names:
        size = sizes.get(name, 0)
        if size > limit * _MB:
            what = "shared strings (its text cells)" if name == strings else f"part {name}"
            raise _too_large(
                f"The workbook's {what} unpack to {size / _MB:,.0f} MB; the limit is {limit:,} MB."
            )


@dataclass
class Workbook:
    """What the reader needs of a workbook: its sheets (name -> part), shared strings, and the
    styles that make a number a date.

    openpyxl reads those small parts; its worksheet reader is never used, because it builds
    each row, every section after the rows, and (without a <dimension>) the whole sheet as a
    tree in memory: one row of 2,000,000 cells in a 7.8 MB file took 1.1 GB. Sheets are
    streamed by SheetReader instead.
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
            yield from SheetReader(self, width=width).read(source)

    def close(self) -> None:
        self.archive.close()


def workbook_read(path: Path) -> Workbook:
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
    return Workbook(
        archive=reader.archive,
        sheets=sheets,
        shared_strings=reader.shared_strings,
        date_styles=frozenset(getattr(reader.wb, "_date_formats", ())),
        timedelta_styles=frozenset(getattr(reader.wb, "_timedelta_formats", ())),
        epoch=reader.wb.epoch,
    )


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


class SheetReader:
    """A worksheet's rows from its XML, streamed with expat: (row_number, values) for each row
    the XML holds, `width` values each (None for an empty cell).

    Memory does not grow with the sheet: only the current row's first `width` cells are kept,
    a cell's text stops at 32,767 characters, and everything outside <sheetData> is skipped
    unread. A DOCTYPE (entity expansion) is refused. Values are what openpyxl's read-only
    reader gives with data_only (the differential test in tests/leads/imports holds it to
    that): numbers, dates by the cell's style, booleans, shared and inline strings, the cached
    result of a formula.
    """

    def __init__(self, workbook: Workbook, *, width: int) -> None:
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
