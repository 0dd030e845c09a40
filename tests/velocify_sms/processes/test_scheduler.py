"""sms_scheduler: every periodic job at its interval, one failing job never stops the others."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from velocify_sms.processes import scheduler
from velocify_sms.processes.models import ScheduledJobRun
from velocify_sms.processes.scheduler import (
    ScheduledJob,
    scheduled_job_run,
    scheduled_jobs_waits,
    scheduler_jobs,
    scheduler_loop,
)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_job_runs_at_once_then_every_interval(monkeypatch):
    clock = FakeClock()
    stop = threading.Event()
    ran = []

    def run(*, job):
        ran.append((clock.now, job.name))
        return True

    def wait(seconds):  # the loop's sleep: move the clock instead, stop after a while
        clock.now += seconds
        if clock.now >= 130:
            stop.set()
        return stop.is_set()

    monkeypatch.setattr(stop, "wait", wait)
    jobs = [ScheduledJob("often", ("x",), 60), ScheduledJob("rarely", ("y",), 100)]

    scheduler_loop(jobs=jobs, stop=stop, run=run, clock=clock)

    assert ran == [(0, "often"), (0, "rarely"), (60, "often"), (100, "rarely"), (120, "often")]


def test_a_restarted_scheduler_waits_out_the_rest_of_each_interval(db, monkeypatch):
    monkeypatch.setattr(scheduler, "call_command", lambda *a, **k: None)
    digest = ScheduledJob("inbox-digest", ("sms_inbox_digest",), 86400)
    sweep = ScheduledJob("revocation-deadlines", ("sms_revocation_deadlines",), 60)
    never = ScheduledJob("stale-imports", ("import_leads",), 60)
    for job in (digest, sweep):
        assert scheduled_job_run(job=job) is True
    ScheduledJobRun.objects.filter(name="inbox-digest").update(
        started_at=timezone.now() - timedelta(hours=3)
    )
    ScheduledJobRun.objects.filter(name="revocation-deadlines").update(
        started_at=timezone.now() - timedelta(minutes=5)
    )

    waits = scheduled_jobs_waits(jobs=[digest, sweep, never])

    assert 21 * 3600 - 5 < waits["inbox-digest"] <= 21 * 3600
    assert waits["revocation-deadlines"] == 0  # overdue: at once
    assert "stale-imports" not in waits  # never run: at once


def test_the_loop_starts_each_job_after_its_wait(monkeypatch):
    clock = FakeClock()
    stop = threading.Event()
    ran = []

    def wait(seconds):
        clock.now += seconds
        if clock.now >= 100:
            stop.set()
        return stop.is_set()

    monkeypatch.setattr(stop, "wait", wait)
    jobs = [ScheduledJob("daily", ("x",), 86400), ScheduledJob("minutely", ("y",), 60)]

    scheduler_loop(
        jobs=jobs,
        stop=stop,
        run=lambda *, job: ran.append((clock.now, job.name)),
        clock=clock,
        waits={"daily": 90},
    )

    assert ran == [(0, "minutely"), (60, "minutely"), (90, "daily")]


def test_a_failing_job_is_logged_and_the_next_job_still_runs(db, caplog, monkeypatch):
    calls = []

    def fake_call_command(name, *args, **kwargs):
        calls.append(name)
        if name == "broken":
            raise RuntimeError("the anchor service is down")
        kwargs["stdout"].write("swept 3\n")

    monkeypatch.setattr(scheduler, "call_command", fake_call_command)
    caplog.set_level(logging.INFO, logger="velocify_sms.processes.scheduler")
    clock = FakeClock()
    stop = threading.Event()

    def wait(seconds):
        clock.now += seconds
        stop.set()
        return True

    monkeypatch.setattr(stop, "wait", wait)
    jobs = [ScheduledJob("anchor", ("broken",), 60), ScheduledJob("sweep", ("fine",), 60)]

    scheduler_loop(jobs=jobs, stop=stop, clock=clock)

    assert calls == ["broken", "fine"]
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert failure.getMessage() == "scheduled job anchor failed"
    assert "the anchor service is down" in caplog.text
    assert "sweep: swept 3" in caplog.messages


def test_a_job_that_exits_is_a_failure_not_the_end_of_the_scheduler(db, monkeypatch):
    def exits(*args, **kwargs):
        raise SystemExit(2)

    monkeypatch.setattr(scheduler, "call_command", exits)
    assert scheduled_job_run(job=ScheduledJob("x", ("x",), 1)) is False


def test_the_default_table_runs_the_sweep_and_the_stale_imports_and_skips_a_missing_command(
    settings, caplog
):
    caplog.set_level(logging.INFO, logger="velocify_sms.processes.scheduler")
    jobs = {job.name: job for job in scheduler_jobs()}

    assert jobs["revocation-deadlines"].command == ("sms_revocation_deadlines",)
    assert jobs["revocation-deadlines"].every == 60
    assert jobs["stale-imports"].command == ("import_leads", "--resume-stale")
    assert jobs["inbox-digest"].command == ("sms_inbox_digest",)
    assert jobs["inbox-digest"].every == 86400
    assert jobs["lead-listed"].command == ("lead_listed_rebuild",)
    if "evidence-anchor" not in jobs:
        assert "scheduled job evidence-anchor skipped: no command sms_evidence_anchor" in (
            caplog.messages
        )


def test_an_interval_of_zero_turns_a_job_off(settings):
    settings.SCHEDULER_JOBS = {
        **settings.SCHEDULER_JOBS,
        "revocation-deadlines": {"command": ["sms_revocation_deadlines"], "every": 0},
    }
    assert "revocation-deadlines" not in {job.name for job in scheduler_jobs()}


@pytest.mark.django_db
def test_once_runs_every_job_once_and_logs_what_it_printed(caplog):
    caplog.set_level(logging.INFO, logger="velocify_sms.processes.scheduler")
    call_command("sms_scheduler", "--once")
    swept = "revocation-deadlines: Opted out at the deadline: 0"
    assert any(message.startswith(swept) for message in caplog.messages)
