"""`column IN (big list)` as one array parameter on PostgreSQL; a plain `__in` elsewhere.

Django turns `filter(x__in=values)` into one placeholder per value, and psycopg (client-side
binding) then splits and quotes the whole statement in Python: for the 5,000 external ids of an
import batch that cost more than running the query. One array parameter is one placeholder. It
sits behind `ARRAY(SELECT unnest(...))` so that the planner, not seeing the values, probes the
unique index once per value rather than expecting thousands of matches and scanning the table
(optouts.selectors.phones_opted_out measured that, bench/send_guard.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import In

# Below this many values the IN list is as cheap, and reads better in the query log.
ARRAY_ABOVE = 100
_SQL_TYPES = frozenset({"text", "bigint"})


def any_of_sql(column: str, *, sql_type: str = "text", lower: bool = False) -> str:
    """`column = ANY(...)` of one array parameter, in the form the planner probes an index with
    (PostgreSQL; for callers writing the whole statement out, where a queryset costs too much).
    `lower`: `LOWER(column)`, for an index on that expression."""
    if sql_type not in _SQL_TYPES:
        raise ValueError(f"Unsupported array type {sql_type!r}.")
    name = connection.ops.quote_name(column)
    if lower:
        name = f"LOWER({name})"
    return f"{name} = ANY(ARRAY(SELECT unnest(%s::{sql_type}[])))"


def array_param(values: Iterable, *, sql_type: str = "text") -> str | list:
    """`values` as the parameter of a `%s::text[]` (or `::bigint[]`): one array literal.

    psycopg adapts a list parameter element by element in Python and then quotes the statement
    client-side: a batch's 12,500 numbers took 23 ms, the literal joined here 2 ms (the same
    array once PostgreSQL reads it). Values that are not all text go as the list, as before.
    """
    if sql_type not in _SQL_TYPES:
        raise ValueError(f"Unsupported array type {sql_type!r}.")
    values = list(values)
    if sql_type == "bigint":
        return "{" + ",".join(map(str, map(int, values))) + "}"
    try:
        text = '","'.join(values)
    except TypeError:
        return values
    if not values:
        return "{}"
    # The separator holds two quotes; any more are the values' own, which need escaping.
    if "\\" in text or text.count('"') != 2 * (len(values) - 1):
        text = '","'.join(value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return '{"' + text + '"}'


def in_values(
    column: str, values: Iterable, *, sql_type: str = "text", lower: bool = False
) -> Q | In | RawSQL:
    """A filter for `column` (a column name of the queried table) being one of `values`;
    with `lower`, the column without case (`values` given in lower case)."""
    if sql_type not in _SQL_TYPES:
        raise ValueError(f"Unsupported array type {sql_type!r}.")
    wanted = set(values)
    if connection.vendor != "postgresql" or len(wanted) <= ARRAY_ABOVE:
        wanted = sorted(wanted)  # the same statement for the same values, in the query log
        return In(Lower(column), wanted) if lower else Q(**{f"{column}__in": wanted})
    # Unsorted: an array's order changes no answer (the callers that lock what they read order
    # it with ORDER BY), and sorting a batch's 12,500 numbers cost more than sending them.
    return RawSQL(  # noqa: S611 - the column is quoted and the type one of _SQL_TYPES
        any_of_sql(column, sql_type=sql_type, lower=lower),
        [array_param(wanted, sql_type=sql_type)],
        output_field=BooleanField(),
    )
