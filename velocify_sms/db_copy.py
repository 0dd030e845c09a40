"""Bulk inserts through PostgreSQL's COPY, with bulk_create as the fallback elsewhere.

Django's bulk_create on PostgreSQL builds one big parameterised statement and adapts every value
in Python; for the hundreds of thousands of rows of a lead import that is most of the time spent.
COPY streams the same rows in PostgreSQL's text format. Primary keys are reserved from the
table's sequence first, so callers get their objects' ids exactly as bulk_create would set them.
"""

from __future__ import annotations

from django.db import connection, models


def _columns(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def _adapter(field: models.Field):
    """How a field's Python value goes into COPY: as it is, except where Django must adapt it."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


# Below this many rows a plain INSERT is cheaper than reserving ids and opening a COPY.
COPY_MIN_ROWS = 50


def copy_insert(objs: list[models.Model]) -> None:
    """Insert `objs` (all of one model, pk unset) and set their pks; one COPY on PostgreSQL.

    Fields that need `pre_save` (auto_now and auto_now_add dates) must already hold their values.
    A unique or check violation raises Django's IntegrityError, as bulk_create would.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        model.objects.bulk_create(objs)
        return
    table = model._meta.db_table
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk_value
        fields = _columns(model)
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        quoted_table = connection.ops.quote_name(table)
        attnames = [f.attname for f in fields]
        adapters = [(i, a) for i, a in enumerate(map(_adapter, fields)) if a is not None]
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy,
        ):
            for obj in objs:
                row = [getattr(obj, name) for name in attnames]
                for index, adapt in adapters:
                    row[index] = adapt(row[index])
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def copy_rows(model: type[models.Model], attnames: list[str], rows: list[tuple]) -> None:
    """Insert plain tuples of `attnames` values (ids not needed back): no model instances."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < COPY_MIN_ROWS:
        model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows])
        return
    fields = [model._meta.get_field(name) for name in attnames]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    quoted_table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, connection.wrap_database_errors:  # noqa: SIM117
        # The COPY needs the cursor opened by the outer block.
        with cursor.cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
