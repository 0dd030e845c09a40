"""CPU seconds of a benchmark: this process, its children waited for, and PostgreSQL.

On a machine shared with other work, wall time stretches with the load; the CPU time each piece
uses moves far less, so ratios of CPU seconds say what a change did when wall times cannot.

PostgreSQL's CPU is that of every PostgreSQL process on the machine, read from /proc: the
import writes on more than one connection (leads.imports.lanes), and a backend that has exited
is counted in its postmaster's children's time. Its background writers count too, for every
path alike; on a machine where other work uses the same server the figure includes that work.
Where /proc cannot be read, this connection's backend alone; 0 where that cannot be read either.
"""

from __future__ import annotations

import os
import resource


def _backend_seconds() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    return [name, *text.rsplit(")", 1)[1].split()]


def _postgres_seconds() -> float | None:
    """CPU seconds of every PostgreSQL process, exited backends included; None if unreadable."""
    stats = {pid: stat for pid in os.listdir("/proc") if pid.isdigit() and (stat := _stat(pid))}
    postgres = {pid: stat for pid, stat in stats.items() if stat[0] == "postgres"}
    if not postgres:
        return None
    ticks = 0
    for stat in postgres.values():
        # After the name: state, ppid, ... utime (12th), stime, cutime, cstime.
        ticks += int(stat[12]) + int(stat[13])
        if stat[2] not in postgres:  # a postmaster: its reaped backends' time
            ticks += int(stat[14]) + int(stat[15])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_now() -> tuple[float, float, float]:
    """(this process, its waited-for children, PostgreSQL), CPU seconds so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime + own.ru_stime,
        children.ru_utime + children.ru_stime,
        server if (server := _postgres_seconds()) is not None else _backend_seconds(),
    )


def cpu_since(start: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(b - a for a, b in zip(start, cpu_now(), strict=True))
