"""The phrase table rule by rule (optouts/messaging/intent): negations, banking and visits, the
three languages, typos, and the conservative re-consent. The wordings here are not the sample's
(tests/fixtures/inbound_dev.csv): they check that the rules are general."""

from __future__ import annotations

import pytest

from optouts.messaging.intent import (
    CONSENT_WORDS,
    POSSIBLE,
    REVOCATION,
    inbound_intent_read,
)
from optouts.messaging.intent.grammar import CONSENT
from optouts.messaging.intent.phrases import KEYWORD_SOURCES, RULES, RULES_BY_ID
from optouts.messaging.intent.text import text_readable
from optouts.messaging.keywords import HELP, START, STOP


def read(body: str):
    return inbound_intent_read(body=body)


@pytest.mark.parametrize(
    "body",
    [
        "Please quit messaging this phone",
        "i want these texts to stop",
        "cease all communication",
        "Take my number off your list please",
        "Delete my contact info",
        "I want off this list",
        "get rid of my number",
        "This isn't Mark's number anymore",
        "You've got the wrong number pal",
        "Knock it off",
        "I've asked you to stop three times now",
        "can you stop texting me",
        "why won't you stop texting me",
        "I never gave anyone permission to text me",
        "I'm going to report this number as spam",
        "I don't want any more messages from you",
        "please dont message me anymore",
        "Quit sending me this stuff",
        "I'm on the DNC registry",
    ],
)
def test_a_clear_revocation_in_english_opts_out_at_once(body):
    assert read(body).kind == REVOCATION, read(body)


@pytest.mark.parametrize(
    "body",
    [
        "Por favor ya no me escriban",
        "No me contacten más",
        "dejen de escribirme",
        "No quiero más mensajes de ustedes",
        "bórrenme de su lista",
        "Número incorrecto",
        "Ne me contactez plus jamais",
        "Enlevez mon numéro de votre liste",
        "Vous avez le mauvais numéro",
        "Laissez-moi tranquille",
    ],
)
def test_a_clear_revocation_in_spanish_or_french_opts_out_at_once(body):
    assert read(body).kind == REVOCATION, read(body)


@pytest.mark.parametrize(
    "body", ["stopppp", "STOPPP PLEASE", "unsuscribe", "u n s u b s c r i b e", "sotp", "stp pls"]
)
def test_typos_and_spelling_out_are_read_as_the_word(body):
    assert read(body).kind == REVOCATION


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("Please don't stop updating me", "ordinary.negated_stop"),
        ("Don't stop now, we're almost done", "ordinary.negated_stop"),
        ("I can't stop by today, sorry", "ordinary.visit"),
        ("Stop by Monday?", None),  # a keyword-list exception before the table
        ("We stopped at the title company", "ordinary.visit"),
        ("Please stop payment on check 1042", "ordinary.domain_object"),
        ("I need to stop my automatic payment", "ordinary.domain_object"),
        ("how do I stop paying mortgage insurance", "ordinary.domain_object"),
        ("Put a stop to the wire transfer", "ordinary.stop_noun"),
        ("Stop the closing! I found an error", "ordinary.domain_object"),
        ("Cancel my Thursday call please", None),
        ("Can I opt out of the escrow account", "ordinary.domain_object"),
        ("Don't text me the password, call me", "ordinary.doc_by_text"),
        ("No más de 250 mil por favor", "ordinary.no_more_than"),
        ("Je suis en arrêt de travail", "ordinary.sick_leave"),
    ],
)
def test_negations_banking_and_visits_are_ordinary_replies(body, rule):
    intent = read(body)
    assert intent.kind is None, intent
    if rule:
        assert intent.rule == rule


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("stop texting me at work", "qualify.time"),
        ("Don't message me before 9", "qualify.time"),
        ("stop sending me texts every day", "qualify.frequency"),
        ("Please only contact me by email", "review.other_channel"),
        ("text me after 5 only", "review.texts_limited"),
        ("Not interested thanks", "review.not_interested"),
        ("No I'm good", "review.decline"),
        ("maybe next year", "review.defer"),
        ("We already went with another bank", "review.lost_lead"),
        ("we're not refinancing", "review.lost_lead"),
        ("You text me every day", "review.frequency"),
        ("why are you texting me", "review.annoyed"),
        ("Is this a scam?", "review.annoyed"),
        ("Cancel whatever this is", "review.opens_with_stop_word"),
    ],
)
def test_a_limited_or_possible_revocation_goes_to_a_person(body, rule):
    intent = read(body)
    assert (intent.kind, intent.rule) == (POSSIBLE, rule), intent


def test_a_qualifier_records_the_revocation_it_limits():
    intent = read("please quit texting me so late")
    assert intent.kind == POSSIBLE
    assert (intent.rule, intent.limits) == ("qualify.time", "en.stop_messages")
    assert intent.matched == "quit texting / so late"


def test_a_revocation_anywhere_wins_over_everything_else_in_the_text():
    assert read("Not now. Actually, just stop texting me").kind == REVOCATION
    assert read("help, how do I unsubscribe").kind == REVOCATION
    assert read("You can text me again... NOT. Leave me alone").kind == REVOCATION


@pytest.mark.parametrize(
    "body",
    [
        "you can resume texting me",
        "Please start sending me updates again",
        "ok text me again",
        "Opt me in again",
        "Ya pueden escribirme de nuevo",
        "I want the texts again",
        "I hit stop by accident, sorry",
    ],
)
def test_a_clear_re_consent_opts_back_in(body):
    assert read(body).kind == CONSENT_WORDS, read(body)


@pytest.mark.parametrize(
    "body",
    [
        "yes",
        "Yes please send it",
        "Text me the address again",
        "Can you send the form again?",
        "Start the application for me",
        "When can we start?",
        "keep me posted",
        "sure, sounds good",
    ],
)
def test_ordinary_words_never_opt_a_stopped_number_back_in(body):
    assert not read(body).opts_in, read(body)


def test_a_re_consent_with_doubt_in_the_same_text_goes_to_a_person():
    assert read("you can text me again but not so often").kind == POSSIBLE


@pytest.mark.parametrize("body", ["help", "HELP!!", "Info", "Ayuda", "aide", "help - who is this"])
def test_help_words_and_help_questions_get_the_help_text(body):
    assert read(body).kind == HELP


def test_keywords_keep_their_own_rules_and_sources():
    assert (read("STOP").kind, read("STOP").rule) == (STOP, "keyword.stop")
    assert (read("start").kind, read("start").rule) == (START, "keyword.start")
    leading = read("Stop texting me please")
    assert (leading.kind, leading.rule, leading.leading_stop_word) == (
        STOP,
        "keyword.leading_stop",
        "STOP",
    )
    assert inbound_intent_read(body="arrêtez", opt_out_type="STOP").rule == "provider.opt_out_type"


def test_a_stop_word_asked_back_and_denied_is_not_a_stop():
    intent = read("Stop?? Never, I love these")
    assert (intent.kind, intent.rule) == (None, "ordinary.echo_question")


def test_every_decision_names_its_rule_source_and_words():
    intent = read("Leave us alone")
    assert intent.details() == {
        "rule": "en.leave_alone",
        "rule_source": RULES_BY_ID["en.leave_alone"].source,
        "matched": "leave us alone",
    }


def test_every_rule_has_an_id_a_kind_and_a_source():
    for rule in RULES:
        assert rule.id and rule.source and rule.kind, rule
        assert rule.id.split(".")[0] in {
            "ordinary",
            "en",
            "es",
            "fr",
            "consent",
            "qualify",
            "review",
        }
    assert all(KEYWORD_SOURCES.values())
    assert any(rule.kind == CONSENT for rule in RULES)


def test_quoted_lines_and_our_own_footer_are_not_the_contacts_words():
    body = "What's the rate on a jumbo?\n> Acme: rates dropped! Reply STOP to opt out."
    assert text_readable(body).clauses == ("whats the rate on a jumbo",)
    assert read(body).kind is None


def test_reading_normalises_accents_contractions_elisions_and_sms_spellings():
    readable = text_readable("Don't txt me! Ne m'écrivez plus, S T O P 🛑")
    assert readable.clauses == ("dont text me", "ne m ecrivez plus", "stop stop")


# Wordings written apart from the development sample and from the rules above, as a check that
# the table's word families generalise (a second reader's phrasings).
SECOND_READER = {
    "revocation": [
        "Please remove this number from your contacts",
        "I never signed up for this, stop",
        "You have the wrong person",
        "Quit messaging me",
        "No me escriban más",
        "por favor no me manden mas mensajes",
        "je ne veux plus recevoir de textos",
        "Do not message this number again",
        "cease and desist texting me",
        "i want out of these texts",
    ],
    "possible": [
        "maybe later",
        "We went with another lender",
        "can you email me instead of texting",
        "Please only text me on weekends",
        "I sold the house already",
    ],
    None: [
        "Can you stop by my office at 3?",
        "I need to stop the autopay on my old loan",
        "Don't stop sending me updates, they're helpful!",
        "I can't stop smiling, we got the house!",
        "End of the month works for me",
    ],
}


@pytest.mark.parametrize(
    ("kind", "body"), [(kind, body) for kind, bodies in SECOND_READER.items() for body in bodies]
)
def test_a_second_readers_wordings_are_read_by_the_same_rules(kind, body):
    assert inbound_intent_read(body=body).kind == kind
