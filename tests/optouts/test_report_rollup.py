"""The report's summary and chart read the daily roll-up when the filters allow, the list if not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from optouts.filters import site_timezone
from optouts.models import Source
from optouts.selectors import (
    optout_counts_by_source,
    optout_daily_counts,
    optout_filterset,
    optout_report_aggregates,
)
from tests.factories import given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
# Today, not a frozen day: freezegun left a fake clock behind in modules imported meanwhile.
NOW = datetime.now(UTC)
FROM, TO = (NOW - timedelta(days=470)).date(), (NOW - timedelta(days=125)).date()


@pytest.fixture
def spread(admin_user, settings):
    """Opt-outs over a year and a half, in New York, with opt-ins and upgrades among them."""

    def at(instant):
        # A plain clock patch: freezegun for 60 writes was most of the test's time.
        return mock.patch("django.utils.timezone.now", return_value=instant)

    settings.TIME_ZONE = "America/New_York"
    sources = [Source.AGENT, Source.CONTACT, Source.SYSTEM]
    for n in range(60):
        with at(NOW - timedelta(days=9 * n, hours=n % 13)):
            given_opt_out(number=f"+1415555{n:04d}", source=sources[n % 3])
    with at(NOW - timedelta(days=3)):
        given_opt_out(number="+14155550003", source=Source.CONTACT)  # agent -> contact
        given_opt_in(number="+14155550006", actor=admin_user, note="asked by phone")


def _filterset(query: str):
    filterset = optout_filterset(data=QueryDict(query))
    assert filterset.is_valid(), filterset.errors
    return filterset


ROLLUP_QUERIES = [
    "period=all",
    "period=last_30_days",
    "period=this_year&source=agent",
    "source=contact&source=system&period=all",
    f"period=custom&date_from={FROM}&date_to={TO}",
    f"date_from={TO}",
]
LIVE_QUERIES = [
    "period=all&phone_prefix=415555001",
    f"since={FROM}T05:30:00Z",
    f"period=all&until={TO}T00:00:00Z",
]


@pytest.mark.parametrize("query", ROLLUP_QUERIES + LIVE_QUERIES)
def test_summary_and_chart_equal_the_live_aggregate_for_every_filter(spread, query):
    filterset = _filterset(query)
    aggregates = optout_report_aggregates(filterset=filterset)
    tz = site_timezone()

    assert aggregates.from_rollup == (query in ROLLUP_QUERIES)
    assert aggregates.counts_by_source() == optout_counts_by_source(queryset=filterset.qs)
    for by_month in (False, True):
        got = aggregates.daily_counts(tzinfo=tz, by_month=by_month)
        assert got == optout_daily_counts(queryset=filterset.qs, tzinfo=tz, by_month=by_month)


def test_the_all_time_page_counts_from_the_rollup_not_the_list(admin_client, spread):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(REPORT, {"period": "all"})
    sql = [q["sql"] for q in queries.captured_queries]

    assert response.context["total"] == 59
    assert any('"optouts_optoutday"' in s for s in sql)
    # The list itself is read only for the page's rows (a LIMIT), never counted.
    assert not any('"optouts_optout"' in s and "COUNT(" in s for s in sql), sql


def test_a_prefix_search_counts_from_the_list(admin_client, spread):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(REPORT, {"phone_prefix": "415555001"})
    sql = [q["sql"] for q in queries.captured_queries]

    assert response.context["total"] == 10
    assert not any('"optouts_optoutday"' in s for s in sql)
