"""The lead list's CSV export: written by PostgreSQL (COPY) there, row by row in Python elsewhere.

Both write the same bytes. On PostgreSQL the database writes every cell but the displayed
phones (velocify_sms.csv_export.csv_copy_stream): names and the rest with the `'` before formula
text (csv_safe_sql), the status's word, the agent's username, the numbers in E.164, Yes/No for
the list, the time with to_char in the reader's zone. Python adds the displayed phones from the
E.164 cell with phone_display_for_csv, as the row-by-row path does. A million leads cost about
what the COPY costs instead of minutes.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import QuerySet

from leads.models import Lead, LeadPhone, LeadStatus
from velocify_sms.csv_export import (
    csv_copy_check,
    csv_copy_stream,
    csv_response,
    csv_rows_stream,
    csv_safe_cell,
    csv_safe_sql,
)
from velocify_sms.dates import datetime_display, datetime_header, time_zone_name
from velocify_sms.phones import phone_display_for_csv

CSV_HEADER = [
    "Lead ID",
    "First name",
    "Last name",
    "Email",
    "Company",
    "Status",
    "Assigned agent",
    "Phones",
    "phone_numbers",
    "SMS Opt-Out",
]


def export_in_database() -> bool:
    """Whether the database writes the export (PostgreSQL's COPY); Python writes it elsewhere."""
    return connection.vendor == "postgresql"


def leads_csv_response(queryset: QuerySet[Lead]):
    """Phones and dates as on the pages: `(415) 555-2671`, `(+44) 2079460958` (never a `+` that
    a spreadsheet would run as a formula), `2026-12-02 14:05` in the reader's time zone; beside
    the phones, `phone_numbers` in E.164 separated by spaces, for programs. `queryset` carries
    the `sms_opt_out` annotation (LeadQuerySet.with_sms_opt_out)."""
    header = [*CSV_HEADER, datetime_header("Created at")]
    if export_in_database():
        sql, params = lead_export_sql(queryset=queryset, time_zone=time_zone_name())
        # A query that cannot run is an ordinary error answer, before the file starts.
        csv_copy_check(sql=sql, params=params)
        content = csv_copy_stream(
            header=header, sql=sql, params=params, finish_line=_finish_line, finish_row=_finish_row
        )
    else:
        content = csv_rows_stream(header=header, rows=_rows(queryset))
    return csv_response(filename="leads.csv", content=content)


def _rows(queryset: QuerySet[Lead]):
    # iterator() with a chunk size keeps the prefetch of phones, one batch per chunk.
    for lead in queryset.iterator(chunk_size=2000):
        yield [
            lead.pk,
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.company,
            lead.get_status_display(),
            lead.assigned_agent.get_username() if lead.assigned_agent else "",
            "; ".join(phone_display_for_csv(p.number) for p in lead.phones.all()),
            " ".join(p.number for p in lead.phones.all()),
            lead.sms_opt_out,
            datetime_display(lead.created_at),
        ]


def lead_export_sql(*, queryset: QuerySet[Lead], time_zone: str) -> tuple[str, list]:
    """The SELECT whose CSV is the export of `queryset` without its displayed phones, its rows in
    the queryset's order: (sql, params). _finish_line adds them from the E.164 cell."""
    username = f"assigned_agent__{get_user_model().USERNAME_FIELD}"
    inner, inner_params = queryset.values_list(
        "pk",
        "first_name",
        "last_name",
        "email",
        "company",
        "status",
        username,
        "sms_opt_out",
        "created_at",
    ).query.sql_with_params()
    columns = ["id", "first_name", "last_name", "email", "company", "status", "agent"]
    columns += ["opted_out", "created_at"]
    whens, status_params = [], []
    for value, label in LeadStatus.choices:
        whens.append("WHEN %s THEN %s")
        status_params += [value, str(label)]
    status = f"CASE q.status {' '.join(whens)} ELSE q.status END"
    phones = LeadPhone._meta.db_table
    # Only SQL written here and the queryset's own; every value is a parameter. The lateral
    # read of each lead's phones keeps the queryset's order (nothing above it sorts).
    cells = [
        "q.id",
        *(csv_safe_sql(f"q.{c}") for c in ("first_name", "last_name", "email", "company")),
        csv_safe_sql("q.status_text"),
        csv_safe_sql("q.agent"),
        f"(SELECT string_agg(p.number, ' ' ORDER BY p.id) FROM {phones} p "  # noqa: S608
        "WHERE p.lead_id = q.id)",
        "CASE WHEN q.opted_out THEN 'Yes' ELSE 'No' END",
        "to_char(q.created_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI')",
    ]
    # Only SQL written here and the queryset's own; every value is a parameter. Each lead's
    # phones are read beside it, so the queryset's order is the file's (nothing above sorts).
    named = f"({inner}) AS q ({', '.join(columns)})"
    # The status's word once per row, in the middle query; the outer one makes it safe.
    middle = f"SELECT q.*, {status} AS status_text FROM {named}"  # noqa: S608
    sql = f"SELECT {', '.join(cells)} FROM ({middle}) AS q"  # noqa: S608
    return sql, [time_zone, *status_params, *inner_params]


def _phones_cells(numbers: str) -> tuple[object, object]:
    listed = numbers.split(" ") if numbers else []
    shown = "; ".join(phone_display_for_csv(n) for n in listed)
    return csv_safe_cell(shown), csv_safe_cell(numbers)


def _finish_line(line: bytes) -> bytes | None:
    # The last three cells (numbers in E.164, Yes/No, the time) hold no comma unless quoted.
    head, numbers, opted_out, created = line.rsplit(b",", 3)
    if numbers[:1] == b'"':
        return None
    shown, e164 = _phones_cells(numbers.decode())
    return b",".join([head, f"{shown},{e164}".encode(), opted_out, created])


def _finish_row(cells: list[str]) -> list[object]:
    *head, numbers, opted_out, created = cells
    return [*head, *_phones_cells(numbers), opted_out, created]
