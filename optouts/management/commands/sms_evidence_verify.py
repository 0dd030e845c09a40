"""python manage.py sms_evidence_verify NUMBER | --all [--limit N] [--anchors PATH | --no-anchors]
[--public-key KEY ...]

Checks, reading only (docs/compliance.md, "Checking it"):
- each number's evidence chain: recomputed from its events and compared with the stored hashes;
- its opt-out list row against its events, replayed (a row without the events that put it there,
  a missing row for a number whose last list event is an opt-out, a source that disagrees);
- against the latest signed anchor: the anchors' signatures and their own chain, then whether
  each number's chain still passes through the head the anchor signed for it (a rewrite with
  recomputed hashes, deleted newest events, a deleted history). Events newer than the anchor read
  NOT YET ANCHORED, never OK.

The anchors are those of the settings (SMS_EVIDENCE_ANCHOR_STORAGE / _DIR), or the directory
`--anchors PATH` (copies kept away from this server): a verifier from outside needs only that
and the published public key (`--public-key`, hex, PEM or a file; default: the signing key's).
Exit 1 when anything is wrong, 2 for a bad argument.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from optouts.evidence.anchors import AnchorInvalid, AnchorKeyError, trusted_public_keys
from optouts.evidence.chain import REASON_SENTENCES
from optouts.evidence.selectors import AnchorRef, Survey, evidence_survey, phone_evidence_check
from optouts.evidence.store import anchor_store, anchors_check
from velocify_sms.phones import InvalidPhoneNumber, phone_normalize

# Broken events listed one per line for a number, numbers with problems for --all.
SHOW = 50


class Command(BaseCommand):
    help = "Verify consent histories: chains, list rows, and the latest signed anchor."

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", help="a phone number, in any form")
        parser.add_argument("--all", action="store_true", help="verify every number")
        parser.add_argument(
            "--limit", type=int, default=0, help="with --all, at most this many numbers"
        )
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--anchors", metavar="PATH", help="a directory of anchor copies")
        where.add_argument(
            "--no-anchors", action="store_true", help="check chains and list rows only"
        )
        parser.add_argument(
            "--public-key",
            action="append",
            metavar="KEY",
            help="a trusted public key (hex, PEM or a file); repeat for older keys",
        )

    def handle(self, *args, number=None, all=False, limit=0, **options):
        if bool(number) == bool(all):
            raise CommandError("Give one phone number, or --all.", returncode=2)
        if limit < 0:
            raise CommandError("--limit must be 0 (every number) or more.", returncode=2)
        anchor, anchors_ok = self._anchor(options)
        try:
            if all:
                return self._all(limit or None, anchor, anchors_ok)
            return self._one(number, anchor, anchors_ok)
        except AnchorInvalid as exc:
            # An anchor that checks out but whose leaves cannot be read (or are not leaves).
            self.stdout.write(f"ANCHORS: {exc}")
            raise CommandError("The anchors do not check out.") from None

    def _one(self, number: str, anchor: AnchorRef | None, anchors_ok: bool) -> None:
        try:
            e164 = phone_normalize(number)
        except InvalidPhoneNumber as exc:
            raise CommandError(str(exc), returncode=2) from None
        report = phone_evidence_check(number=e164, anchor=anchor)
        for line in report.lines():
            self.stdout.write(line)
        for check in report.chain.broken[:SHOW]:
            self.stdout.write(f"  event id {check.id}: {REASON_SENTENCES[check.reason]}")
        if len(report.chain.broken) > SHOW:
            self.stdout.write(f"  ... and {len(report.chain.broken) - SHOW} more")
        if anchor is None:
            self.stdout.write("(Not checked against a signed anchor.)")
        first = report.chain.first_broken
        if first is not None:
            raise CommandError(f"The evidence chain of {e164} breaks at event id {first.id}.")
        if report.problem:
            raise CommandError(f"The consent history of {e164} is not what was written.")
        if not anchors_ok:
            raise CommandError("The anchors do not check out.")

    def _anchor(self, options) -> tuple[AnchorRef | None, bool]:
        """The latest anchor that checks out (None without one) and whether all of them do."""
        if options.get("no_anchors"):
            return None, True
        path = options.get("anchors")
        store = anchor_store(path=path)
        if not path and not store.sequences():
            return None, True  # none written yet here: said below each verdict
        try:
            keys = trusted_public_keys(options.get("public_key"))
        except AnchorKeyError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if not keys:
            raise CommandError(
                "No public key to check anchors with: pass --public-key, set the signing key, "
                "or --no-anchors.",
                returncode=2,
            )
        chain = anchors_check(store=store, keys=keys)
        for problem in chain.problems:
            self.stdout.write(f"ANCHORS {store.where}: {problem}")
        if chain.latest is None:
            if path or chain.problems:
                self.stdout.write(f"ANCHORS {store.where}: no anchor that checks out.")
                return None, False
            return None, True
        return AnchorRef(chain.latest, store.leaves(chain.latest)), chain.ok

    def _all(self, limit: int | None, anchor: AnchorRef | None, anchors_ok: bool) -> None:
        survey = evidence_survey(anchor=anchor, limit=limit)
        scope = f"{survey.numbers:,} numbers, {survey.events:,} events"
        if survey.truncated:
            scope += f" (the first {limit:,} numbers only: raise --limit to check more)"
        for report in survey.problems[:SHOW]:
            for line in report.lines():
                self.stdout.write(line)
        if survey.problem_count > SHOW:
            self.stdout.write(f"... and {survey.problem_count - SHOW:,} more numbers with problems")
        if not survey.ok:
            raise CommandError(f"{survey.problem_count:,} numbers with problems among {scope}.")
        self.stdout.write(self._summary(survey, anchor, scope))
        if not anchors_ok:
            raise CommandError("The anchors do not check out.")

    @staticmethod
    def _summary(survey: Survey, anchor: AnchorRef | None, scope: str) -> str:
        if anchor is None:
            return (
                f"OK: every chain verifies and every list row matches its events ({scope}); "
                "not checked against a signed anchor."
            )
        if survey.pending_numbers:
            return (
                f"NOT YET ANCHORED: {survey.pending_numbers:,} numbers have "
                f"{survey.pending_events:,} events newer than {anchor.label}; the other "
                f"{survey.anchored:,} numbers match it ({scope})."
            )
        return f"OK: every chain verifies and matches {anchor.label} ({scope})."
