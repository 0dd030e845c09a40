"""Opt-out list import: admins upload numbers; all valid or nothing applied."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import ImportLine, OptOutImportError, optout_list_import
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

IMPORT = "/admin/optouts/report/import/"


def upload(text: str, name: str = "list.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_admin_imports_numbers_with_notes(admin_client, admin_user):
    given_opt_out(number="+14155550102", source=Source.CONTACT, channel=Channel.KEYWORD)
    csv_text = "phone,note\n(415) 555-0101,asked by phone\n+1 415 555 0102,\n212-555-0103\n"
    response = admin_client.post(IMPORT, {"file": upload(csv_text)}, follow=True)
    assert b"2 added to the opt-out list, 1 already on it" in response.content
    rows = {o.phone_number: o for o in OptOut.objects.all()}
    assert rows["+14155550101"].source == Source.AGENT
    assert rows["+14155550101"].channel == Channel.IMPORT
    assert rows["+14155550101"].note == "asked by phone"
    assert rows["+14155550101"].actor_id == admin_user.pk
    assert rows["+14155550102"].source == Source.CONTACT  # stronger source untouched
    event = ConsentEvent.objects.get(phone_number="+12125550103")
    assert event.channel == Channel.IMPORT and event.details["import_file"] == "list.csv"


def test_bad_numbers_are_listed_with_their_line_and_nothing_is_applied(admin_client):
    csv_text = "phone\n4155550101\n12\n\n4155550103\nnot a number,note\n"
    response = admin_client.post(IMPORT, {"file": upload(csv_text)})
    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(e["line"], e["input"]) for e in errors] == [(3, "12"), (6, "not a number")]
    assert b"Nothing was imported" in response.content
    assert not OptOut.objects.exists() and not ConsentEvent.objects.exists()


def test_import_is_all_or_nothing_across_notes(admin_user, monkeypatch):
    from optouts.services import apply

    calls = []

    def fail_on_the_events(*, events):
        # The list rows are written first, then the events (with their chain hashes): fail
        # there, after the rows went in.
        calls.append(events)
        raise RuntimeError("database went away")

    monkeypatch.setattr(apply, "consent_events_insert", fail_on_the_events)
    lines = [ImportLine(1, "4155550101", "a"), ImportLine(2, "4155550102", "b")]
    with pytest.raises(RuntimeError):
        optout_list_import(lines=lines, user=admin_user)
    assert len(calls) == 1
    assert not OptOut.objects.exists()


def test_import_keeps_each_lines_note_in_one_pass(admin_user):
    lines = [ImportLine(1, "4155550101", "asked by email"), ImportLine(2, "4155550102", "")]
    optout_list_import(lines=lines, user=admin_user)
    notes = dict(OptOut.objects.values_list("phone_number", "note"))
    assert notes == {"+14155550101": "asked by email", "+14155550102": ""}
    assert ConsentEvent.objects.get(phone_number="+14155550101").details["note"] == (
        "asked by email"
    )


def test_service_refuses_a_bad_line_before_writing(admin_user):
    with pytest.raises(OptOutImportError) as caught:
        optout_list_import(
            lines=[ImportLine(1, "4155550101"), ImportLine(2, "555")], user=admin_user
        )
    assert caught.value.errors[0]["line"] == 2
    assert not OptOut.objects.exists()


def test_empty_or_non_utf8_files_are_form_errors(admin_client):
    response = admin_client.post(IMPORT, {"file": upload("phone\n\n")})
    assert b"The file holds no phone numbers." in response.content
    bad = SimpleUploadedFile("x.csv", b"\xff\xfe4\x00", content_type="text/csv")
    response = admin_client.post(IMPORT, {"file": bad})
    assert b"not UTF-8 text" in response.content


def test_agent_cannot_import(agent_client):
    response = agent_client.post(IMPORT, {"file": upload("4155550101\n")})
    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_the_import_error_counts_its_lines_in_english():
    from optouts.services.list_import import OptOutImportError

    assert str(OptOutImportError([{}])) == "1 line of the file is not a valid phone number."
    assert str(OptOutImportError([{}, {}])) == "2 lines of the file are not valid phone numbers."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A header names the columns: numbers and notes are read from them, wherever they are.
        ("Lead,Phone number,Note\nAda,(415) 555-0101,asked\n", [("(415) 555-0101", "asked")]),
        ("'Phone number (E.164),Note\n'+14155550101,x\n", [("+14155550101", "x")]),
        ("phone,comment\n4155550101,by email\n", [("4155550101", "by email")]),
        # No header: the number first, the note second, as before.
        ("4155550101,phone\n", [("4155550101", "phone")]),
        (
            "(415) 555-0101\n'+442079460958,'=1+1\n",
            [("(415) 555-0101", ""), ("+442079460958", "=1+1")],
        ),
    ],
)
def test_the_upload_reads_numbers_and_notes_by_column_name_and_drops_the_text_quote(text, expected):
    from optouts.forms import OptOutImportForm

    form = OptOutImportForm(files={"file": upload(text)})

    assert form.is_valid(), form.errors
    assert [(line.number, line.note) for line in form.cleaned_data["file"]] == expected
