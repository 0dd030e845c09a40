"""The lead list and the opt-out report, whole pages, at many leads and numbers.

Seeds with `seed_demo --leads N --optouts N` (every bulk lead has one +1415 number and all of
them are opted out, so `415` matches every number and "Opted out" every lead), then times whole
pages through Django's test client as an admin (median of 5 after a warm-up): the lead list's
default order, each filter, searches by name, email, phone prefix and last digits, a page half-way
down; the report for every kind of filter, prefixes of 3 to 10 digits that match everything down
to one number, and the same again once every opt-out is moved into one day. The baseline is
`/healthz` through the same client in the same run (the cost of a request that reads nothing).

    .venv/bin/python bench/lists.py                    # 20,000 leads and numbers (make bench)
    .venv/bin/python bench/lists.py --rows 1000000     # the 1M figures (~20 min of seeding)
    .venv/bin/python bench/lists.py --rows 1000000 --database velocify_x --keep
        # reuse a database seeded by an earlier --keep run (seeding skipped when it has the rows;
        # the one-day step rewrites its opt-out times)

Target: every page <= 150 ms. Database bench_lists, dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from _common import (
    PG_ADMIN_URL,
    ROOT,
    drop_database,
    load_average,
    machine,
    result_record,
    section,
)

TARGET_MS = 150
REPEAT = 5


def setup(database: str, keep: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if exists and not keep:
            conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        if not exists or not keep:
            conn.execute(f'CREATE DATABASE "{database}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(rows: int) -> float:
    from django.core.management import call_command
    from django.db import connection

    from leads.models import Lead
    from optouts.models import OptOut

    start = time.perf_counter()
    if Lead.objects.count() < rows or OptOut.objects.count() < rows:
        call_command("seed_demo", leads=rows, optouts=rows, no_progress=True, verbosity=0)
    with connection.cursor() as cursor:
        for table in ("leads_lead", "leads_leadphone", "optouts_optout", "optouts_optoutday"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - start


def median_ms(client, url: str) -> float:
    response = client.get(url, HTTP_HOST="localhost")
    assert response.status_code == 200, (url, response.status_code)
    assert b"errornote" not in response.content, url
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        client.get(url, HTTP_HOST="localhost")
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def lead_pages() -> list[tuple[str, str]]:
    from django.contrib.auth import get_user_model

    from leads.changelist import lead_cursor_text
    from leads.models import Lead

    agent = get_user_model().objects.get(username="agent")
    middle = Lead.objects.count() // 2
    row = Lead.objects.order_by("-created_at", "-id").values("created_at", "id")[middle]
    cursor = lead_cursor_text(created_at=row["created_at"], id=row["id"])
    url = "/admin/leads/lead/"
    return [
        ("default order (newest first)", url),
        ("filter Opted out", f"{url}?sms_opt_out=yes"),
        ("filter Textable", f"{url}?sms_opt_out=no"),
        ("filter status New", f"{url}?status=new"),
        ("filter status Lost (no lead)", f"{url}?status=lost"),
        ("filter assigned agent", f"{url}?assigned_agent__id__exact={agent.pk}"),
        ("filter no assigned agent", f"{url}?assigned_agent__isnull=True"),
        ("search name `Garcia`", f"{url}?q=Garcia"),
        ("search name `zzz` (no lead)", f"{url}?q=zzz"),
        ("search email `bulk123456@`", f"{url}?q=bulk123456%40"),
        ("search phone prefix `415` (every lead)", f"{url}?q=415"),
        ("search phone prefix `415 230`", f"{url}?q=415+230"),
        ("search last digits `0142`", f"{url}?q=0142"),
        ("search whole number", f"{url}?q=%2B14152000142"),
        (f"page half-way down (row {middle + 1:,})", f"{url}?older={cursor}"),
    ]


def report_pages(*, day: bool) -> list[tuple[str, str]]:
    url = "/admin/optouts/report/"
    if day:
        return [
            ("one day holding every number: Today", f"{url}?period=today"),
            ("one day: Today, prefix `415`", f"{url}?period=today&phone_prefix=415"),
            ("one day: Today, prefix `415230`", f"{url}?period=today&phone_prefix=415230"),
            ("one day: custom range of that day", f"{url}?period=custom&date_from=DAY&date_to=DAY"),
        ]
    pages = [
        ("default (last 30 days)", url),
        ("all time", f"{url}?period=all"),
        ("this year, source agent", f"{url}?period=this_year&source=agent"),
        ("all time, source contact + system", f"{url}?period=all&source=contact&source=system"),
    ]
    for digits in ("415", "4152", "41523", "415230", "4152300", "41523000", "415230001"):
        pages.append((f"prefix `{digits}` ({len(digits)} digits)", f"{url}?phone_prefix={digits}"))
    pages += [
        ("whole number (10 digits)", f"{url}?phone_prefix=4152300017"),
        ("prefix `415`, source system", f"{url}?phone_prefix=415&source=system&period=all"),
        ("prefix `415`, last 30 days", f"{url}?phone_prefix=415&period=last_30_days"),
        ("prefix `212` (no number)", f"{url}?phone_prefix=212"),
    ]
    return pages


def squash_into_one_day() -> str:
    """Move every opt-out into today (site time), keep their order, rebuild the roll-up; the
    times are kept aside for times_restore."""
    from django.db import connection

    from optouts.filters import day_start, site_today
    from optouts.services import optout_rollup_rebuild

    today = site_today()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_lists_times")
        cursor.execute(
            "CREATE TABLE bench_lists_times AS SELECT id, opted_out_at FROM optouts_optout"
        )
        cursor.execute(
            "UPDATE optouts_optout SET opted_out_at = %s + (id %% 86000) * interval '1 second'",
            [day_start(today)],
        )
    optout_rollup_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE optouts_optout")
        cursor.execute("VACUUM ANALYZE optouts_optoutday")
    return today.isoformat()


def times_restore() -> None:
    """Put back the times squash_into_one_day moved (a kept database is measured again later)."""
    from django.db import connection

    from optouts.services import optout_rollup_rebuild

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE optouts_optout o SET opted_out_at = t.opted_out_at FROM bench_lists_times t "
            "WHERE o.id = t.id"
        )
        cursor.execute("DROP TABLE bench_lists_times")
    optout_rollup_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE optouts_optout")
        cursor.execute("VACUUM ANALYZE optouts_optoutday")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="leads and opt-outs (20,000)")
    parser.add_argument("--database", default="bench_lists")
    parser.add_argument("--keep", action="store_true", help="reuse and keep the database")
    args = parser.parse_args()
    setup(args.database, args.keep)
    try:
        run(args.rows)
    finally:
        if not args.keep:
            drop_database()


def run(rows: int) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    seed_s = seed(rows)
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    loads = [load_average()]
    floor = median_ms(client, "/healthz")
    results = []
    for group, pages in [("lead list", lead_pages()), ("report", report_pages(day=False))]:
        for name, url in pages:
            results.append((group, name, url, median_ms(client, url)))
    loads.append(load_average())
    day = squash_into_one_day()
    for name, url in report_pages(day=True):
        url = url.replace("DAY", day)
        results.append(("report", name, url, median_ms(client, url)))
    loads.append(load_average())
    times_restore()

    title = f"Lead list and opt-out report at {rows:,} leads and numbers"
    with section(f"lists-{rows}" if rows != 20_000 else "lists", title) as lines:
        lines += [
            f"`bench/lists.py --rows {rows}`: seeded with `seed_demo --leads {rows} --optouts "
            f"{rows}` ({seed_s:.0f} s with VACUUM ANALYZE), whole pages through Django's test "
            f"client as an admin, median of {REPEAT} after a warm-up. Baseline: `/healthz` "
            f"through the same client, {floor:.2f} ms. Load average during the run: "
            f"{' -> '.join(loads)}.",
            "",
            "| page | query | ms | x /healthz | <= 150 ms |",
            "| --- | --- | ---: | ---: | --- |",
        ]
        for group, name, url, ms in results:
            query = url.split("?", 1)[1] if "?" in url else ""
            lines.append(
                f"| {group}: {name} | `{query[:60]}` | {ms:.1f} | {ms / floor:.0f}x | "
                f"{'yes' if ms <= TARGET_MS else '**no**'} |"
            )
        worst = {g: max(ms for gg, _, _, ms in results if gg == g) for g in ("lead list", "report")}
        lines += [
            "",
            f"Slowest lead list page {worst['lead list']:.1f} ms, slowest report page "
            f"{worst['report']:.1f} ms ({machine()}).",
        ]
    for group in ("lead list", "report"):
        result_record(
            target=f"{group} whole page <= 150 ms, every filter, at {rows:,}",
            figure=worst[group],
            unit="ms",
            floor=round(floor, 2),
            ratio=worst[group] / floor,
            met=worst[group] <= TARGET_MS,
        )


if __name__ == "__main__":
    main()
