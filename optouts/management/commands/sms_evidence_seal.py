"""python manage.py sms_evidence_seal [--limit N]

Writes the missing evidence-chain hash of consent events written without one: by processes
still running the release before migration optouts 0006 while it was deployed, or by raw bulk
loads (benchmarks). Only an empty hash is ever set (the database refuses anything else), so
running it again, or on a database with nothing to seal, changes nothing. Run it once after a
deploy that brought migration 0006, when the old processes are gone.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from optouts.services import consent_events_seal


class Command(BaseCommand):
    help = "Seal consent events that have no evidence-chain hash yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=100_000, help="at most this many numbers (default 100,000)"
        )

    def handle(self, *args, limit=100_000, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        sealed = consent_events_seal(limit=limit)
        self.stdout.write(f"Sealed {sealed:,} event{'s' if sealed != 1 else ''}.")
