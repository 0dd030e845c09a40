"""The import's dry run: read every row of a job's file and say what the import would do.

It counts as the batch writer (leads.services.writer) decides: a row whose external id is
already stored, or on an earlier row, updates; every number of a TRUE row is opted out unless
it is on the list already. It writes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from leads.imports.mapping import CleanRow, RowCleaner
from leads.imports.models import ImportJob
from leads.imports.permissions import import_mapping_opt_out_check
from leads.imports.readers import ImportFileError, ReaderOptions, Table, table_open
from leads.models import Lead
from optouts.models import OptOut


def import_job_table(*, job: ImportJob) -> Table:
    """The job's stored file, opened with its options; ImportFileError if its header changed."""
    table = table_open(
        path=job.file.path, name=job.original_name, options=ReaderOptions.from_dict(job.options)
    )
    if table.headers != job.headers:
        raise ImportFileError(
            "file_changed", "The stored file's header row no longer matches this import."
        )
    return table


@dataclass
class Preview:
    total_rows: int = 0
    to_create: int = 0
    to_update: int = 0
    numbers_to_opt_out: int = 0
    numbers_already_opted_out: int = 0
    rows_with_errors: int = 0
    sample: list[CleanRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    errors_shown_max: int = 1000
    seconds: float = 0.0
    # False when the time limit stopped it: the figures are for the first total_rows rows only.
    complete: bool = True

    @property
    def errors_truncated(self) -> bool:
        return self.rows_with_errors and len(self.errors) >= self.errors_shown_max


def import_job_preview(
    *,
    job: ImportJob,
    sample_size: int = 10,
    batch_size: int = 1000,
    seconds: float | None = None,
) -> Preview:
    """Dry run: read every row and say what the import would do. Writes nothing.

    A mapping its user may not import (ImportOptOutNotPermitted) is refused here too.

    With `seconds`, it looks at the clock every `batch_size` rows and, once past that time and
    with rows left, stops and says so (`complete` False): a web page or API call must answer
    before its request times out, and the import itself checks every row anyway, listing the
    rejected ones in its report.
    """
    started = time.perf_counter()
    import_mapping_opt_out_check(mapping=job.mapping, user=job.created_by)
    table = import_job_table(job=job)
    cleaner = RowCleaner(headers=job.headers, mapping=job.mapping)
    preview = Preview()
    seen_ids: set[str] = set()
    opt_out_numbers: set[str] = set()
    batch: list[CleanRow] = []

    def flush() -> None:
        ids = {r.external_id for r in batch if r.external_id and r.external_id not in seen_ids}
        existing = set(
            Lead.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
        )
        for row in batch:
            ext = row.external_id
            if ext and (ext in existing or ext in seen_ids):
                preview.to_update += 1
            else:
                preview.to_create += 1
            if ext:
                seen_ids.add(ext)
        numbers = {n for r in batch if r.sms_opt_out for n, _ in r.phones} - opt_out_numbers
        if numbers:
            preview.numbers_already_opted_out += OptOut.objects.filter(
                phone_number__in=numbers
            ).count()
            opt_out_numbers.update(numbers)
        batch.clear()

    for number, values in table.rows():
        if (
            seconds is not None
            and preview.total_rows
            and preview.total_rows % batch_size == 0
            and time.perf_counter() - started > seconds
        ):
            preview.complete = False  # checked here, so only when there is a row left
            break
        preview.total_rows += 1
        row = cleaner.clean(number, values)
        if row.errors:
            preview.rows_with_errors += 1
            for error in row.errors:
                if len(preview.errors) < preview.errors_shown_max:
                    preview.errors.append(
                        {
                            "row": row.row_number,
                            "column": error.column,
                            "value": error.value,
                            "detail": error.detail,
                        }
                    )
            continue
        if len(preview.sample) < sample_size:
            preview.sample.append(row)
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    preview.numbers_to_opt_out = len(opt_out_numbers)
    preview.seconds = time.perf_counter() - started
    return preview
