"""The opt-out report's FilterSet, shared by the admin report page and the API list.

It is the one place the list's filters are defined. Query parameters:

- `source`: any of agent, contact, system (repeat the parameter for several);
- `since`, `until`: ISO date-times, `since <= opted_out_at < until` (the API's own pair);
- `period`: a preset time frame computed in the site's time zone (TIME_ZONE), see PERIODS;
- `date_from`, `date_to`: a custom range of whole days in the site's time zone, both included;
- `phone_prefix`: the first digits of a number, at least 3 (see phone_prefix_to_e164).

Bad input (a prefix under 3 digits, `date_from` after `date_to`, a preset together with a custom
range, a date outside FIRST_DAY..LAST_DAY, an instant outside years 1-9999 once in UTC) is a form
error with a sentence, never an exception from a filter method or the database.
"""

from __future__ import annotations

import copy
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Reverse
from django.http import QueryDict
from django.utils import timezone
from django_filters.fields import IsoDateTimeField

from optouts.display import SOURCE_ORDER
from optouts.models import OptOut
from velocify_sms.phones import phone_prefix_to_e164, phone_search_parse

CUSTOM = "custom"
ALL_TIME = "all"

# The days every layer can hold. Python's date and datetime stop at years 1 and 9999, and a day's
# bounds are taken in the site's time zone and then in UTC (up to 14 hours either way), and the
# custom range's end is the day after `date_to`: one day of margin at each end keeps all of that
# inside the calendar. (The databases hold far more: PostgreSQL 4713 BC to AD 294276.)
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)

PERIODS = [
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("last_7_days", "Last 7 days"),
    ("last_30_days", "Last 30 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
    (ALL_TIME, "All time"),
]


def site_timezone() -> zoneinfo.ZoneInfo:
    """The site's time zone (settings.TIME_ZONE): presets and day boundaries are computed in it."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    return timezone.localtime(timezone.now(), site_timezone()).date()


def day_start(day: date) -> datetime:
    """Midnight starting `day` in the site's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=site_timezone())


def _month_start(day: date, months_back: int = 0) -> date:
    month_index = day.year * 12 + (day.month - 1) - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def period_days(period: str, *, today: date | None = None) -> tuple[date, date] | None:
    """(first day, day after the last) of a preset, in the site's calendar; None for all time."""
    today = today or site_today()
    tomorrow = today + timedelta(days=1)
    if period == "today":
        return today, tomorrow
    if period == "yesterday":
        return today - timedelta(days=1), today
    if period == "last_7_days":
        return today - timedelta(days=6), tomorrow
    if period == "last_30_days":
        return today - timedelta(days=29), tomorrow
    if period == "this_month":
        return _month_start(today), _month_start(today, -1)
    if period == "last_month":
        return _month_start(today, 1), _month_start(today)
    if period == "this_year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    if period == ALL_TIME:
        return None
    raise ValueError(f"Unknown period {period!r}.")


def _prefix_end(prefix: str) -> str | None:
    """The first string after every number starting with `prefix` (`+1415` -> `+1416`,
    `+1419` -> `+142`), None when no number comes after them (`+999`). Numbers are `+` and
    digits, which every collation orders as their characters' codes do."""
    kept = prefix.rstrip("9")
    if not kept or not kept[-1].isdigit():
        return None
    return kept[:-1] + chr(ord(kept[-1]) + 1)


class PhonePrefixField(forms.CharField):
    """Digits typed in any format -> what to look for (velocify_sms.phones.PhoneSearch): the
    start of an E.164 number (`415` -> `+1415`), and for the report's search also a whole number
    or the last 4+ digits."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        search = phone_search_parse(value)
        if search is None:
            try:
                phone_prefix_to_e164(value)
            except ValueError as exc:
                raise forms.ValidationError(str(exc), code="prefix_too_short") from None
            raise forms.ValidationError(
                "Enter digits of a phone number (separators are fine).", code="not_a_number"
            )
        return search


class PhonePrefixFilter(django_filters.CharFilter):
    field_class = PhonePrefixField


class DayField(forms.DateField):
    """A day of the custom range, within FIRST_DAY..LAST_DAY."""

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                f"Enter a day between {FIRST_DAY:%Y-%m-%d} and {LAST_DAY:%Y-%m-%d}.",
                code="out_of_range",
            )
        return day


class DayFilter(django_filters.DateFilter):
    field_class = DayField


class InstantField(IsoDateTimeField):
    """An ISO 8601 date-time, handed on in UTC.

    Any UTC offset Python reads (up to 23:59) is accepted and converted here, so the database
    never sees an offset (PostgreSQL refuses those past 15:59); an instant that falls outside
    years 1-9999 once in UTC (`9999-12-31T23:00-05:00`) is a form error.
    """

    def clean(self, value):
        instant = super().clean(value)
        if instant is None:
            return instant
        try:
            return instant.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                "Enter a date and time between the years 1 and 9999 once converted to UTC.",
                code="out_of_range",
            ) from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    field_class = InstantField


class OptOutFilterForm(forms.Form):
    """Checks that need more than one field: the custom range's order, preset vs custom range."""

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error(
                "date_from",
                f"The start date ({date_from:%Y-%m-%d}) is after the end date "
                f"({date_to:%Y-%m-%d}).",
            )
        period = data.get("period")
        if (date_from or date_to) and period not in (None, "", CUSTOM, ALL_TIME):
            self.add_error(
                "period",
                "Choose either a preset time frame or a custom date range, not both.",
            )
        for name in ("since", "until"):
            # Python accepts UTC offsets up to 23:59, PostgreSQL up to 15:59: compare and query
            # in UTC, and refuse an instant outside the calendar once moved there.
            if data.get(name):
                try:
                    data[name] = data[name].astimezone(UTC)
                except OverflowError:
                    self.add_error(name, "This date-time is out of range.")
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("since", "`since` is after `until`.")
        return data


class OptOutFilter(django_filters.FilterSet):
    """The report's and the API list's filters (see the module docstring).

    django-filter deep-copies every filter (choices, widgets, fields) and builds a new form class
    for each FilterSet; that was a third of a report page's server time at a million rows. Here
    each filter is copied shallowly (with its method re-bound to the copy, so nothing is shared
    between requests), and the form class, which depends only on the class, is built once; forms
    still deep-copy their fields per instance as usual.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, phone_search=False):
        # phone_search: the report page searches numbers as the lead list does (a whole number,
        # its start or its end); the API keeps `phone_prefix` a prefix, as documented there.
        self.phone_search = phone_search
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if getattr(base, "_method", None) is not None:
                filter_.method = base._method  # a FilterMethod bound to this copy
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    @classmethod
    def _form_class(cls):
        if "_cached_form_class" not in cls.__dict__:
            fields = {name: f.field for name, f in cls.base_filters.items()}
            cls._cached_form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
        return cls._cached_form_class

    def get_form_class(self):
        return self._form_class()

    # `source IN (...)` through a method: MultipleChoiceFilter's own filter() ORs one Q per value
    # and adds DISTINCT, which at a million rows turns a 1 ms index scan into a 100 ms sort.
    source = django_filters.MultipleChoiceFilter(
        choices=[(s.value, s.label) for s in SOURCE_ORDER],
        widget=forms.CheckboxSelectMultiple,
        label="Source",
        method="filter_source",
    )
    since = InstantFilter(field_name="opted_out_at", lookup_expr="gte")
    until = InstantFilter(field_name="opted_out_at", lookup_expr="lt")
    period = django_filters.ChoiceFilter(
        choices=[*PERIODS, (CUSTOM, "Custom range")],
        method="filter_period",
        label="Time frame",
        empty_label=None,
    )
    date_from = DayFilter(
        method="filter_date_from",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = DayFilter(
        method="filter_date_to",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    phone_prefix = PhonePrefixFilter(
        method="filter_phone",
        label="Phone number",
        help_text="A whole number, its first 3 digits or more, or its last 4 or more (1651); "
        "start with + for the country code.",
    )

    class Meta:
        model = OptOut
        fields = ["source", "since", "until", "period", "date_from", "date_to", "phone_prefix"]
        form = OptOutFilterForm

    def filter_phone(self, queryset, name, search):
        if not self.phone_search:
            return queryset.filter(phone_number__startswith=search.exact or search.prefix)
        if search.exact:
            return queryset.filter(phone_number=search.exact)
        condition = Q(phone_number__startswith=search.prefix)
        if search.suffix:
            # An expression index on reverse(phone_number) serves this on PostgreSQL.
            queryset = queryset.annotate(number_reversed=Reverse("phone_number"))
            condition |= Q(number_reversed__startswith=search.suffix[::-1])
        return queryset.filter(condition)

    def phone_search_complement(self) -> QuerySet[OptOut] | None:
        """The rows the other filters select that the phone search does NOT match, written as
        ranges of the phone_number index (`< '+1415'`, `>= '+1416'`) so that counting them stops
        early; None without a prefix search (a whole number matches one row at most).

        The report's summary reads the daily roll-up minus these rows when a prefix matches
        nearly every number (optouts.selectors.ReportAggregates).
        """
        search = self.form.cleaned_data.get("phone_prefix") if self.form.is_valid() else None
        if not search or search.exact:
            return None
        data = self.data.copy()
        data.pop("phone_prefix", None)
        others = type(self)(data, queryset=self.queryset, phone_search=self.phone_search)
        if not others.is_valid():
            return None
        outside = Q(phone_number__lt=search.prefix)
        end = _prefix_end(search.prefix)
        if end is not None:
            outside |= Q(phone_number__gte=end)
        rows = others.qs.filter(outside)
        if self.phone_search and search.suffix:
            rows = rows.annotate(number_reversed=Reverse("phone_number")).exclude(
                number_reversed__startswith=search.suffix[::-1]
            )
        return rows

    def phone_search_described(self) -> str:
        """The kind of phone match the page ran, in words ("" without one)."""
        search = self.form.cleaned_data.get("phone_prefix") if self.form.is_valid() else None
        return search.describe() if search and self.phone_search else ""

    def filter_source(self, queryset, name, value):
        return queryset.filter(source__in=value) if value else queryset

    def filter_period(self, queryset, name, value):
        if value in (CUSTOM, ALL_TIME):
            return queryset  # the custom range is applied by date_from / date_to
        start, end = period_days(value)
        return queryset.filter(opted_out_at__gte=day_start(start), opted_out_at__lt=day_start(end))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(opted_out_at__gte=day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(opted_out_at__lt=day_start(value + timedelta(days=1)))

    def time_frame(self) -> tuple[date | None, date | None]:
        """(first day, day after the last) the valid filters select; None ends are open."""
        data = self.form.cleaned_data
        period = data.get("period")
        if period and period not in (CUSTOM, ALL_TIME):
            return period_days(period)
        date_from, date_to = data.get("date_from"), data.get("date_to")
        return date_from, (date_to + timedelta(days=1)) if date_to else None
