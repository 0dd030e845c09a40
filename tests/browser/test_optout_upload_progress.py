"""The opt-out list upload ("Import numbers") shows its progress: how much of the file is sent,
then that the server is checking and adding the list. Without JavaScript it is a plain form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from optouts.models import Channel, OptOut

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT = "/admin/optouts/report/import/"


def _list(tmp_path, count: int):
    path = tmp_path / "numbers.csv"
    path.write_text(
        "phone\n" + "".join(f"+1415{n:07d}\n" for n in range(2_000_000, 2_000_000 + count))
    )
    return path


def test_the_upload_shows_its_progress_then_the_report(
    page, login, live_server, admin_user, tmp_path
):
    states: list[tuple[str, str]] = []
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.expose_function("recordUploadState", lambda state, text: states.append((state, text)))
    login("alice")
    page.goto(f"{live_server.url}{IMPORT}")
    status = page.get_by_role("status")
    expect(status).to_be_hidden()
    # Every change of the progress box, as it happens (the answer then replaces the page).
    page.evaluate(
        """() => {
          const box = document.getElementById("upload-progress");
          new MutationObserver(() => window.recordUploadState(
            box.getAttribute("data-state"), box.textContent.trim())
          ).observe(box, {attributes: true, subtree: true, childList: true, characterData: true});
        }"""
    )
    page.locator("input[type=file]").set_input_files(str(_list(tmp_path, 3000)))
    page.get_by_role("button", name="Import").click()

    # 3,000 numbers in one transaction: seconds on a loaded machine.
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported 3,000 numbers from numbers.csv", timeout=60_000
    )
    expect(page).to_have_url(re.compile(r"/admin/optouts/report/$"))
    assert OptOut.objects.filter(channel=Channel.IMPORT).count() == 3000
    seen = [state for state, _ in states]
    assert "uploading" in seen and "processing" in seen, states
    assert seen.index("uploading") < seen.index("processing")
    assert any("Checking every number" in text for _, text in states), states
    # The report written in place of the page runs its own script under the same policy.
    page.get_by_role("link", name="Opt In").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert problems == []


def test_without_javascript_the_upload_is_a_plain_form(browser, live_server, admin_user, tmp_path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "pass-for-tests")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}{IMPORT}")
        page.locator("input[type=file]").set_input_files(str(_list(tmp_path, 3)))
        page.get_by_role("button", name="Import").click()
        expect(page.locator(".messagelist")).to_contain_text("Imported 3 numbers")
        assert OptOut.objects.filter(channel=Channel.IMPORT).count() == 3
    finally:
        context.close()


def test_a_list_with_a_bad_line_comes_back_with_its_errors_and_nothing_added(
    page, login, live_server, admin_user, tmp_path
):
    path = tmp_path / "bad.csv"
    path.write_text("phone\n(415) 555-0101\n12\n")
    login("alice")
    page.goto(f"{live_server.url}{IMPORT}")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#content")).to_contain_text("Nothing was imported")
    expect(page.get_by_role("row").filter(has_text="12")).not_to_have_count(0)
    expect(page).to_have_url(re.compile(r"/admin/optouts/report/import/$"))
    # The page the answer wrote works like the first: the corrected file goes through.
    path.write_text("phone\n(415) 555-0101\n")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messagelist")).to_contain_text("Imported 1 number from bad.csv")
    assert list(OptOut.objects.values_list("phone_number", flat=True)) == ["+14155550101"]
