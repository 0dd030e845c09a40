import pytest
from django.db import OperationalError

from velocify_sms import health


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ok_when_database_cache_and_migrations_are_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok", "processes": "ok"},
    }


@pytest.mark.django_db
def test_readyz_says_503_and_why_when_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 refused")

    monkeypatch.setattr(health.connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert "refused" in checks["database"]
    assert checks["migrations"] == "database down"
    assert checks["processes"] == "database down"


@pytest.mark.django_db
def test_readyz_says_503_when_the_cache_loses_what_it_was_given(client, monkeypatch):
    monkeypatch.setattr(health.cache, "get", lambda *a, **k: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "the cache did not return the value it was given"


@pytest.mark.django_db
def test_readyz_names_unapplied_migrations(client, monkeypatch):
    class FakeMigration:
        app_label, name = "optouts", "9999_future"

    class FakeExecutor:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": list})()})()

        def migration_plan(self, targets):
            return [(FakeMigration(), False)]

    monkeypatch.setattr(health, "_migrations_seen_applied", False)
    monkeypatch.setattr(health, "MigrationExecutor", FakeExecutor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == ("1 unapplied migration: optouts.9999_future")


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/admin/login/").status_code == 301
