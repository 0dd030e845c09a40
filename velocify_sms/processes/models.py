"""Heartbeats of the task workers and schedulers, in the database so every web process sees
them, and the scheduler's record of when each periodic job last started."""

from __future__ import annotations

from django.db import models


class ProcessKind(models.TextChoices):
    WORKER = "worker", "Task worker"
    SCHEDULER = "scheduler", "Scheduler"


class ProcessHeartbeat(models.Model):
    """One running worker or scheduler: written every PROCESS_HEARTBEAT_SECONDS while it lives,
    deleted when it stops cleanly (a killed one leaves its row to go stale)."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=ProcessKind.choices)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = "process heartbeat"
        indexes = [models.Index(fields=["kind", "beat_at"], name="heartbeat_kind_beat_idx")]

    def __str__(self) -> str:
        return self.name


class ScheduledJobRun(models.Model):
    """When the scheduler last started each periodic job: a restarted scheduler (a deploy, a
    crash) waits out the rest of the interval instead of running every job again at once."""

    name = models.CharField(max_length=100, unique=True)
    started_at = models.DateTimeField()

    class Meta:
        verbose_name = "scheduled job run"

    def __str__(self) -> str:
        return self.name
