"""The report's summary past REPORT_EXACT_UP_TO matching numbers: exact from the daily roll-up
minus the few numbers a prefix leaves out, counted and sorted by the database up to
REPORT_SORTED_UP_TO, or "more than N" without a chart; the export and the API stay exact
whatever the page says."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import QueryDict

import optouts.selectors as selectors
from optouts.filters import _prefix_end, site_timezone
from optouts.models import Source
from optouts.selectors import (
    PageCursor,
    optout_counts_by_source,
    optout_daily_counts,
    optout_filterset,
    optout_report_aggregates,
    optout_report_page,
)
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
CAP = 3
SORTED = 5


@pytest.fixture
def cap(monkeypatch):
    monkeypatch.setattr(selectors, "REPORT_EXACT_UP_TO", CAP)
    monkeypatch.setattr(selectors, "REPORT_SORTED_UP_TO", SORTED)


@pytest.fixture
def listed():
    """Six +1415 numbers, two of each source, and one +1212 number."""
    sources = [Source.AGENT, Source.AGENT, Source.CONTACT, Source.CONTACT, Source.SYSTEM]
    for index, source in enumerate([*sources, Source.SYSTEM]):
        given_opt_out(number=f"+1415555{index:04d}", source=source)
    given_opt_out(number="+12125550100", source=Source.AGENT)


def _counts(response) -> dict[str, int]:
    return {c["source"]: c["n"] for c in response.context["counts"]}


def _assert_the_six_415_numbers_counted_charted_and_listed(admin_client) -> None:
    response = admin_client.get(REPORT, {"phone_prefix": "415", "period": "all"})
    body = response.content.decode()
    assert response.context["total"] == 6
    assert _counts(response) == {"agent": 2, "contact": 2, "system": 2}
    assert "<svg" in body and "More than" not in body
    assert len(response.context["rows"]) == 6


def test_a_prefix_most_numbers_share_is_counted_exactly(admin_client, cap, listed):
    _assert_the_six_415_numbers_counted_charted_and_listed(admin_client)


def test_the_numbers_a_prefix_leaves_out_keep_those_its_last_digits_find(admin_client, cap, listed):
    # `4155` is the start +14155 or the end ...4155: the +1212 number ending so is counted too.
    given_opt_out(number="+12125554155", source=Source.CONTACT)
    response = admin_client.get(REPORT, {"phone_prefix": "4155", "period": "all"})
    assert response.context["total"] == 7
    assert _counts(response) == {"agent": 2, "contact": 3, "system": 2}


def test_a_prefix_matching_many_and_leaving_out_many_reads_more_than(admin_client, cap, listed):
    for index in range(4):
        given_opt_out(number=f"+1212555020{index}", source=Source.AGENT)
    response = admin_client.get(REPORT, {"phone_prefix": "415", "period": "all"})
    body = response.content.decode()
    assert f"More than {SORTED} numbers on the list for these filters" in body
    assert response.context["counts"] == [] and response.context["chart"] == ""
    assert len(response.context["rows"]) == 6  # the rows are all there

    export = admin_client.get(REPORT + "export.csv", {"phone_prefix": "415", "period": "all"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 1 + 6  # header and every number: the export counts exactly


def test_the_api_list_stays_exact_past_the_limit(admin_api, cap, listed):
    for index in range(4):
        given_opt_out(number=f"+1212555020{index}", source=Source.AGENT)
    body = admin_api.get("/api/v1/sms/opt-outs/", {"phone_prefix": "415"}).json()
    assert len(body["results"]) == 6


def test_a_few_matches_are_counted_one_by_one(admin_client, cap, listed):
    response = admin_client.get(REPORT, {"phone_prefix": "212"})
    assert response.context["total"] == 1
    assert [row["number"] for row in response.context["rows"]] == ["+12125550100"]


@pytest.mark.parametrize("term", ["415", "4155", "212", "+1415555", "0003", "415555000", "999"])
@pytest.mark.parametrize("period", ["all", "today", "last_month"])
def test_the_summary_agrees_with_counting_every_row(cap, listed, term, period):
    given_opt_out(number="+12125554155", source=Source.CONTACT)
    filterset = optout_filterset(data=QueryDict(f"phone_prefix={term}&period={period}"))
    assert filterset.is_valid(), filterset.errors
    aggregates = optout_report_aggregates(filterset=filterset)
    if aggregates.exact:
        assert aggregates.counts_by_source() == optout_counts_by_source(queryset=filterset.qs)
        tz = site_timezone()
        assert aggregates.daily_counts(tzinfo=tz) == optout_daily_counts(
            queryset=filterset.qs, tzinfo=tz
        )
    else:
        assert sum(optout_counts_by_source(queryset=filterset.qs).values()) > CAP


def test_a_page_sorted_from_the_few_ids_is_the_page_the_database_sorts(cap, listed):
    filterset = optout_filterset(data=QueryDict("phone_prefix=415&period=all"))
    assert filterset.is_valid()
    keys = list(filterset.qs.values_list("opted_out_at", "id"))
    plain = optout_report_page(queryset=filterset.qs, per_page=2)
    among = optout_report_page(queryset=filterset.qs, per_page=2, among=keys)
    assert [r["id"] for r in among[0]] == [r["id"] for r in plain[0]]
    assert among[1:] == plain[1:]


def test_older_pages_sorted_from_the_few_are_the_pages_the_database_sorts(cap, listed):
    filterset = optout_filterset(data=QueryDict("phone_prefix=415&period=all"))
    assert filterset.is_valid()
    keys = list(filterset.qs.values_list("opted_out_at", "id"))
    pages = {"plain": [], "among": []}
    for way in pages:
        cursor = None
        while True:
            rows, _, has_older = optout_report_page(
                queryset=filterset.qs,
                per_page=4,
                older_than=cursor,
                among=keys if way == "among" else None,
            )
            pages[way].append([r["id"] for r in rows])
            if not has_older:
                break
            cursor = PageCursor(opted_out_at=rows[-1]["opted_out_at"], id=rows[-1]["id"])
    assert pages["among"] == pages["plain"] and len(pages["plain"]) == 2


@pytest.mark.parametrize(
    ("prefix", "end"),
    [("+1415", "+1416"), ("+1419", "+142"), ("+14159", "+1416"), ("+999", None), ("+1", "+2")],
)
def test_the_end_of_a_prefix_range(prefix, end):
    assert _prefix_end(prefix) == end


@pytest.fixture
def sorted_cap(monkeypatch):
    """Six +1415 numbers match `415` (more than CAP), five +1212 numbers it leaves out (more than
    CAP too): neither side is few, and six is within the sorted limit."""
    monkeypatch.setattr(selectors, "REPORT_EXACT_UP_TO", CAP)
    monkeypatch.setattr(selectors, "REPORT_SORTED_UP_TO", 10)
    for index in range(4):
        given_opt_out(number=f"+1212555020{index}", source=Source.AGENT)


def test_between_the_limits_the_database_counts_charts_and_sorts_every_match(
    admin_client, listed, sorted_cap
):
    _assert_the_six_415_numbers_counted_charted_and_listed(admin_client)


@pytest.mark.parametrize("per_page", [1, 2, 4, 6])
def test_pages_sorted_in_the_database_are_the_pages_the_time_order_gives(
    listed, sorted_cap, per_page
):
    filterset = optout_filterset(data=QueryDict("phone_prefix=415&period=all"))
    assert filterset.is_valid()
    aggregates = optout_report_aggregates(filterset=filterset)
    assert aggregates.exact and aggregates.sorted_in_database and aggregates.few is None
    tz = site_timezone()
    oldest = min(filterset.qs.values_list("opted_out_at", flat=True))
    assert aggregates.first_day(tzinfo=tz) == oldest.astimezone(tz).date()
    walked = {way: _walk(filterset.qs, per_page, way == "sorted") for way in ("plain", "sorted")}
    assert walked["sorted"] == walked["plain"]
    assert sum(len(ids) for ids, _, _ in walked["plain"][0]) == 6


def _walk(queryset, per_page: int, sorted_in_database: bool):
    """Every page from the first to the oldest, then back to the newest: (ids, has_newer,
    has_older) of each."""

    def page(**cursor):
        rows, has_newer, has_older = optout_report_page(
            queryset=queryset,
            per_page=per_page,
            sorted_in_database=sorted_in_database,
            **cursor,
        )
        return rows, ([r["id"] for r in rows], has_newer, has_older)

    rows, seen = page()
    forward = [seen]
    while seen[2]:
        last = PageCursor(opted_out_at=rows[-1]["opted_out_at"], id=rows[-1]["id"])
        rows, seen = page(older_than=last)
        forward.append(seen)
    back = []
    while seen[1]:
        first = PageCursor(opted_out_at=rows[0]["opted_out_at"], id=rows[0]["id"])
        rows, seen = page(newer_than=first)
        back.append(seen)
    return forward, back
