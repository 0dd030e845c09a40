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
        ("STOP ALL", STOP),
        ("stop all", STOP),
        ("Stop-All", STOP),
        ("REMOVE", STOP),
        ("remove.", STOP),
        ("OPTOUT", STOP),
        ("ARRET", STOP),
        ("arrêt", STOP),
        ("Arrêt!", STOP),
        ("start", START),
        ("Yes", None),  # an ordinary answer: only START and UNSTOP opt back in
        ("aide", HELP),
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
    "body", ["please stop texting me", "please don't stop", "Cancel my 3pm appointment"]
)
def test_a_stop_word_among_other_words_is_left_to_the_phrase_table(body):
    # optouts.messaging.intent reads it (tests/optouts/messaging/test_intent_rules.py).
    assert keyword_match(body=body).kind is None


def test_a_word_containing_a_stop_word_is_not_a_keyword():
    assert keyword_match(body="unstoppable deals").kind is None


def test_settings_extend_the_word_lists_without_replacing_them(settings):
    settings.SMS_STOP_KEYWORDS = ["basta"]
    settings.SMS_START_KEYWORDS = ["resume"]
    settings.SMS_HELP_KEYWORDS = ["support"]
    assert keyword_match(body="Basta!").kind == STOP
    assert keyword_match(body="STOP").kind == STOP
    assert keyword_match(body="resume").kind == START
    assert keyword_match(body="support").kind == HELP


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("Stop. Thank you", "STOP"),
        ("STOP texting me", "STOP"),
        ("stop!! wrong number", "STOP"),
        ("...stop please", "STOP"),
        ("STOPALL thanks", "STOPALL"),
        ("stop all texts please", "STOP ALL"),
        ("Stop-all of it", "STOP ALL"),
        ("unsubscribe please", "UNSUBSCRIBE"),
        ("Unsubscribe me from this list", "UNSUBSCRIBE"),
        ("REVOKE my consent", "REVOKE"),
        ("optout now", "OPTOUT"),
        ("opt out please", "OPT OUT"),
        ("Opt-out, thanks", "OPT OUT"),
        ("OPT-OUT of everything", "OPT OUT"),
        ("remove me from your list", "REMOVE ME"),
        ("Remove me", "REMOVE ME"),
        ("alto por favor", "ALTO"),
        ("Arrêt s'il vous plaît", "ARRET"),
        ("ARRET merci", "ARRET"),
    ],
)
def test_a_body_that_begins_with_a_stop_word_is_a_stop(body, word):
    match = keyword_match(body=body)
    assert match.kind == STOP
    assert match.leading_stop_word == word


@pytest.mark.parametrize(
    "body",
    [
        "Stopped by your office today",  # STOPPED is not STOP
        "Stopping by later",
        "Unsubscribed already?",
        "Cancel my 3pm appointment",  # CANCEL, END, QUIT open ordinary sentences
        "End of the month works",
        "Quit calling my husband",
        "Remove the late fee please",  # REMOVE without ME
        "Stop by the branch at 3?",  # visits
        "stop in tomorrow?",
        "Stop over on Friday",
        "Optional: call me",
        "Starting Monday I can talk",
    ],
)
def test_a_body_that_only_looks_like_it_begins_with_a_stop_word_is_not_a_stop(body):
    assert keyword_match(body=body).kind is None


def test_the_leading_word_is_read_after_an_exact_keyword_so_a_keyword_alone_has_none():
    assert keyword_match(body="STOP").leading_stop_word == ""
    assert keyword_match(body="remove").leading_stop_word == ""
    # The provider's own reading still decides first.
    match = keyword_match(body="STOP texting me", opt_out_type="START")
    assert (match.kind, match.leading_stop_word) == (START, "")


def test_settings_do_not_extend_the_leading_stop_words(settings):
    settings.SMS_STOP_KEYWORDS = ["basta"]
    match = keyword_match(body="basta ya por favor")
    assert match.kind is None
