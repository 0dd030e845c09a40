"""The report's CSV export never ends as a silently cut-off file.

Everything a request can get wrong is checked before the first byte (bad filters send the admin
back to the report, where they show as form errors), the query runs before the answer starts
(a database failure there is an ordinary error answer, not a file with a header and nothing
else), and a failure once rows are flowing ends the file with a line saying it is incomplete.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection

from optouts import export, views_report_actions
from optouts.models import Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
EXPORT = REPORT + "export.csv"


@pytest.fixture
def listed(db):
    for n in range(3):
        given_opt_out(number=f"+1415555010{n}", source=Source.AGENT)


def _lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    "params",
    [
        {"phone_prefix": "41"},
        {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"period": "custom", "date_to": "9999-12-31"},
        {"since": "9999-12-31T23:59:59-05:00"},
        {"source": "nobody"},
        {"period": "tomorrow"},
    ],
)
def test_bad_filters_send_the_admin_back_to_the_report_with_form_errors(admin_client, params):
    response = admin_client.get(EXPORT, params)

    assert response.status_code == 302 and not response.streaming
    back = urlsplit(response["Location"])
    page = admin_client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200
    assert page.context["filter_form"].errors


@pytest.fixture
def python_path(monkeypatch):
    """The export written row by row in Python (every database but PostgreSQL)."""
    monkeypatch.setattr(views_report_actions, "export_in_database", lambda: False)


@pytest.fixture
def database_path():
    if connection.vendor != "postgresql":
        pytest.skip("the database writes the export on PostgreSQL only")


@pytest.mark.usefixtures("python_path")
def test_a_query_that_fails_before_the_first_row_is_an_error_answer_not_a_file(
    admin_client, listed, monkeypatch
):
    def broken(**kwargs):
        raise DatabaseError("could not connect: connection refused")
        yield  # pragma: no cover - a generator, like the real one

    monkeypatch.setattr(views_report_actions, "optout_export_rows", broken)
    admin_client.raise_request_exception = False

    response = admin_client.get(EXPORT)

    assert not response.streaming
    assert response.status_code == 503


@pytest.mark.usefixtures("python_path")
def test_a_failure_after_rows_have_gone_ends_the_file_with_a_line_saying_so(
    admin_client, listed, monkeypatch, caplog
):
    real = views_report_actions.optout_export_rows

    def breaks_after_two(**kwargs):
        rows = real(**kwargs)
        yield next(rows)
        yield next(rows)
        raise DatabaseError("canceling statement due to statement timeout")

    monkeypatch.setattr(views_report_actions, "optout_export_rows", breaks_after_two)

    response = admin_client.get(EXPORT)

    header, *rows, last = _lines(response)
    assert response.status_code == 200
    assert len(rows) == 2
    assert last[0].startswith("EXPORT INCOMPLETE")
    assert "2 rows" in last[0]
    assert "statement timeout" in caplog.text


def test_a_whole_export_has_no_such_line(admin_client, listed):
    header, *rows = _lines(admin_client.get(EXPORT, {"period": "all"}))

    assert len(rows) == 3
    assert not any(row[0].startswith("EXPORT INCOMPLETE") for row in rows)


@pytest.mark.usefixtures("database_path")
def test_a_copy_that_cannot_start_is_an_error_answer_not_a_file(admin_client, listed, monkeypatch):
    real = export.optout_export_sql

    def no_such_column(**kwargs):
        sql, params = real(**kwargs)
        return f"SELECT * FROM ({sql}) s WHERE s.no_such_column", params

    monkeypatch.setattr(export, "optout_export_sql", no_such_column)
    admin_client.raise_request_exception = False

    response = admin_client.get(EXPORT)

    assert not response.streaming
    assert response.status_code >= 500


@pytest.mark.usefixtures("database_path")
def test_a_copy_that_fails_after_rows_have_gone_ends_the_file_with_a_line_saying_so(
    admin_client, listed, monkeypatch, caplog
):
    real = export.optout_export_sql
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY SEQUENCE export_rows_read")

    def fails_on_the_third_row(**kwargs):
        sql, params = real(**kwargs)
        # 1 / 0 in the third row's first cell, after two rows have been sent.
        first = (
            "SELECT CASE WHEN 1 / (3 - nextval('export_rows_read')) = 0 THEN '' "
            "ELSE o.phone_number END"
        )
        return sql.replace("SELECT o.phone_number", first, 1), params

    monkeypatch.setattr(export, "optout_export_sql", fails_on_the_third_row)

    response = admin_client.get(EXPORT)

    header, *rows, last = _lines(response)
    assert response.status_code == 200
    assert len(rows) == 2
    assert last[0].startswith("EXPORT INCOMPLETE")
    assert "2 rows" in last[0]
    assert "division by zero" in caplog.text
