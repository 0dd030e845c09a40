"""Browser tests: Debian's chromium, driven by Playwright (no browser download, ever).

Without chromium a local run skips these with a message; under CI=true that is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        message = "Debian's chromium is not installed (apt-get install chromium): browser tests"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " cannot be skipped in CI.")
        pytest.skip(message + " skipped.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves a PNG under test-artifacts/screenshots/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """login(username, password) through the real admin login form."""

    def do(username: str, password: str = "pass-for-tests") -> None:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    return do


# The journeys' pictures for README.md: `make screenshots` sets this to docs/img.
DOCS_SCREENSHOTS = os.environ.get("VELOCIFY_SCREENSHOTS", "")
DOCS_VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def docs_screenshot(page):
    """docs_screenshot("name") saves the visible 1280x800 window as VELOCIFY_SCREENSHOTS/name.png.

    The journeys always run at that size, so a run with the variable set (`make screenshots`) and
    one without click through the same layout; without it nothing is written.
    """
    page.set_viewport_size(DOCS_VIEWPORT)
    # The admin's side menu closed (it remembers that in localStorage): the pictures are about
    # the page, and at 1280 pixels the menu squeezes tables until numbers wrap.
    page.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")

    def take(name: str) -> Path | None:
        if not DOCS_SCREENSHOTS:
            return None
        folder = Path(DOCS_SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        # No caret blinking in a focused box: the same page gives the same picture.
        page.screenshot(path=str(path), full_page=False, caret="hide", animations="disabled")
        return path

    return take
