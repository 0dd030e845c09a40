"""Importing a file again: rows match the leads they made by external id, else phone, else email,
and the job's on_match choice says what a matching row does (update, skip, create)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from leads.imports.mapping import header_key, mapping_guess
from leads.imports.models import ImportJob
from leads.imports.services import import_job_create, import_job_preview, import_job_run
from leads.models import Lead, LeadPhone
from optouts.models import OptOut
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db

# A CRM export without an external id column: "Loan" is a loan amount, not an id.
HEADER = "First Name,Last Name,Loan,Cell Phone,E-mail,SMS Opt Out\n"
PEOPLE = [
    ("Ann", "Lee", "250000", "(415) 555-2671", "ann@example.com", ""),
    ("Bo", "Diaz", "180000", "(415) 555-2672", "", "FALSE"),
    ("Cy", "Ng", "90000", "", "CY@Example.com", ""),
    ("Di", "Ray", "310000", "212-555-0101", "di@example.com", ""),
    ("Ed", "Kim", "120000", "312-555-0199", "", ""),
    ("Flo", "Orr", "75000", "415.555.2673", "flo@example.com", ""),
    ("Gus", "Poe", "60000", "", "gus@example.com", "FALSE"),
]


def csv_of(people) -> str:
    return HEADER + "".join(",".join(person) + "\n" for person in people)


def create_job(upload, user, content: str, on_match: str = "update") -> ImportJob:
    return import_job_create(
        file=upload("leads.csv", content), name="leads.csv", user=user, on_match=on_match
    )


def imported(upload, user, content: str, on_match: str = "update") -> ImportJob:
    return import_job_run(job_id=create_job(upload, user, content, on_match).pk)


def test_a_file_without_an_external_id_imported_twice_updates_its_leads(upload, admin_user):
    first = imported(upload, admin_user, csv_of(PEOPLE))
    assert (first.created_count, first.updated_count, first.rejected_count) == (7, 0, 0)
    assert first.mapping["Loan"] == "ignore"

    again = [(*person[:4], person[4].upper(), person[5]) for person in PEOPLE]
    again[0] = ("Annie", *again[0][1:])
    job = create_job(upload, admin_user, csv_of(again))
    preview = import_job_preview(job=job)
    assert (preview.rows_matching, preview.to_update, preview.to_create) == (7, 7, 0)

    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.updated_count, job.skipped_count) == (0, 7, 0)
    assert Lead.objects.count() == 7
    assert Lead.objects.filter(first_name="Annie", last_name="Lee").count() == 1
    assert LeadPhone.objects.count() == 5


def test_skip_leaves_matching_leads_alone_and_counts_them(upload, admin_user):
    imported(upload, admin_user, csv_of(PEOPLE))
    changed = [("Zed", *person[1:]) for person in PEOPLE] + [
        ("Hal", "Vu", "1", "(415) 555-0142", "", "")
    ]
    job = create_job(upload, admin_user, csv_of(changed), on_match="skip")
    preview = import_job_preview(job=job)
    assert (preview.rows_matching, preview.to_skip, preview.to_create) == (7, 7, 1)

    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 0, 7)
    assert not Lead.objects.filter(first_name="Zed").exists()
    assert Lead.objects.count() == 8


def test_create_makes_new_leads_as_before(upload, admin_user):
    imported(upload, admin_user, csv_of(PEOPLE))
    job = create_job(upload, admin_user, csv_of(PEOPLE), on_match="create")
    preview = import_job_preview(job=job)
    assert (preview.rows_matching, preview.to_create) == (0, 7)
    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.updated_count) == (7, 0)
    assert Lead.objects.count() == 14


def test_a_row_whose_number_two_leads_share_is_an_error_naming_them(upload, admin_user):
    first, second = LeadFactory(), LeadFactory()
    LeadPhoneFactory(lead=first, number="+14155552671")
    LeadPhoneFactory(lead=second, number="+14155552671")
    job = create_job(upload, admin_user, csv_of(PEOPLE[:2]))
    preview = import_job_preview(job=job)
    assert preview.rows_with_errors == 1
    detail = f"Its phone number matches 2 leads (#{first.pk}, #{second.pk})"
    assert preview.errors[0]["row"] == 2 and preview.errors[0]["detail"].startswith(detail)

    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.updated_count, job.rejected_count) == (1, 0, 1)
    error = job.row_errors.get()
    assert (error.row_number, error.detail.startswith(detail)) == (2, True)
    assert set(Lead.objects.values_list("first_name", flat=True)) == {
        first.first_name,
        second.first_name,
        "Bo",
    }


def test_a_row_whose_email_two_leads_share_is_an_error(upload, admin_user):
    LeadFactory(email="cy@example.com")
    LeadFactory(email="Cy@example.com")
    job = imported(upload, admin_user, csv_of([PEOPLE[2]]))
    assert (job.created_count, job.rejected_count) == (0, 1)
    assert job.row_errors.get().detail.startswith("Its email matches 2 leads")


def test_an_update_never_clears_a_field_or_a_number_from_a_blank_cell(upload, admin_user):
    lead = LeadFactory(first_name="Ann", last_name="Lee", email="ann@example.com", company="Acme")
    LeadPhoneFactory(lead=lead, number="+14155552671")
    LeadPhoneFactory(lead=lead, number="+14155552672", kind="work")
    given_opt_out(number="+14155552672")
    content = (
        "First Name,Company,Email,Cell,Work Phone,SMS Opt Out\n"
        ",,,(415) 555-2671,,FALSE\n"  # a matched row of blanks and FALSE changes nothing
    )
    job = imported(upload, admin_user, content)
    assert (job.updated_count, job.created_count, job.rejected_count) == (1, 0, 0)
    lead.refresh_from_db()
    assert (lead.first_name, lead.email, lead.company) == ("Ann", "ann@example.com", "Acme")
    assert set(lead.phones.values_list("number", flat=True)) == {"+14155552671", "+14155552672"}
    # FALSE never opts a number back in.
    assert OptOut.objects.filter(phone_number="+14155552672").exists()


def test_a_row_without_an_external_id_matches_by_email_without_case(upload, admin_user):
    lead = LeadFactory(first_name="Old", email="Gus@Example.com")
    job = imported(upload, admin_user, csv_of([PEOPLE[6]]))
    assert (job.updated_count, job.created_count) == (1, 0)
    lead.refresh_from_db()
    assert lead.first_name == "Gus"


def test_a_row_with_an_external_id_matches_by_it_only(upload, admin_user):
    # Two people of one household share a number; a new loan number is a new lead.
    lead = LeadFactory(external_id="L-1")
    LeadPhoneFactory(lead=lead, number="+14155552671")
    content = "Loan #,First Name,Cell\nL-2,Ann,(415) 555-2671\n"
    job = imported(upload, admin_user, content)
    assert job.mapping["Loan #"] == "external_id"
    assert (job.created_count, job.updated_count) == (1, 0)


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Loan #", "external_id"),
        ("Loan Number", "external_id"),
        ("Loan ID", "external_id"),
        ("Lead ID", "external_id"),
        ("Lead #", "external_id"),
        ("Loan", "ignore"),
        ("Cell", "phone:mobile"),
        ("Cell #", "phone:mobile"),
        ("Mobile Phone", "phone:mobile"),
        ("Cell Phone", "phone:mobile"),
        ("Phone #", "phone:mobile"),
        ("E-mail", "email"),
        ("E-mail Address", "email"),
    ],
)
def test_common_crm_headers_are_recognised(header, target):
    assert mapping_guess(headers=[header]) == {header: target}


def test_a_hash_reads_as_number_in_a_header():
    assert header_key("Loan #") == "loannumber" == header_key("Loan Number")
    assert header_key("Loan") == "loan"


def test_the_api_takes_the_choice_and_its_dry_run_counts_the_matches(admin_api, admin_user, upload):
    imported(upload, admin_user, csv_of(PEOPLE))
    body = {"file": upload("x.csv", csv_of(PEOPLE)), "on_match": "skip", "dry_run": "true"}
    preview = admin_api.post("/api/v1/leads/imports/", body, format="multipart").json()
    assert (preview["on_match"], preview["rows_matching"], preview["to_skip"]) == ("skip", 7, 7)

    body = {"file": upload("x.csv", csv_of(PEOPLE)), "on_match": "skip"}
    job = admin_api.post("/api/v1/leads/imports/", body, format="multipart").json()
    assert (job["on_match"], job["rows_skipped"], job["created"]) == ("skip", 7, 0)

    body = {"file": upload("x.csv", csv_of(PEOPLE)), "on_match": "merge"}
    response = admin_api.post("/api/v1/leads/imports/", body, format="multipart")
    assert response.status_code == 400
    assert "on_match" in json.dumps(response.json())


def test_import_leads_takes_on_match(tmp_path, admin_user):
    path = tmp_path / "leads.csv"
    path.write_text(csv_of(PEOPLE))
    call_command("import_leads", str(path), "--user", "alice", stdout=StringIO())
    out = StringIO()
    call_command("import_leads", str(path), "--user", "alice", "--on-match", "skip", stdout=out)
    assert "0 created, 0 updated, 7 skipped (matching a lead)" in out.getvalue()
    assert ImportJob.objects.order_by("-pk").first().on_match == "skip"
    out = StringIO()
    call_command("import_leads", str(path), "--dry-run", "--user", "alice", stdout=out)
    assert "7 rows matching existing leads, on_match update" in out.getvalue()
