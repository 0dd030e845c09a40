"""sms_worker: a lost database is waited out with capped back-off, never the end of the worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import override_settings
from django_tasks import TaskResultStatus, task
from django_tasks_db.management.commands.db_worker import Worker

from leads.models import Lead
from velocify_sms.processes.models import ProcessHeartbeat
from velocify_sms.processes.worker import ResilientWorker, backoff_delays

ROOT = Path(__file__).resolve().parents[3]


@task()
def lead_count_plus(offset: int) -> int:
    """Reads the database, so a run proves the worker reached it."""
    return Lead.objects.count() + offset


def _worker(**kwargs) -> ResilientWorker:
    return ResilientWorker(
        queue_names=["default"],
        interval=0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
        **kwargs,
    )


def test_back_off_doubles_up_to_its_cap():
    delays = backoff_delays(first=1, cap=20)
    assert [next(delays) for _ in range(7)] == [1, 2, 4, 8, 16, 20, 20]


def test_connection_errors_are_waited_out_and_the_loop_runs_again(monkeypatch):
    outcomes = [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
        OperationalError("connection refused"),
        OperationalError("connection refused"),
        None,  # the database is back; the loop then ends as --batch would end it
    ]
    runs = []

    def loop(self):
        runs.append(1)
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(Worker, "run", loop)
    sleeps = []
    worker = _worker(retry_first=1, retry_max=3, sleep=sleeps.append)

    worker.run()

    assert len(runs) == 5
    assert sleeps == [1, 2, 3, 3]
    assert worker.reconnects == 4


def test_other_errors_still_end_the_worker(monkeypatch):
    def loop(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Worker, "run", loop)
    with pytest.raises(RuntimeError):
        _worker(sleep=lambda s: None).run()


@contextmanager
def _maintenance(connection):
    """A connection to the server's `postgres` database, as the test database's user."""
    import psycopg

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        yield admin


def _wait_for(predicate, *, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s; worker log:\n{log.read_text()}")
        time.sleep(0.2)


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_its_connection_being_killed_and_runs_the_next_task(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    name = connection.settings_dict["NAME"]
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    url += f"/{name}"
    env = {
        **os.environ,
        "ENV_FILE": "",
        "DEBUG": "true",
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "PROCESS_HEARTBEAT_SECONDS": "1",
        "PROCESS_HEARTBEAT_STALE_SECONDS": "5",
    }
    log = tmp_path / "worker.log"
    quoted = connection.ops.quote_name(name)
    database_tasks = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    )
    with open(log, "wb") as out, database_tasks:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "sms_worker", "--no-reload", "--interval", "0.2"]
            + ["--no-startup-delay", "--retry-max", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            first = lead_count_plus.enqueue(1)

            def done(result):
                result.refresh()
                return result.status == TaskResultStatus.SUCCESSFUL

            _wait_for(lambda: done(first), seconds=60, what="the first task did not run", log=log)
            assert ProcessHeartbeat.objects.filter(kind="worker").exists()

            # The outage: every connection to the database killed, and new ones refused for a
            # few seconds, so the worker's reconnection fails too. Told from the maintenance
            # database: PostgreSQL will not close the current one to connections.
            with _maintenance(connection) as admin:
                admin.execute(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS false")
                try:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        [name],
                    )
                    _wait_for(
                        lambda: b"lost the database" in log.read_bytes(),
                        seconds=30,
                        what="the worker did not notice",
                        log=log,
                    )
                    time.sleep(3)
                    assert worker.poll() is None, log.read_text()
                finally:
                    admin.execute(f"ALTER DATABASE {quoted} WITH ALLOW_CONNECTIONS true")
            connection.close()  # killed with the others

            second = lead_count_plus.enqueue(2)
            _wait_for(lambda: done(second), seconds=60, what="the second task did not run", log=log)
            assert worker.poll() is None
        finally:
            worker.terminate()
            worker.wait(timeout=30)
