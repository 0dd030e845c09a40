"""Fuzz pass over the signed webhooks: no 5xx, ever; every well-formed inbound message
recorded; a body whose first word is a stop word honoured.

Bodies are any text (control characters included, surrogates excluded: a form cannot carry
them), long values, extra and missing parameters, all signed with our token, so each request
gets past the signature and reaches the checks and services behind it. Bounded: 100 examples per
test, no example database, a few seconds each.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optouts.messaging.keywords import DEFAULT_STOP_WORDS
from optouts.messaging.models import InboundMessage, OutboundMessage, PossibleOptOut
from optouts.messaging.services import message_send
from optouts.models import ConsentEvent, OptOut, Source
from tests.optouts.messaging.twilio_webhooks import (
    INBOUND,
    STATUS,
    inbound_form,
    message_sid,
    signed_post,
    status_form,
    webhook_settings,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Fresh ids and numbers per example (hypothesis re-runs examples while shrinking, so they are
# not drawn): a MessageSid seen before is a duplicate, which would hide what the example does.
_serial = itertools.count(0x10000)


def _fresh_sid() -> str:
    return message_sid(next(_serial))


def _fresh_number() -> str:
    return f"+1415555{next(_serial) % 10000:04d}"


# Any text: every code point but surrogates, control characters (NUL included) weighted in.
_controls = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.just("\x7f")
_any_char = st.characters(exclude_categories=("Cs",)) | _controls
any_text = st.one_of(
    st.text(_any_char, max_size=40),
    st.text(_any_char, min_size=200, max_size=2000),  # longer than any field
)
param_name = st.one_of(
    st.sampled_from(
        ["OptOutType", "FromCity", "MediaUrl0", "ErrorMessage", "ReferralNumMedia", "NumSegments"]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20),
)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    webhook_settings(settings)


@st.composite
def inbound_requests(draw):
    """A Twilio inbound form with any of its text values replaced, extras added, some dropped."""
    form = inbound_form(sid=_fresh_sid(), body="", sender=_fresh_number())
    for name in draw(st.sets(st.sampled_from(["Body", "From", "To", "FromCountry"]))):
        form[name] = draw(any_text)
    form.update(draw(st.dictionaries(param_name, any_text, max_size=3)))
    for name in draw(st.sets(st.sampled_from(sorted(form)), max_size=2)):
        del form[name]
    if draw(st.booleans()):
        form["MessageSid"] = draw(any_text)
    return form


@FUZZ
@given(form=inbound_requests())
def test_no_signed_inbound_request_gets_a_5xx(client, form):
    response = signed_post(client, INBOUND, form)
    assert response.status_code < 500
    if response.status_code == 200:
        assert InboundMessage.objects.filter(message_sid=form["MessageSid"]).exists()


_separators = st.sampled_from([" ", ".", ",", "!", "-", "\n", "\t", "\r\n", "\x00", "\x1b", "\x7f"])


@st.composite
def stop_bodies(draw):
    """A stop word in any case, maybe after blanks or control characters, then maybe more."""
    word = draw(st.sampled_from(DEFAULT_STOP_WORDS))
    word = "".join(c.lower() if draw(st.booleans()) else c for c in word)
    lead = draw(st.text(st.sampled_from(" \t\n\x00\x01\x1f"), max_size=3))
    rest = ""
    if draw(st.booleans()):
        rest = draw(_separators) + draw(any_text)
    return lead + word + rest


@FUZZ
@given(body=stop_bodies())
def test_a_body_whose_first_word_is_a_stop_word_is_honoured(client, body):
    number, sid = _fresh_number(), _fresh_sid()
    response = signed_post(client, INBOUND, inbound_form(sid=sid, body=body, sender=number))
    assert response.status_code == 200
    assert InboundMessage.objects.filter(message_sid=sid).exists()
    opted_out = OptOut.objects.filter(phone_number=number, source=Source.CONTACT).exists()
    # A stop word alone opts out; among other words a person decides, from the inbox.
    flagged = PossibleOptOut.objects.filter(inbound__message_sid=sid).exists()
    assert opted_out or flagged


@st.composite
def status_requests(draw):
    form = status_form(sid=_fresh_sid(), status="delivered", to=_fresh_number())
    for name in draw(st.sets(st.sampled_from(["MessageStatus", "To", "ErrorCode", "From"]))):
        form[name] = draw(any_text | st.sampled_from(["21610", "30003", "30007"]))
    form.update(draw(st.dictionaries(param_name, any_text, max_size=3)))
    for name in draw(st.sets(st.sampled_from(sorted(form)), max_size=2)):
        del form[name]
    if draw(st.booleans()):
        form["MessageSid"] = draw(any_text)
    return form


@pytest.fixture
def sent_message(db):
    message = message_send(to="+14155550111", body="Your rate quote is ready.")
    OutboundMessage.objects.filter(pk=message.pk).update(provider_id=message_sid(0xFEED))
    return message


@FUZZ
@given(form=status_requests(), ours=st.booleans())
def test_no_signed_status_callback_gets_a_5xx_or_opts_out_a_stranger(
    client, sent_message, form, ours
):
    if ours and "MessageSid" in form:
        form["MessageSid"] = form["SmsSid"] = message_sid(0xFEED)
    events_before = ConsentEvent.objects.count()
    response = signed_post(client, STATUS, form)
    assert response.status_code < 500
    # Only the number this system sent to can be opted out by a callback.
    assert set(OptOut.objects.values_list("phone_number", flat=True)) <= {"+14155550111"}
    if not ours:
        assert ConsentEvent.objects.count() == events_before
