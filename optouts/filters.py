"""The opt-out report's FilterSet, shared by the admin report page and the API list.

Issue 4 grows this (time presets, custom range); it is the one place filters are defined.
"""

from __future__ import annotations

import django_filters
from django import forms

from optouts.models import OptOut, Source
from velocify_sms.phones import phone_prefix_to_e164


class OptOutFilter(django_filters.FilterSet):
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    since = django_filters.IsoDateTimeFilter(field_name="opted_out_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="opted_out_at", lookup_expr="lt")
    phone_prefix = django_filters.CharFilter(method="filter_phone_prefix")

    class Meta:
        model = OptOut
        fields = ["source", "since", "until", "phone_prefix"]

    def filter_phone_prefix(self, queryset, name, value):
        try:
            prefix = phone_prefix_to_e164(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return queryset.filter(phone_number__startswith=prefix)
