"""CSV exports of 1,000,000 rows on PostgreSQL, against a COPY of the same rows in the same run.

    .venv/bin/python bench/export.py                          # seeds 1,000,000 leads and numbers
    .venv/bin/python bench/export.py --rows 100000            # quicker, a smaller seed
    .venv/bin/python bench/export.py --database velocify_x    # an already seeded database, kept

Seeds with `seed_demo --leads N --optouts N` (COPY), then, through the Django test client as an
admin (the whole view, the response read to its end):
- the report's export (`export.csv?period=all`, every number on the list) and the lead list's
  export (every lead), written by the database (optouts/export.py, leads/export.py);
- the floor: `COPY (...) TO STDOUT` of the same rows and columns as stored (the join to the
  leads' ids or phones included, nothing formatted), read in this process;
- before: the row-by-row Python path (what every database used before; still the path off
  PostgreSQL) on the first --before-rows rows, its cost per row times the whole set.
Memory: this process's peak resident set before and after the exports (flat: a streamed file
does not grow it).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from _common import ROOT, django_setup, drop_database, load_average, result_record, section

TARGET_S = 10.0
TARGET_MB = 50


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_response(response, limit: int | None = None) -> tuple[int, int]:
    """(rows, bytes) of a streamed CSV answer, read to its end or to `limit` rows."""
    rows = size = 0
    for part in response.streaming_content:
        part = part if isinstance(part, bytes) else part.encode()
        size += len(part)
        rows += part.count(b"\r\n")
        if limit is not None and rows >= limit:
            break
    response.close()
    return rows - 1, size  # the header line


def copy_seconds(sql: str) -> tuple[float, int]:
    from django.db import connection

    started = time.perf_counter()
    rows = 0
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as raw,
        raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy,
    ):
        for _ in copy:
            rows += 1
    return time.perf_counter() - started, rows


OPTOUT_FLOOR = (
    "SELECT o.phone_number, o.source, o.reason, o.channel, o.opted_out_at, o.actor_label, o.note,"
    " (SELECT string_agg(p.lead_id::text, ' ') FROM leads_leadphone p"
    "  WHERE p.number = o.phone_number)"
    " FROM optouts_optout o ORDER BY o.opted_out_at DESC, o.id DESC"
)
LEAD_FLOOR = (
    "SELECT l.id, l.first_name, l.last_name, l.email, l.company, l.status, u.username,"
    " (SELECT string_agg(p.number, ' ') FROM leads_leadphone p WHERE p.lead_id = l.id),"
    " EXISTS (SELECT 1 FROM leads_leadphone p JOIN optouts_optout o"
    "  ON o.phone_number = p.number WHERE p.lead_id = l.id),"
    " l.created_at FROM leads_lead l LEFT JOIN auth_user u ON u.id = l.assigned_agent_id"
    " ORDER BY l.created_at DESC, l.id DESC"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="", help="an already seeded database (kept)")
    parser.add_argument("--before-rows", type=int, default=20_000)
    args = parser.parse_args()

    if args.database:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DEBUG", "true")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
        import django

        django.setup()
        seed_s = None
    else:
        django_setup("bench_export")
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("seed_demo", leads=args.rows, optouts=args.rows, no_progress=True, verbosity=0)
        seed_s = time.perf_counter() - started
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from leads import export as lead_export
    from leads.models import Lead
    from optouts import views_report_actions
    from optouts.models import OptOut

    setup_test_environment()
    try:
        numbers, leads = OptOut.objects.count(), Lead.objects.count()
        client = Client()
        client.force_login(get_user_model().objects.filter(is_superuser=True).first())
        optout_url = "/admin/optouts/report/export.csv?period=all"
        lead_url = reverse("admin:leads_lead_export_csv")
        rss_start = peak_mb()
        loads = [load_average()]

        def timed_export(url: str, *, limit: int | None = None) -> tuple[float, int, int]:
            started = time.perf_counter()
            rows, size = read_response(client.get(url), limit)
            return time.perf_counter() - started, rows, size

        floor_o, floor_o_rows = copy_seconds(OPTOUT_FLOOR)
        after_o, rows_o, size_o = timed_export(optout_url)
        floor_l, floor_l_rows = copy_seconds(LEAD_FLOOR)
        after_l, rows_l, size_l = timed_export(lead_url)
        rss_after = peak_mb()
        loads.append(load_average())
        assert rows_o == numbers == floor_o_rows, (rows_o, numbers, floor_o_rows)
        assert rows_l == leads == floor_l_rows, (rows_l, leads, floor_l_rows)

        # The row-by-row path on a sample, per row, times the whole set.
        views_report_actions.export_in_database = lambda: False
        lead_export.export_in_database = lambda: False
        sample_o, got_o, _ = timed_export(optout_url, limit=args.before_rows)
        sample_l, got_l, _ = timed_export(lead_url, limit=args.before_rows)
        before_o = sample_o / max(got_o, 1) * numbers
        before_l = sample_l / max(got_l, 1) * leads
        loads.append(load_average())
    finally:
        if not args.database:
            drop_database()

    seeded = (
        f"seeded with `seed_demo --leads {args.rows:,} --optouts {args.rows:,}` in {seed_s:.0f} s"
        if seed_s is not None
        else f"on the seeded database `{args.database}`"
    )
    with section("export", "CSV exports (bench/export.py)") as lines:
        lines += [
            f"{numbers:,} numbers on the list and {leads:,} leads, {seeded}; PostgreSQL. The "
            "whole view through the test client as an admin, the streamed answer read to its "
            f"end. Load average (1, 5, 15 min) at the start, after the exports, after the "
            f"samples: {' / '.join(loads)}.",
            "",
            "| export | rows | MB | COPY floor s | export s | ratio | before s (row by row) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| report (`export.csv?period=all`) | {rows_o:,} | {size_o / 1e6:.0f} | "
            f"{floor_o:.1f} | {after_o:.1f} | {after_o / floor_o:.2f}x | {before_o:.0f} |",
            f"| lead list (every lead) | {rows_l:,} | {size_l / 1e6:.0f} | {floor_l:.1f} | "
            f"{after_l:.1f} | {after_l / floor_l:.2f}x | {before_l:.0f} |",
            "",
            f"Before: the row-by-row path (still the path off PostgreSQL) on the first "
            f"{got_o:,} and {got_l:,} rows ({sample_o:.1f} s, {sample_l:.1f} s), its time per "
            "row times the whole set. Peak resident memory of this process: "
            f"{rss_start:.0f} MB before the exports, {rss_after:.0f} MB after both "
            f"({rss_after - rss_start:+.0f} MB: the files are streamed, not held). Target: "
            f"<= {TARGET_S:.0f} s for 1,000,000 rows, memory flat.",
        ]
    scale = 1_000_000 / max(numbers, 1)
    for name, seconds, floor, before, rows in (
        ("report", after_o, floor_o, before_o, rows_o),
        ("lead list", after_l, floor_l, before_l, rows_l),
    ):
        result_record(
            target=f"{name} CSV export of 1,000,000 rows <= {TARGET_S:.0f} s"
            + ("" if rows >= 1_000_000 else f" ({rows:,} rows, scaled)"),
            figure=round(seconds * scale, 2),
            unit="s",
            floor=round(floor * scale, 2),
            ratio=round(seconds / floor, 2),
            met=seconds * scale <= TARGET_S,
            before=round(before * scale),
        )
    result_record(
        target=f"exports streamed: peak memory grows < {TARGET_MB} MB",
        figure=round(rss_after - rss_start),
        unit="MB",
        floor=None,
        ratio=None,
        met=rss_after - rss_start < TARGET_MB,
    )


if __name__ == "__main__":
    main()
