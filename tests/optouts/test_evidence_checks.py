"""The evidence's system checks, and a database role that cannot rewrite the history:
`migrate` as DATABASE_OWNER_URL's role, the app's role without UPDATE, DELETE or TRUNCATE."""

from __future__ import annotations

import os

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from optouts.evidence.checks import (
    anchor_storage_check,
    database_role_check,
    signing_key_check,
)
from optouts.evidence.privileges import consent_privileges_restrict
from optouts.models import ConsentEvent
from optouts.services import phone_opt_out_by_contact
from tests.factories import ConsentEventFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's"
)


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


# --- The signing key ----------------------------------------------------------------------


def test_no_signing_key_with_debug_off_is_an_error_that_stops_the_app(settings):
    settings.DEBUG = False
    settings.SMS_EVIDENCE_SIGNING_KEY = ""

    assert _ids(signing_key_check()) == ["optouts.E101"]
    assert signing_key_check in checks.registry.registry.get_checks()


def test_a_signing_key_file_satisfies_the_check(settings, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "signing.pem").write_bytes(pem)
    settings.DEBUG = False
    settings.SMS_EVIDENCE_SIGNING_KEY = ""
    settings.SMS_EVIDENCE_SIGNING_KEY_FILE = str(tmp_path / "signing.pem")

    assert signing_key_check() == []


@pytest.mark.parametrize("value", ["abc", "zz" * 32, "-----BEGIN PRIVATE KEY-----\nxx\n"])
def test_an_unusable_signing_key_is_an_error_even_in_development(settings, value):
    settings.DEBUG = True
    settings.SMS_EVIDENCE_SIGNING_KEY = value

    assert _ids(signing_key_check()) == ["optouts.E102"]


def test_development_needs_no_key(settings):
    settings.DEBUG = True
    settings.SMS_EVIDENCE_SIGNING_KEY = ""

    assert signing_key_check() == []


def test_an_unknown_storage_alias_is_an_error(settings):
    settings.SMS_EVIDENCE_ANCHOR_STORAGE = "nowhere"

    assert _ids(anchor_storage_check()) == ["optouts.E103"]


# --- The database role (check --deploy) ---------------------------------------------------


@pytest.mark.django_db
def test_the_role_check_is_a_deploy_check():
    assert database_role_check in checks.registry.registry.get_checks(
        include_deployment_checks=True
    )
    assert database_role_check not in checks.registry.registry.get_checks()


@pytest.mark.django_db
def test_missing_triggers_are_reported(db):
    from tests.append_only import triggers_off_sql

    assert "optouts.W103" not in _ids(database_role_check())
    off, _ = triggers_off_sql(connection)
    if connection.vendor == "postgresql":
        off = ["ALTER TABLE optouts_consentevent DISABLE TRIGGER USER"]
    with connection.cursor() as cursor:
        for sql in off:
            cursor.execute(sql)

    assert "optouts.W103" in _ids(database_role_check())


@pytest.fixture
def app_role(db):
    """A role like production's app role: owns nothing, was granted everything on the tables
    (as default privileges would), then restricted by what `migrate` runs. Created inside the
    test's transaction, so it is gone after it."""
    name = f"velocify_test_app_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" NOLOGIN')
        cursor.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{name}"')
        cursor.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{name}"')
        cursor.execute(f'GRANT ALL ON SCHEMA public TO "{name}"')
    return name


@postgresql_only
@pytest.mark.django_db
def test_the_app_role_that_owns_the_events_is_warned_about(app_role):
    # The tests connect as the tables' owner, a superuser.
    assert "optouts.W101" in _ids(database_role_check())

    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        found = _ids(database_role_check())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert found == ["optouts.W102"]  # not the owner, but may still UPDATE, DELETE, TRUNCATE


@postgresql_only
@pytest.mark.django_db
def test_after_migrate_restricts_it_the_app_role_can_add_events_but_never_rewrite_them(app_role):
    phone_opt_out_by_contact(number="+14155552671", details={"keyword": "STOP"})
    unsealed = ConsentEventFactory(phone_number="+12125550100")
    consent_privileges_restrict(role=app_role)
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        assert database_role_check() == []
        phone_opt_out_by_contact(number="+13105550100", details={"keyword": "STOP"})
        with connection.cursor() as cursor:  # sealing, the one UPDATE allowed
            cursor.execute(
                "UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s",
                ["e" * 64, unsealed.pk],
            )
        for sql in [
            "UPDATE optouts_consentevent SET source = 'agent'",
            "DELETE FROM optouts_consentevent",
            "TRUNCATE optouts_consentevent",
            "TRUNCATE optouts_optout",
            "ALTER TABLE optouts_consentevent DISABLE TRIGGER USER",
        ]:
            with (
                pytest.raises(DatabaseError, match="permission denied|must be owner"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert ConsentEvent.objects.count() == 3


# --- migrate as DATABASE_OWNER_URL --------------------------------------------------------


@postgresql_only
@pytest.mark.django_db
def test_migrate_runs_as_the_owner_url_then_restricts_the_app_role(settings, monkeypatch):
    from django.core.management.commands.migrate import Command as DjangoMigrate

    from optouts.management.commands import migrate

    default = connections["default"].settings_dict
    app_user = default["USER"]
    settings.DATABASE_OWNER_URL = (
        f"postgres://velocify_owner:secret@{default['HOST'] or 'localhost'}:"
        f"{default['PORT'] or 5432}/{default['NAME']}"
    )
    seen = {}
    monkeypatch.setattr(
        DjangoMigrate,
        "handle",
        lambda self, *a, **o: seen.update(user=default["USER"], password=default["PASSWORD"]),
    )
    monkeypatch.setattr(
        migrate, "consent_privileges_restrict", lambda role: seen.update(role=role) or ["x"]
    )

    call_command("migrate", verbosity=0)

    assert seen == {"user": "velocify_owner", "password": "secret", "role": app_user}
    assert connections["default"].settings_dict["USER"] == app_user


def test_migrate_refuses_an_owner_url_of_another_database(settings, db):
    settings.DATABASE_OWNER_URL = "postgres://owner@localhost:5432/another_database"

    with pytest.raises(CommandError, match="must name the same database") as caught:
        call_command("migrate", verbosity=0)
    assert caught.value.returncode == 2


def test_migrate_without_an_owner_url_is_djangos(settings, db, monkeypatch):
    from django.core.management.commands.migrate import Command as DjangoMigrate

    settings.DATABASE_OWNER_URL = ""
    calls = []
    monkeypatch.setattr(DjangoMigrate, "handle", lambda self, *a, **o: calls.append(o))

    call_command("migrate", verbosity=0)

    assert len(calls) == 1
