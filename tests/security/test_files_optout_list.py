"""Issue 13, the list of 500s: the opt-out list CSV upload (admin report, "Import numbers").

NUL bytes are refused by the form with a sentence (PostgreSQL refuses them in text: a 500), and
a list of 100,000 lines is read and applied in seconds.
"""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from optouts.forms import OptOutImportForm
from optouts.models import ConsentEvent, OptOut

pytestmark = pytest.mark.django_db

IMPORT = "/admin/optouts/report/import/"
AREAS = ["415", "212", "646", "312", "617", "206", "303", "512", "702", "818"]


def upload(content: bytes, name: str = "list.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize(
    "content",
    [
        b"phone,note\n4155550101,asked\x00 twice\n",
        b"phone\n415555\x000101\n",
        b"\x00\x00\x00\x00",
        "phone\n4155550101\n".encode("utf-16-le"),  # Excel's "Unicode text", without its BOM
    ],
)
def test_nul_bytes_are_a_form_error_and_nothing_is_stored(admin_client, content):
    response = admin_client.post(IMPORT, {"file": upload(content)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "NUL bytes" in page, page[-3000:]
    assert not OptOut.objects.exists() and not ConsentEvent.objects.exists()


def _list(lines: int) -> bytes:
    numbers = (
        f"({AREAS[k % 10]}) {200 + (k // 10) % 700}-{(k // 7000) % 10000:04d}" for k in range(lines)
    )
    return ("phone,note\n" + "".join(f"{n},line {i}\n" for i, n in enumerate(numbers))).encode()


def test_the_form_reads_100000_lines_in_well_under_a_second():
    form = OptOutImportForm(files={"file": upload(_list(100_000))})
    started = time.perf_counter()
    assert form.is_valid(), form.errors
    elapsed = time.perf_counter() - started
    assert len(form.cleaned_data["file"]) == 100_000
    assert elapsed < 1.0, f"{elapsed:.2f} s"


@pytest.mark.django_db(transaction=True)  # each batch commits, as in production
def test_100000_lines_are_applied_end_to_end_in_seconds(admin_client):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL figure: on SQLite the writes go through bulk_create (~60 s)")
    started = time.perf_counter()
    response = admin_client.post(IMPORT, {"file": upload(_list(100_000))}, follow=True)
    elapsed = time.perf_counter() - started
    assert b"100000 added to the opt-out list" in response.content
    assert OptOut.objects.count() == 100_000
    # 15 s measured on a shared 2-core machine, nearly all of it the consent service's writes
    # (the reading is the test above); the bound leaves room for a busier machine.
    assert elapsed < 60, f"{elapsed:.1f} s"
