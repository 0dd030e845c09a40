"""Probes for load balancers and orchestrators.

`/healthz`: the process answers (no database touched, so a database outage does not make every
web process look dead and get restarted). `/readyz`: this process can serve real traffic: the
database and the cache answer, no migration is waiting, and no task worker or scheduler has
gone silent (their heartbeats, velocify_sms.processes). Both are plain JSON, no login.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from velocify_sms.processes.selectors import process_heartbeats_problem
from velocify_sms.text import count_of

logger = logging.getLogger(__name__)

# Once this code's migrations are found applied they stay applied for the process's life (a
# deploy with new migrations starts new processes), so the migration graph is loaded only until
# the first success.
_migrations_seen_applied = False


def database_check() -> str | None:
    """None if the database answers a query, else why not."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"; the reason goes in the answer
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def cache_check() -> str | None:
    """None if the cache stores and returns a value, else why not."""
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    return None if value == "ok" else "the cache did not return the value it was given"


def migrations_check() -> str | None:
    """None if every migration of this code is applied, else which are not."""
    global _migrations_seen_applied
    if _migrations_seen_applied:
        return None
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        return f"{count_of(len(plan), 'unapplied migration')}: {names}{more}"
    _migrations_seen_applied = True
    return None


def processes_check() -> str | None:
    """None if every kind of background process that beats has beaten lately, else which not."""
    try:
        return process_heartbeats_problem()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_check()}
    checks["cache"] = cache_check()
    checks["migrations"] = migrations_check() if checks["database"] is None else "database down"
    checks["processes"] = processes_check() if checks["database"] is None else "database down"
    failed = {name: reason for name, reason in checks.items() if reason}
    if failed:
        logger.warning("not ready: %s", failed)
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": {name: reason or "ok" for name, reason in checks.items()},
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": dict.fromkeys(checks, "ok")})
