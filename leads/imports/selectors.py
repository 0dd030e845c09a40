"""Reads of the lead import: a job's progress and report, its rejected rows, saved mappings."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from leads.imports.models import ImportJob, ImportMapping, ImportRowError


def import_job_progress(*, job: ImportJob) -> dict:
    """Everything the progress page, the API and the CLI show: counters are committed values."""
    total = job.total_rows
    elapsed = None
    if job.started_at:
        elapsed = ((job.finished_at or timezone.now()) - job.started_at).total_seconds()
    rate = round(job.rows_done / elapsed, 1) if elapsed and job.rows_done else 0.0
    percent = 100.0 if job.is_finished and not job.error else 0.0
    if total:
        percent = round(min(100.0, 100.0 * job.rows_done / total), 1)
    return {
        "id": job.pk,
        "file_name": job.original_name,
        "status": job.status,
        "status_display": job.get_status_display(),
        "finished": job.is_finished,
        "total_rows": total,
        "rows_done": job.rows_done,
        "percent": percent,
        "rows_per_second": rate,
        "created": job.created_count,
        "updated": job.updated_count,
        "numbers_opted_out": job.opted_out_count,
        "rows_rejected": job.rejected_count,
        "rows_skipped": job.skipped_count,
        "on_match": job.on_match,
        "error": job.error,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def import_job_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    return job.row_errors.order_by("row_number", "id")


def import_job_rejected_rows(*, job: ImportJob) -> Iterator[list]:
    """One list per rejected row: its row number, the file's values, and every reason."""
    current_row, values, reasons = None, [], []
    errors = import_job_errors(job=job).only("row_number", "column", "value", "detail", "values")
    for error in errors.iterator(chunk_size=2000):
        if error.row_number != current_row:
            if current_row is not None:
                yield [current_row, *values, "; ".join(reasons)]
            current_row, values, reasons = error.row_number, list(error.values), []
            values += [""] * (len(job.headers) - len(values))
        reasons.append(f"{error.column}: {error.detail}" if error.column else error.detail)
    if current_row is not None:
        yield [current_row, *values, "; ".join(reasons)]


def import_job_rejected_header(*, job: ImportJob) -> list[str]:
    return ["Row", *job.headers, "Reason"]


def import_mapping_list() -> QuerySet[ImportMapping]:
    return ImportMapping.objects.order_by("name")


def import_job_list() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def import_job_sample(*, job: ImportJob, rows: int = 3) -> list[list[str]]:
    """The first data rows of the job's file, as text (for the mapping page)."""
    from itertools import islice

    from leads.imports.readers import ReaderOptions, table_open

    table = table_open(
        path=job.file.path, name=job.original_name, options=ReaderOptions.from_dict(job.options)
    )
    return [values for _, values in islice(table.rows(), rows)]
