"""Inbound intent on the labelled sample (tests/fixtures/inbound_dev.csv), end to end on SQLite.

Each text goes in through the signed webhook (the Django test client), then a `message_send` to
the same number: the confusion matrix (labels x what the text did: opted_out, inbox, opted_in,
help, nothing), the rates the thresholds are about, and every `none` and `help` text replayed
after a STOP (none may opt the number back in). `before` is the keyword reading this work
replaced (keyword lists, a text beginning with a stop word, and a stop word anywhere sent to the
inbox), computed on the same texts. The harness is tests/optouts/messaging/intent_corpus.py,
which the corpus test runs too. About 20 s; a throwaway SQLite file, no PostgreSQL.

Run: .venv/bin/python bench/inbound_intent.py
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from _common import ROOT, result_record, section

# The keyword reading before the phrase table: word lists and rules as they were.
_OLD_STOP = {
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
    "STOP ALL", "REMOVE", "ALTO", "ARRET",
}  # fmt: skip
_OLD_START = {"START", "YES", "UNSTOP"}
_OLD_HELP = {"HELP", "INFO", "AYUDA"}
_OLD_LEADING = ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "REVOKE", "OPTOUT", "OPT OUT",
                "REMOVE ME", "ALTO", "ARRET")  # fmt: skip
_OLD_VISITS = ("STOP BY", "STOP IN", "STOP OVER")


def _old_normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9A-Z]+", " ", plain.upper()).strip()


def old_outcome(body: str, label: str) -> str:
    """What the keyword reading did with a text (an `optin` row follows a STOP)."""
    text = _old_normalize(body)
    padded = f"{text} "
    if text in _OLD_STOP:
        return "nothing" if label == "optin" else "opted_out"
    if text in _OLD_START:
        return "opted_in" if label == "optin" else "nothing"
    if text in _OLD_HELP:
        return "help"
    leading = not any(padded.startswith(f"{v} ") for v in _OLD_VISITS) and any(
        padded.startswith(f"{w} ") for w in _OLD_LEADING
    )
    if leading:
        return "nothing" if label == "optin" else "opted_out"
    if any(f" {w} " in f" {text} " for w in _OLD_STOP):
        return "nothing" if label == "optin" else "inbox"
    return "nothing"


def _setup() -> Path:
    sys.path.insert(0, str(ROOT))
    folder = Path(tempfile.mkdtemp(prefix="bench-intent-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # One line per delivery task would drown the figures.
    logging.getLogger("django_tasks").setLevel(logging.WARNING)
    return folder


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def main() -> int:
    folder = _setup()
    from django.conf import settings
    from django.test import Client, override_settings

    from optouts.messaging import policy
    from tests.optouts.messaging.intent_corpus import (
        corpus_rates,
        corpus_rows,
        corpus_run,
        matrix_lines,
    )

    token = "bench-auth-token-0123456789abcdef"
    rows = corpus_rows()
    policy._QUIET_HOURS_ENFORCED = False  # the guard measured is the list's, at any hour
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        SMS_BACKEND="local",
        TWILIO_AUTH_TOKEN=token,
        TWILIO_ACCOUNT_SID="",
        SMS_WEBHOOK_BASE_URL="",
        SMS_PROVIDER_REPLIES_TO_KEYWORDS=False,
        SMS_SEND_POLICY={**settings.SMS_SEND_POLICY, "FREQUENCY_CAP": 0},
        ALLOWED_HOSTS=["testserver"],
    ):
        start = time.perf_counter()
        outcomes = corpus_run(rows, client=Client(), token=token)
        seconds = time.perf_counter() - start
    rates = corpus_rates(outcomes)

    from collections import Counter

    before = Counter((r.label, old_outcome(r.body, r.label)) for r in rows)
    totals = Counter(r.label for r in rows)

    def old_share(label: str, outcome: str) -> float:
        return before[(label, outcome)] / totals[label]

    old_missed = sum(before[(label, "nothing")] for label in ("optout", "review"))
    old_replay = sum(
        1 for r in rows if r.label in ("none", "help") and _old_normalize(r.body) in _OLD_START
    )
    optin_share = 1 - len(rates.optin_missed) / totals["optin"]
    help_share = 1 - len(rates.help_wrong) / totals["help"]
    guarded = 1 - len(rates.unguarded) / (totals["optout"] + totals["review"])
    # (what is measured, its target, figure, unit, the same before, met)
    figures = [
        ("revocations (optout, review) read as ordinary replies", "= 0", len(rates.missed),
         "texts", old_missed, not rates.missed),
        ("optout texts applied at once", ">= 95%", rates.optout_applied * 100, "%",
         old_share("optout", "opted_out") * 100, rates.optout_applied >= 0.95),
        ("none texts opted out", "<= 2%", rates.none_opted_out * 100, "%",
         old_share("none", "opted_out") * 100, rates.none_opted_out <= 0.02),
        ("none texts sent to the inbox", "<= 10%", rates.none_inbox * 100, "%",
         old_share("none", "inbox") * 100, rates.none_inbox <= 0.10),
        ("optin texts after a STOP opted back in", "= 100%", optin_share * 100, "%",
         old_share("optin", "opted_in") * 100, not rates.optin_missed),
        ("help texts with one help reply and no change", "= 100%", help_share * 100, "%",
         old_share("help", "help") * 100, not rates.help_wrong),
        ("none/help texts replayed after a STOP that opt back in", "= 0",
         len(rates.replay_opt_ins), "texts", old_replay, not rates.replay_opt_ins),
        ("sends after a revocation refused with its reason", "= 100%", guarded * 100, "%",
         None, not rates.unguarded),
    ]  # fmt: skip
    for name, target, figure, unit, old, met in figures:
        result_record(
            target=f"{name} {target}",
            figure=figure,
            unit=unit,
            floor=None,
            ratio=None,
            met=met,
            before=old,
        )

    def shown(value, unit: str) -> str:
        if value is None:
            return "-"
        return f"{value:.1f} %" if unit == "%" else f"{value:.0f}"

    texts = (
        len(rows)
        + sum(1 for r in rows if r.label == "optin")
        + 2 * sum(1 for r in rows if r.label in ("none", "help"))
    )
    with section("inbound_intent", "Inbound intent on the labelled sample") as lines:
        lines += [
            f"{len(rows)} labelled texts (tests/fixtures/inbound_dev.csv), each through the signed "
            f"webhook and then a send to its number, on SQLite: {texts} webhook calls and "
            f"{len(rows)} sends in {seconds:.1f} s. Labels down, what the text did across:",
            "",
            *matrix_lines(rates),
            "",
            "| rate | now | before (keyword lists only) | target | met |",
            "| --- | ---: | ---: | --- | --- |",
            *(
                f"| {name} | {shown(figure, unit)} | {shown(old, unit)} | {target} | "
                f"{'yes' if met else '**no**'} |"
                for name, target, figure, unit, old, met in figures
            ),
            f"| review texts opted out at once (reported) | "
            f"{_percent(rates.review_opted_out)} | {_percent(old_share('review', 'opted_out'))} "
            f"| - | - |",
            "",
            "Misread now: "
            + (
                "; ".join(
                    f"{o.row.id} {o.row.label} -> {o.outcome} ({o.rule}): {o.row.body!r}"
                    for o in outcomes
                    if o.outcome
                    != {"optout": "opted_out", "review": "inbox", "optin": "opted_in"}.get(
                        o.row.label, {"help": "help", "none": "nothing"}.get(o.row.label)
                    )
                )
                or "none"
            )
            + ".",
        ]
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
