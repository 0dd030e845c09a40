"""gunicorn.conf.py: a recycled worker is a fork of a master that has loaded every view.

Without this a worker replaced after max_requests imported the project while its clients
waited, which was the trivial endpoint's p99 of ~900 ms in bench/api.py.
"""

import runpy
from pathlib import Path

import pytest
from django.urls import clear_url_caches, get_resolver

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture
def fresh_resolver():
    clear_url_caches()
    yield
    clear_url_caches()


def test_gunicorn_preloads_the_app_by_default(monkeypatch):
    monkeypatch.delenv("GUNICORN_PRELOAD", raising=False)
    assert runpy.run_path(str(CONF))["preload_app"] is True


def test_when_ready_imports_every_view_before_the_first_fork_without_a_connection(
    fresh_resolver, django_db_blocker
):
    conf = runpy.run_path(str(CONF))
    assert not get_resolver()._populated

    # A connection opened in the master would be shared by every forked worker: with the
    # database blocked, opening one raises here.
    with django_db_blocker.block():
        conf["when_ready"](None)

    assert get_resolver()._populated


def test_preload_can_be_turned_off_and_then_nothing_is_warmed(monkeypatch, fresh_resolver):
    monkeypatch.setenv("GUNICORN_PRELOAD", "false")
    conf = runpy.run_path(str(CONF))
    assert conf["preload_app"] is False

    conf["when_ready"](None)

    assert not get_resolver()._populated


def test_a_worker_is_recycled_rarely_and_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_REQUESTS", raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["max_requests"] == 100_000
    assert conf["max_requests_jitter"] == 20_000

    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "500")
    assert runpy.run_path(str(CONF))["max_requests"] == 500


def test_a_new_worker_opens_its_database_and_cache_connections_before_its_first_request(
    monkeypatch,
):
    from django.core.cache import cache
    from django.db import connections

    opened = []
    monkeypatch.setattr(
        connections["default"], "ensure_connection", lambda: opened.append("database")
    )
    monkeypatch.setattr(cache, "get", lambda key: opened.append("cache"))

    runpy.run_path(str(CONF))["post_worker_init"](None)

    assert opened == ["database", "cache"]


def test_a_new_worker_starts_even_when_the_database_and_the_cache_are_down(monkeypatch):
    from django.core.cache import cache
    from django.db import OperationalError, connections

    def down(*args):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", down)
    monkeypatch.setattr(cache, "get", lambda key: 1 / 0)

    runpy.run_path(str(CONF))["post_worker_init"](None)  # the first request will report it
