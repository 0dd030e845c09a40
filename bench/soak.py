"""Load, soak and faults: the production shape under mixed traffic, with a database restart.

Starts gunicorn (DEBUG off, WhiteNoise manifest, Redis cache) and a task worker on PostgreSQL
database `bench_h8`, then drives mixed traffic from separate processes over 127.0.0.1 only:
opt-outs, opt-ins, look-ups, lead creates, signed inbound STOP/START webhooks, the opt-out list
API and the admin report page, while a 100,000-row import runs as a background job. Mid-run it
kills the task worker once (SIGKILL; a supervisor loop restarts it, the stalled import is resumed)
and restarts PostgreSQL once. Afterwards it checks:

- no 5xx except 503 during a fault window (JSON `service_unavailable` on API/webhook paths);
- no request of the load answered with a 4xx other than 404 or 409 (the load is well formed);
- replaying every number's consent events gives the opt-out list exactly;
- every import row landed exactly once (no row lost, none doubled).

    .venv/bin/python bench/soak.py --seconds 600          # the issue's 10 minutes
    .venv/bin/python bench/soak.py --seconds 180 --rows 100000
    .venv/bin/python bench/soak.py --no-faults

Bounded: load stops after --seconds; the import then gets at most --drain seconds to finish.
Exit status 1 if a consistency check fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from _common import ROOT, django_setup, drop_database, section

DB_NAME = "bench_h8"
HOST = "127.0.0.1"
AUTH_TOKEN = "soak-webhook-secret"
PG_RESTART = [
    "bash",
    "-c",
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | sort -V | tail -1) main restart",
]
IMPORT_PREFIX = "soak-imp-"
# Traffic mix: operation -> weight.
MIX = {
    "opt_out": 20,
    "opt_in": 10,
    "lookup": 25,
    "lead_create": 12,
    "inbound_stop": 8,
    "inbound_start": 7,
    "optout_list": 8,
    "report_page": 5,
    "healthz": 5,
}


def pool_number(i: int) -> str:
    """Numbers the traffic works on; the first half are also numbers of imported rows."""
    return import_number(i) if i % 2 == 0 else f"+1617{300 + i // 10000 % 100}{i % 10000:04d}"


def import_number(i: int) -> str:
    return f"+1415{200 + i // 10000 % 300}{i % 10000:04d}"


# --- the load driver (separate processes) --------------------------------------------------------


def driver(idx, base, tokens, deadline, pool_size, out_path, report_url):
    import requests
    from twilio.request_validator import RequestValidator

    rng = random.Random(1000 + idx)
    validator = RequestValidator(AUTH_TOKEN)
    agent = requests.Session()
    agent.headers["Authorization"] = f"Token {tokens['agent']}"
    admin = requests.Session()
    admin.headers["Authorization"] = f"Token {tokens['admin']}"
    browser = requests.Session()
    logged_in = False
    ops, weights = zip(*MIX.items(), strict=True)
    samples = []
    seq = 0

    def signed_inbound(body, number):
        url = f"{base}/webhooks/sms/inbound/"
        sid = f"SM{idx:08x}{seq:024x}"  # Twilio's format: the webhook refuses any other
        params = {
            "From": number,
            "To": "+15550006666",
            "Body": body,
            "MessageSid": sid,
            "SmsSid": sid,
            "NumMedia": "0",
            "AccountSid": "AC" + "0" * 32,
        }
        sig = validator.compute_signature(url, params)
        return requests.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=30)

    while time.time() < deadline:
        op = rng.choices(ops, weights)[0]
        number = pool_number(rng.randrange(pool_size))
        seq += 1
        start = time.time()
        status, body = 0, ""
        try:
            if op == "opt_out":
                r = agent.post(
                    f"{base}/api/v1/sms/opt-out/", json={"phone_numbers": [number]}, timeout=30
                )
            elif op == "opt_in":
                r = admin.post(
                    f"{base}/api/v1/sms/opt-in/",
                    json={"phone_numbers": [number], "note": "soak: the contact asked by phone"},
                    timeout=30,
                )
            elif op == "lookup":
                r = agent.get(f"{base}/api/v1/sms/phone-numbers/{number}/", timeout=30)
            elif op == "lead_create":
                r = agent.post(
                    f"{base}/api/v1/leads/",
                    json={
                        "first_name": "Soak",
                        "last_name": f"L{idx}-{seq}",
                        "phones": [{"number": number, "kind": "mobile"}],
                        "sms_opt_out": rng.random() < 0.2,
                    },
                    timeout=30,
                )
            elif op == "inbound_stop":
                r = signed_inbound("STOP", number)
            elif op == "inbound_start":
                r = signed_inbound("START", number)
            elif op == "optout_list":
                r = admin.get(
                    f"{base}/api/v1/sms/opt-outs/", params={"phone_prefix": "+1415"}, timeout=30
                )
            elif op == "report_page":
                if not logged_in:
                    page = browser.get(f"{base}/admin/login/", timeout=30)
                    browser.post(
                        f"{base}/admin/login/?next=/admin/",
                        data={
                            "username": "soak-admin",
                            "password": "soak-pass-123",
                            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
                        },
                        timeout=30,
                    )
                    logged_in = page.ok and "sessionid" in browser.cookies
                r = browser.get(f"{base}{report_url}?source=agent", timeout=30)
            else:
                r = requests.get(f"{base}/healthz", timeout=30)
            status = r.status_code
            if status >= 500:
                body = r.text[:300]
        except requests.RequestException as exc:
            status, body = -1, f"{type(exc).__name__}: {exc}"[:300]
        samples.append((op, status, start, time.time() - start, body))
    with open(out_path, "w") as fh:
        json.dump(samples, fh)


# --- processes under test -------------------------------------------------------------------------


class Supervised:
    """A child process restarted when it dies (what systemd's Restart=always would do)."""

    def __init__(self, name, argv, env, log):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc = None
        self.restarts = 0
        self.stopping = False
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self):
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not self._thread.is_alive():
            self._thread.start()

    def _watch(self):
        while not self.stopping:
            if self.proc and self.proc.poll() is not None and not self.stopping:
                time.sleep(1)
                self.restarts += 1
                self.start()
            time.sleep(0.5)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)

    def stop(self):
        self.stopping = True
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def wait_ready(base, seconds=60):
    import requests

    end = time.time() + seconds
    while time.time() < end:
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gunicorn did not become ready at {base}")


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the running import")
    parser.add_argument("--clients", type=int, default=6, help="load processes")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--pool", type=int, default=4000, help="distinct numbers in the traffic")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--drain", type=int, default=600, help="max seconds to wait for import")
    parser.add_argument("--no-faults", action="store_true")
    args = parser.parse_args()

    # The soak's own Django (consistency checks, resuming the import) sees the same import
    # staleness as the server processes below.
    os.environ["IMPORT_STALE_SECONDS"] = "15"
    django_setup(DB_NAME)
    from django.contrib.auth.models import Group, User
    from django.db import close_old_connections, connections

    from apitokens.services import api_token_create
    from leads.imports.models import ImportJob
    from leads.imports.services import import_job_can_resume, import_job_resume
    from leads.models import Lead, LeadPhone
    from optouts.models import ConsentEvent, OptOut
    from optouts.selectors import state_from_events

    admin = User.objects.create_superuser("soak-admin", "a@example.com", "soak-pass-123")
    admin.groups.add(Group.objects.get(name="Admins"))
    agent = User.objects.create_user("soak-agent", "b@example.com", "soak-pass-123", is_staff=True)
    agent.groups.add(Group.objects.get(name="Agents"))
    tokens = {
        "admin": api_token_create(user=admin)[1],
        "agent": api_token_create(user=agent)[1],
    }

    base = f"http://{HOST}:{args.port}"
    from django.urls import reverse

    report_url = reverse("admin:optouts_report")
    work = Path(tempfile.mkdtemp(prefix="soak-h8-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "soak-" + "k" * 60,
        "ALLOWED_HOSTS": HOST,
        # Plain HTTP on loopback: no TLS in front here, so no redirect and no Secure-only cookies.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DATABASE_CONN_MAX_AGE": "60",
        "CACHE_URL": "redis://127.0.0.1:6379/8",
        "TASKS_BACKEND": "database",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "API_THROTTLE_USER": "1000000/min",
        "IMPORT_STALE_SECONDS": "15",
        "MEDIA_ROOT": str(work / "media"),
        "LOG_LEVEL": "WARNING",
    }
    print("collectstatic ...", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = open(work / "server.log", "w")  # noqa: SIM115 - lives as long as the run
    web = Supervised(
        "gunicorn",
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "velocify_sms.wsgi:application",
            # `make serve`'s settings (preload, recycling, logs), with this run's overrides.
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.web_workers),
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
            "--error-logfile",
            "-",
        ],
        env,
        log,
    )
    worker = Supervised(
        "worker",
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--interval",
            "1",
            "--no-startup-delay",
        ],
        env,
        log,
    )
    web.start()
    worker.start()
    wait_ready(base)
    import requests

    # The import file: args.rows rows, every tenth asks for an opt-out.
    csv_path = work / "import.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["External ID", "First Name", "Last Name", "Email", "Mobile Phone", "SMS Opt Out"]
        )
        for i in range(args.rows):
            w.writerow(
                [
                    f"{IMPORT_PREFIX}{i:07d}",
                    "Imp",
                    f"Row{i}",
                    f"imp{i}@example.com",
                    import_number(i),
                    "TRUE" if i % 10 == 0 else "",
                ]
            )
    mapping = {
        "External ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Mobile Phone": "phone:mobile",
        "SMS Opt Out": "sms_opt_out",
    }
    with open(csv_path, "rb") as fh:
        r = requests.post(
            f"{base}/api/v1/leads/imports/",
            headers={"Authorization": f"Token {tokens['admin']}"},
            files={"file": ("soak.csv", fh, "text/csv")},
            data={"mapping": json.dumps(mapping)},
            timeout=120,
        )
    if r.status_code != 202:
        raise SystemExit(f"import did not start: {r.status_code} {r.text[:500]}")
    job_id = r.json()["id"]
    import_started = time.time()
    print(f"import #{job_id} of {args.rows:,} rows queued; load for {args.seconds} s", flush=True)

    # Load from separate processes.
    t0 = time.time()
    deadline = t0 + args.seconds
    outs = [work / f"samples-{i}.json" for i in range(args.clients)]
    procs = [
        mp.get_context("spawn").Process(
            target=driver, args=(i, base, tokens, deadline, args.pool, str(outs[i]), report_url)
        )
        for i in range(args.clients)
    ]
    for p in procs:
        p.start()

    faults = []  # (name, start, end)
    resumes = []
    import_done_at = None

    def job_state():
        close_old_connections()
        try:
            return ImportJob.objects.get(pk=job_id)
        except Exception:
            connections.close_all()
            return None

    def resume_if_needed():
        job = job_state()
        if job and import_job_can_resume(job=job):
            try:
                import_job_resume(job=job)
                resumes.append((round(time.time() - t0, 1), job.status, job.rows_done))
                print(f"  resumed import #{job_id} at row {job.rows_done:,}", flush=True)
            except Exception as exc:  # the database may still be coming back
                print(f"  resume failed for now: {exc}", flush=True)
                connections.close_all()
        return job

    kill_at = t0 + args.seconds * 0.3
    pg_at = t0 + args.seconds * 0.6
    killed = restarted = False
    kill_rows = None
    while time.time() < deadline or (
        import_done_at is None and time.time() < deadline + args.drain
    ):
        now = time.time()
        job = resume_if_needed()
        # Kill the worker while it is importing (once a fifth of the rows are in), so the run
        # proves the resume; if the import is already over, kill it at 30% of the run anyway.
        mid_import = (
            job is not None and job.status == "running" and job.rows_done >= args.rows * 0.2
        )
        if not args.no_faults and not killed and (mid_import or now >= kill_at):
            killed = True
            kill_rows = job.rows_done if job is not None else None
            print(
                f"  t={now - t0:.0f}s: SIGKILL the task worker (import at row {kill_rows}, "
                f"{'mid-import' if mid_import else 'after the import'})",
                flush=True,
            )
            worker.kill()
            faults.append(("worker killed", now, now + 5))
        if not args.no_faults and not restarted and now >= pg_at:
            restarted = True
            print(f"  t={now - t0:.0f}s: restarting PostgreSQL", flush=True)
            start = time.time()
            subprocess.run(PG_RESTART, check=True, capture_output=True)
            end = time.time()
            connections.close_all()
            faults.append(("PostgreSQL restart", start, end))
            print(f"  PostgreSQL back after {end - start:.1f} s", flush=True)
        if job and job.status == "succeeded" and import_done_at is None:
            import_done_at = time.time()
            print(f"  import done at t={import_done_at - t0:.0f}s", flush=True)
        time.sleep(2)
    for p in procs:
        p.join(timeout=60)
    web.stop()
    worker.stop()

    # --- figures ---------------------------------------------------------------------------------
    samples = []
    for path in outs:
        if path.exists():
            samples += json.loads(path.read_text())
    load_seconds = args.seconds
    by_op = defaultdict(list)
    for op, status, _start, took, _body in samples:
        by_op[op].append((status, took))
    all_ok = [took for _, status, _, took, _ in samples if 200 <= status < 500]
    statuses = Counter(status for _, status, *_ in samples)
    grace = 30  # seconds after a fault in which a clean 503 is accepted

    def in_fault(t):
        return any(s - 1 <= t <= e + grace for _, s, e in faults)

    bad = []
    clean_503 = 0
    for op, status, start, _took, body in samples:
        if status < 500 and status != -1:
            continue
        json_path = op not in ("report_page", "healthz")
        clean = (
            status == 503 and in_fault(start) and (not json_path or '"service_unavailable"' in body)
        )
        if clean:
            clean_503 += 1
        else:
            bad.append((op, status, round(start - t0, 1), body[:160]))
    pg_fault = next((f for f in faults if f[0].startswith("PostgreSQL")), None)
    recovery = None
    if pg_fault:
        after = sorted(
            start
            for _, status, start, _, _ in samples
            if start >= pg_fault[2] and 200 <= status < 300
        )
        recovery = (after[0] - pg_fault[2]) if after else None

    # --- consistency -----------------------------------------------------------------------------
    connections.close_all()
    events = defaultdict(list)
    for event in ConsentEvent.objects.order_by("id").iterator(chunk_size=10_000):
        events[event.phone_number].append(event)
    replayed = {n: state_from_events(events=evs) for n, evs in events.items()}
    replayed = {n: s for n, s in replayed.items() if s}
    on_list = dict(OptOut.objects.values_list("phone_number", "source"))
    mismatches = [n for n in set(replayed) | set(on_list) if replayed.get(n) != on_list.get(n)]
    job = ImportJob.objects.get(pk=job_id)
    imported = Lead.objects.filter(external_id__startswith=IMPORT_PREFIX)
    imported_count = imported.count()
    phone_rows = LeadPhone.objects.filter(lead__external_id__startswith=IMPORT_PREFIX)
    phones_total = phone_rows.count()
    phones_distinct = phone_rows.values("lead_id", "number").distinct().count()
    import_ok = (
        job.status == "succeeded"
        and imported_count == args.rows
        and phones_total == phones_distinct == args.rows
        and job.rows_done == args.rows
    )
    import_optouts = OptOut.objects.filter(
        phone_number__in=[import_number(i) for i in range(0, args.rows, 10)]
    ).count()

    # Every request of the load is well formed: a 4xx other than 404 (a number or lead that
    # does not exist) or 409 means the load and the API disagree, and the figures would measure
    # refusals (as once when an admin opt-in began to need a note).
    refused = Counter(
        op for op, status, *_ in samples if 400 <= status < 500 and status not in (404, 409)
    )
    checks = {
        "no 5xx except clean 503 in a fault window": not bad,
        "no request of the load refused as malformed (4xx but 404, 409)": not refused,
        "events replay to the opt-out list exactly": not mismatches,
        "import: every row once, none lost or doubled": import_ok,
    }

    with section("soak", "Load, soak and faults (bench/soak.py)") as lines:
        lines += [
            f"gunicorn {args.web_workers} sync workers + 1 `db_worker` task worker on PostgreSQL "
            f"(`{DB_NAME}`) and Redis (cache), DEBUG off; {args.clients} load processes on "
            f"127.0.0.1, closed loop (no think time). **Load duration: {load_seconds} s** "
            f"(the issue asks for 600 s; `--seconds 600` / `make soak` runs that), "
            f"while importing {args.rows:,} rows.",
            "",
            f"- requests: {len(samples):,}, throughput **{len(samples) / load_seconds:.1f} req/s**",
            f"- latency of answered requests: p50 {pct(all_ok, 50) * 1000:.0f} ms, "
            f"**p99 {pct(all_ok, 99) * 1000:.0f} ms**",
            f"- status codes: {dict(sorted(statuses.items()))}",
            f"- refused as malformed, by operation: {dict(refused) or 'none'}",
            f"- 5xx: {clean_503} clean 503 inside fault windows, {len(bad)} other",
            "",
            "| operation | requests | p50 ms | p99 ms | p99 / healthz p99 | non-2xx |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        base_p99 = pct([t for s, t in by_op.get("healthz", []) if s == 200], 99) or 1e-9
        for op in MIX:
            rows = by_op.get(op, [])
            ok = [t for s, t in rows if 200 <= s < 300]
            lines.append(
                f"| {op} | {len(rows):,} | {pct(ok, 50) * 1000:.0f} | {pct(ok, 99) * 1000:.0f} | "
                f"{pct(ok, 99) / base_p99:.1f}x | {sum(1 for s, _ in rows if not 200 <= s < 300)} |"
            )
        lines += ["", "Faults:"]
        for name, s, e in faults:
            lines.append(f"- {name} at t={s - t0:.0f} s (took {e - s:.1f} s)")
        if recovery is not None:
            lines.append(f"- first successful request {recovery:.1f} s after PostgreSQL was back")
        lines.append(
            f"- worker restarts by the supervisor: {worker.restarts}; web restarts: {web.restarts}"
        )
        lines.append(f"- task worker killed with the import at row {kill_rows} of {args.rows:,}")
        lines.append(f"- import resumed {len(resumes)} time(s): {resumes}")
        took = (import_done_at - import_started) if import_done_at else None
        lines += [
            "",
            f"Import: status `{job.status}`, {job.rows_done:,}/{args.rows:,} rows, "
            f"{imported_count:,} leads, {phones_total:,} phones ({phones_distinct:,} distinct), "
            f"{import_optouts:,} of its {len(range(0, args.rows, 10)):,} opt-out numbers on the list"
            + (
                f", finished {took:.0f} s after it was queued ({args.rows / took:.0f} rows/s)."
                if took
                else ", **not finished**."
            ),
            "",
            f"Consistency: {len(on_list):,} numbers on the list, {len(events):,} numbers with "
            f"events, {sum(len(v) for v in events.values()):,} events.",
            "",
            "| check | result |",
            "| --- | --- |",
            *[f"| {name} | {'pass' if ok else '**FAIL**'} |" for name, ok in checks.items()],
        ]
        if bad:
            lines += ["", "Unexpected errors (first 10):", ""]
            lines += [f"- `{b}`" for b in bad[:10]]
        if mismatches:
            lines += ["", f"Replay mismatches (first 10): {mismatches[:10]}"]
    print(f"logs and samples kept in {work}")
    if all(checks.values()):
        drop_database()  # a failed run keeps its database for a look at what went wrong
    else:
        print(f"database {DB_NAME} kept for inspection")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
