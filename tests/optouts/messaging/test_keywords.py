"""The keyword table: what an inbound body means, whatever its case, punctuation and spacing."""

from __future__ import annotations

import pytest

from optouts.messaging.keywords import HELP, START, STOP, keyword_match, keyword_normalize


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", STOP),
        ("stop", STOP),
        ("  Stop  ", STOP),
        ("Stop.", STOP),
        ("STOP!!!", STOP),
        ("stopall", STOP),
        ("Unsubscribe", STOP),
        ("cancel", STOP),
        ("End", STOP),
        ("quit", STOP),
        ("REVOKE", STOP),
        ("optout", STOP),
        ("opt out", STOP),
        ("Opt   Out", STOP),
        ("opt-out", STOP),
        ("OPT-OUT.", STOP),
        ("alto", STOP),
        ("Alto!", STOP),
        ("start", START),
        ("Yes", START),
        ("UNSTOP", START),
        ("help", HELP),
        ("Info?", HELP),
        ("ayuda", HELP),
        ("Ayúda", HELP),
        ("hello", None),
        ("", None),
        ("stopping by later", None),
    ],
)
def test_a_body_is_read_as_its_keyword_whatever_its_case_spacing_and_punctuation(body, kind):
    assert keyword_match(body=body).kind == kind


def test_normalisation_trims_upper_cases_and_turns_punctuation_into_single_spaces():
    assert keyword_normalize("  opt--OUT!! ") == "OPT OUT"
    assert keyword_normalize("stop\t\n") == "STOP"


@pytest.mark.parametrize(
    ("body", "opt_out_type", "kind"),
    [
        ("Arrêtez", "STOP", STOP),  # a provider-side keyword we do not list
        ("stop", "START", START),  # the provider decides even against our own reading
        ("what?", "HELP", HELP),
        ("stop", "", STOP),
        ("stop", "unknown", STOP),
    ],
)
def test_the_providers_opt_out_type_decides_when_present(body, opt_out_type, kind):
    assert keyword_match(body=body, opt_out_type=opt_out_type).kind == kind


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("please stop texting me", "STOP"),
        ("Can you STOP, thanks", "STOP"),
        ("I want to opt out of this", "OPT OUT"),
        ("unsubscribe me please", "UNSUBSCRIBE"),
        ("alto por favor", "ALTO"),
    ],
)
def test_a_stop_word_among_other_words_is_only_a_possible_opt_out(body, word):
    match = keyword_match(body=body)
    assert match.kind is None
    assert match.possible_stop_word == word


def test_a_word_containing_a_stop_word_is_not_a_possible_opt_out():
    assert keyword_match(body="unstoppable deals").possible_stop_word == ""


def test_settings_extend_the_word_lists_without_replacing_them(settings):
    settings.SMS_STOP_KEYWORDS = ["basta"]
    settings.SMS_START_KEYWORDS = ["resume"]
    settings.SMS_HELP_KEYWORDS = ["support"]
    assert keyword_match(body="Basta!").kind == STOP
    assert keyword_match(body="STOP").kind == STOP
    assert keyword_match(body="resume").kind == START
    assert keyword_match(body="support").kind == HELP
