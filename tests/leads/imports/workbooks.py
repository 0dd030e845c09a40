"""Workbooks made in the test, never committed: small ones through openpyxl, hostile ones by hand.

`workbook_bytes(rows)` is an ordinary .xlsx; `workbook_rewrite(data, parts)` swaps or adds parts
of one; `shared_strings_bomb(path)` writes the 1.5 MB workbook that unpacks to 1.5 GB (one shared
string of 1.5 GiB of "A", written as the same deflate block repeated, so making it costs nothing
but a CRC); `dimension_bomb()` is the few-KB workbook that declares A1:XFD200000.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl

SST_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook_bytes(rows: list[list], *, title: str = "Leads") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook_rewrite(data: bytes, parts: dict[str, bytes]) -> bytes:
    """The workbook with `parts` replaced or added (same order, new ones at the end)."""
    return zip_bytes({**workbook_parts(data), **parts})


def sheet_xml(data: bytes) -> str:
    return workbook_parts(data)["xl/worksheets/sheet1.xml"].decode()


# The finding's workbook: a header and a row, then one cell at the far corner it declares.
DIMENSION_BOMB_ROWS = (
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Cell</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>4155552671</t></is></c></row>'
    '<row r="200000"><c r="XFD200000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
)


def dimension_bomb(
    *, ref: str = "A1:XFD200000", sheet_data: str | None = DIMENSION_BOMB_ROWS
) -> bytes:
    """A sheet of a few KB whose <dimension> claims `ref` (rows: `sheet_data`, None: openpyxl's).

    openpyxl's read-only reader pads every row it reads to the declared width, and the rows
    missing between two rows as well: 200,000 rows of 16,384 cells for the default.
    """
    data = workbook_bytes([["Name", "Cell"], ["Ann", "4155552671"]])
    xml = sheet_xml(data)
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)
    if sheet_data is not None:
        xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData\s*/>", sheet_data, xml, flags=re.S)
    return workbook_rewrite(data, {"xl/worksheets/sheet1.xml": xml.encode()})


def _with_shared_strings(parts: dict[str, bytes], name: str = "xl/sharedStrings.xml") -> None:
    types = parts["[Content_Types].xml"].decode()
    if SST_CONTENT_TYPE not in types:
        types = types.replace(
            "</Types>",
            f'<Override PartName="/{name}" ContentType="{SST_CONTENT_TYPE}"/></Types>',
        )
        parts["[Content_Types].xml"] = types.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    if SST_RELATION not in rels:
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rIdSst" Type="{SST_RELATION}" Target="/{name}"/></Relationships>',
        )
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()


def shared_strings_bomb(path: Path, *, mib: int = 1536) -> Path:
    """Write a workbook of about 1.5 MB whose shared strings part unpacks to `mib` MiB."""
    parts = workbook_parts(workbook_bytes([["Name", "Cell"], ["Ann", "4155552671"]]))
    _with_shared_strings(parts)
    head = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    tail = b"</t></si></sst>"
    chunk = b"A" * (1 << 20)
    # A full flush ends a deflate block byte-aligned with an empty window, so the compressed
    # chunk is the same bytes every time and the blocks concatenate into one valid stream.
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_head = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
    one = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_chunk = one.compress(chunk) + one.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_tail = last.compress(tail) + last.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + mib * len(chunk) + len(tail)
    packed_size = len(packed_head) + mib * len(packed_chunk) + len(packed_tail)

    entries: list[
        tuple[bytes, int, int, int, int, int]
    ] = []  # name, offset, crc, csize, size, method
    with open(path, "wb") as out:

        def local(name: bytes, crc: int, csize: int, usize: int, method: int) -> None:
            entries.append((name, out.tell(), crc, csize, usize, method))
            out.write(
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    20,
                    0,
                    method,
                    0,
                    0x21,
                    crc,
                    csize,
                    usize,
                    len(name),
                    0,
                )  # fmt: skip
                + name
            )

        for name, content in parts.items():
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            packed = packer.compress(content) + packer.flush()
            local(name.encode(), zlib.crc32(content), len(packed), len(content), 8)
            out.write(packed)
        local(b"xl/sharedStrings.xml", crc, packed_size, size, 8)
        out.write(packed_head)
        for _ in range(mib):
            out.write(packed_chunk)
        out.write(packed_tail)
        directory_at = out.tell()
        for name, offset, crc, csize, usize, method in entries:
            out.write(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    method,
                    0,
                    0x21,
                    crc,
                    csize,
                    usize,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )  # fmt: skip
                + name
            )
        directory_size = out.tell() - directory_at
        out.write(
            struct.pack(
                "<IHHHHIIH",
                0x06054B50,
                0,
                0,
                len(entries),
                len(entries),
                directory_size,
                directory_at,
                0,
            )  # fmt: skip
        )
    return path
