"""The lead import in Chromium: upload -> mapping -> preview -> import -> progress -> report.

The import is queued on the real database task backend; the test then runs one `db_worker
--batch` and watches the progress page (static JS polling the JSON endpoint) turn into the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from leads.imports.models import ImportJob
from leads.models import Lead
from optouts.models import Channel, OptOut, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.fixture
def groups(db):
    """The role groups plus the import grants (this transactional test flushes migration data)."""
    from optouts.roles import roles_ensure

    roles_ensure()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_admin_imports_a_workbook_through_the_whole_flow(
    page, login, live_server, admin_user, screenshot, tmp_path
):
    # A number that texted STOP stays opted out whatever the file says (FALSE never opts in).
    given_opt_out(number="+14155552678", source=Source.CONTACT, channel=Channel.KEYWORD)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("alice")

    page.goto(f"{live_server.url}/admin/leads/importjob/add/")
    page.set_input_files("#id_file", str(FIXTURES / "leads_libreoffice.xlsx"))
    screenshot("import-1-upload")
    page.click("#import-upload-submit")

    page.wait_for_selector("#import-mapping-form")
    assert page.input_value("select[name=col_5]") == "sms_opt_out"  # "SMS Opt Out"
    assert page.input_value("select[name=col_3]") == "phone:mobile"  # "Cell"
    page.select_option("select[name=col_4]", "phone:work")
    page.fill("#id_save_as", "LibreOffice vendor")
    screenshot("import-2-mapping")
    page.click("#import-mapping-submit")

    page.wait_for_selector("#import-preview-counts")
    assert page.text_content("#preview-create") == "2"
    assert page.text_content("#preview-opt-out").startswith("2")
    assert "(415) 555-2676 (mobile)" in page.text_content("#import-sample")
    assert Lead.objects.count() == 0
    screenshot("import-3-preview")
    page.click("#import-start-submit")

    page.wait_for_selector("#job-status")
    assert page.get_attribute("#job-status", "data-status") == "queued"
    screenshot("import-4-queued")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    page.wait_for_selector("#import-report:not([hidden])", timeout=15_000)
    assert page.text_content("#report-created") == "2"
    assert page.text_content("#report-opted-out") == "2"
    assert page.text_content("#report-rejected") == "0"
    assert page.text_content("#job-status") == "Finished"
    screenshot("import-5-report")
    assert errors == []

    job = ImportJob.objects.get()
    assert job.status == "succeeded"
    assert set(OptOut.objects.values_list("phone_number", "source")) == {
        ("+14155552676", Source.AGENT),
        ("+14155552677", Source.AGENT),
        ("+14155552678", Source.CONTACT),
    }


def test_a_bad_file_shows_its_message(page, login, live_server, admin_user):
    login("alice")
    page.goto(f"{live_server.url}/admin/leads/importjob/add/")
    page.set_input_files("#id_file", str(FIXTURES / "pdf_renamed.xlsx"))
    page.click("#import-upload-submit")
    assert "is a PDF, not a spreadsheet" in page.text_content("#import-file-error")
    assert ImportJob.objects.count() == 0


def test_the_rejected_rows_csv_downloads(page, login, live_server, admin_user, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("First Name,Cell,SMS Opt Out\nAnn,4155552671,TRUE\nBo,12,TRUE\n")
    login("alice")
    page.goto(f"{live_server.url}/admin/leads/importjob/add/")
    page.set_input_files("#id_file", str(path))
    page.click("#import-upload-submit")
    page.click("#import-mapping-submit")
    assert page.text_content("#preview-errors") == "1"
    page.click("#import-start-submit")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    page.wait_for_selector("#report-rejected-csv", timeout=15_000)
    with page.expect_download() as download:
        page.click("#report-rejected-csv")
    text = Path(download.value.path()).read_text()
    assert "3,Bo,12,TRUE,Cell: '12' is not a valid phone number" in text
