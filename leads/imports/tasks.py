"""The background task of the lead import (django-tasks; `manage.py db_worker` runs it)."""

from __future__ import annotations

from django_tasks import task


@task()
def import_job_run_task(job_id: int) -> dict:
    """Run or continue import job `job_id`; returns its final counters."""
    from leads.imports.services import import_job_run

    job = import_job_run(job_id=job_id)
    return {
        "status": job.status,
        "rows_done": job.rows_done,
        "created": job.created_count,
        "updated": job.updated_count,
        "opted_out": job.opted_out_count,
        "rejected": job.rejected_count,
    }
