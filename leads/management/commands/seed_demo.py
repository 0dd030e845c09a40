"""Demo data: an admin and an agent login, ~50 leads, opt-outs of every source with their events.

`make run` runs it on every start, so it never touches what is already there:
- the demo users are created when missing; an existing `admin` or `agent` keeps its password,
  groups and flags (someone may have changed them on purpose);
- the demo leads are added only to a database without any lead, in one batch of the lead writer
  (leads.services.writer); once there are leads, a rerun says so and changes nothing, so edited
  or deleted demo leads stay as they were left;
- the demo opt-outs go through the consent services, and only for numbers with no consent history
  at all (not on the list, no event): a number someone opted in is never opted out again.

Scale: `--leads 1000000 --optouts 1000000` adds bulk rows for benchmarks and demos,
written with COPY on PostgreSQL (bulk_create elsewhere); see leads/management/bulk_seed.py.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from leads.management.progress import ProgressBars, progress_wanted
from leads.models import Lead
from leads.services import LeadRow, leads_write
from optouts.models import Channel, ConsentEvent, OptOut
from optouts.services import (
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
    phones_opt_out_by_staff,
)

DEMO_USERS = [
    # username, password, group, superuser
    ("admin", "admin-demo-pass", "Admins", True),
    ("agent", "agent-demo-pass", "Agents", False),
]

# The demo passwords are public (README.md), so their hashes are kept ready-made instead of derived
# at every fresh start: PBKDF2 takes about a second of CPU per password, a tenth of a fresh clone's
# `make run` after the install. Used only while the default hasher would make the same kind of
# hash (else set_password); a login upgrades it if the iterations change (Django's must_update).
DEMO_PASSWORD_HASHES = {
    "admin-demo-pass": "pbkdf2_sha256$1000000$PKQqupIZPQWp4Sg8rRhGi9$"
    "wA5q/YEoHpcifkr/dO57y6Z2kxIiowefCp2bu/MqXoA=",
    "agent-demo-pass": "pbkdf2_sha256$1000000$d5Ahu0XQkpoHroGqAg75pd$"
    "gmKPaJHaBNUNXwXl/2OtGLho2rH0Pm5lrjGVf3mxDJM=",
}


def demo_password_hash(password: str) -> str:
    ready = DEMO_PASSWORD_HASHES.get(password)
    hasher = get_hasher("default")
    if ready and ready.startswith(f"{hasher.algorithm}$") and not hasher.must_update(ready):
        return ready
    return make_password(password)


FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon"]
LAST = ["Garcia", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Lee", "Moreau", "Silva"]
AREAS = ["415", "212", "312", "617", "206", "512", "303", "404"]
KINDS = ["mobile", "home", "work"]
BULK_THRESHOLD = 1000  # --leads up to this many are all demo leads made through the services


class Command(BaseCommand):
    help = (
        "Create demo logins, and demo leads in a database without leads (safe to run again: "
        "it never changes existing rows or a number's consent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--leads",
            type=int,
            default=50,
            help=f"leads in total; above {BULK_THRESHOLD} the first 50 are demo leads made "
            "through the services and the rest bulk leads `bulk-NNNNNNNN` (COPY)",
        )
        parser.add_argument(
            "--optouts",
            type=int,
            default=0,
            help="bulk opt-out list entries, each with its consent event (first the bulk "
            "leads' numbers, then numbers of no lead)",
        )
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="run `migrate --noinput` first, in the same process (`make run`: one start of "
            "Django instead of two)",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bars (there are none anyway when the output is not a terminal)",
        )

    def handle(self, *args, leads: int, optouts: int, **options):
        from leads.management.bulk_seed import bulk_leads_ensure, bulk_optouts_ensure

        if leads < 0 or optouts < 0:
            raise CommandError("--leads and --optouts must be 0 or more.")
        if options.get("migrate"):
            call_command(
                "migrate",
                interactive=False,
                verbosity=options.get("verbosity", 1),
                stdout=self.stdout._out,
                stderr=self.stderr._out,
            )
        demo_leads = leads if leads <= BULK_THRESHOLD else 50
        self._no_progress = options.get("no_progress", False)
        rng = random.Random(2302)  # the same demo every time, so a rerun finds its own rows
        with transaction.atomic():
            users, created_users = self._users()
            if created_users:
                self.stdout.write(f"Demo users created: {', '.join(sorted(created_users))}.")
            if Lead.objects.exists():
                if Lead.objects.filter(external_id__startswith="demo-").exists():
                    said = "Demo data already present"
                else:
                    said = "The database already has leads (demo leads go only into an empty one)"
                self.stdout.write(
                    f"{said}; leads and opt-outs left as they are."
                    if created_users
                    else f"{said}; nothing changed."
                )
            elif demo_leads:
                numbers = self._leads(rng, demo_leads, users["agent"])
                opted_out = self._opt_outs(numbers, users)
                self.stdout.write(
                    f"{len(numbers)} demo leads added, {opted_out} of their numbers opted out."
                )
        if leads > demo_leads:
            made = bulk_leads_ensure(
                count=leads - demo_leads, agent=users["agent"], progress=self._progress
            )
            self.stdout.write(f"{made} bulk leads added.")
        if optouts:
            made = bulk_optouts_ensure(count=optouts, actor=users["agent"], progress=self._progress)
            self.stdout.write(f"{made} bulk opt-outs added (with their events).")
        for username, password, group, _ in DEMO_USERS:
            if username in created_users:
                self.stdout.write(f"login {username} / {password} ({group})")
            else:
                self.stdout.write(f"login {username}: existing user, password unchanged")
        self.stdout.write(self.style.SUCCESS(f"{Lead.objects.count()} leads in the database."))

    def _progress(self, what: str, done: int, total: int) -> None:
        # A bar per bulk step on a terminal (leads/management/progress.py); quiet otherwise.
        if not hasattr(self, "_bars"):
            self._bars = ProgressBars(
                stream=self.stderr,
                enabled=progress_wanted(stream=self.stderr, no_progress=self._no_progress),
            )
        self._bars.update(f"bulk {what}", done, total)

    def _users(self) -> tuple[dict, set[str]]:
        """The demo users by name, and the names created now (existing ones are left alone)."""
        User = get_user_model()
        users, created_now = {}, set()
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
                user.password = demo_password_hash(password)
                user.save()
                user.groups.add(Group.objects.get(name=group_name))
                created_now.add(username)
            users[username] = user
        return users, created_now

    def _leads(self, rng, count, agent) -> list[tuple[Lead, list[str]]]:
        """`count` demo leads in one batch of the lead writer; (lead, its numbers) per lead."""
        rows = []
        for i in range(1, count + 1):
            phones: dict[str, str] = {}
            for _ in range(rng.randint(1, 3)):
                number = f"+1{rng.choice(AREAS)}555{rng.randint(0, 9999):04d}"
                phones.setdefault(number, rng.choice(KINDS))
            first, last = rng.choice(FIRST), rng.choice(LAST)
            fields = {
                "external_id": f"demo-{i:03d}",
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{i}@example.com".lower(),
                "company": rng.choice(["", "Acme Mortgage", "Blue Sky Homes", "Northwind"]),
                "assigned_agent": agent,
            }
            rows.append(LeadRow(fields=fields, phones=list(phones.items())))
        result = leads_write(rows=rows, actor=None, channel=Channel.UI, validate=True)
        leads = Lead.objects.in_bulk(result.lead_ids)
        return [
            (leads[lead_id], [number for number, _ in row.phones])
            for row, lead_id in zip(rows, result.lead_ids, strict=True)
        ]

    def _opt_outs(self, numbers, users) -> int:
        """One of each way onto the list, in turn, through the services that real requests use;
        a number with any consent history is left as it is. Returns how many were opted out."""
        firsts = [phones[0] for _, phones in numbers[:15]]
        with_history = {
            *ConsentEvent.objects.filter(phone_number__in=firsts).values_list(
                "phone_number", flat=True
            ),
            *OptOut.objects.filter(phone_number__in=firsts).values_list("phone_number", flat=True),
        }
        done = 0
        for index, (lead, phones) in enumerate(numbers[:15]):
            number = phones[0]
            if number in with_history:
                continue
            kind = index % 3
            if kind == 0:
                phones_opt_out_by_staff(
                    numbers=[number],
                    user=users["agent"],
                    channel=Channel.UI,
                    lead=lead.ref,
                    note="demo data",
                )
            elif kind == 1:
                phone_opt_out_by_contact(number=number, details={"text": "STOP", "demo": True})
            else:
                phone_opt_out_by_carrier(
                    number=number, lead=lead.ref, details={"error_code": "21610", "demo": True}
                )
            done += 1
        return done
