"""The labelled inbound sample, run end to end: a signed webhook in through the Django test
client, then a `message_send` to the same number, and what each text did.

Shared by tests/optouts/messaging/test_intent_corpus.py (the thresholds, as assertions) and
bench/inbound_intent.py (the confusion matrix and the rates, for `make bench`). Each row gets a
number of its own, so rows never see each other; an `optin` row follows a STOP from its number.
The replays text every `none` and `help` row again, after a STOP, to a fresh number: none may
opt it back in.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "inbound_dev.csv"
LABELS = ("optout", "review", "optin", "help", "none")
OUTCOMES = ("opted_out", "inbox", "opted_in", "help", "nothing")
# What each label should lead to.
EXPECTED = {
    "optout": "opted_out",
    "review": "inbox",
    "optin": "opted_in",
    "help": "help",
    "none": "nothing",
}
INBOUND = "/webhooks/sms/inbound/"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


@dataclass(frozen=True)
class Row:
    id: str
    body: str
    label: str
    language: str
    note: str


@dataclass(frozen=True)
class Outcome:
    row: Row
    outcome: str  # one of OUTCOMES: what this text did to its number
    send_code: str  # the reason_code message_send was refused with after it, "" if not refused
    replies: tuple[str, ...]  # the TwiML <Message> texts answered
    rule: str  # the rule that read it (InboundMessage.rule)
    replay_opted_in: bool = False  # none/help rows: did it opt a stopped number back in?


def corpus_rows(path: Path = CORPUS) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [Row(**{k: r[k] for k in Row.__annotations__}) for r in csv.DictReader(handle)]


def _number(i: int) -> str:
    return f"+1415{2000000 + i:07d}"


class _Sender:
    """Posts inbound texts signed with `token`, each with a fresh MessageSid."""

    def __init__(self, client, token: str) -> None:
        from twilio.request_validator import RequestValidator

        self.client = client
        self.validator = RequestValidator(token)
        self.count = 0

    def text(self, number: str, body: str) -> tuple[str, ...]:
        from urllib.parse import urlencode

        self.count += 1
        sid = f"SM{0x5EED0000 + self.count:032x}"
        form = {
            "AccountSid": ACCOUNT_SID,
            "Body": body,
            "From": number,
            "MessageSid": sid,
            "NumMedia": "0",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "To": "+14155559999",
        }
        signature = self.validator.compute_signature(f"http://testserver{INBOUND}", form)
        response = self.client.post(
            INBOUND,
            urlencode(form),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )
        assert response.status_code == 200, response.content
        return tuple(m.text or "" for m in ET.fromstring(response.content).iter("Message"))


def _state(number: str) -> tuple[str | None, int, int]:
    from optouts.messaging.models import InboundAction, InboundMessage, PossibleOptOut
    from optouts.models import OptOut

    row = OptOut.objects.filter(phone_number=number).first()
    items = PossibleOptOut.objects.filter(phone_number=number, status="open").count()
    helps = InboundMessage.objects.filter(phone_number=number, action=InboundAction.HELP).count()
    return (row.source if row else None), items, helps


def _send_code(number: str) -> str:
    from optouts.messaging.services import SendRefused, message_send

    try:
        message_send(to=number, body="Following up on your rate quote.")
    except SendRefused as refused:
        return str(refused.code or "")
    return ""


def _what_it_did(before, after) -> str:
    (source_before, items_before, helps_before) = before
    (source_after, items_after, helps_after) = after
    if helps_after > helps_before:
        return "help"
    if source_after == "contact" and source_before != "contact":
        return "opted_out"
    if source_before and not source_after:
        return "opted_in"
    if items_after > items_before:
        return "inbox"
    return "nothing"


def corpus_run(rows: list[Row], *, client, token: str, replays: bool = True) -> list[Outcome]:
    """Every row through the webhook and the send guard (call inside a database that may be
    written and thrown away: a test's, or a benchmark's)."""
    from optouts.messaging.models import InboundMessage

    sender = _Sender(client, token)
    outcomes = []
    for i, row in enumerate(rows):
        number = _number(i)
        if row.label == "optin":
            sender.text(number, "STOP")
        before = _state(number)
        replies = sender.text(number, row.body)
        did = _what_it_did(before, _state(number))
        rule = InboundMessage.objects.filter(phone_number=number).order_by("-id").first().rule
        replayed = False
        if replays and row.label in ("none", "help"):
            again = _number(10_000 + i)
            sender.text(again, "STOP")
            sender.text(again, row.body)
            replayed = _state(again)[0] is None
        outcomes.append(Outcome(row, did, _send_code(number), replies, rule, replayed))
    return outcomes


@dataclass(frozen=True)
class Rates:
    matrix: Counter  # (label, outcome) -> count
    totals: Counter  # label -> count
    missed: list[Outcome]  # optout/review texts that did nothing (or opted in, or helped)
    unguarded: list[Outcome]  # optout/review texts after which a send was not refused
    optout_applied: float  # share of optout texts opted out at once
    none_opted_out: float
    none_inbox: float
    review_opted_out: float
    optin_missed: list[Outcome]
    help_wrong: list[Outcome]  # help texts without the help reply, or that changed something
    replay_opt_ins: list[Outcome]


_GUARD = {"opted_out": "recipient_opted_out", "inbox": "revocation_pending"}


def corpus_rates(outcomes: list[Outcome]) -> Rates:
    matrix = Counter((o.row.label, o.outcome) for o in outcomes)
    totals = Counter(o.row.label for o in outcomes)
    revocations = [o for o in outcomes if o.row.label in ("optout", "review")]
    missed = [o for o in revocations if o.outcome not in ("opted_out", "inbox")]
    unguarded = [o for o in revocations if o.send_code != _GUARD.get(o.outcome, "?")]

    def share(label: str, outcome: str) -> float:
        return matrix[(label, outcome)] / totals[label] if totals[label] else 0.0

    return Rates(
        matrix=matrix,
        totals=totals,
        missed=missed,
        unguarded=unguarded,
        optout_applied=share("optout", "opted_out"),
        none_opted_out=share("none", "opted_out"),
        none_inbox=share("none", "inbox"),
        review_opted_out=share("review", "opted_out"),
        optin_missed=[o for o in outcomes if o.row.label == "optin" and o.outcome != "opted_in"],
        help_wrong=[
            o
            for o in outcomes
            if o.row.label == "help" and (o.outcome != "help" or len(o.replies) != 1)
        ],
        replay_opt_ins=[o for o in outcomes if o.replay_opted_in],
    )


def matrix_lines(rates: Rates) -> list[str]:
    """The confusion matrix as a markdown table (labels down, outcomes across)."""
    head = "| label \\ outcome | " + " | ".join(OUTCOMES) + " | total |"
    lines = [head, "| --- |" + " ---: |" * (len(OUTCOMES) + 1)]
    for label in LABELS:
        cells = [str(rates.matrix[(label, outcome)]) for outcome in OUTCOMES]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {rates.totals[label]} |")
    return lines
