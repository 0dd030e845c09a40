"""Issue 13 item 3: XLSX bombs, and row/column/empty-row limits, the same in admin, API and CLI.

The two workbooks of the finding are made here (nothing big is committed) and opened in a
child process that measures its own peak memory: a 1.5 MB workbook that unpacks to 1.5 GB, and
a 4.8 KB one declaring `<dimension ref="A1:XFD200000"/>`. Each must answer within 5 s under
300 MB. The child also caps its address space, so a regression fails the test instead of
swapping the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from leads.imports.models import ImportJob
from leads.imports.readers import ImportFileError, table_open
from tests.leads.imports.workbooks import (
    dimension_bomb,
    shared_strings_bomb,
    workbook_bytes,
    workbook_rewrite,
    zip_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 5
PEAK_MB = 300

_CHILD = r"""
import json, os, resource, sys, time
limit = 1536 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
os.environ.setdefault("DEBUG", "true")
import django
django.setup()
from leads.imports.readers import ImportFileError, table_open
started = time.monotonic()
outcome = {}
try:
    table = table_open(path=sys.argv[1])
    outcome["headers"] = table.headers
    outcome["rows"] = table.count_rows()
except ImportFileError as exc:
    outcome.update(code=exc.code, message=exc.message)
except BaseException as exc:
    outcome["crash"] = repr(exc)[:500]
outcome["seconds"] = time.monotonic() - started
# VmHWM is this program's own peak: getrusage's ru_maxrss keeps the forking parent's (pytest's)
# peak across exec on Linux, so it grew with the suite run before this test.
with open("/proc/self/status") as status:
    hwm = next(line for line in status if line.startswith("VmHWM:"))
outcome["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(outcome))
"""


def open_in_child(path: Path) -> dict:
    """table_open + count_rows in a fresh process: its outcome, seconds and peak RSS in MB."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)],
            cwd=ROOT,
            # A clean environment: what earlier tests put in os.environ must not change what
            # the child loads (and so its memory).
            env={"PATH": os.environ.get("PATH", ""), "DEBUG": "true", "ENV_FILE": ""},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.name}: no answer within 60 s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bomb_path(tmp_path_factory):
    return shared_strings_bomb(tmp_path_factory.mktemp("bombs") / "bomb.xlsx")


def test_a_workbook_unpacking_to_1_5_gb_is_refused_fast_and_small(bomb_path):
    assert bomb_path.stat().st_size < 2 * 1024 * 1024  # the 1.5 MB of the finding
    outcome = open_in_child(bomb_path)
    assert outcome.get("code") == "xlsx_too_large", outcome
    assert "1,536 MB" in outcome["message"] and "200 MB" in outcome["message"], outcome
    assert outcome["seconds"] < SECONDS and outcome["peak_mb"] < PEAK_MB, outcome


def test_a_workbook_declaring_a1_xfd200000_is_refused_fast_and_small(tmp_path):
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(dimension_bomb())
    assert path.stat().st_size < 6000  # the 4.7 KB of the finding
    outcome = open_in_child(path)
    # Its row 200,000 is real, after 199,997 missing rows: the reader stops at the run of
    # empty rows, having padded nothing to the 16,384 columns declared.
    assert outcome.get("code") == "too_many_empty_rows", outcome
    assert "Rows 3 to 10,002 are empty" in outcome["message"], outcome
    assert outcome["seconds"] < SECONDS and outcome["peak_mb"] < PEAK_MB, outcome


def test_one_row_of_a_million_cells_is_read_in_flat_memory(tmp_path):
    """openpyxl builds a row whole before handing it over: 1.1 GB for 2,000,000 cells."""
    import random

    rng = random.Random(1)  # varied values, so the sheet compresses like a real one (~5:1)
    cells = "".join(f"<c><v>{rng.randint(0, 10**6)}</v></c>" for _ in range(1_000_000))
    path = tmp_path / "wide.xlsx"
    path.write_bytes(
        dimension_bomb(
            ref="A1:B2",
            sheet_data=(
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                f'<row r="2">{cells}</row></sheetData>'
            ),
        )
    )
    assert path.stat().st_size < 5 * 1024 * 1024
    outcome = open_in_child(path)
    assert (outcome.get("headers"), outcome.get("rows")) == (["Name"], 1), outcome
    assert outcome["peak_mb"] < PEAK_MB, outcome
    assert outcome["seconds"] < 3 * SECONDS, outcome  # expat's pace through 20 MB of XML


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path):
    path = tmp_path / "long.xlsx"
    path.write_bytes(
        dimension_bomb(
            ref="A1:B2",
            sheet_data=(
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c></row>'
                "</sheetData>"
            ),
        )
    )
    with pytest.raises(ImportFileError, match="cell A2 holds more than 32,767 characters"):
        table_open(path=path)


def test_a_sheet_declaring_entities_is_refused(tmp_path):
    path = tmp_path / "entities.xlsx"
    data = dimension_bomb(ref="A1:B2", sheet_data=None)
    from tests.leads.imports.workbooks import workbook_parts

    parts = workbook_parts(data)
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
        + xml.split("?>", 1)[-1]
    ).encode()
    path.write_bytes(zip_bytes(parts))
    with pytest.raises(ImportFileError, match="DOCTYPE") as caught:
        table_open(path=path)
    assert caught.value.code == "damaged_xlsx"


def _ratio_bomb() -> bytes:
    """A workbook with a 4 MiB part that compresses about 1000:1 (total well under the limit)."""
    return workbook_rewrite(
        workbook_bytes([["Name", "Cell"], ["Ann", "4155552671"]]),
        {"docProps/custom.xml": b"<a>" + b" " * (4 << 20) + b"</a>"},
    )


def test_a_part_compressed_beyond_the_ratio_limit_is_refused(tmp_path):
    path = tmp_path / "ratio.xlsx"
    path.write_bytes(_ratio_bomb())
    with pytest.raises(ImportFileError) as caught:
        table_open(path=path)
    assert caught.value.code == "xlsx_too_large"
    assert "docProps/custom.xml" in caught.value.message and "100" in caught.value.message


def test_the_uncompressed_size_limit_is_a_setting(tmp_path, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_UNCOMPRESSED_MB": 1}
    path = tmp_path / "big.xlsx"
    path.write_bytes(
        workbook_bytes([["Name", "Cell"]] + [[f"N{i}", f"41555{i:05d}"] for i in range(20000)])
    )
    with pytest.raises(ImportFileError, match=r"unpacks to [\d.]+ MB; the limit is 1 MB"):
        table_open(path=path)


def test_a_workbook_of_too_many_parts_is_refused(tmp_path, settings):
    parts = {f"junk/{i}.xml": b"<a/>" for i in range(1001)}
    path = tmp_path / "parts.xlsx"
    path.write_bytes(workbook_rewrite(workbook_bytes([["Name"], ["Ann"]]), parts))
    with pytest.raises(ImportFileError, match="1,010 parts; the limit is 1,000") as caught:
        table_open(path=path)
    assert caught.value.code == "xlsx_too_large"


def test_a_zip_end_record_understating_its_parts_does_not_hide_them(tmp_path):
    parts = {f"junk/{i}.xml": b"<a/>" for i in range(1001)}
    data = bytearray(workbook_rewrite(workbook_bytes([["Name"], ["Ann"]]), parts))
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = (10).to_bytes(2, "little") * 2  # "10 entries", zipfile reads on
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match="1,010 parts; the limit is 1,000"):
        table_open(path=path)


def test_a_zip_directory_too_long_for_its_parts_is_refused_before_it_is_parsed(tmp_path):
    parts = {f"{'x' * 60_000}/{i}.xml": b"<a/>" for i in range(20)}
    path = tmp_path / "names.xlsx"
    path.write_bytes(workbook_rewrite(workbook_bytes([["Name"], ["Ann"]]), parts))
    with pytest.raises(ImportFileError, match="table of contents is 1.1 MB long"):
        table_open(path=path)


def test_shared_strings_beyond_their_own_limit_are_refused(tmp_path, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_XLSX_PART_MB": 1}
    rows = [["Name", "Cell"]] + [[f"Name number {i}", f"41555{i:05d}"] for i in range(40000)]
    data = workbook_bytes(rows)
    # openpyxl writes inline strings; move them into a shared strings part as Excel does.
    from tests.leads.imports.workbooks import workbook_parts

    parts = workbook_parts(data)
    sst = "".join(f"<si><t>{row[0]}</t></si>" for row in rows)
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + sst + "</sst>"
    ).encode()
    from tests.leads.imports import workbooks

    workbooks._with_shared_strings(parts)
    path = tmp_path / "sst.xlsx"
    path.write_bytes(zip_bytes(parts))
    with pytest.raises(ImportFileError, match="shared strings") as caught:
        table_open(path=path)
    assert caught.value.code == "xlsx_too_large"


def test_a_header_row_wider_than_the_column_limit_is_refused(tmp_path):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(workbook_bytes([[f"C{i}" for i in range(201)], ["x"] * 201]))
    with pytest.raises(ImportFileError, match="more than 200 columns") as caught:
        table_open(path=path)
    assert caught.value.code == "too_many_columns"


def test_cells_beyond_the_header_are_not_read(tmp_path):
    path = tmp_path / "far.xlsx"
    path.write_bytes(
        dimension_bomb(
            sheet_data=(
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row>'
                '<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c>'
                '<c r="XFD2" t="inlineStr"><is><t>far</t></is></c></row></sheetData>'
            )
        )
    )
    assert list(table_open(path=path).rows()) == [(2, ["Ann"])]


def test_a_header_cell_past_the_column_limit_is_never_read(tmp_path):
    path = tmp_path / "far-header.xlsx"
    path.write_bytes(
        dimension_bomb(
            sheet_data=(
                '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c>'
                '<c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row>'
                '<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c></row></sheetData>'
            )
        )
    )
    table = table_open(path=path)
    assert table.headers == ["Name"]  # not 16,384 columns, nor an error about them


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_beyond_the_row_limit_are_refused(tmp_path, settings, kind):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_ROWS": 10}
    rows = [["Name", "Cell"]] + [[f"N{i}", f"41555{i:05d}"] for i in range(10)]
    path = tmp_path / f"rows.{kind}"
    if kind == "csv":
        path.write_text("".join(",".join(row) + "\n" for row in rows))
    else:
        path.write_bytes(workbook_bytes(rows))
    table = table_open(path=path)
    with pytest.raises(ImportFileError, match="more than 10 rows") as caught:
        table.count_rows()
    assert caught.value.code == "too_many_rows"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_run_of_empty_rows_stops_the_reader(tmp_path, settings, kind):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_EMPTY_ROWS": 50}
    path = tmp_path / f"empty.{kind}"
    if kind == "csv":
        path.write_text("Name,Cell\nAnn,4155552671\n" + ",\n" * 60 + "Bo,4155552672\n")
    else:
        path.write_bytes(
            workbook_bytes([["Name", "Cell"], ["Ann", "4155552671"]] + [[None, ""]] * 60)
        )
    with pytest.raises(ImportFileError, match="Rows 3 to 52 are empty") as caught:
        table_open(path=path).count_rows()
    assert caught.value.code == "too_many_empty_rows"


# --- The same limits in the admin, the API and the CLI ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["admin", "api", "cli"])
def test_every_door_refuses_a_bomb_with_its_message(
    door, tmp_path, settings, admin_client, admin_api
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    data = _ratio_bomb()
    expected = "compresses"
    if door == "admin":
        response = admin_client.post(
            "/admin/leads/importjob/add/", {"file": SimpleUploadedFile("bomb.xlsx", data)}
        )
        assert response.status_code == 200
        assert expected in response.content.decode()
    elif door == "api":
        response = admin_api.post(
            "/api/v1/leads/imports/",
            {"file": SimpleUploadedFile("bomb.xlsx", data), "dry_run": "true"},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "xlsx_too_large"
        assert expected in response.json()["detail"]
    else:
        path = tmp_path / "bomb.xlsx"
        path.write_bytes(data)
        with pytest.raises(CommandError, match=expected) as caught:
            call_command("import_leads", str(path), "--dry-run")
        assert caught.value.returncode == 2
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["admin", "api", "cli", "cli --dry-run"])
def test_every_door_answers_a_run_of_empty_rows_with_its_message(
    door, tmp_path, settings, admin_client, admin_api
):
    """The reading limits hit after the upload (in the preview or the run) reach the user too."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_EMPTY_ROWS": 50}
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    data = ("Name,Cell\nAnn,4155552671\n" + ",\n" * 60 + "Bo,4155552672\n").encode()
    expected = "Rows 3 to 52 are empty"
    if door == "admin":
        admin_client.post(
            "/admin/leads/importjob/add/", {"file": SimpleUploadedFile("gap.csv", data)}
        )
        job = ImportJob.objects.get()
        response = admin_client.get(f"/admin/leads/importjob/{job.pk}/preview/", follow=True)
        assert expected in response.content.decode()
    elif door == "api":
        response = admin_api.post(
            "/api/v1/leads/imports/",
            {"file": SimpleUploadedFile("gap.csv", data), "dry_run": "true"},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "too_many_empty_rows"
        assert expected in response.json()["detail"]
    else:
        path = tmp_path / "gap.csv"
        path.write_bytes(data)
        with pytest.raises(CommandError, match=expected) as caught:
            call_command("import_leads", str(path), *door.split()[1:])
        assert caught.value.returncode == 2


def test_a_zip_version_python_cannot_read_is_an_import_file_error(tmp_path):
    import zipfile

    path = tmp_path / "future.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    data = bytearray(path.read_bytes())
    # "version needed to extract" 6.4 in the central directory: zipfile refuses to open it.
    central = data.rfind(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 4 : local + 6] = (64).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError):
        table = table_open(path=path)
        list(table.rows())
