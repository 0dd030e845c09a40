"""Admin lists: changelists that answer any query string, and cells that keep numbers and times
on one line (phone_cell, phones_cell, time_cell, at the end).

Changelists that answer any query string: a value a filter cannot use is Django's "invalid
lookup" (a redirect to `?e=1`), never a 500.

Django's own ChangeList lets two kinds of value through to a crash:
- a date hierarchy past the calendar (`created_at__year=9999` steps to the year 10000, and a
  year of 30 digits overflows `datetime`): OverflowError / ValueError while building filters;
- an integer past 64 bits in a foreign-key filter (`assigned_agent=10**30`): SQLite's driver
  raises OverflowError when the page's COUNT runs.
Both become IncorrectLookupParameters, which the changelist view already answers cleanly.
(NUL characters, which PostgreSQL refuses in any text, are turned away for every page by
velocify_sms.request_guard.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from velocify_sms.dates import datetime_display
from velocify_sms.phones import phone_display


class InputSafeChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_results(self, request):
        try:
            return super().get_results(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc


class InputSafeChangeListMixin:
    """For a ModelAdmin: its list page takes any query string without a 500."""

    def get_changelist(self, request, **kwargs):
        return InputSafeChangeList


# --- Cells of numbers and times ----------------------------------------------------------------
# A number or a time breaks across lines at its spaces ("(303) 555-" / "1391") when a column is
# squeezed; in the admin's `nowrap` span it stays one unit (optouts/static/optouts/
# admin_tables.css lets the long text around it break instead).


def phone_cell(number: str, *, empty: str = "-") -> SafeString | str:
    """A stored E.164 number as every page shows it (phone_display), kept on one line."""
    if not number:
        return empty
    return format_html('<span class="nowrap">{}</span>', phone_display(number))


def phones_cell(numbers: Iterable[str], *, empty: str = "-") -> SafeString | str:
    """Several numbers, `(415) 555-2671, (415) 555-0199`: each on one line, the list may wrap."""
    cells = [phone_cell(number) for number in numbers if number]
    if not cells:
        return empty
    return format_html_join(", ", "{}", ((cell,) for cell in cells))


def time_cell(value: datetime | date | None, *, empty: str = "-") -> SafeString | str:
    """A date or time as every page shows it (datetime_display), kept on one line."""
    if value is None:
        return empty
    return format_html('<span class="nowrap">{}</span>', datetime_display(value))
