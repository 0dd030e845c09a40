"""Bulk inserts through PostgreSQL's COPY (one plain INSERT for a few rows), bulk_create elsewhere.

Django's bulk_create on PostgreSQL builds one big parameterised statement and adapts every value
in Python; for the hundreds of thousands of rows of a lead import that is most of the time spent.
COPY streams the same rows in PostgreSQL's text format. When the caller needs the new rows' ids,
they are reserved from the table's sequence first, exactly the ids bulk_create would have set.
"""

from __future__ import annotations

from django.db import connection, models

# Below this many rows a plain INSERT is cheaper than reserving ids and opening a COPY.
COPY_MIN_ROWS = 50


def _adapter(field: models.Field):
    """How a field's Python value goes into COPY: as it is, except where Django must adapt it."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        return _time_as_text()
    return None


def _time_as_text():
    """A datetime as the text psycopg would send, worked out once per distinct value.

    psycopg picks and runs a dumper for every datetime it copies (~7 µs each, two per lead), yet
    a batch's rows share one `now`: the text of that one value, remembered, is ~20x cheaper.
    The text is the ISO form PostgreSQL reads back to the same instant (with its offset when
    the value has one, as psycopg's own dumper writes it).
    """
    seen: dict[object, str] = {}

    def adapt(value):
        if value is None or isinstance(value, str):
            return value
        text = seen.get(value)
        if text is None:
            if len(seen) > 1000:  # distinct times (not this module's callers): do not hoard
                seen.clear()
            text = seen[value] = value.isoformat()
        return text

    return adapt


def _adapted(row, adapters):
    """`row` with each (column, adapter) of `adapters` applied; `row` itself if there are none."""
    if not adapters:
        return row
    row = list(row)
    for column, adapt in adapters:
        row[column] = adapt(row[column])
    return row


def copy_rows(
    model: type[models.Model],
    attnames: list[str],
    rows: list[tuple],
    *,
    returning_ids: bool = False,
) -> list[int] | None:
    """Insert plain tuples of `attnames` values (no model instances): one COPY on PostgreSQL.

    With `returning_ids`, the new primary keys come back in the order of `rows` (the pk must not
    be among `attnames`). A unique or check violation raises Django's IntegrityError, as
    bulk_create would. Fields that need `pre_save` (auto_now dates) must be given.
    """
    if not rows:
        return [] if returning_ids else None
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs)
        return [obj.pk for obj in objs] if returning_ids else None
    meta = model._meta
    fields = [meta.get_field(name) for name in attnames]
    adapters = [(i, a) for i, a in enumerate(map(_adapter, fields)) if a is not None]
    if len(rows) < COPY_MIN_ROWS:
        return _insert_rows(meta, fields, adapters, rows, returning_ids)
    ids = None
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if returning_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            fields = [meta.pk, *fields]
            adapters = [(i + 1, a) for i, a in adapters]
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            if ids is None:
                for row in rows:
                    write(_adapted(row, adapters))
            elif not adapters:
                for pk, row in zip(ids, rows, strict=True):
                    write((pk, *row))
            else:
                # One list per row, the id in front and adapted in place: a lead's row was a
                # tuple with its id, then a list of that to adapt.
                for pk, row in zip(ids, rows, strict=True):
                    row = [pk, *row]
                    for column, adapt in adapters:
                        row[column] = adapt(row[column])
                    write(row)
    return ids


def _insert_rows(meta, fields, adapters, rows, returning_ids) -> list[int] | None:
    """A few rows as one INSERT: a single opt-out's list row and event (an API request).

    Written out rather than through bulk_create, whose model instances and statement compiling
    cost more than the round trip (0.4 ms a call, two calls per opt-out request).
    """
    quote = connection.ops.quote_name  # once: `connection` is a per-thread proxy
    names = ", ".join(quote(f.column) for f in fields)
    table = quote(meta.db_table)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(meta.pk.column)}" if returning_ids else ""
    params = [value for row in rows for value in _adapted(row, adapters)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(rows))}{returning}",  # noqa: S608
            params,
        )
        return [pk for (pk,) in cursor.fetchall()] if returning_ids else None


def copy_insert(objs: list[models.Model]) -> None:
    """Insert `objs` (all of one model, pk unset) and set their pks, as bulk_create would."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        # bulk_create on the objects themselves, so they get exactly what it stored (pre_save).
        model.objects.bulk_create(objs)
        return
    attnames = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    ids = copy_rows(
        model,
        attnames,
        [tuple(getattr(obj, name) for name in attnames) for obj in objs],
        returning_ids=True,
    )
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
