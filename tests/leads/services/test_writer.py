"""One lead writer: the same rows through the API, the lead page's service calls and the import
end in the same leads, phones, opt-out list and consent events.

The import reads a file, where a blank cell means "nothing to say": it keeps the stored value,
and a row's numbers are added to its lead's. The API and the lead page are sent what that means
(the row's non-blank fields, the lead's numbers with the row's), and the import matches by
external id only (on_match create), as they do.

A property test (hypothesis): rows with external ids that repeat (and none), phones written in
many ways and shared between rows, SMS Opt Out TRUE/FALSE/blank, some numbers already on the list
with any source. Each path runs on the same starting state inside a transaction that is rolled
back afterwards, so every path of every example starts fresh. Only the channel (api, ui, import)
and the actor may differ, and are left out of the comparison.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from leads.imports.services import import_job_create, import_job_run
from leads.models import Lead
from leads.services import lead_create, lead_update
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import phones_opt_out_by_staff
from tests.factories import given_opt_out
from velocify_sms.phones import phone_normalize

pytestmark = pytest.mark.django_db

POOL = ["+14155552671", "+14155552672", "+12125550101", "+13125550199", "+16175550123"]
KINDS = ["mobile", "home", "work", "other"]
HEADER = [
    "External ID",
    "First Name",
    "Last Name",
    "Email",
    "Company",
    "Status",
    "Mobile Phone",
    "Home Phone",
    "Work Phone",
    "Other Phone",
    "SMS Opt Out",
]
TRUE_WORDS = ["TRUE", "true", "Yes", "Y", "1"]
FALSE_WORDS = ["FALSE", "no", "N", "0", ""]


def written(number: str, style: int) -> str:
    """One of the ways people write a US number."""
    area, exchange, line = number[2:5], number[5:8], number[8:]
    return [
        number,
        f"({area}) {exchange}-{line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"+1 {area} {exchange} {line}",
        f"1 ({area}) {exchange}-{line}",
        f"{area}{exchange}{line}",
    ][style]


def _fix(row: dict) -> dict:
    # A TRUE row without a phone is a rejected row in an import (nothing to opt out), and a lead
    # needs a name for the API to accept it; rows like that are a different test.
    if not row["phones"] and row["sms_opt_out"]:
        row["sms_opt_out"] = None
    return row


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "external_id": st.sampled_from([None, "X1", "X2", "X3"]),
            "first_name": st.text(alphabet="AaBbéöZ", min_size=1, max_size=6),
            "last_name": st.sampled_from(["", "Lee", "Peña", "O'Hara"]),
            "email": st.sampled_from(["", "ann@example.com", "bo.kim@example.org"]),
            "company": st.sampled_from(["", "Acme", "Blue Sky Homes"]),
            "status": st.sampled_from([None, "new", "contacted", "qualified", "lost"]),
            # kind -> (number, how it is written)
            "phones": st.dictionaries(
                st.sampled_from(KINDS),
                st.tuples(st.sampled_from(POOL), st.integers(0, 6)),
                max_size=3,
            ),
            "sms_opt_out": st.sampled_from([True, False, None]),
            "word": st.integers(0, 4),  # which TRUE/FALSE word the file uses
            "patch": st.booleans(),  # the API client PATCHes a lead it made before
        }
    ).map(_fix),
    min_size=1,
    max_size=6,
)
initial_strategy = st.dictionaries(
    st.sampled_from(POOL),
    st.sampled_from([Source.AGENT, Source.CONTACT, Source.SYSTEM]),
    max_size=2,
)


def typed_phones(row: dict) -> list[tuple[str, str]]:
    """(as written, kind) in the file's column order."""
    return [
        (written(row["phones"][kind][0], row["phones"][kind][1]), kind)
        for kind in KINDS
        if kind in row["phones"]
    ]


def snapshot() -> dict:
    """What was stored, without ids: leads by external id (or place), numbers by number."""
    leads = list(Lead.objects.order_by("id").prefetch_related("phones"))
    key = {lead.pk: lead.external_id or f"#{index}" for index, lead in enumerate(leads)}
    return {
        "leads": [
            (
                key[lead.pk],
                lead.first_name,
                lead.last_name,
                lead.email,
                lead.company,
                lead.status,
                lead.assigned_agent_id,
                sorted((p.number, p.kind) for p in lead.phones.all()),
            )
            for lead in leads
        ],
        "opt_outs": sorted(
            (o.phone_number, o.source, key.get(o.lead_id)) for o in OptOut.objects.all()
        ),
        "events": sorted(
            (e.phone_number, e.action, e.source, e.previous_source, key.get(e.lead_id))
            for e in ConsentEvent.objects.all()
        ),
    }


TEXT_FIELDS = ["first_name", "last_name", "email", "company"]


def phones_as_imported(row: dict, lead_id: int | None) -> list[dict] | None:
    """The phones the import leaves the lead with: its stored ones, the row's added (the row's
    kind for a number it gives); None when the row gives none (they stay as they are)."""
    given: dict[str, str] = {}
    for number, kind in typed_phones(row):
        given.setdefault(phone_normalize(number), kind)
    if not given:
        return None
    stored = {}
    if lead_id is not None:
        stored = dict(Lead.objects.get(pk=lead_id).phones.values_list("number", "kind"))
    return [{"number": n, "kind": k} for n, k in {**stored, **given}.items()]


def through_api(api, rows: list[dict]) -> None:
    """(a) POST /api/v1/leads/ (external ids upsert), or PATCH a lead the client made before."""
    made: dict[str, int] = {}
    for row in rows:
        body = {name: row[name] for name in TEXT_FIELDS if row[name]}
        phones = phones_as_imported(row, made.get(row["external_id"]))
        if phones is not None:
            body["phones"] = phones
        if row["status"]:
            body["status"] = row["status"]
        if row["sms_opt_out"] is not None:
            body["sms_opt_out"] = row["sms_opt_out"]
        ext = row["external_id"]
        opt_out_first = row["sms_opt_out"] and ext in made and phones is not None
        if opt_out_first:
            # The import opts out the row's numbers only, the API every number it is sent: the
            # row's go first, with the opt-out; the lead's others are given back after.
            body["phones"] = phones_as_imported(row, None)
        if ext in made and row["patch"]:
            response = api.patch(f"/api/v1/leads/{made[ext]}/", body, format="json")
        else:
            if ext:
                body["external_id"] = ext
            response = api.post("/api/v1/leads/", body, format="json")
        assert response.status_code in (200, 201), response.json()
        if opt_out_first:
            response = api.patch(f"/api/v1/leads/{made[ext]}/", {"phones": phones}, format="json")
            assert response.status_code == 200, response.json()
        if ext:
            made[ext] = response.json()["id"]


def through_lead_page(user, rows: list[dict]) -> None:
    """(b) What the lead page's save path calls (LeadAdmin.save_related), then its Opt out link.

    The page has no external id field: the agent finds the lead a repeated id names (as by its
    name in the list) and edits it, and the test writes the external ids on afterwards so that
    the snapshots line up. The page sends every field; a status left as it was is the lead's.
    """
    made: dict[str, Lead] = {}
    labels: dict[int, str] = {}
    for row in rows:
        ext = row["external_id"]
        lead = made.get(ext) if ext else None
        # LeadPhoneForm.clean_number normalises; the formset refuses a repeat (the agent deletes
        # that row); the agent leaves the lead's other numbers and adds the row's.
        phones = phones_as_imported(row, lead.pk if lead else None)
        if phones is None:
            phones = (
                []
                if lead is None
                else [{"number": p.number, "kind": p.kind} for p in lead.phones.all()]
            )
        fields = {name: row[name] or (getattr(lead, name) if lead else "") for name in TEXT_FIELDS}
        fields["status"] = row["status"] or (lead.status if lead else Lead.Status.NEW)
        fields["assigned_agent"] = None
        if lead is not None:
            lead = lead_update(lead=lead, phones=phones, actor=user, **fields).lead
        else:
            lead = lead_create(phones=phones, actor=user, **fields).lead
        if ext:
            made[ext] = lead
            labels[lead.pk] = ext
        if row["sms_opt_out"]:
            # LeadAdmin.phone_consent_view, on each of the row's numbers (as the import does).
            for phone in phones_as_imported(row, None) or []:
                phones_opt_out_by_staff(
                    numbers=[phone["number"]], user=user, channel=Channel.UI, lead=lead.ref
                )
    for pk, ext in labels.items():
        Lead.objects.filter(pk=pk).update(external_id=ext)


def through_import(user, rows: list[dict], batch_size: int) -> None:
    """(c) A CSV of the rows through the import job (reader, RowCleaner, batch writer)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        phones = dict((kind, number) for number, kind in typed_phones(row))
        flag = row["sms_opt_out"]
        writer.writerow(
            [
                row["external_id"] or "",
                row["first_name"],
                row["last_name"],
                row["email"],
                row["company"],
                row["status"] or "",
                *(phones.get(kind, "") for kind in KINDS),
                "" if flag is None else (TRUE_WORDS if flag else FALSE_WORDS)[row["word"]],
            ]
        )
    upload = SimpleUploadedFile("rows.csv", out.getvalue().encode())
    job = import_job_create(file=upload, name="rows.csv", user=user, on_match="create")
    job = import_job_run(job_id=job.pk, batch_size=batch_size)
    assert (job.status, job.rejected_count) == ("succeeded", 0), job.error


def fresh(initial: dict, path) -> dict:
    """Run one path on the starting state; return its snapshot; leave the database as it was."""
    with transaction.atomic():
        for number, source in initial.items():
            given_opt_out(number=number, source=source)
        path()
        result = snapshot()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@hypothesis_settings(
    max_examples=20,  # about 10 s on SQLite; each example runs ~15 API calls and an import
    deadline=None,
    database=None,  # no .hypothesis folder in the project
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows_strategy, initial=initial_strategy, batch_size=st.sampled_from([1, 2, 1000]))
def test_api_lead_page_and_import_store_the_same_rows_the_same_way(
    _media, agent_api, agent_user, admin_user, rows, initial, batch_size
):
    by_api = fresh(initial, lambda: through_api(agent_api, rows))
    by_page = fresh(initial, lambda: through_lead_page(agent_user, rows))
    by_import = fresh(initial, lambda: through_import(admin_user, rows, batch_size))

    assert by_page == by_api
    assert by_import == by_api
