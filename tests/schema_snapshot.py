"""A database's schema as comparable data: two databases built different ways (a squash, or the
migrations it replaced then what follows) compare equal when their schemas are the same."""

from __future__ import annotations

import re


def _constraint(name: str, info: dict) -> tuple:
    # SQLite names no foreign key ("fk_0", in creation order): compared by what it links.
    shown = "(foreign key)" if info["foreign_key"] else name
    return (
        shown,
        tuple(info["columns"] or ()),
        bool(info["primary_key"]),
        bool(info["unique"]),
        bool(info["index"]),
        bool(info["check"]),
        tuple(info["foreign_key"] or ()),
        tuple(info.get("orders") or ()),
        str(info.get("type") or ""),
    )


def _triggers(connection) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        rows = cursor.fetchall()
    return sorted((name, table, re.sub(r"\s+", " ", sql).strip()) for name, table, sql in rows)


def _functions(connection) -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        )
        return sorted((name, re.sub(r"\s+", " ", body).strip()) for name, body in cursor)


def _indexes_by_sql(connection) -> list[tuple[str, str]]:
    """Every index as the database would create it (PostgreSQL: expression indexes included)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        )
        return sorted(cursor.fetchall())


def _grants(connection) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.name, ct.app_label, p.codename FROM auth_group g "
            "JOIN auth_group_permissions gp ON gp.group_id = g.id "
            "JOIN auth_permission p ON p.id = gp.permission_id "
            "JOIN django_content_type ct ON ct.id = p.content_type_id"
        )
        return sorted(cursor.fetchall())


def schema_snapshot(connection) -> dict:
    """Tables with their columns and constraints, triggers, functions, indexes and the groups'
    grants of the database behind `connection` (a Django connection)."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table == "sqlite_sequence":
                continue
            columns = sorted(
                (c.name, str(c.type_code), bool(c.null_ok), str(c.default))
                for c in connection.introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                _constraint(name, info)
                for name, info in connection.introspection.get_constraints(cursor, table).items()
            )
            tables[table] = {"columns": columns, "constraints": constraints}
    return {
        "tables": tables,
        "triggers": _triggers(connection),
        "functions": _functions(connection),
        "indexes": _indexes_by_sql(connection),
        "grants": _grants(connection),
    }
