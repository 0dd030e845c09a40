"""sms_supervise (`make run`): a worker or scheduler that dies is started again, with back-off;
Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from velocify_sms.processes.supervisor import Program, Supervisor

ROOT = Path(__file__).resolve().parents[3]


def _until(predicate, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s")
        time.sleep(0.05)


def test_a_program_that_exits_is_started_again_with_growing_delays(tmp_path):
    starts = tmp_path / "starts"
    crashes = Program(
        name="crashes",
        argv=[sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"],
    )
    lives = Program(name="lives", argv=[sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([crashes, lives], first=0.1, cap=0.4, poll=0.02)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    try:
        _until(lambda: crashes.starts >= 5, seconds=20, what="five starts")
    finally:
        stop.set()
        thread.join(timeout=20)

    assert starts.read_text().startswith("xxxx")
    assert crashes.exits[:4] == [3, 3, 3, 3]
    assert crashes.delay == 0.4  # 0.1, 0.2, 0.4, then capped
    assert lives.starts == 1
    assert lives.process.poll() is not None  # stopped with the supervisor


def test_a_child_that_ignores_term_is_killed_after_the_grace(tmp_path):
    stubborn = Program(
        name="stubborn",
        argv=[
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
        ],
    )
    supervisor = Supervisor([stubborn], grace=0.5, poll=0.02)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=10)

    assert stubborn.process.returncode == -signal.SIGKILL


def _heartbeats(db: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(db, timeout=20) as conn:
            return dict(conn.execute("SELECT name, kind FROM processes_processheartbeat"))
    except sqlite3.OperationalError:
        return {}


@pytest.mark.processes
def test_a_killed_worker_comes_back_and_ctrl_c_stops_all(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENV_FILE": "",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{db}",
        "PROCESS_HEARTBEAT_SECONDS": "1",
        "PROCESS_HEARTBEAT_STALE_SECONDS": "5",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "supervise.log"
    with open(log, "wb") as out:
        supervisor = subprocess.Popen(
            [*manage, "sms_supervise"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _until(
            lambda: {"worker", "scheduler"} <= set(_heartbeats(db).values()),
            seconds=60,
            what="a worker and a scheduler heartbeat",
        )
        (worker,) = [name for name, kind in _heartbeats(db).items() if kind == "worker"]
        os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)

        _until(
            lambda: any(
                kind == "worker" and name != worker for name, kind in _heartbeats(db).items()
            ),
            seconds=60,
            what="a new worker's heartbeat",
        )
        assert "worker exited with status -9" in log.read_text()

        supervisor.send_signal(signal.SIGINT)  # what Ctrl-C sends
        supervisor.wait(timeout=30)
    finally:
        if supervisor.poll() is None:  # a failed assertion: stop its children too, then it
            supervisor.terminate()
            try:
                supervisor.wait(timeout=30)
            except subprocess.TimeoutExpired:
                supervisor.kill()
    # The killed worker's row stays (it could not say goodbye); the others stopped cleanly.
    assert _heartbeats(db) == {worker: "worker"}
