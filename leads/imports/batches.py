"""An import's batches: each one's leads, phones, opt-outs, rejected rows and progress, committed
in one transaction, in file order.

Rows become leads through leads.services.writer.leads_write, the one lead writer that the lead
page and the API call with one row; opt-outs go through optouts.services (source agent, channel
import, actor the importing user, the job in the details). On PostgreSQL two batches are in
flight at once, on two connections (leads.imports.lanes): the next one writes its leads and
phones while the one before applies its opt-outs and commits. Each batch checks, under the job's
row lock and after the one before it has committed, that the job's committed row count is the
one it starts from: so progress is what is stored, and a run that dies resumes after the last
committed batch without writing a row twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from leads.imports.lanes import Turn, in_order
from leads.imports.mapping import CleanRow
from leads.imports.models import ImportJob, ImportJobStatus, ImportRowError
from leads.services.plan import ON_MATCH_UPDATE, matches_contacts
from leads.services.writer import LeadRow, leads_write
from optouts.models import Channel

Batch = list[tuple[CleanRow, list[str]]]


class ImportConflict(RuntimeError):
    """Another worker committed a batch of this job first; this run stops without writing."""


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    opted_out: int = 0
    skipped: int = 0
    # (index in the rows, why) of the rows the writer refused: a key naming several leads.
    rejected: list[tuple[int, str]] = field(default_factory=list)


def import_lead_rows(*, rows: list[CleanRow]) -> list[LeadRow]:
    """The writer's rows of valid import rows. A row's numbers are added to its lead's, never
    removed: a file without phone columns, or a row with its phone cells blank, leaves the
    lead's phones as they are (None)."""
    return [
        LeadRow(
            row.fields,
            row.phones or None,
            row.sms_opt_out,
            phones_add=True,
            row_number=row.row_number,
        )
        for row in rows
    ]


def import_rows_write(
    *,
    rows: list[CleanRow],
    actor=None,
    details: dict | None = None,
    before_opt_outs: Callable[[], None] | None = None,
    before_locks: Callable[[], None] | None = None,
    locks_taken: Callable[[], None] | None = None,
    on_match: str = ON_MATCH_UPDATE,
) -> BatchResult:
    """Store valid rows as leads with their phones and opt-outs, in one transaction.

    The batch goes to leads.services.writer.leads_write, the one lead writer (the lead page and
    the API call it with one row): match by external_id, else (`on_match` update or skip) by
    phone, then email; a later row with the same key as an earlier one writes the lead that row
    made; a row's numbers are added to its lead's; and every number of every TRUE row is opted
    out by one call of the consent service (channel import, the job in the details).
    """
    written = leads_write(
        rows=import_lead_rows(rows=rows),
        actor=actor,
        channel=Channel.IMPORT,
        details=details,
        before_opt_outs=before_opt_outs,
        before_locks=before_locks,
        locks_taken=locks_taken,
        on_match=on_match,
    )
    return BatchResult(
        created=written.created_count,
        updated=written.updated_count,
        opted_out=written.opted_out_count,
        skipped=written.skipped,
        rejected=written.rejected,
    )


def import_batches_commit(
    *,
    job: ImportJob,
    batches: Iterable[Batch],
    progress: Callable[[ImportJob], None] | None = None,
) -> None:
    """Commit `batches` (the rows after job.rows_done) one by one, in order, adding each one's
    counts to `job` and calling `progress(job)` once it has committed."""
    actor = job.created_by
    on_match = job.on_match
    matching = matches_contacts(on_match)
    for counts in in_order(
        items=_batches_numbered(batches, start=job.rows_done, matching=matching),
        work=lambda item, turn: _batch_commit(
            job_id=job.pk,
            rows_before=item.rows_before,
            batch=item.batch,
            actor=actor,
            turn=turn,
            on_match=on_match,
        ),
        # Other connections cannot see the rows of a transaction the caller holds open.
        overlap=connection.vendor == "postgresql" and not connection.in_atomic_block,
        independent=_BatchItem.independent,
    ):
        counts.add_to(job)
        if progress:
            progress(job)


@dataclass(frozen=True)
class _BatchKeys:
    """The keys by which a batch's valid rows name leads, one set per kind of key."""

    external_ids: AbstractSet[str]
    numbers: AbstractSet[str] = frozenset()
    emails: AbstractSet[str] = frozenset()  # without case

    def isdisjoint(self, other: _BatchKeys) -> bool:
        return (
            self.external_ids.isdisjoint(other.external_ids)
            and self.numbers.isdisjoint(other.numbers)
            and self.emails.isdisjoint(other.emails)
        )


@dataclass(frozen=True)
class _BatchItem:
    rows_before: int  # the job's rows_done once every earlier batch has committed
    batch: Batch
    keys: _BatchKeys

    @staticmethod
    def independent(earlier: _BatchItem, later: _BatchItem) -> bool:
        # A later row with a key of an earlier batch's row (its external id; when rows match by
        # phone and email, also a number or an email) finds the lead that row made or changed,
        # so it must see that batch committed.
        return earlier.keys.isdisjoint(later.keys)


def _batches_numbered(batches, *, start: int, matching: bool):
    rows_before = start
    for batch in batches:
        yield _BatchItem(rows_before, batch, _batch_keys(batch, matching=matching))
        rows_before += len(batch)


def _batch_keys(batch: Batch, *, matching: bool) -> _BatchKeys:
    # Set comprehensions over the valid rows, one per kind: a tuple (kind, key) per key took
    # three times as long (13 against 4 ms a 5,000-row batch).
    valid = [row.fields for row, _ in batch if not row.errors]
    external_ids = {fields.get("external_id") for fields in valid}
    external_ids.discard(None)
    external_ids.discard("")
    if not matching:
        return _BatchKeys(external_ids)
    numbers = {number for row, _ in batch if not row.errors for number, _ in row.phones or ()}
    emails = {str(email).casefold() for fields in valid if (email := fields.get("email"))}
    return _BatchKeys(external_ids, numbers, emails)


@dataclass
class _BatchCounts:
    rows: int
    created: int
    updated: int
    opted_out: int
    rejected: int
    skipped: int

    def add_to(self, job: ImportJob) -> None:
        job.rows_done += self.rows
        job.created_count += self.created
        job.updated_count += self.updated
        job.opted_out_count += self.opted_out
        job.rejected_count += self.rejected
        job.skipped_count += self.skipped


def _job_check(*, job_id: int, rows_before: int, lock: bool) -> None:
    """ImportConflict unless the job is running with exactly `rows_before` rows committed.

    Unlocked, it only catches a worker that has already moved past this batch (the earlier
    batch of this run may still be committing).
    """
    jobs = ImportJob.objects.only("rows_done", "status")
    job = (jobs.select_for_update(no_key=True) if lock else jobs).get(pk=job_id)
    moved_on = job.rows_done != rows_before if lock else job.rows_done > rows_before
    if moved_on or job.status != ImportJobStatus.RUNNING:
        raise ImportConflict(f"Import #{job_id} moved on in another worker.")


def _batch_commit(
    *,
    job_id: int,
    rows_before: int,
    batch: Batch,
    actor,
    turn: Turn,
    on_match: str,
) -> _BatchCounts:
    """Write one batch and the job's progress in one transaction (see leads.imports.lanes)."""
    rows = [row for row, _ in batch]
    valid = [row for row in rows if not row.errors]
    errors = []
    for row, values in batch:
        for index, error in enumerate(row.errors):
            errors.append(
                ImportRowError(
                    job_id=job_id,
                    row_number=row.row_number,
                    column=error.column[:255],
                    value=error.value,
                    detail=error.detail,
                    values=values if index == 0 else [],
                )
            )
    try:
        with transaction.atomic():
            _job_check(job_id=job_id, rows_before=rows_before, lock=False)
            result = import_rows_write(
                rows=valid,
                actor=actor,
                details={"import_job": job_id},
                before_opt_outs=turn,
                before_locks=turn.wait_locks,
                locks_taken=turn.locks_taken,
                on_match=on_match,
            )
            errors.extend(
                # The reader keeps no raw values of a row it found valid.
                ImportRowError(job_id=job_id, row_number=valid[at].row_number, detail=detail)
                for at, detail in result.rejected
            )
            if errors:
                ImportRowError.objects.bulk_create(errors)
            turn()
            _job_check(job_id=job_id, rows_before=rows_before, lock=True)
            counts = _BatchCounts(
                rows=len(rows),
                created=result.created,
                updated=result.updated,
                opted_out=result.opted_out,
                rejected=len(rows) - len(valid) + len(result.rejected),
                skipped=result.skipped,
            )
            ImportJob.objects.filter(pk=job_id).update(
                rows_done=rows_before + counts.rows,
                created_count=F("created_count") + counts.created,
                updated_count=F("updated_count") + counts.updated,
                opted_out_count=F("opted_out_count") + counts.opted_out,
                rejected_count=F("rejected_count") + counts.rejected,
                skipped_count=F("skipped_count") + counts.skipped,
                heartbeat_at=timezone.now(),
            )
    except IntegrityError as exc:
        # A second worker on this job (a stalled run resumed while the first still wrote) can
        # make this batch's new leads clash with its own before the progress check is reached.
        if ImportJob.objects.filter(pk=job_id, rows_done__gt=rows_before).exists():
            raise ImportConflict(f"Import #{job_id} moved on in another worker.") from exc
        raise
    return counts
