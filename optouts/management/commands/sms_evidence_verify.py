"""python manage.py sms_evidence_verify NUMBER | --all [--limit N]

Recomputes the evidence chain of a number's consent events (optouts/chain.py) and compares it
with the hashes stored when they were written. Prints `OK <number>: N events, head <hash>`, or
where the chain breaks (the first event id whose stored hash no longer matches, and every other
broken event) and exits with status 1. Reads only; never writes.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from optouts.chain import REASON_SENTENCES
from optouts.selectors_evidence import (
    VERIFY_ALL_DEFAULT_LIMIT,
    chains_verify_all,
    phone_chain_verification,
)
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

# Broken events listed one per line for a number, broken numbers for --all; the rest counted.
SHOW = 50


class Command(BaseCommand):
    help = "Verify the evidence chain of a phone number's consent events (or of every number)."

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", help="a phone number, in any form")
        parser.add_argument("--all", action="store_true", help="verify every number's chain")
        parser.add_argument(
            "--limit",
            type=int,
            default=VERIFY_ALL_DEFAULT_LIMIT,
            help=f"with --all, at most this many numbers (default {VERIFY_ALL_DEFAULT_LIMIT:,})",
        )

    def handle(self, *args, number=None, all=False, limit=VERIFY_ALL_DEFAULT_LIMIT, **options):
        if bool(number) == bool(all):
            raise CommandError("Give one phone number, or --all.", returncode=2)
        if all:
            return self._all(limit)
        try:
            e164 = phone_normalize(number)
        except InvalidPhoneNumber as exc:
            raise CommandError(str(exc), returncode=2) from None
        verdict = phone_chain_verification(number=e164)
        if verdict.ok:
            self.stdout.write(verdict.summary())
            return
        self.stdout.write(verdict.summary())
        for check in verdict.broken[:SHOW]:
            self.stdout.write(f"  event id {check.id}: {REASON_SENTENCES[check.reason]}")
        if len(verdict.broken) > SHOW:
            self.stdout.write(f"  ... and {len(verdict.broken) - SHOW} more")
        first = verdict.first_broken
        raise CommandError(f"The evidence chain of {e164} breaks at event id {first.id}.")

    def _all(self, limit: int) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.", returncode=2)
        survey = chains_verify_all(limit=limit)
        scope = f"{survey.numbers:,} numbers, {survey.events:,} events"
        if survey.truncated:
            scope += f" (the first {limit:,} numbers only: raise --limit to check more)"
        if not survey.broken:
            self.stdout.write(f"OK: every chain verifies ({scope}).")
            return
        for verdict in survey.broken[:SHOW]:
            self.stdout.write(verdict.summary())
        if len(survey.broken) > SHOW:
            self.stdout.write(f"... and {len(survey.broken) - SHOW} more broken numbers")
        raise CommandError(f"{len(survey.broken):,} broken chains among {scope}.")
