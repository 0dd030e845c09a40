"""Hypothesis writes the report's query strings: never a 5xx, and bad input shows as form errors.

Each example is a query string an admin's browser could send: the report's own parameters with
values of every kind (sources, presets, dates in odd formats and years 1 to 10000, date-times
with any UTC offset, prefixes, page numbers of any size), unknown parameters, and repeated ones,
against the page and the export, in a site time zone far from UTC. The budget is bounded
(max_examples below, about 20 s each on SQLite) and derandomised, so CI runs the same examples.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from optouts.filters import PERIODS
from optouts.models import Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
EXPORT = REPORT + "export.csv"
MAX_EXAMPLES = 120

FUZZ = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# --- values ---------------------------------------------------------------------------------
any_text = st.text(max_size=40)
day_formats = st.sampled_from(
    ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%Y%m%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
)
days = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.sampled_from([date(1, 1, 1), date(1, 1, 2), date(9999, 12, 30), date(9999, 12, 31)]),
)
day_text = st.one_of(
    st.builds(lambda d, f: datetime.combine(d, datetime.min.time()).strftime(f), days, day_formats),
    st.sampled_from(["10000-01-01", "2026-02-30", "2026-13-01", "0000-01-01", "-2026-01-01", ""]),
    st.from_regex(r"\A[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}\Z"),
    any_text,
)
offsets = st.one_of(
    st.none(),
    st.just(UTC),
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)
instants = st.one_of(
    st.builds(
        lambda moment, tz: moment.replace(tzinfo=tz).isoformat(),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        offsets,
    ),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+05:00",
            "0391-01-29T07:38:04.1597+23:49",
            "9999-12-31T23:59:59.999999+00:00",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T25:00",
        ]
    ),
    any_text,
)
sources = st.lists(st.one_of(st.sampled_from(Source.values), any_text), max_size=4)
periods = st.one_of(st.sampled_from([p for p, _ in PERIODS] + ["custom", ""]), any_text)
prefixes = st.one_of(
    st.from_regex(r"\A\+?[0-9 ()\-.]{0,20}\Z"),
    st.sampled_from(["41", "415", "+44 20", "+1", "+999", "0", "１２３"]),
    any_text,
)
# The report's page links: `<UTC instant>_<id>` cursors, well-formed or nearly so.
cursors = st.one_of(
    st.from_regex(r"\A[0-9]{8}T[0-9]{6}\.[0-9]{6}Z_[0-9]{1,21}\Z"),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["", "99991231T235959.999999Z_1", "00010101T000000.000000Z_1", "٣"]),
    any_text,
)


@st.composite
def report_queries(draw) -> list[tuple[str, str]]:
    """One query string as (name, value) pairs, repeats and unknown names included."""
    pairs: list[tuple[str, str]] = []
    pairs += [("source", value) for value in draw(sources)]
    for name, values in (
        ("period", periods),
        ("date_from", day_text),
        ("date_to", day_text),
        ("since", instants),
        ("until", instants),
        ("phone_prefix", prefixes),
        ("older", cursors),
        ("newer", cursors),
    ):
        if draw(st.booleans()):
            pairs.append((name, draw(values)))
    pairs += draw(st.lists(st.tuples(any_text, any_text), max_size=2))
    return draw(st.permutations(pairs))


@pytest.fixture
def listed(db):
    given_opt_out(number="+14155550101", source=Source.AGENT)
    given_opt_out(number="+14155550102", source=Source.CONTACT)
    given_opt_out(number="+442071234567", source=Source.SYSTEM)


def _has_nul(pairs) -> bool:
    return any("\x00" in name or "\x00" in value for name, value in pairs)


# Kiritimati (UTC+14) and Pago Pago (UTC-11): day bounds shift the most there.
ZONES = st.sampled_from(["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])


def test_fuzz_the_report_page_never_fails_and_shows_bad_input_as_form_errors(admin_client, listed):
    admin_client.raise_request_exception = False

    @FUZZ
    @given(pairs=report_queries(), zone=ZONES)
    def check(pairs, zone):
        with override_settings(TIME_ZONE=zone):
            response = admin_client.get(f"{REPORT}?{urlencode(pairs)}")
        if _has_nul(pairs):
            assert response.status_code == 400, (pairs, response.status_code)
            return
        assert response.status_code == 200, (pairs, response.status_code)
        form = response.context["filter_form"]
        if form.errors:
            assert response.context["rows"] == []
            assert b'class="errornote"' in response.content
        else:
            assert response.context["chart"]

    check()


def test_fuzz_the_export_is_a_whole_file_or_a_way_back_to_the_form_errors(admin_client, listed):
    admin_client.raise_request_exception = False

    @FUZZ
    @given(pairs=report_queries(), zone=ZONES)
    def check(pairs, zone):
        with override_settings(TIME_ZONE=zone):
            response = admin_client.get(f"{EXPORT}?{urlencode(pairs)}")
            if _has_nul(pairs):
                assert response.status_code == 400, (pairs, response.status_code)
                return
            assert response.status_code in (200, 302), (pairs, response.status_code)
            if response.status_code == 302:
                back = urlsplit(response["Location"])
                page = admin_client.get(f"{back.path}?{back.query}")
                assert page.context["filter_form"].errors, pairs
                return
        lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        header = ["Phone number", "phone_number", "Source", f"Opted out at ({zone})"]
        assert lines[0][:4] == header
        assert all(len(line) == len(lines[0]) for line in lines), pairs

    check()
