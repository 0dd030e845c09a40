"""The possible-opt-out inbox: texts that may revoke consent, waiting for a person to decide.

While an item is open no SMS goes to its number (the send guard reads the open items under the
number's lock: optouts.messaging.selectors.phones_send_blocks). What the contact wrote stays the
contact's, whoever decides (docs/rules.md): a reviewer's confirmation and the deadline sweep both
opt the number out as source contact, channel sms, and only the contact's START undoes it. Only an
admin may dismiss an item, with a reason; the dismissal is an event in the number's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from optouts.messaging.deadlines import revocation_deadline, revocation_overdue_before
from optouts.messaging.models import (
    InboundAction,
    InboundMessage,
    PossibleOptOut,
    PossibleOptOutStatus,
)
from optouts.models import Channel, Source
from optouts.selectors import phones_opted_out
from optouts.services import (
    ConsentResult,
    phone_numbers_lock,
    phone_opt_out_by_contact,
    phone_revocation_dismissed_record,
    phone_revocation_pending_record,
)

logger = logging.getLogger(__name__)

SUPERSEDED_BY_START = "Superseded: the contact texted a start word after this message."


class PossibleOptOutResolved(Exception):
    """The possible opt-out was already decided by someone else."""


def _item_details(item: PossibleOptOut) -> dict:
    return {
        "text": item.inbound.body,
        "message_sid": item.inbound.message_sid,
        "possible_opt_out": item.pk,
    }


def possible_opt_out_open(
    *, inbound: InboundMessage, number: str, matched: str, details: dict | None = None
) -> PossibleOptOut | None:
    """Put an inbound text that may revoke consent in the inbox: texts to `number` pause until a
    person (or the deadline sweep) decides. Writes the `revocation_pending` event with `details`
    (the rule that matched, the text) under the number's lock, so a send being guarded either
    committed before or sees the open item. Call it inside the transaction that logs `inbound`.

    A number the contact or the carrier already opted out gets no item (None): nothing a person
    could decide would change it (docs/rules.md); an agent's opt-out does get one, since an
    admin could otherwise opt the number back in while the contact's words wait.
    """
    phone_numbers_lock(numbers=[number])
    if phones_opted_out(numbers=[number]).get(number) in (Source.CONTACT, Source.SYSTEM):
        return None
    phone_revocation_pending_record(
        number=number,
        details={"text": inbound.body, "message_sid": inbound.message_sid, **(details or {})},
    )
    return PossibleOptOut.objects.create(
        inbound=inbound,
        phone_number=number,
        matched_word=(matched or "")[:40],
        created_at=inbound.received_at or timezone.now(),
    )


def _locked_open_item(item_id: int) -> PossibleOptOut:
    item = PossibleOptOut.objects.select_for_update().select_related("inbound").get(pk=item_id)
    if item.status != PossibleOptOutStatus.OPEN:
        raise PossibleOptOutResolved(
            f"This message from {item.phone_number} was already handled "
            f"({item.get_status_display().lower()})."
        )
    return item


def _close(item: PossibleOptOut, *, status: str, actor=None, reason: str = "") -> None:
    item.status = status
    item.resolved_at = timezone.now()
    item.resolved_by = actor
    item.resolved_by_system = actor is None
    item.dismiss_reason = reason
    item.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "resolved_by_system",
            "dismiss_reason",
        ]
    )


def possible_opt_out_confirm(*, item_id: int, actor) -> ConsentResult:
    """A reviewer (agent or admin) agrees the text revokes consent: the number is opted out as
    the contact's own request (source contact, channel sms), the reviewer recorded as who applied
    it. Raises ConsentNotPermitted unless `actor` may opt numbers out, PossibleOptOutResolved if
    someone decided first; nothing is written then. No confirmation text is sent: the contact's
    one confirmation belongs to the minutes after their message."""
    with transaction.atomic():
        item = _locked_open_item(item_id)
        result = phone_opt_out_by_contact(
            number=item.phone_number,
            channel=Channel.SMS,
            recorded_by=actor,
            details={**_item_details(item), "decided": "confirmed_by_reviewer"},
        )
        _close(item, status=PossibleOptOutStatus.OPTED_OUT, actor=actor)
    return result


def possible_opt_out_dismiss(*, item_id: int, actor, reason: str) -> PossibleOptOut:
    """An admin decides the text does not revoke consent: the item closes, texts may go again,
    and a `revocation_dismissed` event keeps who and why in the number's history. Raises
    ConsentNotPermitted for anyone but an admin (agents may confirm, never dismiss),
    DismissReasonRequired for a blank reason, PossibleOptOutResolved if decided already."""
    with transaction.atomic():
        item = _locked_open_item(item_id)
        phone_revocation_dismissed_record(
            number=item.phone_number, user=actor, reason=reason, details=_item_details(item)
        )
        _close(item, status=PossibleOptOutStatus.DISMISSED, actor=actor, reason=reason.strip())
    return item


def possible_opt_outs_close_for_start(*, number: str) -> list[int]:
    """The contact texted a start word: their newest word wins over the older texts waiting for
    review, which close as dismissed by the system (with an event each). Call it inside the
    transaction that applies the start word, with the number's lock held. Returns the item ids."""
    closed = []
    # SKIP LOCKED: an item the deadline sweep holds is the sweep's; it takes the number's lock
    # next, so it waits for this START, sees it and dismisses the item itself. Waiting for the
    # item here instead would deadlock (this transaction holds the number's lock, the sweep the
    # item's row).
    items = (
        PossibleOptOut.objects.select_for_update(skip_locked=True)
        .select_related("inbound")
        .filter(phone_number=number, status=PossibleOptOutStatus.OPEN)
        .order_by("created_at", "pk")
    )
    for item in items:
        phone_revocation_dismissed_record(
            number=number, user=None, reason=SUPERSEDED_BY_START, details=_item_details(item)
        )
        _close(item, status=PossibleOptOutStatus.DISMISSED, reason=SUPERSEDED_BY_START)
        closed.append(item.pk)
    return closed


# --- The daily digest -----------------------------------------------------------------------------


def possible_opt_outs_digest_send() -> int:
    """Email every active admin with an address the open possible opt-outs, oldest first with
    their deadlines, when there are any (Django's email backend: EMAIL_BACKEND). Returns how many
    emails went; none when the inbox is empty. Run daily (`manage.py sms_inbox_digest`)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mass_mail
    from django.db.models import Q

    from optouts.messaging.selectors import possible_opt_outs_waiting
    from velocify_sms.phones import phone_display

    summary = possible_opt_outs_waiting()
    if not summary.count:
        return 0
    admins = (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name="Admins"), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    recipients = sorted(set(admins))
    if not recipients:
        logger.warning("Possible opt-outs wait, but no active admin has an email address.")
        return 0
    plural = "" if summary.count == 1 else "s"
    lines = [
        f"{summary.count} text{plural} from contacts may mean stop and wait for a decision in "
        "Possible opt-outs. No SMS goes to those numbers until someone decides; at each deadline "
        "the system applies the text as the contact's opt-out.",
        "",
    ]
    for item in summary.items:
        deadline = revocation_deadline(received_at=item.created_at)
        text = " ".join(item.inbound.body.split())[:80]
        lines.append(
            f'- {phone_display(item.phone_number)}: "{text}" (decide by the end of '
            f"{deadline - timedelta(days=1):%a %d %b %Y})"
        )
    if summary.count > len(summary.items):
        lines.append(f"... and {summary.count - len(summary.items)} more.")
    subject = f"{settings.SITE_HEADER}: {summary.count} possible opt-out{plural} to decide"
    message = (subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, recipients)
    return send_mass_mail([message], fail_silently=False) and len(recipients)


# --- The revocation deadline ---------------------------------------------------------------------


@dataclass
class DeadlineSweep:
    """What one sweep did, by inbox item id."""

    applied: list[int] = field(default_factory=list)  # opted out at the deadline
    superseded: list[int] = field(default_factory=list)  # dismissed: a start word came later
    failed: list[int] = field(default_factory=list)  # left open (logged); the next sweep retries


def _next_overdue_locked(overdue_before: datetime, failed: list[int]) -> PossibleOptOut | None:
    # SKIP LOCKED: an item another sweep is applying, or an agent is deciding, is theirs; this
    # sweep takes the next one instead of queueing behind it (and finds it decided later).
    return (
        PossibleOptOut.objects.select_for_update(skip_locked=True)
        .select_related("inbound")
        .filter(status=PossibleOptOutStatus.OPEN, created_at__lt=overdue_before)
        .exclude(pk__in=failed)
        .order_by("created_at", "pk")
        .first()
    )


def _decide_at_deadline(item: PossibleOptOut) -> str:
    number = item.phone_number
    # The number's lock before reading its inbound texts: a start word being received now is
    # either committed (and seen here) or waits, and is applied after this opt-out. Without it,
    # the start word could commit unseen between the read and the opt-out, and the number would
    # end opted out although the contact's last word was START.
    phone_numbers_lock(numbers=[number])
    later_start = InboundMessage.objects.filter(
        phone_number=number, action=InboundAction.START, received_at__gt=item.created_at
    ).exists()
    if later_start:
        phone_revocation_dismissed_record(
            number=number, user=None, reason=SUPERSEDED_BY_START, details=_item_details(item)
        )
        _close(item, status=PossibleOptOutStatus.DISMISSED, reason=SUPERSEDED_BY_START)
    else:
        deadline = revocation_deadline(received_at=item.created_at)
        phone_opt_out_by_contact(
            number=number,
            channel=Channel.SMS,
            note="Not decided by its revocation deadline: applied as the contact's opt-out.",
            details={
                **_item_details(item),
                "applied": "at_revocation_deadline",
                "deadline": deadline.isoformat(),
            },
        )
        _close(item, status=PossibleOptOutStatus.OPTED_OUT)
    return item.status


def possible_opt_outs_apply_overdue(*, now: datetime | None = None) -> DeadlineSweep:
    """Apply every possible opt-out still open after its revocation deadline as the contact's
    opt-out, and mark it decided by the system.

    One transaction per item, so one failing item (logged, left open for the next sweep) does
    not hold back the rest. Safe with several sweeps at once: each item is taken with
    `FOR UPDATE SKIP LOCKED` and applied once; an item an agent is deciding at that moment is
    skipped and stays the agent's. A start word received from the number after the flagged
    text is the contact's last word: the item is dismissed by the system, consent unchanged.
    """
    overdue_before = revocation_overdue_before(now=now or timezone.now())
    sweep = DeadlineSweep()
    while True:
        item_id = None
        try:
            with transaction.atomic():
                item = _next_overdue_locked(overdue_before, sweep.failed)
                if item is None:
                    return sweep
                item_id = item.pk
                decided = _decide_at_deadline(item)
        except Exception:
            if item_id is None:
                raise  # the database itself failed: nothing to skip
            logger.exception("Possible opt-out %s: not applied at its deadline", item_id)
            sweep.failed.append(item_id)
            continue
        if decided == PossibleOptOutStatus.OPTED_OUT:
            sweep.applied.append(item_id)
        else:
            sweep.superseded.append(item_id)
