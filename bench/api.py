"""REST API under load: gunicorn (several workers) on PostgreSQL, wrk from a separate process.

Three endpoints in the same run, 16 connections for 30 s each:
- the floor: GET /api/v1/me/ (token auth, throttling, permission check, no other query);
- POST /api/v1/sms/opt-out/ with one random number per request (a real write + audit event);
- GET /api/v1/sms/phone-numbers/<n>/ on numbers half of which are on the list (with history).
Then a 1,000-number batch opt-out timed from this process (target < 1 s).
Targets: opt-out at least half the floor's requests/s, p99 under 100 ms.

Needs Debian's `wrk` (apt-get install wrk). Run: .venv/bin/python bench/api.py
Environment: BENCH_SECONDS (30), BENCH_CONNECTIONS (16), BENCH_WORKERS (4).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, django_setup, drop_database, section, timed

DB = "bench_h5"
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SEEDED = 20_000

# One Lua script for all three runs; `mode` picks the request. Numbers are +1 415 2xx-9xx xxxx:
# valid US numbers. The look-up draws from the seeded range, so half its numbers are on the list.
LUA = r"""
local mode = os.getenv("WRK_MODE")
local token = os.getenv("WRK_TOKEN")
local seeded = tonumber(os.getenv("WRK_SEEDED"))
local headers = {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json"}
local thread_seed = 0

function setup(thread)
  thread_seed = thread_seed + 1
  thread:set("thread_seed", thread_seed)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_seed or 0))
end

request = function()
  if mode == "opt_out" then
    local number = string.format("+1415%07d", math.random(3000000, 9999999))
    return wrk.format("POST", "/api/v1/sms/opt-out/", headers,
      '{"phone_number": "' .. number .. '"}')
  elseif mode == "lookup" then
    local number = string.format("+1415%07d", 2000000 + math.random(0, seeded * 2 - 1))
    return wrk.format("GET", "/api/v1/sms/phone-numbers/" .. number .. "/", headers)
  end
  return wrk.format("GET", "/api/v1/me/", headers)
end

done = function(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout + summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_MANIFEST": "false",
            "DATABASE_CONN_MAX_AGE": "60",
            "API_THROTTLE_USER": "100000000/min",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port} within {timeout} s")


def run_wrk(port: int, mode: str, token: str, script: str) -> dict:
    env = dict(os.environ, WRK_MODE=mode, WRK_TOKEN=token, WRK_SEEDED=str(SEEDED))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            script,
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def post_json(port: int, token: str, path: str, body: dict) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {payload}")
    return payload


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    django_setup(DB)
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from apitokens.services import api_token_create
    from optouts.models import Channel, ConsentEvent, OptOut, Source
    from tests.factories import UserFactory

    agent = UserFactory(username="bench-agent", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))
    _, token = api_token_create(user=agent)
    # Every other number of the look-up range is on the list, each with one event.
    now = timezone.now()
    numbers = [f"+1415{2000000 + 2 * n:07d}" for n in range(SEEDED)]
    OptOut.objects.bulk_create(
        OptOut(phone_number=n, source=Source.AGENT, channel=Channel.UI, opted_out_at=now)
        for n in numbers
    )
    ConsentEvent.objects.bulk_create(
        ConsentEvent(
            phone_number=n,
            action=ConsentEvent.Action.OPT_OUT,
            source=Source.AGENT,
            channel=Channel.UI,
            created_at=now,
        )
        for n in numbers
    )
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "velocify_sms.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    results = {}
    try:
        wait_for(port)
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        probe.request("GET", "/api/v1/me/", headers={"Authorization": f"Token {token}"})
        answer = probe.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"/api/v1/me/ answered {answer.status}: {answer.read()[:300]!r}")
        probe.close()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        # Warm every worker (imports, connections) before measuring.
        subprocess.run(
            ["wrk", "-t1", "-c8", "-d3s", "-s", script.name, f"http://127.0.0.1:{port}"],
            env=dict(os.environ, WRK_MODE="floor", WRK_TOKEN=token, WRK_SEEDED=str(SEEDED)),
            capture_output=True,
            check=True,
        )
        for mode in ("floor", "opt_out", "lookup"):
            results[mode] = run_wrk(port, mode, token, script.name)
            print(mode, results[mode], flush=True)

        rng = random.Random(5)

        def batch():
            numbers = [f"+1628{rng.randint(2000000, 9999999):07d}" for _ in range(1000)]
            body = post_json(port, token, "/api/v1/sms/opt-out/", {"phone_numbers": numbers})
            assert len(body["results"]) == 1000

        batch_new = timed(batch, repeat=5)
        repeat_numbers = [f"+1415{2000000 + 2 * n:07d}" for n in range(1000)]
        batch_again = timed(
            lambda: post_json(
                port, token, "/api/v1/sms/opt-out/", {"phone_numbers": repeat_numbers}
            ),
            repeat=5,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        Path(script.name).unlink(missing_ok=True)

    floor = results["floor"]["rps"]
    load = Path("/proc/loadavg").read_text().split()[:3]
    with section("api", "REST API under load (bench/api.py)") as lines:
        lines += [
            f"Load average at the end of the run: {' '.join(load)} (other work on the machine "
            "slows every row alike; the ratios to the floor are the comparable figures).",
            "",
            f"gunicorn, {WORKERS} sync workers, PostgreSQL, persistent connections; wrk "
            f"(separate process) with {CONNECTIONS} connections for {SECONDS} s per endpoint; "
            f"{SEEDED:,} numbers on the list. Targets: opt-out >= 0.5x the floor, p99 < 100 ms; "
            "1,000-number batch < 1 s.",
            "",
            "| endpoint | requests/s | p50 ms | p99 ms | non-200 | ratio to floor |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        labels = {
            "floor": "floor: GET /api/v1/me/",
            "opt_out": "POST /api/v1/sms/opt-out/ (1 random number)",
            "lookup": "GET /api/v1/sms/phone-numbers/<n>/",
        }
        for mode, label in labels.items():
            r = results[mode]
            lines.append(
                f"| {label} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | "
                f"{r['p99_us'] / 1000:.1f} | {r['errors']} | {r['rps'] / floor:.2f} |"
            )
        lines += [
            "",
            "| 1,000-number batch opt-out | median ms | min ms | max ms |",
            "| --- | ---: | ---: | ---: |",
            f"| new numbers | {batch_new['median_ms']:.0f} | {batch_new['min_ms']:.0f} | "
            f"{batch_new['max_ms']:.0f} |",
            f"| numbers already on the list | {batch_again['median_ms']:.0f} | "
            f"{batch_again['min_ms']:.0f} | {batch_again['max_ms']:.0f} |",
        ]
    drop_database()


if __name__ == "__main__":
    main()
