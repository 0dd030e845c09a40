"""`check --deploy`: several web workers over a process-local cache is an error, not a warning.

Each gunicorn worker would then count failed logins and API throttles on its own, so the
documented limits (5 wrong passwords, 60 unauthenticated API requests a minute) would be
multiplied by the number of workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import ERROR

from velocify_sms.checks import heartbeat_check, shared_cache_check, web_workers_configured

ROOT = Path(__file__).resolve().parents[2]
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "velocify_sms.redis_cache.RedisCache", "LOCATION": "redis://x"}}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.CACHES = LOCMEM
    return settings


def test_a_local_memory_cache_under_three_web_workers_is_an_error(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    (error,) = shared_cache_check()
    assert error.level == ERROR
    assert error.id == "velocify_sms.E001"
    assert "3 web workers" in error.msg
    assert "CACHE_URL=redis://" in error.hint


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    ],
)
def test_the_dummy_and_file_caches_count_as_process_local(production, monkeypatch, backend):
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    production.CACHES = {"default": {"BACKEND": backend, "LOCATION": "/tmp/x"}}
    assert [e.id for e in shared_cache_check()] == ["velocify_sms.E001"]


def test_gunicorns_default_of_three_workers_counts_when_web_concurrency_is_unset(
    production, monkeypatch
):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert web_workers_configured() == 3
    assert [e.id for e in shared_cache_check()] == ["velocify_sms.E001"]


def test_one_web_worker_may_keep_a_local_cache(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert shared_cache_check() == []


def test_redis_under_many_web_workers_is_fine(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "9")
    production.CACHES = REDIS
    assert shared_cache_check() == []


def test_development_is_not_checked(production, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    production.DEBUG = True
    assert shared_cache_check() == []


def test_check_deploy_fails_on_it_without_any_fail_level(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "ENV_FILE": "",
        "DEBUG": "false",
        "SECRET_KEY": "a-production-like-secret-key-for-the-checks-tests-0123456789abcdef",
        "ALLOWED_HOSTS": "sms.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEB_CONCURRENCY": "3",
        "CACHE_URL": "locmem://",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "velocify_sms.E001" in result.stderr


# --- heartbeats (any command that runs the checks) -----------------------------------------


@pytest.mark.parametrize(
    ("beat", "stale", "errors"),
    [(10, 19, ["velocify_sms.E002"]), (10, 1, ["velocify_sms.E002"]), (10, 20, []), (10, 0, [])],
)
def test_a_stale_threshold_under_two_beats_is_an_error(settings, beat, stale, errors):
    settings.PROCESS_HEARTBEAT_SECONDS, settings.PROCESS_HEARTBEAT_STALE_SECONDS = beat, stale
    found = heartbeat_check()
    assert [e.id for e in found] == errors
    if found:
        assert f"PROCESS_HEARTBEAT_STALE_SECONDS={stale} is under twice" in found[0].msg


def test_manage_check_refuses_a_stale_threshold_under_two_beats():
    env = {**os.environ, "PROCESS_HEARTBEAT_STALE_SECONDS": "5", "PROCESS_HEARTBEAT_SECONDS": "10"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "velocify_sms.E002" in result.stderr
