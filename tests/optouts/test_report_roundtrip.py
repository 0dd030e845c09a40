"""Round trip: the report's CSV export goes back in through "Import numbers"
as it is, with its header, its national and foreign numbers and its notes; an export cut short
is refused whole."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from optouts import views_report_actions
from optouts.models import Channel, OptOut, Source
from optouts.services import phones_opt_in_by_admin
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
EXPORT = REPORT + "export.csv"
IMPORT = REPORT + "import/"
NUMBERS = ["+14155550101", "+12125550102", "+442079460958"]


def _export(client, **params) -> bytes:
    return b"".join(client.get(EXPORT, {"period": "all", **params}).streaming_content)


def _upload(client, data: bytes, name: str = "opt-outs.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data)}, follow=True)


def test_the_export_uploaded_as_it_is_puts_the_same_numbers_and_notes_back(
    admin_client, admin_user
):
    for n, number in enumerate(NUMBERS):
        given_opt_out(number=number, source=Source.AGENT, note=f"note {n}" if n else "=1+1")
    exported = _export(admin_client)
    phones_opt_in_by_admin(
        numbers=NUMBERS, user=admin_user, channel=Channel.REPORT, note="to test the round trip"
    )
    assert not OptOut.objects.exists()

    response = _upload(admin_client, exported)

    assert b"Imported 3 numbers from opt-outs.csv: 3 added" in response.content
    back = dict(OptOut.objects.values_list("phone_number", "note"))
    # The export's `'` before a formula-like note is its guard, not part of the note.
    assert back == {NUMBERS[0]: "=1+1", NUMBERS[1]: "note 1", NUMBERS[2]: "note 2"}
    assert set(OptOut.objects.values_list("channel", flat=True)) == {Channel.IMPORT}


def test_an_export_of_numbers_already_listed_changes_nothing(admin_client):
    given_opt_out(number=NUMBERS[0], source=Source.CONTACT, channel=Channel.KEYWORD)

    response = _upload(admin_client, _export(admin_client))

    assert b"0 added to the opt-out list, 1 already on it" in response.content
    assert OptOut.objects.get().source == Source.CONTACT


def test_an_older_export_with_quoted_e164_numbers_is_read(admin_client):
    older = (
        "Phone number (E.164),National format,Source,Opted out at,By whom,Channel,Note,Lead IDs\n"
        "'+14155550101,(415) 555-0101,Agent,2026-11-30T10:00:00+00:00,bob,Lead page,asked,\n"
        "'+442079460958,+442079460958,Contact,2026-11-30T10:00:00+00:00,the contact,SMS,,7\n"
    )

    response = _upload(admin_client, older.encode())

    assert b"2 added" in response.content
    assert dict(OptOut.objects.values_list("phone_number", "note")) == {
        "+14155550101": "asked",
        "+442079460958": "",
    }


def test_an_export_cut_short_is_refused_whole_with_a_sentence_saying_so(
    admin_client, admin_user, monkeypatch
):
    for number in NUMBERS:
        given_opt_out(number=number, source=Source.AGENT)
    real = views_report_actions.optout_export_rows

    def breaks_after_two(**kwargs):
        rows = real(**kwargs)
        yield next(rows)
        yield next(rows)
        raise DatabaseError("canceling statement due to statement timeout")

    # The Python writer on every database: the one a test can break between two rows (the
    # COPY writer ends its file with the same line, tests/security/test_inputs_export.py).
    monkeypatch.setattr(views_report_actions, "export_in_database", lambda: False)
    monkeypatch.setattr(views_report_actions, "optout_export_rows", breaks_after_two)
    cut_short = _export(admin_client)
    phones_opt_in_by_admin(
        numbers=NUMBERS, user=admin_user, channel=Channel.REPORT, note="to test the upload"
    )

    response = _upload(admin_client, cut_short)

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert errors[0].startswith("Line 4 says the export was cut short: EXPORT INCOMPLETE")
    assert "Export the list again and upload the whole file." in errors[0]
    assert not OptOut.objects.exists()
