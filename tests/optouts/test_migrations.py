"""The migrations: a database at the head the squashes replaced (optouts 0017, leads 0006) counts
them applied and migrates forward to the schema a new database gets, keeping its rows; the
squashes grant what the apps' grant tables say; no migration imports the project's code or reads
the environment (docs/decisions.md, "Migrations squashed")."""

from __future__ import annotations

import ast
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from optouts.roles import all_grants
from tests.schema_snapshot import schema_snapshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "migrations"
HEAD = FIXTURES / "head_optouts_0017_leads_0006.sqlite.sql"
PG_HEAD = FIXTURES / "head_optouts_0017_leads_0006.postgresql.sql"
PROJECT_PACKAGES = {"apitokens", "leads", "optouts", "preferences", "velocify_sms"}


def _manage(db: Path | str, *args: str) -> str:
    """`manage.py` in a child process on the SQLite file `db`, or the database URL `db` (the
    test database of this process stays as it is)."""
    env = {**os.environ, "DATABASE_URL": db if isinstance(db, str) else f"sqlite:///{db}"}
    env.pop("DATABASE_OWNER_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _connection(db: Path):
    return ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}})[
        "default"
    ]


def _sqlite(db: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the SQL functions Django adds (the leads' phone suffix
    index calls REVERSE), in autocommit as sqlite3 opens it."""
    wrapper = _connection(db)
    wrapper.ensure_connection()
    raw = wrapper.connection
    raw.isolation_level = ""
    return raw


@pytest.fixture(scope="module", autouse=True)
def _own_databases(django_db_blocker):
    """These tests open SQLite files of their own, never the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    """(plan, upgraded, new): the head database's `migrate --plan`, then that database migrated,
    and a database built from nothing by today's migrations."""
    base = tmp_path_factory.mktemp("migrations")
    upgraded, new = base / "upgraded.sqlite3", base / "new.sqlite3"
    load = _sqlite(upgraded)
    load.executescript(HEAD.read_text())
    load.close()
    plan = _manage(upgraded, "migrate", "--plan")
    _manage(upgraded, "migrate", "--noinput")
    _manage(new, "migrate", "--noinput")
    return plan, upgraded, new


def test_a_database_at_the_replaced_head_counts_the_squashes_applied(databases):
    plan, _, _ = databases
    planned = [line for line in plan.splitlines() if re.fullmatch(r"\w+\.\d{4}_\w+", line)]
    # Only what follows the replaced head: neither a squash nor anything it replaced (later
    # migrations of either app, numbered past the head, may follow).
    replaced_head = {"optouts": 17, "leads": 6}
    assert "optouts.0018_outbound_lead_unlinked" in planned
    assert [name for name in planned if "squashed" in name] == []
    assert [
        name
        for name in planned
        if int(name.split(".")[1][:4]) <= replaced_head.get(name.split(".")[0], 0)
    ] == []


def test_it_migrates_forward_to_the_schema_a_new_database_gets(databases):
    _, upgraded, new = databases
    before, after = schema_snapshot(_connection(upgraded)), schema_snapshot(_connection(new))
    assert before["tables"].keys() == after["tables"].keys()
    for table in after["tables"]:
        assert before["tables"][table] == after["tables"][table], table
    assert before == after


def test_a_migration_written_against_the_replaced_head_follows_the_squash(monkeypatch):
    # Another branch's migration may still name ("optouts", "0017_sms_list_names"): Django
    # points it at the squash, so merging it needs no edit.
    from django.db import migrations
    from django.db.migrations.loader import MigrationLoader

    class Later(migrations.Migration):
        dependencies = [("optouts", "0017_sms_list_names"), ("leads", "0006_import_on_match")]

    load_disk = MigrationLoader.load_disk

    def load_disk_and_later(self):
        load_disk(self)
        self.disk_migrations[("optouts", "0099_later")] = Later("0099_later", "optouts")

    monkeypatch.setattr(MigrationLoader, "load_disk", load_disk_and_later)
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    assert {parent.key for parent in graph.node_map[("optouts", "0099_later")].parents} == {
        ("optouts", "0001_squashed_0017_sms_list_names"),
        ("leads", "0001_squashed_0006_import_on_match"),
    }


def test_0018_keeps_every_message_lead_id_names_the_lead_and_drops_the_foreign_key(databases):
    _, upgraded, _ = databases
    db = _sqlite(upgraded)
    try:
        rows = db.execute(
            "SELECT to_number, lead_id, lead_label FROM optouts_outboundmessage ORDER BY id"
        ).fetchall()
        assert rows == [
            ("+14155550100", 1, "Dana Smith"),
            ("+14155550101", 2, "only@example.com"),
            ("+14155550102", None, ""),  # its lead was deleted before: SET_NULL then
            ("+14155550103", None, ""),
        ]
        assert db.execute("PRAGMA foreign_key_list(optouts_outboundmessage)").fetchall() != []
        linked = {row[2] for row in db.execute("PRAGMA foreign_key_list(optouts_outboundmessage)")}
        assert "leads_lead" not in linked
        # Deleting a lead leaves its messages as they were (foreign keys enforced, as Django does).
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM leads_leadphone WHERE lead_id = 1")
        db.execute("DELETE FROM leads_lead WHERE id = 1")
        db.commit()
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        kept = db.execute("SELECT lead_id, lead_label FROM optouts_outboundmessage WHERE id = 1")
        assert kept.fetchall() == [(1, "Dana Smith")]
        # The consent history of the replaced head is kept as it was.
        events = db.execute("SELECT phone_number, lead_id, lead_label FROM optouts_consentevent")
        assert events.fetchall() == [("+14155550104", 1, "Dana Smith")]
    finally:
        db.close()


def test_on_postgresql_the_replaced_head_migrates_forward_to_a_new_databases_schema():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs when the tests run on PostgreSQL (DATABASE_URL)")
    import psycopg

    own = connection.settings_dict
    server = {
        "host": own["HOST"] or "127.0.0.1",
        "port": int(own["PORT"] or 5432),
        "user": own["USER"],
        "password": own["PASSWORD"] or None,
    }
    head, new = f"{own['NAME']}_head", f"{own['NAME']}_new"

    def url(name: str) -> str:
        secret = f":{server['password']}" if server["password"] else ""
        return f"postgres://{server['user']}{secret}@{server['host']}:{server['port']}/{name}"

    def wrapper(name: str):
        settings = {"ENGINE": "django.db.backends.postgresql", "NAME": name}
        settings |= {k.upper(): v or "" for k, v in server.items()}
        return ConnectionHandler({"default": settings})["default"]

    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in (head, new):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            with psycopg.connect(dbname=head, autocommit=True, **server) as load:
                load.execute(PG_HEAD.read_text())
            assert "squashed" not in _manage(url(head), "migrate", "--plan")
            _manage(url(head), "migrate", "--noinput")
            _manage(url(new), "migrate", "--noinput")
            upgraded, fresh = wrapper(head), wrapper(new)
            try:
                assert schema_snapshot(upgraded) == schema_snapshot(fresh)
                with upgraded.cursor() as cursor:
                    cursor.execute(
                        "SELECT to_number, lead_id, lead_label FROM optouts_outboundmessage "
                        "ORDER BY id"
                    )
                    assert [row[1:] for row in cursor.fetchall()] == [
                        (1, "Dana Smith"),
                        (2, "only@example.com"),
                        (None, ""),
                        (None, ""),
                    ]
                    # No foreign key left: a lead goes, its messages stay as they were.
                    cursor.execute("DELETE FROM leads_leadphone WHERE lead_id = 1")
                    cursor.execute("DELETE FROM leads_lead WHERE id = 1")
                    cursor.execute("SELECT lead_id FROM optouts_outboundmessage WHERE id = 1")
                    assert cursor.fetchone() == (1,)
            finally:
                upgraded.close()
                fresh.close()
        finally:
            for name in (head, new):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_a_new_database_groups_hold_exactly_the_apps_grant_tables(databases):
    _, _, new = databases
    expected = sorted(
        (group, app_label, codename)
        for group, per_app in all_grants().items()
        for app_label, codenames in per_app.items()
        for codename in set(codenames)
    )
    assert schema_snapshot(_connection(new))["grants"] == expected


# --- What a migration may read ------------------------------------------------------------------


def _migration_files() -> list[Path]:
    found = []
    for package in PROJECT_PACKAGES:
        found += sorted(ROOT.glob(f"{package}/**/migrations/[0-9]*.py"))
    assert len(found) > 5
    return found


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _in_validators(node: ast.AST, parents) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.keyword) and node.arg == "validators":
            return True
    return False


def _project_code_used(path: Path) -> list[str]:
    """Where `path` imports the project's code, or reads the environment or a setting other than
    AUTH_USER_MODEL. Django writes a field's validators as references to the app's functions;
    they run no code while migrating, so a module imported only for them is allowed."""
    tree = ast.parse(path.read_text())
    parents = _parents(tree)
    found, imported = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
            PROJECT_PACKAGES | {"os"}
        ):
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root == "os":
                    found.append(f"import {alias.name}")
                elif root in PROJECT_PACKAGES:
                    imported.add(alias.asname or root)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and node.attr != "AUTH_USER_MODEL"
        ):
            found.append(f"settings.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in {"environ", "getenv"}:
            found.append(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in imported and not _in_validators(node, parents):
            found.append(f"{node.id} used outside a field's validators (line {node.lineno})")
    return found


@pytest.mark.parametrize("path", _migration_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_migration_imports_no_project_code_and_reads_no_environment(path):
    assert _project_code_used(path) == []


def test_the_guard_sees_an_import_of_app_code_and_a_setting(tmp_path):
    bad = tmp_path / "0099_bad.py"
    bad.write_text(
        "import optouts.models\nfrom optouts.roles import GROUPS\n"
        "from django.conf import settings\nX = optouts.models.Source\nY = settings.TIME_ZONE\n"
    )
    assert len(_project_code_used(bad)) == 3


# --- Consent stands alone -----------------------------------------------------------------------


def _leads_links(models) -> list[str]:
    return [
        f"{model._meta.label}.{field.name}"
        for model in models
        for field in model._meta.get_fields(include_hidden=True)
        if field.related_model is not None
        and not isinstance(field.related_model, str)
        and field.related_model._meta.app_label == "leads"
    ]


def test_no_optouts_migration_depends_on_leads_and_no_optouts_model_points_at_it():
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    depending = [
        name
        for (app, name), migration in loader.disk_migrations.items()
        if app == "optouts" and any(dep[0] == "leads" for dep in migration.dependencies)
    ]
    assert depending == []
    migrated = loader.project_state().apps.get_app_config("optouts").get_models()
    assert _leads_links(migrated) == []
    assert _leads_links(apps.get_app_config("optouts").get_models()) == []
