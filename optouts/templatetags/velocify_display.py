"""`{% load velocify_display %}`: how pages show numbers, times and SMS status, as filters.

`{{ number|phone_display }}`, `{{ value|datetime_display }}`, `{{ opted_out|sms_status }}`,
`{% time_zone_label %}` and `{% site_time_zone %}`: the template side of
velocify_sms.phones.phone_display, velocify_sms.dates and optouts.display. The library lives in
optouts, the lowest installed app with templates, so the lead pages and the opt-out report can
both load it (velocify_sms itself is not an installed app).
"""

from __future__ import annotations

from django import template
from django.conf import settings

from optouts.display import sms_status_html
from velocify_sms.dates import datetime_display as _datetime_display
from velocify_sms.dates import time_zone_label as _time_zone_label
from velocify_sms.phones import phone_display as _phone_display

register = template.Library()


@register.filter
def phone_display(number) -> str:
    """A stored E.164 number: national format in the site's region, E.164 otherwise."""
    if not number:
        return ""
    return _phone_display(str(number))


@register.filter
def datetime_display(value) -> str:
    """`2026-12-02 14:05` in the reader's time zone."""
    return _datetime_display(value)


@register.simple_tag
def time_zone_label() -> str:
    """The zone every displayed time is in, in plain words (`Pacific time`), to say so once."""
    return _time_zone_label()


@register.simple_tag
def site_time_zone() -> str:
    """The site's zone in plain words (settings.TIME_ZONE): the opt-out report's days."""
    return _time_zone_label(settings.TIME_ZONE)


@register.filter
def sms_status(opted_out) -> str:
    """`Opted out` (red) or `Textable` (green), from a number's sms_opted_out."""
    return sms_status_html(opted_out=bool(opted_out))
