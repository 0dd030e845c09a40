"""Readers: every CSV flavour and workbook of the issue, and each bad file with its message."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.imports.readers import ImportFileError, ReaderOptions, cell_text, table_open

HEADERS = [
    "External ID",
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Home Phone",
    "General.Sms.OptOut",
]
FIRST_ROW = ["A-1", "Zoë", "Müller", "zoe@example.com", "(415) 555-2671", "415-555-2672", "TRUE"]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("leads_utf8.csv", "utf-8", ","),
        ("leads_utf8_bom.csv", "utf-8-sig", ","),
        ("leads_cp1252_semicolon.csv", "cp1252", ";"),
        ("leads_cp1252_tab.csv", "cp1252", "\t"),
    ],
)
def test_csv_encoding_and_delimiter_are_detected(fixture_path, name, encoding, delimiter):
    table = table_open(path=fixture_path(name))
    assert (table.options.encoding, table.options.delimiter) == (encoding, delimiter)
    assert table.headers == HEADERS
    rows = list(table.rows())
    assert rows[0] == (2, FIRST_ROW)
    assert len(rows) == 3


def test_a_chosen_delimiter_and_encoding_win_over_detection(tmp_path):
    path = tmp_path / "pipe.csv"
    path.write_bytes("First Name;Cell\nJos\xe9;4155552671\n".encode("cp1252"))
    table = table_open(path=path, options=ReaderOptions(delimiter=";", encoding="cp1252"))
    assert list(table.rows()) == [(2, ["José", "4155552671"])]


def test_rows_are_streamed_and_can_skip_for_resume(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("First Name,Cell\n" + "".join(f"N{i},4155550{i:03d}\n" for i in range(500)))
    table = table_open(path=path)
    rows = table.rows(skip=498)
    assert next(rows) == (500, ["N498", "4155550498"])
    assert table.count_rows() == 500


def test_blank_lines_are_skipped_but_row_numbers_match_the_file(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("First Name,Cell\nAnn,4155552671\n,\n\nBo,4155552672\n")
    assert [n for n, _ in table_open(path=path).rows()] == [2, 5]


def test_openpyxl_workbook_reads_numbers_stored_as_floats_and_dates(fixture_path):
    table = table_open(path=fixture_path("leads_openpyxl.xlsx"))
    assert table.file_format == "xlsx"
    assert table.options.sheet == "Leads"
    rows = list(table.rows())
    assert rows[0][1][4:8] == ["4155552671", "4155552672", "TRUE", "2024-05-01"]
    assert rows[1][1][7] == "2024-05-02 09:30:00"


def test_a_chosen_sheet_is_read(fixture_path):
    table = table_open(
        path=fixture_path("leads_openpyxl.xlsx"), options=ReaderOptions(sheet="Other")
    )
    assert table.headers == ["First Name", "Cell", "SMS Opt-Out"]
    assert list(table.rows()) == [(2, ["Cy", "415 555 2675", "Y"])]


def test_an_unknown_sheet_names_the_sheets_there_are(fixture_path):
    with pytest.raises(ImportFileError, match="no sheet 'Nope'.*Leads, Other"):
        table_open(path=fixture_path("leads_openpyxl.xlsx"), options=ReaderOptions(sheet="Nope"))


def test_libreoffice_workbook_reads_phones_calc_stored_as_numbers(fixture_path):
    table = table_open(path=fixture_path("leads_libreoffice.xlsx"))
    assert table.headers == [
        "External ID",
        "First Name",
        "Last Name",
        "Cell",
        "Work Phone",
        "SMS Opt Out",
    ]
    assert list(table.rows())[0] == (2, ["L-1", "Dee", "Ray", "4155552676", "4155552677", "yes"])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (4155552671.0, "4155552671"),
        (12.5, "12.5"),
        (None, ""),
        (True, "TRUE"),
        (dt.datetime(2024, 1, 2), "2024-01-02"),
        (dt.date(2024, 1, 2), "2024-01-02"),
        ("  x ", "x"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("empty.csv", "empty_file", "empty"),
        ("header_only.csv", "no_data_rows", "header row but no data rows"),
        ("duplicate_headers.csv", "duplicate_headers", 'more than once: "first name"'),
        ("pdf_renamed.xlsx", "not_a_spreadsheet", "is a PDF, not a spreadsheet"),
        ("truncated.xlsx", "damaged_xlsx", "damaged or incomplete"),
        ("undecodable.csv", "undecodable", r"Line 3 \(byte 43\) has bytes that are not valid"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(fixture_path, name, code, message):
    with pytest.raises(ImportFileError, match=message) as caught:
        table_open(path=fixture_path(name), name=name)
    assert caught.value.code == code


def test_undecodable_utf8_when_utf8_is_chosen(fixture_path):
    with pytest.raises(ImportFileError, match="not valid UTF-8"):
        table_open(path=fixture_path("undecodable.csv"), options=ReaderOptions(encoding="utf-8"))


def test_a_text_file_named_xlsx_is_refused(tmp_path):
    path = tmp_path / "leads.xlsx"
    path.write_text("First Name,Cell\nAnn,4155552671\n")
    with pytest.raises(ImportFileError, match="named like an Excel file but is not one"):
        table_open(path=path)


def test_binary_data_is_not_a_csv(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n\x00\x01,2\n")
    with pytest.raises(ImportFileError, match="NUL bytes"):
        table_open(path=path)


def test_a_declared_dimension_is_not_trusted(tmp_path):
    """<dimension ref="A1:XFD200000"> over two real rows: the rows read are the real ones."""
    from tests.leads.imports.workbooks import dimension_bomb

    path = tmp_path / "declared.xlsx"
    path.write_bytes(dimension_bomb(sheet_data=None))
    table = table_open(path=path)
    assert table.headers == ["Name", "Cell"]
    assert list(table.rows()) == [(2, ["Ann", "4155552671"])]


def test_a_workbook_with_a_corrupt_manifest_is_a_damaged_xlsx(tmp_path):
    """Found by the fuzz pass: the size check reads [Content_Types].xml, whose deflate data can
    be broken (zlib.error, which is no OSError)."""
    import io
    import zipfile

    from tests.leads.imports.workbooks import workbook_bytes

    good = workbook_bytes([["Name"], ["Ann"]])
    info = zipfile.ZipFile(io.BytesIO(good)).getinfo("[Content_Types].xml")
    data = bytearray(good)
    start = info.header_offset + 30 + len(info.filename)
    data[start : start + 8] = b"\xff" * 8  # an invalid deflate block header
    path = tmp_path / "manifest.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError) as caught:
        table_open(path=path)
    assert caught.value.code == "damaged_xlsx"


# --- The streaming sheet reader gives what openpyxl's reader gives -----------------------------


def _openpyxl_rows(path, width: int) -> dict[int, list[str]]:
    import openpyxl

    from leads.imports.readers import cell_text

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = {}
        for number, row in enumerate(sheet.iter_rows(max_col=width, values_only=True), 1):
            texts = [cell_text(v) for v in row]
            if any(texts):
                rows[number] = texts
        return rows
    finally:
        workbook.close()


def _streamed_rows(path, width: int) -> dict[int, list[str]]:
    from leads.imports.readers import _workbook, cell_text

    workbook = _workbook(path)
    try:
        rows = {}
        for number, values in workbook.rows(workbook.sheetnames[0], width=width):
            texts = [cell_text(v) for v in values]
            if any(texts):
                rows[number] = texts
        return rows
    finally:
        workbook.close()


@pytest.mark.parametrize("name", ["leads_openpyxl.xlsx", "leads_libreoffice.xlsx"])
def test_the_streamed_sheet_reads_the_fixtures_as_openpyxl_does(fixture_path, name):
    path = fixture_path(name)
    assert _streamed_rows(path, 10) == _openpyxl_rows(path, 10)


def test_inline_rich_text_reads_its_runs_but_not_its_phonetic_guide(tmp_path):
    from tests.leads.imports.workbooks import dimension_bomb

    path = tmp_path / "rich.xlsx"
    path.write_bytes(
        dimension_bomb(
            ref="A1:B2",
            sheet_data=(
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                '<row r="2"><c r="A2" t="inlineStr"><is><r><t>Zo</t></r><r><rPr><b/></rPr>'
                '<t>\u00eb</t></r><rPh sb="0" eb="2"><t>zo-e</t></rPh></is></c>'
                '<c r="B2" t="str"><f>A2</f><v>cached</v></c></row></sheetData>'
            ),
        )
    )
    assert (
        _streamed_rows(path, 2)
        == _openpyxl_rows(path, 2)
        == {1: ["Name", ""], 2: ["Zo\u00eb", "cached"]}
    )


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"
        ),
        max_size=10,
    ),
)


@settings(max_examples=40, deadline=None, database=None)
@given(
    rows=st.lists(st.lists(_VALUES, min_size=1, max_size=5), min_size=1, max_size=6),
    write_only=st.booleans(),
)
def test_the_streamed_sheet_reads_any_workbook_as_openpyxl_does(rows, write_only):
    import tempfile
    from pathlib import Path

    import openpyxl

    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.xlsx"
        workbook.save(path)
        assert _streamed_rows(path, 6) == _openpyxl_rows(path, 6)
