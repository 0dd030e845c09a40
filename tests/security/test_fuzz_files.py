"""Fuzzing the file readers: whatever the bytes, a reader answers with rows or with an
ImportFileError carrying a sentence, never anything else; the opt-out list form answers with a
form error; the import API never with a 5xx.

Bounded for `make test`: about 20 s in all (the example counts below), no deadline per example
(the machine is shared), and no example database written into the checkout.
"""

from __future__ import annotations

import codecs
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.imports.mapping import MappingError, mapping_from_json
from leads.imports.readers import ImportFileError, table_open
from optouts.forms import OptOutImportForm
from tests.leads.imports.workbooks import workbook_bytes
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32"]
CELL = st.text(
    alphabet=st.sampled_from(
        list("abcAZ019 +-().,;\t\"'\r\n\x00éü€—\u2028") + ["\U0001f4de", "\ufeff"]
    ),
    max_size=12,
)


@st.composite
def csv_bytes(draw) -> bytes:
    """Rows of odd cells joined by a delimiter, in some encoding, perhaps with NULs and junk."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", ""]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = draw(st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=0, max_size=8))
    text = newline.join(delimiter.join(row) for row in rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


def _read_all(path: Path) -> None:
    try:
        table = table_open(path=path, name=path.name)
        for _number, values in table.rows():
            assert len(values) == len(table.headers)
    except ImportFileError as exc:
        assert exc.code and exc.message.strip(), repr(exc)


def _with_file(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        _read_all(path)


@settings(FUZZ, max_examples=250)
@given(data=csv_bytes())
def test_any_csv_bytes_give_rows_or_an_import_file_error(data):
    _with_file(data, ".csv")


@settings(FUZZ, max_examples=60)
@given(data=st.binary(max_size=300))
def test_any_bytes_named_xlsx_give_an_import_file_error(data):
    _with_file(data, ".xlsx")


_GOOD = workbook_bytes(
    [["Name", "Cell", "Stop"], ["Ann", 4155552671, True], ["Bo", "415-555-2672", None]]
)


def _parts() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(_GOOD)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


PARTS = _parts()


@st.composite
def broken_workbooks(draw) -> bytes:
    """A real workbook, then: cut short, bytes flipped, a part dropped, garbled or replaced."""
    how = draw(st.sampled_from(["truncate", "flip", "drop", "garble", "replace"]))
    if how == "truncate":
        return _GOOD[: draw(st.integers(0, len(_GOOD) - 1))]
    if how == "flip":
        data = bytearray(_GOOD)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        return bytes(data)
    parts = dict(PARTS)
    name = draw(st.sampled_from(sorted(parts)))
    if how == "drop":
        del parts[name]
    elif how == "garble":
        content = parts[name]
        at = draw(st.integers(0, len(content)))
        parts[name] = content[:at] + draw(st.binary(max_size=20)) + content[at + 5 :]
    else:
        parts[name] = draw(
            st.sampled_from(
                [
                    b"",
                    b"<",
                    b"not xml",
                    b"<?xml version='1.0'?><x/>",
                    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
                    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><x>&c;&c;&c;</x>',
                    codecs.BOM_UTF16_LE + "<x/>".encode("utf-16-le"),
                ]
            )
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, content in parts.items():
            archive.writestr(part, content)
    return buffer.getvalue()


@settings(FUZZ, max_examples=120)
@given(data=broken_workbooks())
def test_a_broken_workbook_gives_rows_or_an_import_file_error(data):
    _with_file(data, ".xlsx")


@settings(FUZZ, max_examples=200)
@given(data=csv_bytes())
def test_any_opt_out_list_is_read_or_refused_by_the_form(data):
    form = OptOutImportForm(files={"file": SimpleUploadedFile("list.csv", data)})
    if form.is_valid():
        assert all("\x00" not in line.number + line.note for line in form.cleaned_data["file"])
    else:
        assert form.errors["file"]


@settings(FUZZ, max_examples=150)
@given(text=st.text(max_size=45))
def test_any_text_is_a_phone_number_or_invalid(text):
    try:
        number = phone_normalize(text)
    except InvalidPhoneNumber as exc:
        assert str(exc)
    else:
        assert number.startswith("+") and number[1:].isdigit()


@settings(FUZZ, max_examples=200)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
            max_leaves=10,
        ).map(lambda value: __import__("json").dumps(value)),
    )
)
def test_any_mapping_json_is_a_mapping_or_a_mapping_error(text):
    try:
        mapping = mapping_from_json(text)
    except MappingError as exc:
        assert exc.errors
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())


@pytest.mark.django_db
@settings(FUZZ, max_examples=25, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(csv_bytes(), broken_workbooks()), name=st.sampled_from(["f.csv", "f.xlsx"]))
def test_the_import_api_never_answers_5xx(admin_api, data, name, tmp_path):
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        response = admin_api.post(
            "/api/v1/leads/imports/",
            {"file": SimpleUploadedFile(name, data), "dry_run": "true"},
            format="multipart",
        )
    assert response.status_code < 500, response.content[:500]
    if response.status_code == 400:
        assert response.json()["code"] and response.json()["detail"]
