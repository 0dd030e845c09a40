"""The import's preview: what it counts is what the import then does, and it writes nothing."""

from __future__ import annotations

import csv
import io
from unittest.mock import patch

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from leads.imports.models import ImportJob, ImportRowError
from leads.imports.services import import_job_create, import_job_preview, import_job_run
from leads.models import Lead, LeadPhone
from leads.services import writer
from optouts.messaging.models import OutboundMessage, OutboxEntry
from optouts.models import ConsentEvent, OptOut, OptOutDay, Source
from optouts.services import Outcome
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db


def test_a_true_row_without_phone_columns_previews_its_stored_leads_numbers(upload, admin_user):
    lead = LeadFactory(external_id="E1")
    LeadPhoneFactory(lead=lead, number="+14155552671")
    LeadPhoneFactory(lead=lead, number="+14155552672", kind="home")
    content = "External ID,SMS Opt Out\nE1,TRUE\n"
    job = import_job_create(
        file=upload("optouts.csv", content), name="optouts.csv", user=admin_user
    )
    assert job.mapping == {"External ID": "external_id", "SMS Opt Out": "sms_opt_out"}

    preview = import_job_preview(job=job)
    assert (preview.to_create, preview.to_update, preview.rows_with_errors) == (0, 1, 0)
    assert (preview.numbers_to_opt_out, preview.numbers_already_opted_out) == (2, 0)
    assert OptOut.objects.count() == 0

    job = import_job_run(job_id=job.pk)
    assert (job.created_count, job.updated_count, job.opted_out_count) == (0, 1, 2)
    assert set(OptOut.objects.values_list("phone_number", flat=True)) == {
        "+14155552671",
        "+14155552672",
    }
    assert Lead.objects.count() == 1


def test_the_preview_only_reads_and_locks_nothing(upload, admin_user):
    lead = LeadFactory(external_id="E1")
    LeadPhoneFactory(lead=lead, number="+14155552671")
    given_opt_out(number="+14155552671")
    content = "External ID,First Name,SMS Opt Out\nE1,Ann,TRUE\nE2,Bo,TRUE\nE2,Bea,\n"
    job = import_job_create(file=upload("leads.csv", content), name="leads.csv", user=admin_user)
    with CaptureQueriesContext(connection) as queries:
        preview = import_job_preview(job=job, batch_size=1)
    assert (preview.to_create, preview.to_update, preview.numbers_to_opt_out) == (1, 2, 1)
    assert queries.captured_queries
    for query in queries.captured_queries:
        sql = query["sql"].upper()
        # No write, no savepoint, no row lock and no consent lock (PostgreSQL's advisory locks).
        assert sql.startswith("SELECT"), sql
        assert "FOR UPDATE" not in sql and "PG_ADVISORY" not in sql, sql


# --- Preview and import agree on random files, mappings and stored leads ------------------------

POOL = ["+14155552671", "+14155552672", "+12125550101", "+13125550199"]
WRITTEN = [
    lambda n: n,
    lambda n: f"({n[2:5]}) {n[5:8]}-{n[8:]}",
    lambda n: f"{n[2:5]}.{n[5:8]}.{n[8:]}",
    lambda n: n[2:],
]
HEADER = ["External ID", "First Name", "Email", "Phone 1", "Phone 2", "Phone 3", "Opt", "Notes"]
OPT_WORDS = ["", "TRUE", "yes", "Y", "1", "FALSE", "no", "maybe"]


def weighted(*choices: tuple[int, object]) -> st.SearchStrategy:
    """One of the values, each `weight` times as likely: bad cells are rarer than good ones, so
    that most files have rows to import."""
    return st.sampled_from([value for weight, value in choices for _ in range(weight)])


phone_cell = st.one_of(
    weighted((4, ""), (1, "12")),  # "12" is not a number: the row is rejected
    *[st.builds(lambda n, style: WRITTEN[style](n), st.sampled_from(POOL), st.integers(0, 3))] * 4,
)
row_strategy = st.tuples(
    weighted((2, ""), (2, "X1"), (2, "X2"), (1, "X3"), (1, " X1 ")),
    st.sampled_from(["", "Ann", "Bo"]),
    weighted((5, ""), (4, "ann@example.com"), (1, "not an email")),
    phone_cell,
    phone_cell,
    phone_cell,
    weighted((3, ""), (6, "TRUE"), (2, "yes"), (2, "1"), (2, "FALSE"), (1, "no"), (1, "maybe")),
    st.sampled_from(["", "call after 5"]),
)


def _mapping(lead_columns: dict, phones: dict, opt_out: str) -> dict:
    return {**lead_columns, **phones, "Opt": opt_out, "Notes": "ignore"}


ONLY_EXTERNAL_ID = {"External ID": "external_id", "First Name": "ignore", "Email": "ignore"}
NO_PHONES = {"Phone 1": "ignore", "Phone 2": "ignore", "Phone 3": "ignore"}
ONE_PHONE = {"Phone 1": "phone:mobile", "Phone 2": "ignore", "Phone 3": "ignore"}
# Which columns the mapping imports (the others are mapped to ignore), and as what. Phone
# columns are mapped or not as a whole: a file without them opts out its leads' stored phones.
mapping_strategy = st.builds(
    _mapping,
    st.fixed_dictionaries(
        {
            "External ID": weighted((3, "external_id"), (1, "ignore")),
            "First Name": st.sampled_from(["first_name", "ignore"]),
            "Email": st.sampled_from(["email", "ignore"]),
        }
    ),
    st.one_of(
        st.just(NO_PHONES),
        st.fixed_dictionaries(
            {
                "Phone 1": st.sampled_from(["phone:mobile", "phone:home"]),
                "Phone 2": st.sampled_from(["phone:work", "phone:mobile", "ignore"]),
                "Phone 3": st.sampled_from(["phone:other", "ignore"]),
            }
        ),
    ),
    weighted((3, "sms_opt_out"), (1, "ignore")),
).filter(lambda m: any(t not in ("ignore", "sms_opt_out") for t in m.values()))
# Stored leads: an external id (or none) and 0..3 phones of the pool.
leads_strategy = st.lists(
    st.tuples(
        weighted((1, None), (2, "X1"), (2, "X2"), (1, "X3")),
        st.lists(st.sampled_from(POOL), max_size=3, unique=True),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda lead: lead[0] or object(),
)
opt_outs_strategy = st.dictionaries(
    st.sampled_from(POOL),
    st.sampled_from([Source.AGENT, Source.CONTACT, Source.SYSTEM]),
    max_size=3,
)

STORED_MODELS = [
    Lead,
    LeadPhone,
    OptOut,
    OptOutDay,
    ConsentEvent,
    ImportRowError,
    OutboundMessage,
    OutboxEntry,
]


def stored() -> dict:
    """Every row a preview could leave behind: leads, phones, the list, its roll-up, the events
    with their chain hashes, rejected rows and messages."""
    return {
        model.__name__: list(model.objects.order_by("pk").values_list()) for model in STORED_MODELS
    }


def csv_of(rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def import_watched(job_id: int, batch_size: int) -> tuple[ImportJob, dict[str, str]]:
    """Run the import; also return each number its TRUE rows opted out, with the outcome of the
    first time (opted out, or already on the list)."""
    first: dict[str, str] = {}
    real = writer.phones_opt_out_by_staff

    def watched(**kwargs):
        results = real(**kwargs)
        for result in results:
            first.setdefault(result.phone_number, result.outcome)
        return results

    with patch.object(writer, "phones_opt_out_by_staff", watched):
        job = import_job_run(job_id=job_id, batch_size=batch_size)
    return job, first


@hypothesis_settings(
    max_examples=50,  # about 10 s on SQLite: each example previews and imports a small file
    deadline=None,
    derandomize=True,  # the same examples on every run, so CI is repeatable
    database=None,  # no .hypothesis folder in the project
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # A file of empty rows only is refused on upload, before any preview.
    rows=st.lists(row_strategy, min_size=1, max_size=10).filter(
        lambda rows: any(cell.strip() for row in rows for cell in row)
    ),
    mapping=mapping_strategy,
    leads=leads_strategy,
    opt_outs=opt_outs_strategy,
    preview_batch=st.sampled_from([1, 2, 1000]),
    import_batch=st.sampled_from([1, 3, 1000]),
)
# The interactions between batches, always tried: rows of a file with only an external id and
# the opt-out column (the lead's stored phones are opted out); a number already on the list on
# TRUE rows of two batches; an external id made by one batch and updated by the next.
@example(
    rows=[("X1", "", "", "", "", "", "TRUE", "")],
    mapping=_mapping(ONLY_EXTERNAL_ID, NO_PHONES, "sms_opt_out"),
    leads=[("X1", [POOL[0], POOL[1]])],
    opt_outs={POOL[1]: Source.SYSTEM},
    preview_batch=1000,
    import_batch=1000,
)
@example(
    rows=[("", "Ann", "", POOL[0], "", "", "TRUE", ""), ("", "Bo", "", POOL[0], "", "", "1", "")],
    mapping=_mapping(ONLY_EXTERNAL_ID, ONE_PHONE, "sms_opt_out"),
    leads=[(None, [])],
    opt_outs={POOL[0]: Source.CONTACT},
    preview_batch=1,
    import_batch=1000,
)
@example(
    rows=[
        ("X3", "Ann", "", POOL[2], "", "", "", ""),
        ("X3", "Bo", "", POOL[3], "", "", "TRUE", ""),
    ],
    mapping=_mapping(ONLY_EXTERNAL_ID, ONE_PHONE, "sms_opt_out"),
    leads=[(None, [])],
    opt_outs={POOL[0]: Source.AGENT},
    preview_batch=1,
    import_batch=1,
)
def test_the_preview_counts_what_the_import_then_does(
    upload, admin_user, rows, mapping, leads, opt_outs, preview_batch, import_batch
):
    with transaction.atomic():
        for external_id, numbers in leads:
            lead = LeadFactory(external_id=external_id)
            for number in numbers:
                LeadPhoneFactory(lead=lead, number=number)
        for number, source in opt_outs.items():
            given_opt_out(number=number, source=source)
        job = import_job_create(
            file=upload("leads.csv", csv_of(rows)),
            name="leads.csv",
            user=admin_user,
            mapping=mapping,
        )
        before = stored()

        preview = import_job_preview(job=job, batch_size=preview_batch)
        assert stored() == before
        job, opted = import_watched(job.pk, import_batch)

        assert job.status == ImportJob.Status.SUCCEEDED, job.error
        assert preview.complete
        assert (preview.total_rows, preview.rows_with_errors) == (job.rows_done, job.rejected_count)
        assert (preview.to_create, preview.to_update) == (job.created_count, job.updated_count)
        assert preview.numbers_to_opt_out == len(opted)
        already = sum(outcome == Outcome.ALREADY_OPTED_OUT for outcome in opted.values())
        assert preview.numbers_already_opted_out == already
        assert preview.numbers_newly_opted_out == job.opted_out_count
        assert preview.errors == [
            {"row": e.row_number, "column": e.column, "value": e.value, "detail": e.detail}
            for e in job.row_errors.order_by("row_number", "id")
        ]
        transaction.set_rollback(True)
