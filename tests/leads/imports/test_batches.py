"""An import's batches on PostgreSQL: two in flight on two connections, committed in file order.

These run with committed data (transaction=True): the second lane is another connection, which
cannot see a test's open transaction (and inside one the import does not overlap at all).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from leads.imports import batches
from leads.imports.models import ImportJob
from leads.imports.services import import_job_create, import_job_resume, import_job_run
from leads.models import Lead, LeadPhone
from leads.services import writer
from optouts.models import ConsentEvent, OptOut

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="batches overlap on PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True),
]

ROWS = 40
BATCH = 5
SHARED = "+14155559999"  # on TRUE rows 7 (batch 1) and 12 (batch 2), for different leads


def csv_rows(*, same_external_id_across_batches: bool = False) -> str:
    lines = ["External ID,First Name,Cell,Home,SMS Opt Out"]
    for i in range(ROWS):
        external_id = f"E{i}"
        if same_external_id_across_batches and i == BATCH:
            external_id = f"E{BATCH - 1}"  # the first row of batch 1 updates batch 0's last lead
        home = "4155559999" if i in (7, 12) else ""
        opt_out = "TRUE" if i % 3 == 0 or i in (7, 12) else ""
        lines.append(f"{external_id},N{i},41555526{i:02d},{home},{opt_out}")
    return "\n".join(lines) + "\n"


def true_rows() -> list[str]:
    return [f"E{i}" for i in range(ROWS) if i % 3 == 0 or i in (7, 12)]


@pytest.fixture
def job_of(upload, admin_user):
    def make(content: str) -> ImportJob:
        # Matching by external id only (the tests of matching by phone and email are below).
        return import_job_create(
            file=upload("leads.csv", content),
            name="leads.csv",
            user=admin_user,
            on_match="create",
        )

    return make


@pytest.fixture
def lanes_seen(monkeypatch):
    """The threads the batches were written in."""
    seen = set()
    real = batches.import_rows_write

    def spy(**kwargs):
        seen.add(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr(batches, "import_rows_write", spy)
    return seen


def test_batches_are_written_on_two_lanes_and_every_row_commits_once_in_file_order(
    job_of, lanes_seen
):
    job = import_job_run(job_id=job_of(csv_rows()).pk, batch_size=BATCH)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert {name.rsplit("_", 1)[0] for name in lanes_seen} == {"import-lane-0", "import-lane-1"}
    assert (job.rows_done, job.created_count, job.updated_count) == (ROWS, ROWS, 0)
    assert sorted(Lead.objects.values_list("external_id", flat=True)) == sorted(
        f"E{i}" for i in range(ROWS)
    )
    # Opt-outs are applied batch after batch: the events follow the file's TRUE rows, and the
    # number on two TRUE rows of consecutive batches belongs to the earlier row's lead.
    external_id_of = dict(Lead.objects.values_list("id", "external_id"))
    events = ConsentEvent.objects.order_by("id").values_list("lead_id", flat=True)
    assert list(dict.fromkeys(external_id_of[lead_id] for lead_id in events)) == true_rows()
    assert external_id_of[OptOut.objects.get(phone_number=SHARED).lead_id] == "E7"
    assert job.opted_out_count == OptOut.objects.count() == len(true_rows()) + 1


def test_a_row_naming_the_lead_of_the_batch_before_waits_for_it_and_updates_that_lead(
    job_of, lanes_seen
):
    job = import_job_run(
        job_id=job_of(csv_rows(same_external_id_across_batches=True)).pk, batch_size=BATCH
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert (job.created_count, job.updated_count) == (ROWS - 1, 1)
    assert Lead.objects.get(external_id=f"E{BATCH - 1}").first_name == f"N{BATCH}"


def test_progress_is_reported_once_a_batch_has_committed(job_of):
    reported = []

    def progress(job):
        stored = ImportJob.objects.get(pk=job.pk).rows_done
        reported.append((job.rows_done, stored))

    import_job_run(job_id=job_of(csv_rows()).pk, batch_size=BATCH, progress=progress)

    assert [shown for shown, _ in reported] == list(range(BATCH, ROWS + 1, BATCH))
    assert all(stored >= shown for shown, stored in reported)


def test_a_failed_batch_rolls_back_the_batch_behind_it_and_a_resume_writes_each_row_once(
    job_of, monkeypatch
):
    job = job_of(csv_rows())
    real = batches.import_rows_write
    behind_started = threading.Event()

    def third_batch_dies(**kwargs):
        external_ids = {row.fields["external_id"] for row in kwargs["rows"]}
        if "E15" in external_ids:  # batch 3, behind the failing one
            behind_started.set()
        if "E10" in external_ids:  # batch 2
            assert behind_started.wait(5), "batch 3 did not start while batch 2 ran"
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(batches, "import_rows_write", third_batch_dies)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk, batch_size=BATCH)

    job.refresh_from_db()
    # Batches 0 and 1 committed; batch 3 had written its leads but never committed them.
    assert (job.status, job.rows_done, job.created_count) == ("running", 10, 10)
    assert Lead.objects.count() == 10

    monkeypatch.setattr(batches, "import_rows_write", real)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at.replace(year=2000))
    job.refresh_from_db()
    job = import_job_resume(job=job)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert (job.rows_done, job.created_count) == (ROWS, ROWS)
    assert Lead.objects.count() == ROWS
    assert job.opted_out_count == OptOut.objects.count() == len(true_rows()) + 1


def test_a_matching_import_overlaps_its_batches_too(upload, admin_user, lanes_seen):
    job = import_job_create(
        file=upload("leads.csv", csv_rows()), name="leads.csv", user=admin_user, on_match="update"
    )

    job = import_job_run(job_id=job.pk, batch_size=BATCH)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert {name.rsplit("_", 1)[0] for name in lanes_seen} == {"import-lane-0", "import-lane-1"}
    assert (job.rows_done, job.created_count, job.updated_count) == (ROWS, ROWS, 0)
    assert job.opted_out_count == OptOut.objects.count() == len(true_rows()) + 1


def test_two_batches_naming_one_stored_lead_by_different_keys_update_it_in_file_order(
    upload, admin_user, monkeypatch
):
    """Row 2 (batch 0) names the stored lead by its number, row 7 (batch 1) by its email: no key
    in common, so the batches overlap, and both lock that lead. Batch 0 is held back before its
    locks; the batch behind must not take the lead first and then wait for batch 0 to commit
    while batch 0 waits for the lead (a deadlock no database can see: one of the waits is here)."""
    stored = Lead.objects.create(first_name="Stored", email="ana@example.com")
    LeadPhone.objects.create(lead=stored, number="+14155550142")
    lines = ["First Name,Company,Cell,Email", "Ana,First,(415) 555-0142,"]
    lines += [f"N{i},Other,(212) 555-01{i:02d},n{i}@example.com" for i in range(1, 5)]
    lines += ["Ana,Second,,ANA@example.com"]
    lines += [f"N{i},Other,(212) 555-01{i:02d},n{i}@example.com" for i in range(6, 10)]
    job = import_job_create(
        file=upload("leads.csv", "\n".join(lines) + "\n"),
        name="leads.csv",
        user=admin_user,
        on_match="update",
    )
    real = writer._leads_locked

    def batch_0_late(rows, *, matching):
        # A lock never granted fails the batch in seconds instead of hanging the test.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
        if any(row.row_number == 2 for row in rows):
            time.sleep(1)
        return real(rows, matching=matching)

    monkeypatch.setattr(writer, "_leads_locked", batch_0_late)

    job = import_job_run(job_id=job.pk, batch_size=BATCH)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert (job.created_count, job.updated_count) == (8, 2)
    stored.refresh_from_db()
    assert (stored.first_name, stored.company) == ("Ana", "Second")
