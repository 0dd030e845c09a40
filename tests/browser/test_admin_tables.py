"""Every admin list at 1280 pixels, with long rows: no number or time broken across lines, no
button pushed out of sight. Real chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from leads.imports.models import ImportJob
from optouts.messaging.models import (
    OutboundMessage,
    OutboxEntry,
    StatusCallbackEvent,
    UnreachableHold,
)
from optouts.messaging.services import inbound_message_receive
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "please stop texting me about the refinance offer " * 4
UNBROKEN = "https://example.com/" + "x" * 120  # text without a place to break


def _seed_long_rows() -> None:
    now = timezone.now()
    for n in range(3):
        lead = LeadFactory(
            first_name="Maximiliana-Alexandrina",
            last_name=f"Oppenheimer-Vandenberghe {n}",
            company="Consolidated Intercontinental Mortgage Brokers",
        )
        for k in range(3):
            LeadPhoneFactory(lead=lead, number=f"+130355513{n}{k}")
        given_opt_out(number=f"+130355513{n}0", note=LONG)
        inbound_message_receive(
            message_sid=f"SMlong{n}", from_number=f"+130355513{n}1", body=f"{LONG} {UNBROKEN}"
        )
        message = OutboundMessage.objects.create(
            to_number=f"+140455568{n}2",
            body=LONG,
            lead_id=lead.pk,
            lead_label=str(lead),
            status=OutboundMessage.Status.REFUSED,
            reason_code="frequency_cap",
            reason=LONG,
            error_code="30007",
            created_at=now,
            status_changed_at=now,
        )
        OutboxEntry.objects.create(
            message=message, to_number=message.to_number, body=LONG, handed_off_at=now
        )
        StatusCallbackEvent.objects.create(
            message=message,
            message_sid=f"SM{'0' * 30}{n}",
            to_number=message.to_number,
            provider_status="undelivered",
            error_code="30003",
            action="unreachable_hold",
            outcome="held",
            received_at=now,
        )
        UnreachableHold.objects.create(
            phone_number=f"+161755501{n}3",
            held_at=now,
            retry_after=now + timedelta(days=7),
            failures=[{"message_sid": "SM1", "error_code": "30003", "at": now.isoformat()}],
        )
        ImportJob.objects.create(original_name=f"{UNBROKEN}.csv", file_format="csv")
        ImportJob.objects.create(
            original_name=f"{UNBROKEN}-done.xlsx",
            file_format="xlsx",
            status=ImportJob.Status.SUCCEEDED,
            total_rows=1_234_567,
            rows_done=1_234_567,
            created_count=1_000_000,
            updated_count=200_000,
            skipped_count=20_000,
            opted_out_count=14_000,
            rejected_count=567,
        )


def _changelists(user) -> list[str]:
    """The list page of every model the admin index shows to `user`."""
    request = RequestFactory().get("/admin/")
    request.user = user
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_module_permission(request) and model_admin.get_model_perms(request)
    ]


# Numbers and times as pages show them: (303) 555-1391, +442079460958, 2026-12-07 03:56.
_CHECK = """() => {
  const table = document.querySelector('#result_list');
  if (!table) return null;
  const pattern =
    /\\(\\d{3}\\) \\d{3}-\\d{4}|\\+\\d{8,15}|\\d{4}-\\d{2}-\\d{2}(?: \\d{2}:\\d{2})?/g;
  const numbers = [], wrapped = [];
  const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.data.matchAll(pattern)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      numbers.push(match[0]);
      if (rects.length !== 1) wrapped.push(match[0]);
    }
  }
  const hidden = [];
  const buttons = document.querySelectorAll(
    '#result_list a.button, #result_list td:last-child a, #result_list button, ' +
    '#result_list input[type=submit], ' +
    '#changelist-form .actions button, #result_list thead th');
  for (const button of buttons) {
    // Scroll the window only: scrollIntoView would also scroll the table's own box and hide
    // the very clipping this looks for.
    const top = button.getBoundingClientRect().top + window.scrollY;
    window.scrollTo(0, Math.max(0, top - window.innerHeight / 2));
    const box = button.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const hit = document.elementFromPoint(x, y);
    const label = (button.textContent || button.value || '').trim() || button.className;
    if (box.left < 0 || box.right > window.innerWidth || !hit || !button.contains(hit)) {
      hidden.push(label);
    }
  }
  window.scrollTo(0, 0);
  return {numbers, wrapped, hidden, buttons: buttons.length};
}"""


def test_every_admin_list_keeps_numbers_whole_and_buttons_in_sight_at_1280(
    page, login, live_server, superuser, screenshot
):
    _seed_long_rows()
    lists = _changelists(superuser)
    assert "/admin/optouts/possibleoptout/" in lists and len(lists) >= 10
    page.set_viewport_size({"width": 1280, "height": 900})
    login("root")
    problems, checked = {}, set()
    for url in lists:
        page.goto(f"{live_server.url}{url}")
        found = page.evaluate(_CHECK)
        if found is None:
            continue  # a list with no rows (the task queue's, say): nothing to squeeze
        checked.add(url)
        if found["wrapped"] or found["hidden"]:
            screenshot("admin-table" + url.replace("/", "-").rstrip("-"))
            problems[url] = {"wrapped": found["wrapped"], "hidden": found["hidden"]}
        if url == "/admin/optouts/possibleoptout/":
            assert "Dismiss" in page.locator("#result_list").inner_text()
            assert "(303) 555-1301" in found["numbers"]
    assert problems == {}
    seeded = {
        "/admin/leads/lead/",
        "/admin/leads/importjob/",
        "/admin/optouts/optout/",
        "/admin/optouts/consentevent/",
        "/admin/optouts/outboundmessage/",
        "/admin/optouts/outboxentry/",
        "/admin/optouts/inboundmessage/",
        "/admin/optouts/statuscallbackevent/",
        "/admin/optouts/possibleoptout/",
        "/admin/optouts/unreachablehold/",
    }
    assert seeded <= checked
