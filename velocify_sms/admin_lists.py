"""Changelists that answer any query string: a value a filter cannot use is Django's "invalid
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

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


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
