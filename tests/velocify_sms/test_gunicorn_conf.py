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
