"""Heartbeats of the worker and the scheduler, and /readyz's 503 when one goes silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from velocify_sms.processes.models import ProcessHeartbeat
from velocify_sms.processes.selectors import process_heartbeats_problem
from velocify_sms.processes.services import (
    Heartbeat,
    process_heartbeat_delete,
    process_heartbeat_write,
)

pytestmark = pytest.mark.django_db


def _beat(name: str, kind: str, seconds_ago: int) -> None:
    process_heartbeat_write(
        name=name, kind=kind, now=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_readyz_is_503_and_says_why_when_the_only_workers_heartbeat_is_stale(client, settings):
    settings.PROCESS_HEARTBEAT_STALE_SECONDS = 60
    _beat("worker:web1:42", "worker", 95)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["processes"].startswith(
        "task worker heartbeat stale: the last beat was 9"
    )
    assert body["checks"]["processes"].endswith("s ago (threshold 60 s)")
    assert body["checks"]["database"] == "ok"


def test_readyz_is_ok_while_the_worker_and_scheduler_beat(client, settings):
    settings.PROCESS_HEARTBEAT_STALE_SECONDS = 60
    _beat("worker:web1:42", "worker", 5)
    _beat("scheduler:web1:43", "scheduler", 5)

    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json()["checks"]["processes"] == "ok"


def test_a_silent_scheduler_is_named_too(settings):
    settings.PROCESS_HEARTBEAT_STALE_SECONDS = 60
    _beat("worker:web1:42", "worker", 5)
    _beat("scheduler:web1:43", "scheduler", 300)

    assert process_heartbeats_problem().startswith("scheduler heartbeat stale: the last beat was 3")


def test_a_killed_worker_replaced_by_a_new_one_is_no_outage(settings):
    settings.PROCESS_HEARTBEAT_STALE_SECONDS = 60
    _beat("worker:web1:42", "worker", 600)  # killed: its row stays
    _beat("worker:web1:77", "worker", 3)  # its replacement

    assert process_heartbeats_problem() is None


def test_no_heartbeat_at_all_is_not_an_outage(settings):
    # TASKS_BACKEND=immediate needs no worker; rqworker writes no heartbeat.
    assert process_heartbeats_problem() is None


def test_a_threshold_of_zero_turns_the_check_off(settings):
    settings.PROCESS_HEARTBEAT_STALE_SECONDS = 0
    _beat("worker:web1:42", "worker", 10_000)
    assert process_heartbeats_problem() is None


def test_a_row_left_for_a_day_is_forgotten_when_a_new_process_of_its_kind_starts():
    _beat("worker:gone:1", "worker", 2 * 86_400)
    process_heartbeat_write(name="worker:new:2", kind="worker")
    assert set(ProcessHeartbeat.objects.values_list("name", flat=True)) == {"worker:new:2"}


def test_a_clean_stop_removes_the_row():
    process_heartbeat_write(name="scheduler:a:1", kind="scheduler")
    process_heartbeat_delete(name="scheduler:a:1")
    assert not ProcessHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_until_its_process_stops():
    import time

    with Heartbeat(kind="worker", name="worker:test:1", every=0.05):
        deadline = time.monotonic() + 10
        while not ProcessHeartbeat.objects.filter(name="worker:test:1").exists():
            assert time.monotonic() < deadline, "no heartbeat written"
            time.sleep(0.02)
        first = ProcessHeartbeat.objects.get(name="worker:test:1").beat_at
        while ProcessHeartbeat.objects.get(name="worker:test:1").beat_at == first:
            assert time.monotonic() < deadline, "the heartbeat did not move"
            time.sleep(0.02)
    assert not ProcessHeartbeat.objects.exists()
