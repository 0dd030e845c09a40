"""OptOutFilter, the one FilterSet of the report page and the API list."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from freezegun import freeze_time

from optouts.filters import OptOutFilter, period_days
from optouts.models import OptOut, Source
from optouts.selectors import optout_filterset
from tests.factories import OptOutFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def numbers(params: dict) -> set[str]:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    filterset = optout_filterset(data=data)
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("phone_number", flat=True))


def errors(params: dict) -> dict:
    filterset = OptOutFilter(params, queryset=OptOut.objects.all())
    assert not filterset.is_valid()
    return filterset.errors


@pytest.fixture
def rows():
    """Agent, contact and system numbers in two area codes and two countries."""
    at = datetime(2024, 6, 15, 12, tzinfo=NY)
    return {
        "agent_415": OptOutFactory(
            phone_number="+14155550001", source=Source.AGENT, opted_out_at=at
        ),
        "contact_415": OptOutFactory(
            phone_number="+14155550002", source=Source.CONTACT, opted_out_at=at
        ),
        "system_212": OptOutFactory(
            phone_number="+12125550003", source=Source.SYSTEM, opted_out_at=at
        ),
        "agent_uk": OptOutFactory(
            phone_number="+442071234567", source=Source.AGENT, opted_out_at=at
        ),
    }


def test_no_filter_is_the_whole_list(rows):
    assert numbers({}) == {r.phone_number for r in rows.values()}


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["agent"], {"agent_415", "agent_uk"}),
        (["contact"], {"contact_415"}),
        (["system"], {"system_212"}),
        (["agent", "contact"], {"agent_415", "agent_uk", "contact_415"}),
        (["contact", "system"], {"contact_415", "system_212"}),
        (["agent", "contact", "system"], {"agent_415", "agent_uk", "contact_415", "system_212"}),
    ],
)
def test_source_takes_any_combination(rows, sources, expected):
    assert numbers({"source": sources}) == {rows[k].phone_number for k in expected}


def test_unknown_source_is_a_form_error(rows):
    assert "source" in errors({"source": ["friend"]})


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("415", {"agent_415", "contact_415"}),  # national digits of the default region
        ("(415) 555", {"agent_415", "contact_415"}),
        ("1-415", {"agent_415", "contact_415"}),  # the habit of typing the country code
        ("212", {"system_212"}),
        ("+44 20", {"agent_uk"}),  # with + the digits start at the country code
        ("+1", None),  # too short: error
        ("+1415555000", {"agent_415", "contact_415"}),
        ("+14155550001", {"agent_415"}),
    ],
)
def test_phone_prefix(rows, typed, expected):
    if expected is None:
        assert "phone_prefix" in errors({"phone_prefix": typed})
    else:
        assert numbers({"phone_prefix": typed}) == {rows[k].phone_number for k in expected}


@pytest.mark.parametrize("typed", ["4", "41", "4-1", "+4", "(41)", "abc"])
def test_phone_prefix_needs_three_digits(rows, typed):
    assert errors({"phone_prefix": typed})["phone_prefix"] == [
        "Enter at least the first 3 digits of the phone number."
    ]


def test_combined_source_prefix_and_time(rows, settings):
    settings.TIME_ZONE = "America/New_York"
    OptOutFactory(
        phone_number="+14155550009",
        source=Source.AGENT,
        opted_out_at=datetime(2024, 5, 1, 12, tzinfo=NY),
    )
    with freeze_time("2024-06-20 12:00:00"):
        got = numbers({"source": ["agent"], "phone_prefix": "415", "period": "this_month"})
        assert got == {"+14155550001"}
        got = numbers({"source": ["agent", "system"], "phone_prefix": "415", "period": "all"})
        assert got == {"+14155550001", "+14155550009"}
        got = numbers({"source": ["agent"], "date_from": "2024-05-01", "date_to": "2024-05-31"})
        assert got == {"+14155550009"}


def test_api_since_until_still_work(rows):
    OptOutFactory(phone_number="+14155550010", opted_out_at=datetime(2024, 7, 1, 0, tzinfo=NY))
    got = numbers({"since": "2024-06-30T00:00:00-04:00", "until": "2024-07-02T00:00:00-04:00"})
    assert got == {"+14155550010"}


def test_custom_range_includes_both_days_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    # 23:30 in New York on June 30 is already July 1 in UTC: it belongs to June 30 here.
    OptOutFactory(
        phone_number="+14155550020", opted_out_at=datetime(2024, 6, 30, 23, 30, tzinfo=NY)
    )
    OptOutFactory(phone_number="+14155550021", opted_out_at=datetime(2024, 7, 1, 0, 0, tzinfo=NY))
    OptOutFactory(phone_number="+14155550022", opted_out_at=datetime(2024, 6, 1, 0, 0, tzinfo=NY))
    assert numbers({"date_from": "2024-06-01", "date_to": "2024-06-30"}) == {
        "+14155550020",
        "+14155550022",
    }
    assert numbers({"date_from": "2024-07-01"}) == {"+14155550021"}
    assert numbers({"date_to": "2024-06-01", "period": "custom"}) == {"+14155550022"}


def test_from_after_to_is_a_form_error():
    found = errors({"date_from": "2024-06-02", "date_to": "2024-06-01"})
    assert found["date_from"] == ["The start date (2024-06-02) is after the end date (2024-06-01)."]


def test_preset_with_custom_range_is_a_form_error():
    assert "period" in errors({"period": "today", "date_from": "2024-06-02"})


def test_unknown_preset_is_a_form_error():
    assert "period" in errors({"period": "last_century"})


# Presets at month and year edges, computed in the site's time zone -------------------------


@pytest.mark.parametrize(
    ("today", "period", "first", "after_last"),
    [
        (date(2024, 1, 1), "yesterday", date(2023, 12, 31), date(2024, 1, 1)),
        (date(2024, 1, 1), "last_month", date(2023, 12, 1), date(2024, 1, 1)),
        (date(2024, 1, 1), "this_year", date(2024, 1, 1), date(2025, 1, 1)),
        (date(2024, 1, 1), "last_7_days", date(2023, 12, 26), date(2024, 1, 2)),
        (date(2024, 3, 1), "last_30_days", date(2024, 2, 1), date(2024, 3, 2)),
        (date(2024, 2, 29), "this_month", date(2024, 2, 1), date(2024, 3, 1)),
        (date(2024, 12, 31), "this_month", date(2024, 12, 1), date(2025, 1, 1)),
        (date(2024, 3, 31), "last_month", date(2024, 2, 1), date(2024, 3, 1)),
        (date(2024, 3, 10), "today", date(2024, 3, 10), date(2024, 3, 11)),
    ],
)
def test_period_days(today, period, first, after_last):
    assert period_days(period, today=today) == (first, after_last)


def test_all_time_has_no_bounds():
    assert period_days("all", today=date(2024, 1, 1)) is None


@pytest.mark.parametrize(
    ("frozen_utc", "period", "inside", "outside"),
    [
        # 03:00 UTC on Jan 1 is still Dec 31 in New York: "today" is Dec 31, "this year" 2023.
        (
            "2024-01-01 03:00:00",
            "today",
            [datetime(2023, 12, 31, 0, 0, tzinfo=NY)],
            [datetime(2024, 1, 1, 0, 0, tzinfo=NY)],
        ),
        (
            "2024-01-01 03:00:00",
            "this_year",
            [datetime(2023, 1, 1, 0, 0, tzinfo=NY)],
            [datetime(2022, 12, 31, 23, 59, tzinfo=NY), datetime(2024, 1, 1, 0, 0, tzinfo=NY)],
        ),
        (
            "2024-01-01 06:00:00",
            "this_year",
            [datetime(2024, 1, 1, 0, 0, tzinfo=NY)],
            [datetime(2023, 12, 31, 23, 59, tzinfo=NY)],
        ),
        (
            "2024-01-01 06:00:00",
            "last_month",
            [datetime(2023, 12, 1, 0, 0, tzinfo=NY), datetime(2023, 12, 31, 23, 59, tzinfo=NY)],
            [datetime(2023, 11, 30, 23, 59, tzinfo=NY), datetime(2024, 1, 1, 0, 0, tzinfo=NY)],
        ),
        (
            "2024-03-01 04:59:00",
            "this_month",
            [datetime(2024, 2, 29, 23, 0, tzinfo=NY)],
            [datetime(2024, 3, 1, 0, 0, tzinfo=NY)],
        ),
        (
            "2024-03-01 05:00:00",
            "this_month",
            [datetime(2024, 3, 1, 0, 0, tzinfo=NY)],
            [datetime(2024, 2, 29, 23, 59, tzinfo=NY)],
        ),
        (
            "2024-03-01 05:00:00",
            "yesterday",
            [datetime(2024, 2, 29, 12, 0, tzinfo=NY)],
            [datetime(2024, 3, 1, 0, 0, tzinfo=NY), datetime(2024, 2, 28, 23, 59, tzinfo=NY)],
        ),
        # Across the DST change on 2024-03-10 the days still start at local midnight.
        (
            "2024-03-11 12:00:00",
            "last_7_days",
            [datetime(2024, 3, 5, 0, 0, tzinfo=NY)],
            [datetime(2024, 3, 4, 23, 59, tzinfo=NY)],
        ),
    ],
)
def test_presets_at_month_and_year_edges_in_site_time_zone(
    settings, frozen_utc, period, inside, outside
):
    settings.TIME_ZONE = "America/New_York"
    made = {}
    for n, at in enumerate([*inside, *outside]):
        made[at] = OptOutFactory(phone_number=f"+1415555{n:04d}", opted_out_at=at).phone_number
    with freeze_time(frozen_utc):
        got = numbers({"period": period})
    assert got == {made[at] for at in inside}


def test_each_filterset_has_its_own_filters_bound_to_it():
    from optouts.filters import OptOutFilter

    first, second = OptOutFilter({"source": ["agent"]}), OptOutFilter({"source": ["contact"]})

    for name in first.filters:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first
        assert second.filters[name].parent is second
    # A method filter calls the method of its own FilterSet, not of another request's.
    assert first.filters["source"].filter.f is first.filters["source"]
    assert first.get_form_class() is second.get_form_class()
