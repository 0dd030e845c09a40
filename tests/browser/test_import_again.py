"""The lead import in Chromium, the second time: the upload shows its progress (the same script as
"Import numbers"), and a file imported again, edited, updates the leads it matches instead of
adding them twice when the admin chooses "update" in the preview."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from leads.imports.models import ImportJob
from leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)

ADD = "/admin/leads/importjob/add/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _run_queued_imports():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_lead_upload_shows_its_progress_then_the_mapping(
    page, login, live_server, admin_user, tmp_path
):
    path = tmp_path / "big.csv"
    path.write_text(
        "Loan #,First Name,Cell\n"
        + "".join(f"L-{n},Ann,+1415{n:07d}\n" for n in range(2_000_000, 2_020_000))
    )
    states: list[tuple[str, str]] = []
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.expose_function("recordUploadState", lambda state, text: states.append((state, text)))
    login("alice")
    page.goto(f"{live_server.url}{ADD}")
    expect(page.get_by_role("status")).to_be_hidden()
    page.evaluate(
        """() => {
          const box = document.getElementById("upload-progress");
          new MutationObserver(() => window.recordUploadState(
            box.getAttribute("data-state"), box.textContent.trim())
          ).observe(box, {attributes: true, subtree: true, childList: true, characterData: true});
        }"""
    )
    page.set_input_files("#id_file", str(path))
    page.click("#import-upload-submit")

    page.wait_for_selector("#import-mapping-form", timeout=60_000)
    expect(page).to_have_url(
        f"{live_server.url}/admin/leads/importjob/{ImportJob.objects.get().pk}/mapping/"
    )
    seen = [state for state, _ in states]
    assert "uploading" in seen and "processing" in seen, states
    assert seen.index("uploading") < seen.index("processing")
    assert any("Uploading big.csv" in text for _, text in states), states
    assert any("Reading the columns" in text for _, text in states), states
    # The mapping page written in place of the upload page works: its form submits.
    page.click("#import-mapping-submit")
    page.wait_for_selector("#import-preview-counts", timeout=60_000)
    assert problems == []


def _import(page, live_server, path, *, on_match: str):
    page.goto(f"{live_server.url}{ADD}")
    page.set_input_files("#id_file", str(path))
    page.click("#import-upload-submit")
    page.wait_for_selector("#import-mapping-form")
    # "Loan #" is recognised as the External ID, "Cell" as a mobile phone.
    assert page.input_value("select[name=col_0]") == "external_id"
    page.select_option("select[name=on_match]", "skip")
    page.click("#import-mapping-submit")
    page.wait_for_selector("#import-preview-counts")
    if on_match != "skip":
        page.select_option("#import-on-match-form select[name=on_match]", on_match)
        page.click("#import-on-match-submit")
        page.wait_for_selector("#import-preview-counts")


def test_a_file_imported_again_with_update_changes_the_leads_it_matches(
    page, login, live_server, admin_user, tmp_path
):
    first = tmp_path / "crm.csv"
    first.write_text(
        "Loan #,First Name,Last Name,Cell\n"
        "L-100,Ann,Lee,(415) 555-2671\n"
        "L-101,Bo,Diaz,(415) 555-2672\n"
    )
    login("alice")
    _import(page, live_server, first, on_match="skip")
    assert page.text_content("#preview-create") == "2"
    page.click("#import-start-submit")
    _run_queued_imports()
    page.wait_for_selector("#import-report:not([hidden])", timeout=15_000)
    assert Lead.objects.count() == 2

    # The same leads a week later: Ann married, Bo's row unchanged, one new lead.
    again = tmp_path / "crm-week-2.csv"
    again.write_text(
        "Loan #,First Name,Last Name,Cell\n"
        "L-100,Ann,Park,(415) 555-2671\n"
        "L-101,Bo,Diaz,(415) 555-2672\n"
        "L-102,Cy,Ng,(415) 555-2673\n"
    )
    _import(page, live_server, again, on_match="skip")
    assert "2 rows match existing leads" in page.text_content("#preview-matching")
    assert page.text_content("#preview-skip") == "2"
    assert page.text_content("#preview-update") == "0"
    # The admin changes their mind in the preview: update the matching leads.
    page.select_option("#import-on-match-form select[name=on_match]", "update")
    page.click("#import-on-match-submit")
    page.wait_for_selector("#import-preview-counts")
    assert page.input_value("#import-on-match-form select[name=on_match]") == "update"
    assert page.text_content("#preview-update") == "2"
    assert page.text_content("#preview-skip") == "0"
    assert page.text_content("#preview-create") == "1"
    page.click("#import-start-submit")
    _run_queued_imports()
    page.wait_for_selector("#import-report:not([hidden])", timeout=15_000)
    assert page.text_content("#report-created") == "1"
    assert page.text_content("#report-updated") == "2"

    assert Lead.objects.count() == 3
    assert set(Lead.objects.values_list("external_id", "last_name")) == {
        ("L-100", "Park"),
        ("L-101", "Diaz"),
        ("L-102", "Ng"),
    }
    assert ImportJob.objects.latest("pk").on_match == "update"
