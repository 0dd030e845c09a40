"""Consent stands alone: without the leads app the project migrates, passes its checks and
keeps consent per number through the consent services (docs/decisions.md). Run in a child
process with tests/settings_without_leads.py on a SQLite file of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json

import django

django.setup()
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command

call_command("migrate", verbosity=0)
call_command("check", verbosity=0)

from optouts.lead_directory import LeadRef, lead_change_url, lead_ref
from optouts.messaging.services import SendRefused, message_send
from optouts.models import Channel, ConsentEvent
from optouts.selectors import phone_status
from optouts.services import (
    phone_opt_in_by_contact,
    phone_opt_out_by_contact,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)

alice = User.objects.create(username="alice", is_staff=True)
alice.groups.add(Group.objects.get(name="Admins"))
bob = User.objects.create(username="bob", is_staff=True)
bob.groups.add(Group.objects.get(name="Agents"))
outcomes = []
(r,) = phones_opt_out_by_staff(
    numbers=["(415) 555-0100"], user=bob, channel=Channel.UI, lead=LeadRef(7, "Dana Smith")
)
outcomes.append(r.outcome)
(r,) = phones_opt_in_by_admin(
    numbers=["+14155550100"], user=alice, channel=Channel.UI, note="asked by phone"
)
outcomes.append(r.outcome)
outcomes.append(phone_opt_out_by_contact(number="+14155550101").outcome)
try:
    message_send(to="+14155550101", body="Hello", sender=bob)
except SendRefused as refused:
    outcomes.append(refused.message.reason_code)
outcomes.append(phone_opt_in_by_contact(number="+14155550101").outcome)
print(json.dumps({
    "leads_installed": apps.is_installed("leads"),
    "outcomes": [str(o) for o in outcomes],
    "on_list": phone_status(number="+14155550100").optout is not None,
    "events": [
        [e.action, e.lead_id, e.lead_label]
        for e in ConsentEvent.objects.order_by("id")
    ],
    "group_apps": sorted(
        {p.content_type.app_label for g in Group.objects.all() for p in g.permissions.all()}
    ),
    "lead_ref": lead_ref(7) == LeadRef(7, ""),
    "lead_url": lead_change_url(7),
}))
"""


def test_without_the_leads_app_consent_migrates_checks_and_works(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_without_leads",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'alone.sqlite3'}",
        "TASKS_BACKEND": "immediate",
    }
    env.pop("DATABASE_OWNER_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["leads_installed"] is False
    assert seen["outcomes"] == [
        "opted_out",
        "opted_in",
        "opted_out",
        "recipient_opted_out",
        "opted_in",
    ]
    assert seen["on_list"] is False
    assert seen["events"][:2] == [["opt_out", 7, "Dana Smith"], ["opt_in", None, ""]]
    assert seen["group_apps"] == ["optouts"]
    assert (seen["lead_ref"], seen["lead_url"]) == (True, None)
