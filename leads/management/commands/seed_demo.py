"""Demo data: an admin and an agent login, ~50 leads, opt-outs of every source with their events.

Idempotent: users and leads are keyed (username, external_id `demo-NNN`), and opt-outs go through
the services, which do nothing to a number already out with an equal or stronger source.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from leads.models import Lead
from leads.services import lead_upsert
from optouts.models import Channel, Source
from optouts.services import phone_opt_out

DEMO_USERS = [
    # username, password, group, superuser
    ("admin", "admin-demo-pass", "Admins", True),
    ("agent", "agent-demo-pass", "Agents", False),
]

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon"]
LAST = ["Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Lee", "Moreau", "Silva"]
AREAS = ["415", "212", "312", "617", "206", "512", "303", "404"]
KINDS = ["mobile", "home", "work"]


class Command(BaseCommand):
    help = "Create demo logins and leads (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=50)

    def handle(self, *args, leads: int, **options):
        rng = random.Random(2302)  # the same demo every time, so a rerun finds its own rows
        with transaction.atomic():
            users = self._users()
            numbers = self._leads(rng, leads, users["agent"])
            self._opt_outs(numbers, users)
        for username, password, group, _ in DEMO_USERS:
            self.stdout.write(f"login {username} / {password} ({group})")
        self.stdout.write(self.style.SUCCESS(f"{Lead.objects.count()} leads in the database."))

    def _users(self):
        User = get_user_model()
        users = {}
        for username, password, group_name, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": True,
                    "is_superuser": superuser,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get(name=group_name))
            users[username] = user
        return users

    def _leads(self, rng, count, agent):
        numbers = []
        for i in range(1, count + 1):
            phones = []
            for _ in range(rng.randint(1, 3)):
                number = f"+1{rng.choice(AREAS)}555{rng.randint(0, 9999):04d}"
                phones.append({"number": number, "kind": rng.choice(KINDS)})
            first, last = rng.choice(FIRST), rng.choice(LAST)
            result = lead_upsert(
                external_id=f"demo-{i:03d}",
                first_name=first,
                last_name=last,
                email=f"{first}.{last}{i}@example.com".lower(),
                company=rng.choice(["", "Acme Mortgage", "Blue Sky Homes", "Northwind"]),
                assigned_agent=agent,
                phones=phones,
            )
            numbers.append((result.lead, [p["number"] for p in phones]))
        return numbers

    def _opt_outs(self, numbers, users):
        plan = [
            (Source.AGENT, Channel.UI, users["agent"]),
            (Source.CONTACT, Channel.KEYWORD, None),
            (Source.SYSTEM, Channel.CARRIER, None),
        ]
        for index, (lead, phones) in enumerate(numbers[:15]):
            source, channel, actor = plan[index % 3]
            details = {"keyword": "STOP"} if source == Source.CONTACT else {}
            if source == Source.SYSTEM:
                details = {"error_code": "21610"}
            phone_opt_out(
                number=phones[0],
                source=source,
                channel=channel,
                actor=actor,
                lead=lead,
                note="demo data",
                details=details,
            )
