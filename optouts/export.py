"""The report's CSV export written by PostgreSQL (COPY), the same bytes as the Python path.

The Python path (views_report_actions, optout_export_rows) costs ~100 µs a row, most of it
formatting numbers and times one cell at a time; a million rows took minutes. Here the database
writes the cells as the pages show them (velocify_sms.csv_export.csv_copy_stream): the times with
to_char in the reader's zone, the words for sources and channels from the same choices, the
leads' ids from the lead directory, the `'` before formula text (csv_safe_sql). Python adds the
first two cells, the number as shown and as stored, with the functions the Python path uses
(phone_display_for_csv has a fast path for the numbers of the site's region).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from optouts.lead_directory import lead_directory
from optouts.models import CarrierReason, Channel, OptOut, Source
from velocify_sms.csv_export import csv_copy_check, csv_copy_stream, csv_safe_cell, csv_safe_sql
from velocify_sms.phones import phone_display_for_csv

# The columns of the export's rows, in the order of export_header().
_COLUMNS = ("phone_number", "source", "reason", "channel", "opted_out_at", "actor_label", "note")


def _label_case(column: str, choices) -> tuple[str, list[str]]:
    """CASE column WHEN value THEN label ... ELSE column END, the labels as parameters."""
    whens, params = [], []
    for value, label in choices:
        whens.append("WHEN %s THEN %s")
        params += [value, str(label)]
    return f"CASE {column} {' '.join(whens)} ELSE {column} END", params


def _source_label_sql() -> tuple[str, list[str]]:
    # optouts.models.source_label: the source's word, then " · " and the reason's when there is one.
    source, source_params = _label_case("q.source", Source.choices)
    reason, reason_params = _label_case("q.reason", CarrierReason.choices)
    sql = f"({source} || CASE WHEN q.reason <> '' THEN ' · ' || {reason} ELSE '' END)"
    return sql, [*source_params, *reason_params]


def _by_whom_sql() -> tuple[str, list[str]]:
    # optouts.views_report.by_whom.
    return (
        "(CASE q.source WHEN %s THEN 'the contact' WHEN %s THEN 'the carrier' "
        "ELSE COALESCE(NULLIF(q.actor_label, ''), 'a user not recorded') END)",
        [Source.CONTACT.value, Source.SYSTEM.value],
    )


def optout_export_sql(*, queryset: QuerySet[OptOut], time_zone: str) -> tuple[str, list]:
    """The SELECT whose CSV is the export of `queryset` but for its first cell, its rows in the
    queryset's order: (sql, params). Its first column is the number as stored; _finish_line
    writes the export's first two cells from it."""
    inner, inner_params = queryset.values_list(*_COLUMNS).query.sql_with_params()
    source, source_params = _source_label_sql()
    whom, whom_params = _by_whom_sql()
    channel, channel_params = _label_case("q.channel", Channel.choices)
    # Each cell is worked out once, in the middle query; the outer one only makes it safe.
    middle = (
        # Only SQL written here and the queryset's own; every value is a parameter.
        f"SELECT q.phone_number, q.note, {source} AS source_text, "  # noqa: S608
        f"{whom} AS whom, {channel} AS channel_text, "
        "to_char(q.opted_out_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI') AS at_text "
        f"FROM ({inner}) q"
    )
    cells = [
        "o.phone_number",
        csv_safe_sql("o.source_text"),
        "o.at_text",
        csv_safe_sql("o.whom"),
        csv_safe_sql("o.channel_text"),
        csv_safe_sql("o.note"),
        lead_directory().lead_ids_sql("o.phone_number"),
    ]
    # Nothing above the queryset's own query joins, groups or sorts: its order is the file's.
    sql = f"SELECT {', '.join(cells)} FROM ({middle}) o"  # noqa: S608
    params = [*source_params, *whom_params, *channel_params, time_zone, *inner_params]
    return sql, params


def _finish_line(line: bytes) -> bytes | None:
    # The number as stored, up to the first comma: a cell PostgreSQL did not quote holds no
    # comma, quote or line break, and neither do the two cells written from it.
    comma = line.find(b",")
    if comma < 1 or line[0] == 0x22:  # '"': a quoted cell, left to _finish_row
        return None
    number = line[:comma].decode()
    shown = csv_safe_cell(phone_display_for_csv(number))
    return f"{shown},{csv_safe_cell(number)}".encode() + line[comma:]


def _finish_row(cells: list[str]) -> list[object]:
    number, *rest = cells
    return [phone_display_for_csv(number), number, *rest]


def optout_export_stream(
    *, queryset: QuerySet[OptOut], header: list[str], time_zone: str
) -> Iterator[bytes]:
    """The export's CSV in bytes (PostgreSQL only). The query is checked at once: one that
    cannot run raises here, before an answer starts (csv_copy_check)."""
    sql, params = optout_export_sql(queryset=queryset, time_zone=time_zone)
    csv_copy_check(sql=sql, params=params)
    return csv_copy_stream(
        header=header, sql=sql, params=params, finish_line=_finish_line, finish_row=_finish_row
    )
