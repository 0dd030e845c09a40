"""The import's writes: rows to leads, TRUE opts out every number, FALSE never opts in, resume."""

from __future__ import annotations

import gc

import pytest
from django.db import transaction

from leads.imports import batches, services
from leads.imports.lanes import Turn
from leads.imports.models import ImportJob, ImportMapping
from leads.imports.services import (
    ImportFileError,
    MappingError,
    import_job_create,
    import_job_preview,
    import_job_resume,
    import_job_run,
    import_job_start,
    import_mapping_save,
)
from leads.models import Lead, LeadPhone
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out
from velocify_sms.db_copy import COPY_MIN_ROWS
from velocify_sms.gc_relaxed import YOUNG_THRESHOLD

pytestmark = pytest.mark.django_db

CSV = (
    "External ID,First Name,Last Name,Mobile Phone,Home Phone,General.Sms.OptOut\n"
    "E1,Ann,Lee,4155552671,4155552672,TRUE\n"
    "E2,Bo,Kim,4155552673,,FALSE\n"
    "E3,Cy,Fox,4155552674,,\n"
)


def job_from(upload, admin_user, content=CSV, name="leads.csv", **kwargs) -> ImportJob:
    return import_job_create(file=upload(name, content), name=name, user=admin_user, **kwargs)


def test_a_new_job_has_the_guessed_mapping_and_detected_options(upload, admin_user):
    job = job_from(upload, admin_user)
    assert job.status == ImportJob.Status.DRAFT
    assert job.mapping["General.Sms.OptOut"] == "sms_opt_out"
    assert job.options == {"delimiter": ",", "encoding": "utf-8", "sheet": ""}


def test_run_creates_leads_and_opts_out_every_number_of_a_true_row(upload, admin_user):
    job = import_job_run(job_id=job_from(upload, admin_user).pk)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.created_count, job.updated_count, job.opted_out_count, job.rejected_count) == (
        3,
        0,
        2,
        0,
    )
    ann = Lead.objects.get(external_id="E1")
    assert sorted(ann.phones.values_list("number", "kind")) == [
        ("+14155552671", "mobile"),
        ("+14155552672", "home"),
    ]
    rows = OptOut.objects.order_by("phone_number")
    assert [
        (o.phone_number, o.source, o.channel, o.actor_id, o.actor_label, o.lead_id, o.lead_label)
        for o in rows
    ] == [
        ("+14155552671", Source.AGENT, Channel.IMPORT, admin_user.pk, "alice", ann.pk, str(ann)),
        ("+14155552672", Source.AGENT, Channel.IMPORT, admin_user.pk, "alice", ann.pk, str(ann)),
    ]
    events = ConsentEvent.objects.filter(action="opt_out")
    assert {e.details["import_job"] for e in events} == {job.pk}
    assert {(e.lead_id, e.lead_label, e.actor_label) for e in events} == {
        (ann.pk, str(ann), "alice")
    }
    assert Lead.objects.with_sms_opt_out().get(external_id="E2").sms_opt_out is False


def test_the_batches_are_written_with_the_cycle_collector_relaxed(upload, admin_user, monkeypatch):
    seen = []
    commit = services.import_batches_commit

    def watched(**kwargs):
        seen.append((gc.get_freeze_count() > 0, gc.get_threshold()[0]))
        commit(**kwargs)

    monkeypatch.setattr(services, "import_batches_commit", watched)
    job = import_job_run(job_id=job_from(upload, admin_user).pk)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert seen == [(True, YOUNG_THRESHOLD)]
    assert gc.get_freeze_count() == 0


def test_false_never_opts_in_a_number_that_texted_stop(upload, admin_user):
    given_opt_out(number="+14155552673", source=Source.CONTACT, channel=Channel.KEYWORD)
    import_job_run(job_id=job_from(upload, admin_user).pk)
    stop = OptOut.objects.get(phone_number="+14155552673")
    assert stop.source == Source.CONTACT
    assert ConsentEvent.objects.filter(phone_number="+14155552673").count() == 1


def test_true_does_not_downgrade_a_stronger_opt_out(upload, admin_user):
    given_opt_out(number="+14155552671", source=Source.CONTACT, channel=Channel.KEYWORD)
    job = import_job_run(job_id=job_from(upload, admin_user).pk)
    assert OptOut.objects.get(phone_number="+14155552671").source == Source.CONTACT
    assert job.opted_out_count == 1


def test_rows_with_an_external_id_update_their_lead(upload, admin_user):
    lead = LeadFactory(external_id="E2", first_name="Old")
    LeadPhoneFactory(lead=lead, number="+14155559999")
    job = import_job_run(job_id=job_from(upload, admin_user).pk)
    assert (job.created_count, job.updated_count) == (2, 1)
    lead.refresh_from_db()
    assert lead.first_name == "Bo"
    # The row's number is added: a file never removes one.
    assert list(lead.phones.values_list("number", flat=True)) == ["+14155559999", "+14155552673"]
    assert Lead.objects.count() == 3


def test_the_same_external_id_twice_in_a_file_makes_one_lead(upload, admin_user):
    content = "ID,First Name,Cell\nX,Ann,4155552671\nX,Anna,4155552672\n"
    job = import_job_run(job_id=job_from(upload, admin_user, content).pk)
    assert (job.created_count, job.updated_count) == (1, 1)
    lead = Lead.objects.get()
    assert lead.first_name == "Anna"
    assert list(lead.phones.values_list("number", flat=True)) == ["+14155552671", "+14155552672"]


def test_bad_rows_are_rejected_with_row_column_and_value_and_the_rest_imported(upload, admin_user):
    content = "First Name,Cell,SMS Opt Out\nAnn,4155552671,TRUE\nBo,12,TRUE\nCy,4155552674,maybe\n"
    job = import_job_run(job_id=job_from(upload, admin_user, content).pk)
    assert (job.created_count, job.rejected_count, job.opted_out_count) == (1, 2, 1)
    errors = list(job.row_errors.values_list("row_number", "column", "value"))
    assert errors == [(3, "Cell", "12"), (4, "SMS Opt Out", "maybe")]
    assert not OptOut.objects.filter(phone_number="+14155552674").exists()


def test_a_batch_big_enough_for_copy_stores_each_row_on_its_own_lead(upload, admin_user):
    # Over COPY_MIN_ROWS new leads, so PostgreSQL takes the COPY path with reserved ids; one row
    # repeats an earlier external_id and one has none.
    n = COPY_MIN_ROWS + 20
    lines = ["External ID,First Name,Email,Cell,Work Phone,SMS Opt Out"]
    for i in range(n):
        external_id = "" if i == 5 else "X3" if i == n - 1 else f"X{i}"
        lines.append(
            f"{external_id},N{i},n{i}@example.com,41555{i:05d},21255{i:05d},"
            f"{'TRUE' if i % 7 == 0 else ''}"
        )
    job = import_job_run(job_id=job_from(upload, admin_user, "\n".join(lines) + "\n").pk)
    assert (job.created_count, job.updated_count, job.rejected_count) == (n - 1, 1, 0)
    for lead in Lead.objects.exclude(external_id="X3"):
        i = int(lead.first_name[1:])
        assert (lead.email, lead.status, lead.company) == (f"n{i}@example.com", "new", "")
        assert lead.external_id == (None if i == 5 else f"X{i}")
        assert sorted(lead.phones.values_list("number", "kind")) == [
            (f"+1212550{i:04d}", "work"),
            (f"+1415550{i:04d}", "mobile"),
        ]
    repeated = Lead.objects.get(external_id="X3")
    assert repeated.first_name == f"N{n - 1}"
    # The later row's numbers are added to those of the row that made the lead.
    assert sorted(repeated.phones.values_list("number", flat=True)) == [
        "+12125500003",
        f"+1212550{n - 1:04d}",
        "+14155500003",
        f"+1415550{n - 1:04d}",
    ]
    opted = OptOut.objects.filter(phone_number__startswith="+1415550")
    leads = {lead.pk: lead for lead in Lead.objects.all()}
    assert {(o.phone_number, leads[o.lead_id].first_name) for o in opted} == {
        (f"+1415550{i:04d}", f"N{i}") for i in range(n) if i % 7 == 0
    }
    # Each row's label names its own lead, from the one label query of its batch.
    assert all(o.lead_label == str(leads[o.lead_id]) for o in opted)


def test_rows_with_a_blank_external_id_each_make_a_lead_without_one(upload, admin_user):
    content = "External ID,First Name,Cell\n,A,4155552671\n  ,B,4155552672\nE1,C,4155552673\n"
    job = import_job_run(job_id=job_from(upload, admin_user, content).pk)
    assert (job.status, job.created_count, job.rejected_count) == ("succeeded", 3, 0)
    assert sorted(Lead.objects.values_list("first_name", "external_id")) == [
        ("A", None),
        ("B", None),
        ("C", "E1"),
    ]


def test_preview_counts_and_writes_nothing(upload, admin_user):
    LeadFactory(external_id="E2")
    given_opt_out(number="+14155552672", source=Source.AGENT, channel=Channel.UI)
    content = CSV + "E4,Dee,Ray,bad,,TRUE\n"
    job = job_from(upload, admin_user, content)
    counts = (Lead.objects.count(), LeadPhone.objects.count(), OptOut.objects.count())
    events = ConsentEvent.objects.count()
    preview = import_job_preview(job=job)
    assert (preview.total_rows, preview.to_create, preview.to_update) == (4, 2, 1)
    assert (preview.numbers_to_opt_out, preview.numbers_already_opted_out) == (2, 1)
    assert preview.rows_with_errors == 1
    assert preview.errors[0]["row"] == 5 and preview.errors[0]["column"] == "Mobile Phone"
    assert preview.sample[0].phones == [("+14155552671", "mobile"), ("+14155552672", "home")]
    assert (Lead.objects.count(), LeadPhone.objects.count(), OptOut.objects.count()) == counts
    assert ConsentEvent.objects.count() == events


def test_a_preview_out_of_time_says_how_many_rows_it_checked(upload, admin_user):
    job = job_from(upload, admin_user, CSV + "E4,Dee,Ray,bad,,TRUE\n")
    preview = import_job_preview(job=job, batch_size=2, seconds=0)
    assert (preview.complete, preview.total_rows, preview.to_create) == (False, 2, 2)
    assert (preview.numbers_to_opt_out, preview.rows_with_errors) == (2, 0)


def test_a_preview_that_reads_the_last_row_in_time_is_complete(upload, admin_user):
    job = job_from(upload, admin_user, CSV + "E4,Dee,Ray,bad,,TRUE\n")
    assert import_job_preview(job=job, batch_size=4, seconds=0).complete
    preview = import_job_preview(job=job)
    assert (preview.complete, preview.total_rows, preview.rows_with_errors) == (True, 4, 1)


def test_a_job_started_runs_through_the_task_backend(upload, admin_user):
    job = import_job_start(job=job_from(upload, admin_user))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.task_id
    assert Lead.objects.count() == 3


def test_resume_after_a_killed_batch_continues_without_duplicating(upload, admin_user, monkeypatch):
    content = "First Name,Cell,SMS Opt Out\n" + "".join(
        f"N{i},41555526{i:02d},{'TRUE' if i % 3 == 0 else ''}\n" for i in range(10)
    )
    job = job_from(upload, admin_user, content)
    real = batches.import_rows_write
    calls = {"n": 0}

    def dies_on_third_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # like a SIGKILL mid-batch: the batch rolls back
        return real(**kwargs)

    monkeypatch.setattr(batches, "import_rows_write", dies_on_third_batch)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk, batch_size=3)
    job.refresh_from_db()
    # Two batches committed with their progress; the third left nothing behind.
    assert (job.status, job.rows_done, job.created_count) == ("running", 6, 6)
    assert Lead.objects.count() == 6

    monkeypatch.setattr(batches, "import_rows_write", real)
    job.heartbeat_at = job.heartbeat_at.replace(year=2000)
    job.save()
    job = import_job_resume(job=job)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.rows_done, job.created_count, job.opted_out_count) == (10, 10, 4)
    assert Lead.objects.count() == 10
    assert sorted(Lead.objects.values_list("first_name", flat=True)) == sorted(
        f"N{i}" for i in range(10)
    )


def test_a_running_job_that_is_not_stale_cannot_be_resumed(upload, admin_user):
    job = job_from(upload, admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    with pytest.raises(services.ImportConflict):
        import_job_resume(job=job)


def test_a_second_worker_on_the_same_batch_writes_nothing(upload, admin_user):
    job = job_from(upload, admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="running", rows_done=1)
    with pytest.raises(services.ImportConflict), transaction.atomic():
        cleaner = services.RowCleaner(headers=job.headers, mapping=job.mapping)
        values = ["E1", "A", "B", "4155552671", "", ""]
        batches._batch_commit(
            job_id=job.pk,
            rows_before=0,
            batch=[(cleaner.clean(2, values), values)],
            actor=None,
            turn=Turn(),
            on_match="update",
        )
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("h.csv", b"First Name,Cell\n", "no data rows"),
        ("d.csv", b"Cell,cell\n1,2\n", "more than once"),
        ("x.xlsx", b"%PDF-1.4 ...", "PDF"),
    ],
)
def test_bad_files_leave_nothing_behind(upload, admin_user, settings, name, content, message):
    with pytest.raises(ImportFileError, match=message):
        job_from(upload, admin_user, content, name=name)
    assert ImportJob.objects.count() == 0
    assert (
        not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))
        if settings.MEDIA_ROOT.exists()
        else True
    )


def test_a_file_over_the_size_limit_is_refused(upload, admin_user, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_UPLOAD_MB": 1}
    with pytest.raises(ImportFileError, match="the largest file you can import is 1 MB"):
        job_from(upload, admin_user, "First Name,Cell\n" + "x" * (1024 * 1024 + 1))


def test_saved_mapping_is_reused_by_name(upload, admin_user):
    import_mapping_save(name="Vendor", mapping={"Tel": "phone:work", "Who": "first_name"})
    job = job_from(upload, admin_user, "Who,Tel\nAnn,4155552671\n", mapping_name="Vendor")
    assert job.mapping == {"Who": "first_name", "Tel": "phone:work"}
    assert ImportMapping.objects.get().columns == {"tel": "phone:work", "who": "first_name"}
    with pytest.raises(MappingError, match="no saved mapping named 'Nope'"):
        job_from(upload, admin_user, mapping_name="Nope")


@pytest.mark.parametrize("name", ["leads_openpyxl.xlsx", "leads_libreoffice.xlsx"])
def test_both_workbooks_import(upload, admin_user, name):
    job = import_job_create(file=upload(name), name=name, user=admin_user)
    job = import_job_run(job_id=job.pk)
    assert job.status == "succeeded", job.error
    assert job.rejected_count == 0
    assert job.created_count == 2
    assert job.opted_out_count == 2
    numbers = set(LeadPhone.objects.values_list("number", flat=True))
    assert "+14155552671" in numbers or "+14155552676" in numbers


# --- An SMS Opt Out column needs the right to opt numbers out ---------------------------------


def test_a_user_who_may_not_opt_out_is_refused_at_mapping_preview_and_start(upload, importer_user):
    job = job_from(upload, importer_user)  # the upload itself is fine: the mapping is a guess
    with pytest.raises(services.ImportOptOutNotPermitted, match="ivy may not opt phone numbers"):
        services.import_job_mapping_set(job=job, mapping=job.mapping)
    with pytest.raises(services.ImportOptOutNotPermitted):
        import_job_preview(job=job)
    with pytest.raises(services.ImportOptOutNotPermitted):
        import_job_start(job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT
    assert Lead.objects.count() == 0


def test_a_job_whose_user_lost_the_right_fails_before_writing_a_row(upload, importer_user):
    # The TRUE row last and one row per batch: a check at that row would leave two leads behind.
    content = "First Name,Cell,SMS Opt Out\nA,4155552671,\nB,4155552672,FALSE\nC,4155552673,TRUE\n"
    job = job_from(upload, importer_user, content)
    job = import_job_run(job_id=job.pk, batch_size=1)
    assert job.status == ImportJob.Status.FAILED
    assert "may not opt phone numbers out" in job.error
    assert (job.rows_done, Lead.objects.count(), ConsentEvent.objects.count()) == (0, 0, 0)


def test_the_same_user_imports_once_the_opt_out_column_is_ignored(upload, importer_user):
    job = job_from(upload, importer_user)
    mapping = {**job.mapping, "General.Sms.OptOut": "ignore"}
    services.import_job_mapping_set(job=job, mapping=mapping)
    job = import_job_run(job_id=import_job_start(job=job).pk)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.created_count, job.opted_out_count) == (3, 0)
