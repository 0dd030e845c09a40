"""The login lockout and the API throttle hold their documented numbers across web processes.

gunicorn with 3 sync workers (as `make serve` runs it) over Redis: requests land on different
workers (the access log names each request's worker pid), and still the 6th wrong password for
one account gets 429 (LOGIN_FAILURE_LIMIT, 5) and the 61st unauthenticated API request in a
minute gets 429 (API_THROTTLE_ANON, 60/min). With a per-process cache each worker would allow
its own 5 and 60 (`check --deploy` refuses that: velocify_sms.E001).

Needs Redis at 127.0.0.1:6379 (database 12 of it, flushed before and after); without it this
skips, except under CI=true where it fails. About 20 s, most of it migrating a fresh database.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/12"
WORKERS = 3

pytestmark = pytest.mark.processes


def _redis_or_skip():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + ": cannot be skipped in CI.")
        pytest.skip(message + ": the multi-process limits are not tested.")
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    redis_client = _redis_or_skip()
    redis_client.flushdb()
    folder = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": "a-production-like-secret-key-for-the-multi-process-tests-0123456789",
        # Required with DEBUG off (optouts.E101): any 32 bytes are an Ed25519 key.
        "SMS_EVIDENCE_SIGNING_KEY": "5a" * 32,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CACHE_URL": REDIS_URL,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        # Plain HTTP on loopback: no redirect, cookies without Secure.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_MANIFEST": "false",
        "GUNICORN_CMD_ARGS": "--access-logformat '%(p)s %(m)s %(U)s %(s)s'",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    log = folder / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "velocify_sms.wsgi:application",
                "--config",
                "gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start:\n" + log.read_text())
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)
        redis_client.flushdb()


def _pids(log: Path, method: str, path: str) -> list[str]:
    pattern = re.compile(rf"^<(\d+)> {method} {re.escape(path)} (\d+)$", re.M)
    return [pid for pid, _ in pattern.findall(log.read_text())]


def _status(opener, request) -> int:
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _not_spread(pids: list[str], what: str) -> None:
    """On a busy machine the kernel may hand every connection to one worker; then the run cannot
    tell a shared count from a per-process one, and says so rather than passing."""
    pytest.skip(f"every {what} went to one worker ({pids[0]}): nothing proven about sharing")


def test_the_sixth_wrong_password_is_refused_whichever_worker_gets_it(server):
    base, log = server
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # A fresh account each round, until the attempts land on more than one worker.
    for round_ in range(5):
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": f"mallory{round_}", "password": "wrong"}
        ).encode()

        def attempt(form=form) -> int:
            request = urllib.request.Request(
                base + "/admin/login/", data=form, headers={"Referer": base + "/admin/login/"}
            )
            return _status(opener, request)

        seen = len(_pids(log, "POST", "/admin/login/"))
        statuses = [attempt() for _ in range(8)]

        assert statuses == [200] * 5 + [429] * 3
        time.sleep(0.5)  # the access log line is written after the response
        pids = _pids(log, "POST", "/admin/login/")[seen:]
        assert len(pids) == 8
        if len(set(pids[:6])) > 1:
            return
    _not_spread(pids, "attempt")


def test_the_sixty_first_unauthenticated_api_request_in_a_minute_is_refused(server):
    base, log = server
    # Fixed one-minute windows: start early in one, so all 61 requests fall in it.
    if time.time() % 60 > 40:
        time.sleep(60 - time.time() % 60 + 0.5)
    opener = urllib.request.build_opener()
    statuses = [_status(opener, base + "/api/v1/me/") for _ in range(61)]

    assert statuses == [401] * 60 + [429]
    time.sleep(0.5)
    pids = _pids(log, "GET", "/api/v1/me/")
    if len(set(pids[:60])) == 1:
        _not_spread(pids, "request")
