"""python manage.py sms_evidence_anchor [--every SECONDS] [--public-key]

Writes the next signed anchor (optouts/evidence/anchors.py): the Merkle root of every number's
chain head, the counts, the time and the previous anchor's hash, signed with the Ed25519 key of
SMS_EVIDENCE_SIGNING_KEY(_FILE), to SMS_EVIDENCE_ANCHOR_STORAGE or SMS_EVIDENCE_ANCHOR_DIR.
It first seals unsealed events, then checks every number against the latest anchor and refuses
(exit 1, nothing written) when a chain is broken or no longer holds what that anchor signed:
anchoring then would sign the rewrite. Opt-out list rows that disagree with their events are
reported (exit 1) but do not stop the anchor: it signs the events.

Once, or with --every, again and again until stopped (SIGTERM or Ctrl-C end it between runs).
The scheduler runs it once an hour beside the deadline sweep (SCHEDULER_JOBS "evidence-anchor",
SCHEDULE_EVIDENCE_ANCHOR_SECONDS), and `make run` starts the scheduler; --every is for running it
without one. A second anchorer at the same moment finds the sequence number taken and writes
nothing.
--public-key prints the public key to publish (hex and PEM) and exits.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from optouts.evidence.anchors import (
    AnchorInvalid,
    AnchorKeyError,
    key_id,
    public_key_hex,
    public_key_pem,
    signing_key_required,
)
from optouts.evidence.services import AnchorRefused, evidence_anchor_write
from optouts.evidence.store import AnchorExists, anchor_store

logger = logging.getLogger("optouts.evidence")
SHOW = 20


class Command(BaseCommand):
    help = "Write the next signed evidence anchor (every number's chain head, outside the DB)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            metavar="SECONDS",
            help="anchor again every SECONDS until stopped (default: once)",
        )
        parser.add_argument(
            "--public-key", action="store_true", help="print the public key to publish, and exit"
        )

    def handle(self, *args, every=0, public_key=False, **options):
        if every < 0:
            raise CommandError("--every takes a number of seconds (0: once).", returncode=2)
        try:
            key = signing_key_required().public_key()
        except AnchorKeyError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if public_key:
            public = public_key_hex(key)
            self.stdout.write(f"{public}  (key id {key_id(public)})\n{public_key_pem(key)}")
            return
        if not every:
            if not self._anchor():
                raise CommandError("No anchor written, or problems found: see above.")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write(f"Anchoring the evidence every {every} s to {anchor_store().where}.")
        try:
            while not stop.is_set():
                close_old_connections()
                self._anchor()
                stop.wait(every)
        except KeyboardInterrupt:
            pass

    def _anchor(self) -> bool:
        """One anchor; True when it was written and nothing is wrong."""
        try:
            written = evidence_anchor_write()
        except (AnchorRefused, AnchorExists, AnchorInvalid) as exc:
            logger.error("evidence anchor refused: %s", exc)
            self.stderr.write(f"REFUSED: {exc}")
            survey = getattr(exc, "survey", None)
            for report in (survey.problems if survey else [])[:SHOW]:
                for line in report.lines():
                    self.stderr.write(f"  {line}")
            return False
        payload, survey = written.payload, written.survey
        self.stdout.write(
            f"Anchor #{payload['sequence']} at {payload['created_at']}: {payload['numbers']:,} "
            f"numbers, {payload['events']:,} events, root {payload['merkle_root']} "
            f"(key {payload['key_id']})."
        )
        if survey.ok:
            return True
        self.stderr.write(
            f"{survey.problem_count:,} numbers whose opt-out list row disagrees with its events:"
        )
        for report in survey.problems[:SHOW]:
            for line in report.lines():
                self.stderr.write(f"  {line}")
        logger.error("evidence: %s list rows disagree with their events", survey.problem_count)
        return False
