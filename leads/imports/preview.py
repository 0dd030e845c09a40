"""The import's dry run: read every row of a job's file and say what the import would do.

It decides as the import does, with the lead writer's own plan (leads.services.plan): batch by
batch, which rows create a lead and which update one, and which numbers the TRUE rows opt out
(a row's phones, or its lead's when the file has no phone columns). Whether a number already on
the list changes is the consent rules' call (optouts.services.rules). It writes nothing, takes
no lock and opens no transaction: it reads what is stored and keeps, in memory, what its
earlier batches would have written and a later batch would read (docs/decisions.md, "The
import's preview plans, it does not write").
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from leads.imports.batches import import_lead_rows
from leads.imports.mapping import CleanRow, RowCleaner
from leads.imports.models import ImportJob
from leads.imports.permissions import import_mapping_opt_out_check
from leads.imports.readers import ImportFileError, ReaderOptions, Table, table_open
from leads.models import Lead, LeadPhone
from leads.services.plan import (
    leads_plan,
    leads_plan_keys,
    opt_outs_plan,
    phones_wanted,
)
from optouts.models import OptOut, Source
from optouts.services import opt_out_decision
from velocify_sms.db_arrays import in_values


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
    # Distinct numbers the TRUE rows opt out, those already on the list included.
    numbers_to_opt_out: int = 0
    # Of those, the ones on the list before the import, which it leaves as they are.
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

    @property
    def numbers_newly_opted_out(self) -> int:
        """The numbers the import puts on the list: its count of numbers opted out."""
        return self.numbers_to_opt_out - self.numbers_already_opted_out


class _StandIn:
    """A lead as the plan sees it: its id (a stored lead's, or a negative one for a lead an
    earlier batch would create). The plan sets the rows' fields on it; nothing reads them."""

    def __init__(self, pk: int) -> None:
        self.pk = pk


class _DryRun:
    """The import's batches, planned one after another, with what the earlier ones would have
    written and a later one reads: the leads they create by external id, and the numbers they
    opt out (then on the list). Their phone changes need no keeping: phones change only in a file
    with phone columns, where every TRUE row opts out its own numbers."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.made: dict[str, int] = {}  # external id -> stand-in id of a lead to be created
        self.asked: set[str] = set()  # numbers opted out by earlier batches' TRUE rows
        self.next_id = -1

    def batch(self, rows: list[CleanRow]) -> None:
        lead_rows = import_lead_rows(rows=rows)
        ids, external_ids = leads_plan_keys(rows=lead_rows)
        plan = leads_plan(
            rows=lead_rows,
            by_id=self._by_id(ids),
            by_external_id=self._by_external_id(external_ids),
        )
        new_ids = list(range(self.next_id, self.next_id - len(plan.new_leads), -1))
        self.next_id -= len(new_ids)
        for values, new_id in zip(plan.new_leads, new_ids, strict=True):
            if values.get("external_id"):
                self.made[values["external_id"]] = new_id
        created = sum(plan.created)
        self.preview.to_create += created
        self.preview.to_update += len(plan.created) - created
        row_leads = plan.row_leads(new_ids)
        lead_of = opt_outs_plan(
            row_leads=row_leads,
            wanted=phones_wanted(row_leads=row_leads),
            phones_stored=_phones_stored,
        )
        numbers = [number for number in lead_of if number not in self.asked]
        if numbers:
            sources = dict(
                OptOut.objects.filter(in_values("phone_number", numbers)).values_list(
                    "phone_number", "source"
                )
            )
            self.preview.numbers_already_opted_out += sum(
                opt_out_decision(current=sources.get(number), requested=Source.AGENT) is None
                for number in numbers
            )
            self.asked.update(numbers)
        self.preview.numbers_to_opt_out = len(self.asked)

    def _by_id(self, ids: set[int]) -> dict[int, _StandIn]:
        if not ids:
            return {}
        stored = Lead.objects.filter(in_values("id", ids, sql_type="bigint"))
        return {pk: _StandIn(pk) for pk in stored.values_list("pk", flat=True)}

    def _by_external_id(self, external_ids: set[str]) -> dict[str, _StandIn]:
        found = {ext: _StandIn(self.made[ext]) for ext in external_ids if ext in self.made}
        rest = external_ids - found.keys()
        if rest:
            stored = Lead.objects.filter(in_values("external_id", rest))
            found.update((ext, _StandIn(pk)) for ext, pk in stored.values_list("external_id", "pk"))
        return found


def _phones_stored(lead_ids: Iterable[int]) -> dict[int, list[str]]:
    """{lead id: numbers} of stored leads (a lead this file creates has none stored)."""
    stored: dict[int, list[str]] = {}
    ids = [lead_id for lead_id in lead_ids if lead_id > 0]
    if ids:
        phones = LeadPhone.objects.filter(in_values("lead_id", ids, sql_type="bigint"))
        for lead_id, number in phones.values_list("lead_id", "number"):
            stored.setdefault(lead_id, []).append(number)
    return stored


def import_job_preview(
    *,
    job: ImportJob,
    sample_size: int = 10,
    batch_size: int = 1000,
    seconds: float | None = None,
) -> Preview:
    """Dry run: read every row and say what the import would do, in `batch_size` batches
    planned as the import's are. Writes nothing.

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
    dry_run = _DryRun(preview)
    batch: list[CleanRow] = []

    def flush() -> None:
        if batch:
            dry_run.batch(batch)
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
    preview.seconds = time.perf_counter() - started
    return preview
