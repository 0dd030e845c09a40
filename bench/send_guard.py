"""The send guard at 1,000,000 opted-out numbers (issue 7).

Times the guard's list check as the send path runs it, for one recipient (message_deliver's
check: a transaction, the shared advisory lock on the number, then phones_opted_out) and for a
batch of 10,000 recipients in one query (phones_opted_out, which sends a big batch as one array; a plain IN list too), each against a bare indexed lookup
in raw SQL measured in the same run. Target: the batch of 10,000 under 50 ms on PostgreSQL.

Run: .venv/bin/python bench/send_guard.py   (creates and drops database bench_h7)
"""

from __future__ import annotations

import os
import random
import time

from _common import django_setup, drop_database, section, timed

LISTED = 1_000_000
BATCH = 10_000
SINGLES = 500


def number(i: int) -> str:
    # Distinct, well-formed US numbers: +1 NXX NXX XXXX spread over many area codes.
    return f"+1{200 + i % 700:03d}{2000000 + i // 700 * 7 % 8000000:07d}"


def load() -> float:
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY optouts_optout (phone_number, source, channel, opted_out_at, note) FROM STDIN"
        ) as copy:
            chunk = []
            for i in range(LISTED):
                chunk.append(f"{number(i)}\tagent\timport\t2025-01-01 00:00:00+00\t\n")
                if len(chunk) == 50_000:
                    copy.write("".join(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
        cursor.execute("VACUUM ANALYZE optouts_optout")
    return time.perf_counter() - start


def main() -> None:
    django_setup("bench_h7")
    from django.db import connection, transaction

    from optouts.models import OptOut
    from optouts.selectors import phone_is_opted_out, phones_opted_out
    from optouts.services import phone_numbers_lock

    seconds = load()
    assert OptOut.objects.count() == LISTED
    rng = random.Random(7)
    listed = [number(rng.randrange(LISTED)) for _ in range(BATCH)]
    # Half the batch on the list, half not (numbers beyond the loaded range).
    unlisted = [f"+1{200 + i % 700:03d}{9000000 + i // 700:07d}" for i in range(BATCH)]
    batch = rng.sample(listed, BATCH // 2) + rng.sample(unlisted, BATCH // 2)
    singles = rng.sample(batch, SINGLES)

    def guard_single():
        for n in singles:
            with transaction.atomic():
                phone_numbers_lock(numbers=[n], shared=True)
                phones_opted_out(numbers=[n])

    def exists_single():
        for n in singles:
            phone_is_opted_out(number=n)

    def bare_single():
        with connection.cursor() as cursor:
            for n in singles:
                cursor.execute("SELECT 1 FROM optouts_optout WHERE phone_number = %s", [n])
                cursor.fetchone()

    found: dict = {}

    def guard_batch():
        found["n"] = len(phones_opted_out(numbers=batch))

    def in_list_batch():
        # What phones_opted_out avoids for big batches: the ORM's plain IN (...) list.
        found["in"] = len(OptOut.objects.filter(phone_number__in=batch).values_list("source"))

    def bare_batch():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT phone_number, source FROM optouts_optout "
                "WHERE phone_number = ANY(ARRAY(SELECT unnest(%s::text[])))",
                [batch],
            )
            found["bare"] = len(cursor.fetchall())

    r_guard = timed(guard_single, repeat=5)
    r_exists = timed(exists_single, repeat=5)
    r_bare = timed(bare_single, repeat=5)
    r_gbatch = timed(guard_batch, repeat=7)
    r_bbatch = timed(bare_batch, repeat=7)
    r_inbatch = timed(in_list_batch, repeat=7)
    assert found["n"] == found["bare"] == found["in"] == len(set(batch) & set(listed))

    per = lambda r: r["median_ms"] * 1000 / SINGLES  # noqa: E731 - microseconds per check
    target = "yes" if r_gbatch["median_ms"] < 50 else "**no**"
    with section("send_guard", "Send guard at 1,000,000 opted-out numbers (issue 7)") as lines:
        lines += [
            f"Loaded {LISTED:,} numbers with COPY in {seconds:.1f} s (VACUUM ANALYZE after). "
            f"Batch: {BATCH:,} recipients, {found['n']:,} of them on the list. "
            f"Single checks: {SINGLES} recipients per run; median of 5 runs (batch: 7).",
            "",
            "| check | guard | bare indexed lookup (raw SQL) | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| one recipient, as message_deliver runs it (transaction + shared advisory lock + "
            f"phones_opted_out) | {per(r_guard):.0f} µs | {per(r_bare):.0f} µs | "
            f"{r_guard['median_ms'] / r_bare['median_ms']:.2f}x |",
            f"| one recipient, phone_is_opted_out (EXISTS) | {per(r_exists):.0f} µs | "
            f"{per(r_bare):.0f} µs | {r_exists['median_ms'] / r_bare['median_ms']:.2f}x |",
            f"| {BATCH:,} recipients in one query (phones_opted_out: one array parameter, "
            f"unique-index probes) | {r_gbatch['median_ms']:.1f} ms | "
            f"{r_bbatch['median_ms']:.1f} ms | {r_gbatch['median_ms'] / r_bbatch['median_ms']:.2f}x |",
            f"| {BATCH:,} recipients in one query, plain ORM `IN (...)` (what phones_opted_out avoids: the planner "
            f"picks a parallel seq scan) | {r_inbatch['median_ms']:.1f} ms | "
            f"{r_bbatch['median_ms']:.1f} ms | {r_inbatch['median_ms'] / r_bbatch['median_ms']:.2f}x |",
            "",
            f"Target: batch of {BATCH:,} under 50 ms: {target} "
            f"(min {r_gbatch['min_ms']:.1f} ms, max {r_gbatch['max_ms']:.1f} ms). "
            f"Load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
            "(other benchmarks and test suites share the machine).",
        ]
    drop_database()


if __name__ == "__main__":
    main()
