"""Lead import throughput and memory on PostgreSQL, against a COPY floor measured in the same run.

    .venv/bin/python bench/import.py                 # 100,000 rows (the figure in the issue)
    .venv/bin/python bench/import.py --rows 20000    # quicker
    .venv/bin/python bench/import.py --memory-rows 1000000   # also the 1,000,000-row memory check

A CSV of N rows (2-3 phones per row in mixed national formats, 10% with SMS Opt Out = TRUE) is
imported through the job code the background task runs (import_job_create + import_job_run:
the readers and the row cleaner with phone_normalize in the reader process, the batch writer and
the opt-out service in this one).
The floor: the same rows, already normalised to E.164, written with psycopg COPY into the same
tables (leads, phones, opt-out list, audit events). Peak memory is the process's peak resident
set (getrusage), for this process and for the reader process it forks.

"Before" is the same job code at the revision the speed work started from (bench/_baseline.py), run
in a child process against the same database, so each round times floor, before and after back
to back on the same machine load: the ratios are what to compare, the rows/s move with the load
of the shared machine (its load average is printed with the figures).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from _baseline import BASELINE_REV, baseline_tree
from _common import django_setup, drop_database, section
from _cpu import cpu_now, cpu_since

TARGET_ROWS_S = 12_000
TARGET_RATIO = 1.4
TARGET_RSS_MB = 250
try:
    IE_VERSION = metadata.version("django-import-export")
except metadata.PackageNotFoundError:
    IE_VERSION = "(not installed: pip install -e '.[dev]')"

try:
    from _common import result_record
except ImportError:  # until bench/_common.py has it

    def result_record(*, target, figure, unit, floor, ratio, met, before=None):
        record = {
            "bench": "import",
            "target": target,
            "figure": figure,
            "unit": unit,
            "floor": floor,
            "ratio": ratio,
            "met": met,
            "before": before,
        }
        print("BENCH-RESULT " + json.dumps(record), flush=True)
        return record


# Run in the baseline tree (cwd first on sys.path): the old job code on the same database.
_BEFORE_SCRIPT = """
import os, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files import File
from leads.imports.services import import_job_create, import_job_run
sys.path.insert(0, sys.argv[3])
from _cpu import cpu_now
user = get_user_model().objects.get(pk=int(sys.argv[2]))
cpu_before = cpu_now()
started = time.perf_counter()
with open(sys.argv[1], "rb") as handle:
    job = import_job_create(file=File(handle, name="leads.csv"), name="leads.csv", user=user)
job = import_job_run(job_id=job.pk)
seconds = time.perf_counter() - started
job.file.delete(save=False)
assert job.status == "succeeded", job.error
print(seconds, *(b - a for a, b in zip(cpu_before, cpu_now())))
"""

AREAS = ["415", "212", "646", "312", "617", "206", "303", "512", "702", "818"]
HEADER = [
    "External ID",
    "First Name",
    "Last Name",
    "Email",
    "Mobile Phone",
    "Home Phone",
    "Work Phone",
    "SMS Opt Out",
]


def _number(k: int) -> tuple[str, str]:
    """(as typed, E.164) of the k-th distinct valid US number."""
    area = AREAS[k % len(AREAS)]
    exchange = 200 + (k // len(AREAS)) % 700
    if exchange % 100 == 11:  # N11 codes are not exchanges
        exchange += 1
    line = (k // (len(AREAS) * 700)) % 10000
    e164 = f"+1{area}{exchange}{line:04d}"
    style = k % 3
    if style == 0:
        typed = f"({area}) {exchange}-{line:04d}"
    elif style == 1:
        typed = f"{area}-{exchange}-{line:04d}"
    else:
        typed = f"+1 {area} {exchange} {line:04d}"
    return typed, e164


def rows(n: int):
    """(csv row, normalised row) pairs."""
    k = 0
    for i in range(n):
        count = 3 if i % 2 else 2
        typed, e164 = [], []
        for _ in range(count):
            t, e = _number(k)
            k += 1
            typed.append(t)
            e164.append(e)
        opt_out = i % 10 == 0
        typed += [""] * (3 - count)
        first, last = f"First{i}", f"Last{i}"
        email = f"lead{i}@example.com"
        yield (
            [f"B-{i}", first, last, email, *typed, "TRUE" if opt_out else "FALSE"],
            (f"B-{i}", first, last, email, e164, opt_out),
        )


def write_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for row, _ in rows(n):
            writer.writerow(row)


def truncate() -> None:
    from django.db import connection, transaction

    # The consent history refuses TRUNCATE (append-only triggers); this is a benchmark's own
    # database, emptied between rounds as the superuser it connects as, triggers off for it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "TRUNCATE leads_leadphone, optouts_consentevent, optouts_optout, leads_importrowerror,"
            " leads_importjob, leads_lead RESTART IDENTITY CASCADE"
        )


def copy_floor(n: int, actor_id: int, actor_label: str) -> float:
    """COPY the already-normalised rows; returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor() as cur:
            with cur.copy(
                "COPY leads_lead (first_name, last_name, email, company, status, external_id,"
                " created_at, updated_at) FROM STDIN"
            ) as copy:
                for _, (ext, first, last, email, _phones, _o) in rows(n):
                    copy.write_row((first, last, email, "", "new", ext, now, now))
            cur.execute("SELECT external_id, id FROM leads_lead")
            ids = dict(cur.fetchall())
            with cur.copy("COPY leads_leadphone (lead_id, number, kind) FROM STDIN") as copy:
                for _, (ext, _f, _l, _e, phones, _o) in rows(n):
                    for number, kind in zip(phones, ("mobile", "home", "work"), strict=False):
                        copy.write_row((ids[ext], number, kind))
            details = json.dumps({"import_job": 0})
            with cur.copy(
                "COPY optouts_optout (phone_number, source, channel, opted_out_at, actor_id,"
                " actor_label, lead_id, lead_label, note) FROM STDIN"
            ) as copy:
                for _, (ext, first, last, _e, phones, opt_out) in rows(n):
                    if opt_out:
                        for number in phones:
                            copy.write_row(
                                (
                                    number,
                                    "agent",
                                    "import",
                                    now,
                                    actor_id,
                                    actor_label,
                                    ids[ext],
                                    f"{first} {last}",
                                    "",
                                )
                            )
            with cur.copy(
                "COPY optouts_consentevent (phone_number, action, source, previous_source,"
                " channel, actor_id, actor_label, lead_id, lead_label, created_at, details)"
                " FROM STDIN"
            ) as copy:
                for _, (ext, first, last, _e, phones, opt_out) in rows(n):
                    if opt_out:
                        for number in phones:
                            copy.write_row(
                                (
                                    number,
                                    "opt_out",
                                    "agent",
                                    "",
                                    "import",
                                    actor_id,
                                    actor_label,
                                    ids[ext],
                                    f"{first} {last}",
                                    now,
                                    details,
                                )
                            )
    return time.perf_counter() - started


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reader_peak_rss_mb() -> float:
    """Peak resident memory of the import's reader process (the largest child waited for)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def import_run(path: Path, user) -> tuple[float, object]:
    from django.core.files import File

    from leads.imports.services import import_job_create, import_job_run

    started = time.perf_counter()
    with open(path, "rb") as handle:
        job = import_job_create(file=File(handle, name=path.name), name=path.name, user=user)
    job = import_job_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    job.file.delete(save=False)
    return seconds, job


def before_run(path: Path, user) -> tuple[float, tuple[float, float, float]]:
    """Seconds the pre-issue-16 code takes for the same import (timed inside its process), and
    its CPU seconds (see cpu_now)."""
    from django.db import connections

    connections.close_all()
    done = subprocess.run(
        [sys.executable, "-c", _BEFORE_SCRIPT, str(path), str(user.pk), str(Path(__file__).parent)],
        cwd=baseline_tree(),
        env={**os.environ, "PYTHONPATH": ""},
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, *cpu = map(float, done.stdout.strip().splitlines()[-1].split())
    return seconds, tuple(cpu)


def import_export_run(path: Path, user) -> float:
    """django-import-export (bulk mode) on the same file doing the same work: the leads, their
    phones normalised to E.164, and every phone of a TRUE row opted out through the same consent
    service (source agent, channel import, an audit event each). Its best case: every row is a
    new lead (force_init_instance, no look-up per row), batches of 1,000 rows."""
    import tablib
    from django.db import transaction
    from import_export import fields, resources

    from leads.models import Lead, LeadPhone
    from leads.services.writer import lead_refs_of
    from optouts.models import Channel
    from optouts.services import phones_opt_out_by_staff
    from velocify_sms.phones import phone_normalize

    phone_columns = list(zip(HEADER[4:7], ("mobile", "home", "work"), strict=True))

    class LeadResource(resources.ModelResource):
        external_id = fields.Field(attribute="external_id", column_name="External ID")
        first_name = fields.Field(attribute="first_name", column_name="First Name")
        last_name = fields.Field(attribute="last_name", column_name="Last Name")
        email = fields.Field(attribute="email", column_name="Email")

        class Meta:
            model = Lead
            fields = ("external_id", "first_name", "last_name", "email")
            import_id_fields = ("external_id",)
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            force_init_instance = True

        def __init__(self):
            super().__init__()
            self.extra: dict[str, tuple[list[tuple[str, str]], bool]] = {}

        def before_import_row(self, row, **kwargs):
            phones = [(phone_normalize(row[c]), kind) for c, kind in phone_columns if row[c]]
            opt_out = row["SMS Opt Out"].strip().upper() == "TRUE"
            self.extra[row["External ID"]] = (phones, opt_out)

        def bulk_create(
            self, using_transactions, dry_run, raise_errors, batch_size=None, result=None
        ):
            # One transaction per batch of 1,000 rows, as the lead import commits its batches: in
            # one transaction for the whole file the consent service's per-number locks
            # (held to the commit) run out of PostgreSQL's lock table ("out of shared memory").
            with transaction.atomic():
                self._batch(using_transactions, dry_run, raise_errors, batch_size, result)

        def _batch(self, using_transactions, dry_run, raise_errors, batch_size, result):
            created = list(self.create_instances)
            super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)
            phones, lead_of = [], {}
            for lead in created:
                numbers, opt_out = self.extra.pop(lead.external_id)
                for number, kind in numbers:
                    phones.append(LeadPhone(lead_id=lead.pk, number=number, kind=kind))
                    if opt_out:
                        lead_of[number] = lead.pk
            LeadPhone.objects.bulk_create(phones)
            if lead_of:
                phones_opt_out_by_staff(
                    numbers=list(lead_of),
                    user=user,
                    channel=Channel.IMPORT,
                    lead_of=lead_refs_of(lead_of),
                    details={"import": "django-import-export"},
                )

    started = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    result = LeadResource().import_data(
        dataset, dry_run=False, use_transactions=False, raise_errors=True
    )
    seconds = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors()
    return seconds


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="floor + import rounds; the median is reported"
    )
    args = parser.parse_args()

    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-import-media-")
    # The production shape, as bench/api.py runs its servers: DEBUG off, so no SQL log is kept
    # per query. The before-run's process inherits the same environment.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    django_setup("bench_h6")
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from leads.models import Lead, LeadPhone
    from optouts.models import ConsentEvent, OptOut

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    n = args.rows
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "leads.csv"
            write_csv(path, n)
            size_mb = path.stat().st_size / 1024 / 1024

            # The memory check first: getrusage's peak is the process's (and its children's)
            # highest ever, so after the rounds it would be django-import-export's, which holds
            # the whole file in memory, or a before-run's.
            memory_line = (
                "1,000,000-row memory check: not run this time (`--memory-rows 1000000`); "
                "rows are streamed and committed per batch, so memory does not grow with the file."
            )
            big_peak = big_reader = None
            if args.memory_rows:
                truncate()
                big = Path(tmp) / "big.csv"
                write_csv(big, args.memory_rows)
                from django.test import override_settings

                # A million rows is about 94 MB of CSV, more than the default upload limit, and
                # IMPORT_MAX_ROWS counts the header row too.
                limits = {"MAX_UPLOAD_MB": 1024, "MAX_ROWS": args.memory_rows + 1}
                with override_settings(LEAD_IMPORT={**settings.LEAD_IMPORT, **limits}):
                    big_s, big_job = import_run(big, user)
                big_peak = peak_rss_mb()
                big_reader = reader_peak_rss_mb()
                assert big_job.status == "succeeded", big_job.error
                assert Lead.objects.count() == args.memory_rows
                memory_line = (
                    f"{args.memory_rows:,}-row file ({big.stat().st_size / 1024 / 1024:.0f} MB): "
                    f"{args.memory_rows / big_s:,.0f} rows/s; peak RSS of the writer (the whole "
                    f"benchmark process) {big_peak:.0f} MB, of the reader process "
                    f"{big_reader:.0f} MB (target < 250 MB each), status {big_job.status}, "
                    f"{Lead.objects.count():,} leads stored."
                )
            # Floor and import alternate, so a slow spell of a shared machine hits both; the
            # median of the rounds (and of their ratios) is what is reported.
            rss_before = peak_rss_mb()
            rounds = []
            cpu_rounds = []
            loads = [os.getloadavg()[0]]
            for _ in range(args.repeat):
                truncate()
                before_s, before_cpu = before_run(path, user)
                truncate()
                started_cpu = cpu_now()
                floor_s = copy_floor(n, user.pk, user.get_username())
                floor_cpu = cpu_since(started_cpu)
                floor_counts = (
                    Lead.objects.count(),
                    LeadPhone.objects.count(),
                    OptOut.objects.count(),
                )
                truncate()
                started_cpu = cpu_now()
                import_s, job = import_run(path, user)
                import_cpu = cpu_since(started_cpu)
                counts = (Lead.objects.count(), LeadPhone.objects.count(), OptOut.objects.count())
                events = ConsentEvent.objects.count()
                assert job.status == "succeeded", job.error
                assert counts == floor_counts, (counts, floor_counts)
                assert job.rejected_count == 0 and job.created_count == n
                truncate()
                started_cpu = cpu_now()
                ie_s = import_export_run(path, user)
                ie_cpu = cpu_since(started_cpu)
                ie_counts = (
                    Lead.objects.count(),
                    LeadPhone.objects.count(),
                    OptOut.objects.count(),
                )
                assert ie_counts == floor_counts, (ie_counts, floor_counts)
                assert ConsentEvent.objects.count() == events
                rounds.append((floor_s, import_s, before_s, ie_s))
                cpu_rounds.append((floor_cpu, import_cpu, before_cpu, ie_cpu))
                loads.append(os.getloadavg()[0])
                print(
                    f"round: before {before_s:.2f} s, floor {floor_s:.2f} s, "
                    f"import {import_s:.2f} s (ratio {import_s / floor_s:.2f}x), "
                    f"django-import-export {ie_s:.2f} s ({ie_s / floor_s:.2f}x, "
                    f"load {load_average()})",
                    flush=True,
                )
            rss_peak = peak_rss_mb()
            # RUSAGE_CHILDREN is the largest child waited for: the job's reader, or a
            # before-run's process (the line below says so).
            reader_peak = reader_peak_rss_mb()
            floor_s = statistics.median(r[0] for r in rounds)
            import_s = statistics.median(r[1] for r in rounds)
            before_s = statistics.median(r[2] for r in rounds)
            ie_s = statistics.median(r[3] for r in rounds)
            ratio = statistics.median(r[1] / r[0] for r in rounds)
            before_ratio = statistics.median(r[2] / r[0] for r in rounds)
            ie_ratio = statistics.median(r[3] / r[0] for r in rounds)
            spread = ", ".join(f"{n / r[1]:,.0f}" for r in rounds)

            # Contention-proof view: CPU seconds of the writing process plus PostgreSQL, the
            # work the import adds over the floor whatever overlaps.
            def path_ratio(index: int) -> float:
                return statistics.median(
                    (c[index][0] + c[index][2]) / (c[0][0] + c[0][2]) for c in cpu_rounds
                )

            def cpu_cells(index: int) -> str:
                writer, reader, server = (
                    statistics.median(c[index][k] for c in cpu_rounds) for k in range(3)
                )
                return f"{writer:.2f} | {reader:.2f} | {server:.2f}"

            cpu_after_ratio, cpu_before_ratio = path_ratio(1), path_ratio(2)
            cpu_ie_ratio = path_ratio(3)
            load_line = (
                f"Load average during the rounds: {min(loads):.1f}-{max(loads):.1f} (1 min) on "
                f"{os.cpu_count()} cores, shared with other work; compare the ratios, which are "
                "measured back to back in each round."
            )

    finally:
        drop_database()

    with section("import", "Lead import (CSV, PostgreSQL)") as lines:
        met = n / import_s >= TARGET_ROWS_S and ratio <= TARGET_RATIO
        lines += [
            f"{n:,}-row CSV ({size_mb:.1f} MB), 2-3 phones per row in national formats, 10% with "
            "SMS Opt Out = TRUE; DEBUG off; batch size "
            f"{settings.LEAD_IMPORT['BATCH_SIZE']:,}. Median of {len(rounds)} rounds of before, floor, "
            f"after (after rows/s per round: {spread}). Before = the same job code at "
            f"{BASELINE_REV} (bench/_baseline.py), in its own process on the same database.",
            "",
            "| path | seconds | rows/s | ratio to floor |",
            "| --- | ---: | ---: | ---: |",
            f"| COPY floor (rows already normalised, psycopg COPY) | {floor_s:.2f} | "
            f"{n / floor_s:,.0f} | 1.00x |",
            f"| import job before (the baseline, {BASELINE_REV}) | {before_s:.2f} | "
            f"{n / before_s:,.0f} | {before_ratio:.2f}x |",
            f"| import job after (readers, phone_normalize, batch writer, opt-out service) | "
            f"{import_s:.2f} | {n / import_s:,.0f} | {ratio:.2f}x |",
            f"| django-import-export {IE_VERSION} (bulk mode, same leads, phones and opt-outs "
            f"through the same consent service) | {ie_s:.2f} | {n / ie_s:,.0f} | "
            f"{ie_ratio:.2f}x |",
            "",
            f"Target: >= {TARGET_ROWS_S:,} rows/s and within {TARGET_RATIO}x of the floor: "
            f"**{'met' if met else 'not met'}** ({n / import_s:,.0f} rows/s, {ratio:.2f}x; "
            f"{before_s / import_s:.2f}x faster than before).",
            load_line,
            "",
            "CPU seconds (median of the rounds; CPU time barely moves with the machine's load, "
            "wall time does). PostgreSQL is every process of the server (the import writes on "
            "two connections, leads.imports.lanes). Before, the writer and its one backend took "
            "turns, so their sum was the critical path; now two batches overlap, so the wall time "
            "can be less than that sum. The reader runs beside them.",
            "",
            "| path | writer process | reader process(es) | PostgreSQL | writer + PostgreSQL, "
            "ratio to floor |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| COPY floor | {cpu_cells(0)} | 1.00x |",
            f"| import before ({BASELINE_REV}) | {cpu_cells(2)} | {cpu_before_ratio:.2f}x |",
            f"| import after | {cpu_cells(1)} | {cpu_after_ratio:.2f}x |",
            f"| django-import-export (bulk) | {cpu_cells(3)} | {cpu_ie_ratio:.2f}x |",
            "",
            f"Stored: {counts[0]:,} leads, {counts[1]:,} phones, {counts[2]:,} numbers opted out, "
            f"{events:,} audit events (same counts as the floor).",
            f"Peak resident memory: {rss_peak:.0f} MB for the writer, the whole benchmark "
            f"process ({rss_peak - rss_before:+.0f} MB during the import); {reader_peak:.0f} MB "
            "for the largest child process (the reader the job forks, or a before-run's "
            f"process). Target < {TARGET_RSS_MB} MB.",
            memory_line,
        ]
    result_record(
        target=f">= {TARGET_ROWS_S:,} rows/s within {TARGET_RATIO}x of the COPY floor",
        figure=round(n / import_s),
        unit="rows/s",
        floor=round(n / floor_s),
        ratio=round(ratio, 2),
        met=met,
        before=round(n / before_s),
    )
    result_record(
        target=f"import CPU (writer + PostgreSQL) within {TARGET_RATIO}x of the COPY floor's",
        figure=round(cpu_after_ratio, 2),
        unit="x",
        floor=1.0,
        ratio=round(cpu_after_ratio, 2),
        met=cpu_after_ratio <= TARGET_RATIO,
        before=round(cpu_before_ratio, 2),
    )
    result_record(
        target="import at least as fast as django-import-export (bulk) on the same file",
        figure=round(n / ie_s),
        unit="rows/s",
        floor=round(n / floor_s),
        ratio=round(ie_ratio, 2),
        met=ie_s >= import_s,
    )
    if big_peak is not None:
        result_record(
            target=f"peak RSS < {TARGET_RSS_MB} MB at {args.memory_rows:,} rows",
            figure=round(max(big_peak, big_reader)),
            unit="MB",
            floor=None,
            ratio=None,
            met=max(big_peak, big_reader) < TARGET_RSS_MB,
        )


if __name__ == "__main__":
    main()
