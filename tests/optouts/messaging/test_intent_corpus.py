"""The labelled inbound sample (tests/fixtures/inbound_dev.csv) end to end: each text through the
signed webhook, then a send to the same number. The thresholds of docs/compliance.md, as
assertions. The sample measures the phrase table; it is never copied into it (a larger set,
worded differently, is held to the same thresholds).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from tests.optouts.messaging.intent_corpus import corpus_rates, corpus_rows, corpus_run

# Marked so pytest-django sets the test database up; the sample runs once, in `rates`.
pytestmark = pytest.mark.django_db
TOKEN = "corpus-auth-token-0123456789abcdef"


def _describe(outcomes) -> str:
    return "\n".join(
        f"{o.row.id} [{o.row.label} -> {o.outcome}, send {o.send_code or 'allowed'}, "
        f"rule {o.rule or '-'}] {o.row.body!r}"
        for o in outcomes
    )


@pytest.fixture(scope="module")
def rates(django_db_setup, django_db_blocker):
    """The whole sample, once for the module, in a transaction rolled back afterwards."""
    from optouts.messaging import policy

    with (
        django_db_blocker.unblock(),
        pytest.MonkeyPatch.context() as patch,
        override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            SMS_BACKEND="local",
            TWILIO_AUTH_TOKEN=TOKEN,
            TWILIO_ACCOUNT_SID="",
            SMS_WEBHOOK_BASE_URL="",
            SMS_PROVIDER_REPLIES_TO_KEYWORDS=False,
            SMS_SEND_POLICY={**settings.SMS_SEND_POLICY, "FREQUENCY_CAP": 0},
        ),
    ):
        # Quiet hours would hold the sends at night; the guard under test is the list's.
        patch.setattr(policy, "_QUIET_HOURS_ENFORCED", False)
        with transaction.atomic():
            outcomes = corpus_run(corpus_rows(), client=Client(), token=TOKEN)
            transaction.set_rollback(True)
    return corpus_rates(outcomes)


def test_the_sample_is_the_labelled_development_set():
    rows = corpus_rows()
    assert len(rows) == 320
    assert {r.label for r in rows} == {"optout", "review", "optin", "help", "none"}


def test_no_revocation_is_read_as_an_ordinary_reply(rates):
    assert rates.missed == [], _describe(rates.missed)


def test_after_every_revocation_a_send_is_refused_with_its_reason(rates):
    """recipient_opted_out after an opt-out, revocation_pending while an inbox item is open."""
    assert rates.unguarded == [], _describe(rates.unguarded)


def test_at_least_95_percent_of_clear_revocations_are_applied_at_once(rates):
    assert rates.optout_applied >= 0.95


def test_at_most_2_percent_of_ordinary_replies_are_opted_out(rates):
    assert rates.none_opted_out <= 0.02


def test_at_most_10_percent_of_ordinary_replies_go_to_the_inbox(rates):
    assert rates.none_inbox <= 0.10


def test_every_opt_in_after_a_stop_opts_the_number_back_in(rates):
    assert rates.optin_missed == [], _describe(rates.optin_missed)


def test_help_texts_get_one_help_reply_and_change_nothing(rates):
    assert rates.help_wrong == [], _describe(rates.help_wrong)


def test_no_ordinary_or_help_text_opts_a_stopped_number_back_in(rates):
    assert rates.replay_opt_ins == [], _describe(rates.replay_opt_ins)
