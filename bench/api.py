"""REST API under load, before and after the speed work, on the production shape: gunicorn on
PostgreSQL with Redis as the cache, wrk (a separate process) as 16 closed-loop clients.

Two servers run side by side on one seeded database: `before` is the code at BASELINE_REV
(bench/_baseline.py) started the way its `make serve` started it (3 sync workers, settings at
their defaults then: a new database connection per request), `after` is this checkout started
the way `make serve` starts it now (gunicorn.conf.py). Each endpoint is loaded on one server then
the other, alternating, so both see the same machine:
- the trivial endpoint: GET /healthz (no authentication, no database): the stack's own floor;
- GET /api/v1/me/: token authentication, throttling, permissions, nothing else;
- POST /api/v1/sms/opt-out/ with one random number per request (a write + audit event);
- GET /api/v1/sms/phone-numbers/<n>/ on numbers half of which are on the list.
Then a 1,000-number batch opt-out timed from this process (target < 1 s), on `after`.
Targets: p99 under 100 ms at 16 clients; p99 of each endpoint as a ratio to /healthz's p99 in
the same run (other work on the machine slows all alike).

Needs Debian's `wrk` (apt-get install wrk) and Redis on 127.0.0.1:6379 (BENCH_CACHE_URL).
Run: .venv/bin/python bench/api.py
Environment: BENCH_SECONDS (20), BENCH_CONNECTIONS (16), BENCH_API_SERVERS (before,after).
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

from _baseline import BASELINE_REV, baseline_tree
from _common import ROOT, django_setup, drop_database, load_average, result_record, section, timed

DB = "bench_h5"
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
SERVERS = os.environ.get("BENCH_API_SERVERS", "before,after").split(",")
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
SEEDED = 20_000
P99_TARGET_MS = 100
# Web CPU per opt-out (the gunicorn processes' CPU time over the requests served) and the
# opt-out's p99 as a multiple of /healthz's in the same run.
CPU_TARGET_MS = 3.0
RATIO_TARGET = 3.0
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# The baseline's `make serve` (Makefile at BASELINE_REV), flag for flag.
BEFORE_COMMAND = [
    GUNICORN,
    "velocify_sms.wsgi:application",
    "--workers=3",
    "--threads=1",
    "--timeout=60",
    "--graceful-timeout=30",
    "--max-requests=5000",
    "--max-requests-jitter=500",
    "--access-logfile=-",
    "--error-logfile=-",
]
# This checkout's `make serve`: everything else is in gunicorn.conf.py.
AFTER_COMMAND = [GUNICORN, "velocify_sms.wsgi:application", "--config=gunicorn.conf.py"]
ENDPOINTS = {
    "healthz": "GET /healthz (trivial: no auth, no database)",
    "me": "GET /api/v1/me/ (token auth, throttle, permissions)",
    "opt_out": "POST /api/v1/sms/opt-out/ (1 random number)",
    "lookup": "GET /api/v1/sms/phone-numbers/<n>/",
}

# One Lua script for every run; `mode` picks the request. Numbers are +1 415 2xx-9xx xxxx:
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
  elseif mode == "healthz" then
    return wrk.format("GET", "/healthz", {})
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


def server_env(port: int) -> dict:
    """Production settings: only what a deployment must set, and the throttle out of the way.

    DATABASE_CONN_MAX_AGE, workers and threads stay at each tree's defaults: they are part of
    what is measured.
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_CONN", "WEB_", "GUN"))
    }
    env.update(
        {
            "DEBUG": "false",
            "ENV_FILE": "",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_MANIFEST": "false",
            "CACHE_URL": CACHE_URL,
            "API_THROTTLE_USER": "100000000/min",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
    )
    return env


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {port} within {timeout} s")


def server_start(name: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    tree, command = (baseline_tree(), BEFORE_COMMAND) if name == "before" else (ROOT, AFTER_COMMAND)
    command = [*command, f"--bind=127.0.0.1:{port}"]
    server = subprocess.Popen(
        command,
        cwd=tree,
        env=server_env(port),
        stdout=subprocess.DEVNULL,  # the access log: written, as in production, then dropped
        start_new_session=True,
    )
    return server, port


def _ticks(pid: int, *, children: bool = False) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime (and the reaped children's cutime, cstime), in clock ticks.
    return sum(int(f) for f in fields[11 : 15 if children else 13])


def server_cpu_seconds(master: int) -> float:
    """CPU time of a gunicorn master and its workers, living or recycled (max_requests).

    A figure the other work on the machine does not inflate the way it inflates latency: what
    one request costs the web process, not counting PostgreSQL's and Redis's side.
    """
    ticks = _ticks(master, children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                ticks += _ticks(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # ended while being read
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(
    port: int, mode: str, token: str, script: str, seconds: int = SECONDS, master: int = 0
) -> dict:
    env = dict(os.environ, WRK_MODE=mode, WRK_TOKEN=token, WRK_SEEDED=str(SEEDED))
    cpu_start = server_cpu_seconds(master) if master else 0.0
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
        + ["-s", script, f"http://127.0.0.1:{port}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["p99_ms"], data["p50_ms"] = data["p99_us"] / 1000, data["p50_us"] / 1000
    if master:
        cpu = server_cpu_seconds(master) - cpu_start
        data["cpu_ms"] = cpu * 1000 / max(data["requests"], 1)
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


def seed() -> str:
    """The agent's token; SEEDED numbers on the list (every other one of the look-up range)."""
    from django.contrib.auth.models import Group
    from django.db import connections
    from django.utils import timezone

    from apitokens.services import api_token_create
    from optouts.models import Channel, ConsentEvent, OptOut, Source
    from tests.factories import UserFactory

    agent = UserFactory(username="bench-agent", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))
    _, token = api_token_create(user=agent)
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
    connections.close_all()
    return token


def batches(port: int, token: str) -> tuple[dict, dict]:
    rng = random.Random(5)

    def batch():
        numbers = [f"+1628{rng.randint(2000000, 9999999):07d}" for _ in range(1000)]
        body = post_json(port, token, "/api/v1/sms/opt-out/", {"phone_numbers": numbers})
        assert len(body["results"]) == 1000

    repeat_numbers = [f"+1415{2000000 + 2 * n:07d}" for n in range(1000)]
    again = {"phone_numbers": repeat_numbers}
    return (
        timed(batch, repeat=5),
        timed(lambda: post_json(port, token, "/api/v1/sms/opt-out/", again), repeat=5),
    )


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    django_setup(DB)
    token = seed()
    servers = {name: server_start(name) for name in SERVERS}
    results: dict[str, dict[str, dict]] = {name: {} for name in SERVERS}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    try:
        for _, port in servers.values():
            wait_for(port)
        for _, port in servers.values():
            # Warm every worker (imports, connections, caches) before measuring.
            for mode in ENDPOINTS:
                run_wrk(port, mode, token, script.name, seconds=2)
        for mode in ENDPOINTS:
            for name, (server, port) in servers.items():
                results[name][mode] = found = run_wrk(
                    port, mode, token, script.name, master=server.pid
                )
                print(name, mode, json.dumps(found), flush=True)
        batch_new, batch_again = batches(servers[SERVERS[-1]][1], token)
    finally:
        for server, _ in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        Path(script.name).unlink(missing_ok=True)
    load = load_average()
    report(results, batch_new, batch_again, load)
    drop_database()


def report(results: dict, batch_new: dict, batch_again: dict, load: str) -> None:
    after = results[SERVERS[-1]]
    before = results.get("before") if SERVERS[-1] != "before" else None
    floor = after["healthz"]["p99_ms"]
    for mode, label in ENDPOINTS.items():
        figure = after[mode]["p99_ms"]
        result_record(
            target=f"{label.split(' (')[0]} p99 < {P99_TARGET_MS} ms at {CONNECTIONS} clients",
            figure=figure,
            unit="ms",
            floor=floor if mode != "healthz" else P99_TARGET_MS,
            ratio=figure / (floor if mode != "healthz" else P99_TARGET_MS),
            met=figure < P99_TARGET_MS,
            before=before[mode]["p99_ms"] if before else None,
        )
    for mode in ("me", "opt_out", "lookup"):
        figure = after[mode]["cpu_ms"]
        result_record(
            target=f"{ENDPOINTS[mode].split(' (')[0]} web CPU per request below before's",
            figure=figure,
            unit="ms",
            floor=after["healthz"]["cpu_ms"],
            ratio=figure / after["healthz"]["cpu_ms"],
            met=before is not None and figure < before[mode]["cpu_ms"],
            before=before[mode]["cpu_ms"] if before else None,
        )
    opt_out = after["opt_out"]
    result_record(
        target=f"opt-out web CPU per request <= {CPU_TARGET_MS} ms",
        figure=opt_out["cpu_ms"],
        unit="ms",
        floor=after["healthz"]["cpu_ms"],
        ratio=opt_out["cpu_ms"] / after["healthz"]["cpu_ms"],
        met=opt_out["cpu_ms"] <= CPU_TARGET_MS,
        before=before["opt_out"]["cpu_ms"] if before else None,
    )
    result_record(
        target=f"opt-out p99 <= {P99_TARGET_MS} ms and <= {RATIO_TARGET}x /healthz's p99",
        figure=opt_out["p99_ms"],
        unit="ms",
        floor=floor,
        ratio=opt_out["p99_ms"] / floor,
        met=opt_out["p99_ms"] <= P99_TARGET_MS and opt_out["p99_ms"] / floor <= RATIO_TARGET,
        before=before["opt_out"]["p99_ms"] if before else None,
    )
    result_record(
        target="1,000-number batch opt-out < 1 s (median)",
        figure=batch_new["median_ms"],
        unit="ms",
        floor=1000,
        ratio=batch_new["median_ms"] / 1000,
        met=batch_new["median_ms"] < 1000,
    )
    with section("api", "REST API under load (bench/api.py)") as lines:
        lines += [
            f"Load average at the end of the run: {load} (other work shares the 2 cores; the "
            "ratios to /healthz in the same run are the comparable figures).",
            "",
            f"gunicorn on PostgreSQL with Redis as the cache, DEBUG off; wrk (separate process) "
            f"with {CONNECTIONS} connections (closed loop) for {SECONDS} s per endpoint and "
            f"server, the servers alternating; {SEEDED:,} numbers on the list. `before`: the "
            f"code at {BASELINE_REV} as its `make serve` started it (3 sync workers, "
            "DATABASE_CONN_MAX_AGE=0); `after`: this checkout as `make serve` starts it "
            "(gunicorn.conf.py). Target: p99 < 100 ms.",
            "",
            "| endpoint | server | requests/s | p50 ms | p99 ms | non-2xx | p99 / healthz p99 "
            "| web CPU ms / request |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for mode, label in ENDPOINTS.items():
            for name in SERVERS:
                r, base = results[name][mode], results[name]["healthz"]["p99_ms"]
                lines.append(
                    f"| {label} | {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['errors']} | {r['p99_ms'] / base:.2f} | "
                    f"{r['cpu_ms']:.2f} |"
                )
        lines += [
            "",
            "| 1,000-number batch opt-out (after) | median ms | min ms | max ms |",
            "| --- | ---: | ---: | ---: |",
            f"| new numbers | {batch_new['median_ms']:.0f} | {batch_new['min_ms']:.0f} | "
            f"{batch_new['max_ms']:.0f} |",
            f"| numbers already on the list | {batch_again['median_ms']:.0f} | "
            f"{batch_again['min_ms']:.0f} | {batch_again['max_ms']:.0f} |",
        ]


if __name__ == "__main__":
    main()
