"""Shared bits for benchmarks: Django set-up on a benchmark database, timing, the results file.

Each benchmark prints its figures and writes its own section of docs/benchmarks.md (between
`<!-- bench:NAME -->` markers), so `make bench` can rerun all of them and rewrite the file.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "benchmarks.md"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def django_setup(database: str) -> None:
    """Point Django at PostgreSQL database `database` (created fresh) and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DEBUG", "true")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(fn, *, repeat: int = 5, warmup: int = 1) -> dict:
    """Run fn repeatedly; return min/median/max in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "min_ms": min(samples),
        "median_ms": statistics.median(samples),
        "max_ms": max(samples),
    }


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        mem = "?"
    try:
        pg = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "?"
    return (
        f"{platform.machine()}, {cores} cores, {mem} RAM, Python {platform.python_version()}, "
        f"PostgreSQL {pg or '?'}"
    )


@contextmanager
def section(name: str, title: str):
    """Collect markdown lines for one benchmark; print them and store them in docs/benchmarks.md."""
    lines: list[str] = []
    yield lines
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([f"## {title}", "", f"_Run {stamp} on {machine()}._", "", *lines, ""])
    print(body)
    write_section(name, body)


def write_section(name: str, body: str) -> None:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\n"
    block = f"{start}\n{body}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: block, text) if pattern.search(text) else text + "\n" + block + "\n"
    )
    RESULTS.write_text(text)
