"""The words every page uses for a number's or a lead's place on the opt-out list.

Issue 14 item 3: a check mark under "SMS Opt-Out" read as "may text", and "Opted in" was said of
numbers that never gave consent. Pages say "Opted out" (red) or "Textable" (green), in words,
the colour only repeating them (optouts/static/optouts/sms_status.css). CSV exports keep their
"SMS Opt-Out" column with Yes/No, which the lead import reads back.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from optouts.models import Source
from optouts.models import source_label as _model_source_label

OPTED_OUT = "Opted out"
TEXTABLE = "Textable"
NO_PHONE = "No phone"

# One order for the sources wherever a page or an export lists them (the report's checkboxes,
# counts, chart legend and stack): the model's own, Agent, System, Contact, which is also their
# strength, weakest first. Issue 14 item 6 found three different orders on one page.
SOURCE_ORDER: tuple[Source, ...] = tuple(Source)


def source_label(*, source: str, reason: str = "") -> str:
    """The word for a source on pages and in CSV exports: `Agent`, `System`, `Contact`.

    The one place the report's Source cell and its export column are written, so that anything
    said next to the source (a System opt-out's reason) is added once for both.
    """
    return _model_source_label(source=source, reason=reason)


# The stylesheet that colours them; admin pages add it to their Media or extrastyle.
SMS_STATUS_CSS = "optouts/sms_status.css"


def sms_status_html(
    *, opted_out: bool, has_phone: bool = True, source_label: str = ""
) -> SafeString:
    """`Opted out` / `Textable` (or `No phone` for a lead without one) with its colour class;
    `source_label` is added after an opt-out: `Opted out (Contact)`."""
    if opted_out:
        word = f"{OPTED_OUT} ({source_label})" if source_label else OPTED_OUT
        css = "sms-status-opted-out"
    elif has_phone:
        word, css = TEXTABLE, "sms-status-textable"
    else:
        word, css = NO_PHONE, "sms-status-no-phone"
    return format_html('<span class="sms-status {}">{}</span>', css, word)
