"""Shared bits for benchmarks: Django set-up on a benchmark database, timing, the results file.

Each benchmark prints its figures and writes its own section of docs/benchmarks.md (between
`<!-- bench:NAME -->` markers), so `make bench` can rerun all of them and rewrite the file.
Each also calls `result_record` once per target it checks: bench/run_all.py collects those
lines from its children and prints one table of every target at the end.
"""

from __future__ import annotations

import json
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


RESULT_PREFIX = "BENCH-RESULT "


def result_record(
    *,
    target: str,
    figure: float,
    unit: str,
    floor: float | str | None,
    ratio: float | None,
    met: bool,
    before: float | None = None,
) -> dict:
    """Print one checked target as a `BENCH-RESULT {json}` line for bench/run_all.py's table.

    target: what is promised ("import rows/s >= 12,000"); figure: what this run measured, in
    `unit`; floor: the baseline the figure is compared with in the same run (a COPY, a raw query,
    a trivial endpoint), or a plain limit; ratio: figure against that floor; met: whether the
    target holds; before: the same figure for the code before the work, when the run measured it.
    """
    record = {
        "target": target,
        "figure": figure,
        "unit": unit,
        "floor": floor,
        "ratio": ratio,
        "met": bool(met),
        "before": before,
        "bench": Path(sys.argv[0]).name,
    }
    print(RESULT_PREFIX + json.dumps(record), flush=True)
    return record


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def cpu_model() -> str:
    try:
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    except OSError:
        match = None
    return match.group(1).strip() if match else platform.processor() or "?"


def machine(*, load: bool = False) -> str:
    """One line: architecture, cores and CPU model, RAM, Python, PostgreSQL (and load average)."""
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
    line = (
        f"{platform.machine()}, {cores} cores ({cpu_model()}), {mem} RAM, "
        f"Python {platform.python_version()}, PostgreSQL {pg or '?'}"
    )
    return f"{line}, load average {load_average()}" if load else line


@contextmanager
def section(name: str, title: str):
    """Collect markdown lines for one benchmark; print them and store them in docs/benchmarks.md."""
    lines: list[str] = []
    yield lines
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([f"## {title}", "", f"_Run {stamp} on {machine(load=True)}._", "", *lines, ""])
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
