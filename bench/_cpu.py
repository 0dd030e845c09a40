"""CPU seconds of a benchmark: this process, its children waited for, and its PostgreSQL backend.

On a machine shared with other work, wall time stretches with the load; the CPU time each piece
uses moves far less, so ratios of CPU seconds say what a change did when wall times cannot.
The backend's CPU is read from /proc (PostgreSQL on the same machine); 0 where it cannot be.
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


def cpu_now() -> tuple[float, float, float]:
    """(this process, its waited-for children, its database backend), CPU seconds so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime + own.ru_stime,
        children.ru_utime + children.ru_stime,
        _backend_seconds(),
    )


def cpu_since(start: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(b - a for a, b in zip(start, cpu_now(), strict=True))
