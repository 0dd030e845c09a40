"""A running import whose worker went silent is resumed by the scheduler, nobody pressing Resume."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.imports.models import ImportJob
from leads.imports.services import import_job_create, import_jobs_resume_stale
from leads.models import Lead
from velocify_sms.processes.scheduler import scheduled_job_run, scheduler_jobs

pytestmark = pytest.mark.django_db

CSV = "First Name,Cell\nAna,4155552671\nBen,4155552672\nCy,4155552673\n"


def _running_job(upload, admin_user, *, heartbeat_ago: int) -> ImportJob:
    job = import_job_create(file=upload("leads.csv", CSV), name="leads.csv", user=admin_user)
    started = timezone.now() - timedelta(seconds=heartbeat_ago)
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", started_at=started, heartbeat_at=started
    )
    return job


def test_the_periodic_job_resumes_a_running_import_with_an_old_heartbeat(
    upload, admin_user, settings
):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "STALE_SECONDS": 300}
    job = _running_job(upload, admin_user, heartbeat_ago=301)
    (stale_imports,) = [job for job in scheduler_jobs() if job.name == "stale-imports"]

    assert scheduled_job_run(job=stale_imports) is True

    job.refresh_from_db()
    # Queued again and (the immediate task backend of these tests) run to the end.
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.task_id
    assert Lead.objects.count() == 3


def test_an_import_that_committed_a_batch_lately_is_left_alone(upload, admin_user, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "STALE_SECONDS": 300}
    job = _running_job(upload, admin_user, heartbeat_ago=200)

    assert import_jobs_resume_stale() == []

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert Lead.objects.count() == 0


def test_queued_and_failed_imports_are_not_picked_up(upload, admin_user, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "STALE_SECONDS": 300}
    job = _running_job(upload, admin_user, heartbeat_ago=900)
    ImportJob.objects.filter(pk=job.pk).update(status="failed")

    assert import_jobs_resume_stale() == []
