"""Writes of the lead import: jobs, their mapping, the job run and its resume.

The preview (a dry run) lives in leads.imports.preview, who may import what in
leads.imports.permissions, and the batches that store the rows in leads.imports.batches; all are
re-exported here for the pages, the API and the command. FALSE or blank never takes a number
off the list.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from leads.imports.batches import (
    BatchResult,
    ImportConflict,
    import_batches_commit,
    import_rows_write,
)
from leads.imports.mapping import (
    MappingError,
    RowCleaner,
    mapping_check,
    mapping_guess,
)
from leads.imports.models import ImportJob, ImportJobStatus, ImportMapping, ImportOnMatch
from leads.imports.permissions import (
    ImportOptOutNotPermitted,
    import_mapping_opt_out_check,
    import_mapping_opt_out_errors,
)
from leads.imports.pipeline import batches_cleaned
from leads.imports.preview import Preview, import_job_preview, import_job_table
from leads.imports.readers import ImportFileError, ReaderOptions, table_open
from velocify_sms.gc_relaxed import gc_relaxed

__all__ = [
    "BatchResult",
    "ImportFileError",
    "ImportOptOutNotPermitted",
    "MappingError",
    "Preview",
    "import_job_create",
    "import_job_mapping_set",
    "import_job_on_match_set",
    "import_job_preview",
    "import_job_resume",
    "import_job_run",
    "import_job_start",
    "import_jobs_resume_stale",
    "import_mapping_opt_out_check",
    "import_mapping_opt_out_errors",
    "import_mapping_save",
    "import_rows_write",
]


# --- Jobs -----------------------------------------------------------------------------------------


def _max_upload_bytes() -> int:
    return settings.LEAD_IMPORT["MAX_UPLOAD_MB"] * 1024 * 1024


def import_upload_check(*, size: int) -> None:
    """ImportFileError when a file is over IMPORT_MAX_UPLOAD_MB (checked before it is read)."""
    if size > _max_upload_bytes():
        raise ImportFileError(
            "file_too_large",
            f"The file is {size / 1024 / 1024:.1f} MB; the largest file you can import is "
            f"{settings.LEAD_IMPORT['MAX_UPLOAD_MB']} MB. Split it into smaller files.",
        )
    if size == 0:
        raise ImportFileError("empty_file", "The file is empty.")


def import_job_create(
    *,
    file,
    name: str,
    user=None,
    options: ReaderOptions | dict | None = None,
    mapping: dict[str, str] | None = None,
    mapping_name: str = "",
    on_match: str = ImportOnMatch.UPDATE,
) -> ImportJob:
    """Store the file and read its header: a draft job with a mapping filled in.

    `mapping` (header -> target) is checked and completed; else the saved mapping
    `mapping_name`; else one guessed from the headers. `on_match`: what a row matching a lead
    does (ImportOnMatch). A file that cannot be imported raises ImportFileError (a bad mapping
    MappingError) and leaves nothing behind, not even the file.
    """
    on_match = _on_match_checked(on_match)
    import_upload_check(
        size=file.size if hasattr(file, "size") else os.fstat(file.fileno()).st_size
    )
    if isinstance(options, dict):
        options = ReaderOptions.from_dict(options)
    saved = None
    if mapping_name:
        saved = ImportMapping.objects.filter(name=mapping_name).first()
        if saved is None:
            raise MappingError([f"There is no saved mapping named {mapping_name!r}."])
    job = ImportJob(original_name=os.path.basename(name)[:255], created_by=user, on_match=on_match)
    job.file.save(
        os.path.basename(name), file if isinstance(file, File) else File(file), save=False
    )
    try:
        table = table_open(path=job.file.path, name=name, options=options)
        if mapping:
            complete = mapping_check(headers=table.headers, mapping=mapping)
        else:
            complete = mapping_guess(headers=table.headers, saved=saved.columns if saved else None)
        job.file_format = table.file_format
        job.options = table.options.as_dict()
        job.headers = table.headers
        job.mapping = complete
        job.save()
    except BaseException:
        job.file.delete(save=False)
        raise
    return job


def import_job_mapping_set(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Check and store the mapping of a draft job; MappingError lists what is wrong."""
    if job.status != ImportJobStatus.DRAFT:
        raise MappingError(["This import has already started: its mapping cannot change."])
    complete = mapping_check(headers=job.headers, mapping=mapping)
    import_mapping_opt_out_check(mapping=complete, user=job.created_by)
    job.mapping = complete
    job.save(update_fields=["mapping"])
    return job


def _on_match_checked(on_match: str) -> str:
    if on_match not in ImportOnMatch.values:
        raise MappingError(
            [f"{on_match!r} is not a choice for matching rows: use {', '.join(ImportOnMatch)}."]
        )
    return on_match


def import_job_on_match_set(*, job: ImportJob, on_match: str) -> ImportJob:
    """Choose what a draft job's rows matching a lead do: update it, skip the row, or create a
    new lead (ImportOnMatch); MappingError for another value or a job already started."""
    if job.status != ImportJobStatus.DRAFT:
        raise MappingError(["This import has already started: its choices cannot change."])
    job.on_match = _on_match_checked(on_match)
    job.save(update_fields=["on_match"])
    return job


def import_mapping_save(*, name: str, mapping: dict[str, str], user=None) -> ImportMapping:
    """Save (or replace) a named mapping, keyed by normalised headers so it fits similar files."""
    from leads.imports.mapping import header_key

    name = name.strip()
    if not name:
        raise MappingError(["A saved mapping needs a name."])
    columns = {header_key(header): target for header, target in mapping.items()}
    saved, _ = ImportMapping.objects.update_or_create(
        name=name, defaults={"columns": columns, "created_by": user}
    )
    return saved


def import_job_start(*, job: ImportJob) -> ImportJob:
    """Queue a draft job as a background task (django-tasks). The mapping is checked first,
    and that its user may import it (ImportOptOutNotPermitted)."""
    from leads.imports.tasks import import_job_run_task

    mapping_check(headers=job.headers, mapping=job.mapping)
    import_mapping_opt_out_check(mapping=job.mapping, user=job.created_by)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJobStatus.DRAFT:
            return job
        job.status = ImportJobStatus.QUEUED
        job.save(update_fields=["status"])
        # The database backend stores the task in this transaction: a worker sees it only once
        # the job is committed as queued.
        result = import_job_run_task.enqueue(job.pk)
    job.refresh_from_db()
    if not job.task_id:
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
        job.task_id = str(result.id)
    return job


def import_job_is_stale(*, job: ImportJob) -> bool:
    """True when a running job has not committed a batch for IMPORT_STALE_SECONDS."""
    if job.status != ImportJobStatus.RUNNING:
        return False
    since = job.heartbeat_at or job.started_at or job.created_at
    return since < timezone.now() - timedelta(seconds=settings.LEAD_IMPORT["STALE_SECONDS"])


def import_job_can_resume(*, job: ImportJob) -> bool:
    return job.status == ImportJobStatus.FAILED or import_job_is_stale(job=job)


def import_job_resume(*, job: ImportJob, enqueue: bool = True) -> ImportJob:
    """Queue a failed or stalled job again; it continues after its last committed batch."""
    from leads.imports.tasks import import_job_run_task

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not import_job_can_resume(job=job):
            raise ImportConflict(f"Import #{job.pk} is {job.get_status_display().lower()}.")
        job.status = ImportJobStatus.QUEUED
        job.error = ""
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "error", "heartbeat_at"])
        if enqueue:
            result = import_job_run_task.enqueue(job.pk)
            job.task_id = str(result.id)
            job.save(update_fields=["task_id"])
    job.refresh_from_db()
    return job


def import_jobs_resume_stale() -> list[int]:
    """Queue again every running job whose worker went silent (no batch committed for
    IMPORT_STALE_SECONDS); returns their ids. The scheduler calls this (`import_leads
    --resume-stale`), so a job whose worker died continues without anyone pressing Resume.

    Each job is re-checked under its row lock by import_job_resume: two schedulers, or a person
    pressing Resume at the same moment, queue it once.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.LEAD_IMPORT["STALE_SECONDS"])
    candidates = ImportJob.objects.filter(status=ImportJobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True, created_at__lt=cutoff)
    )
    resumed = []
    for job in candidates.order_by("pk"):
        try:
            import_job_resume(job=job)
        except ImportConflict:  # resumed meanwhile, or it committed a batch after all
            continue
        resumed.append(job.pk)
    return resumed


def import_job_run(
    *,
    job_id: int,
    batch_size: int | None = None,
    progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Run (or continue) an import: read from the last committed row, commit batch by batch.

    Each batch's leads, phones, opt-outs, rejected rows and the job's counters commit in one
    transaction, so the progress shown is what is stored, and a run that dies resumes from the
    last batch without writing any row twice.
    """
    batch_size = batch_size or settings.LEAD_IMPORT["BATCH_SIZE"]
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job
        job.status = ImportJobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
    try:
        # Checked again here: the user's permissions may have changed since the job started.
        import_mapping_opt_out_check(mapping=job.mapping, user=job.created_by)
        table = import_job_table(job=job)
        if job.total_rows is None:
            job.total_rows = table.count_rows()
            ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
        cleaner = RowCleaner(headers=job.headers, mapping=job.mapping)
        with (
            gc_relaxed(),
            batches_cleaned(
                rows=table.rows(skip=job.rows_done), cleaner=cleaner, batch_size=batch_size
            ) as batches,
        ):
            import_batches_commit(job=job, batches=batches, progress=progress)
    except ImportConflict:
        job.refresh_from_db()
        return job
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        job.refresh_from_db()
        if not isinstance(exc, ImportFileError | ImportOptOutNotPermitted):
            raise
        return job
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.SUCCEEDED, finished_at=timezone.now(), total_rows=job.rows_done
    )
    job.refresh_from_db()
    return job
