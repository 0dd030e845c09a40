"""Reads of the background processes: whose heartbeat is stale."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from velocify_sms.processes.models import ProcessHeartbeat, ProcessKind


def process_heartbeats_problem(*, now: datetime | None = None) -> str | None:
    """None when every kind of background process that has announced itself has at least one
    fresh heartbeat (newer than PROCESS_HEARTBEAT_STALE_SECONDS), else what is wrong.

    The freshest row per kind counts: a killed worker whose replacement beats under a new name
    is no outage. A kind with no row at all is not checked (no worker is needed with
    TASKS_BACKEND=immediate, and an RQ worker writes none). 0 turns the check off.
    """
    threshold = settings.PROCESS_HEARTBEAT_STALE_SECONDS
    if not threshold:
        return None
    now = now or timezone.now()
    latest = dict(
        ProcessHeartbeat.objects.values("kind")
        .annotate(latest=Max("beat_at"))
        .values_list("kind", "latest")
    )
    problems = []
    for kind, label in ProcessKind.choices:
        beat = latest.get(kind)
        if beat is not None and beat < now - timedelta(seconds=threshold):
            ago = int((now - beat).total_seconds())
            problems.append(
                f"{label.lower()} heartbeat stale: the last beat was {ago} s ago "
                f"(threshold {threshold} s)"
            )
    return "; ".join(problems) or None
