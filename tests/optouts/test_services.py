"""DESIGN.md section 2, the rules table, row by row, plus precedence, idempotency and auditing."""

from __future__ import annotations

import pytest

from leads.services import lead_create, lead_update
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.selectors import phone_status, state_from_events
from optouts.services import (
    OptInBy,
    Outcome,
    RefusalReason,
    phone_opt_in,
    phone_opt_out,
    phones_opt_in,
    phones_opt_out,
)
from tests.factories import LeadFactory, UserFactory
from velocify_sms.phones import InvalidPhoneNumber

NUMBER = "+14155552671"
IN = None  # "opted in": not on the list

# Columns of the table: the number's state before the request.
STATES = [IN, Source.AGENT, Source.SYSTEM, Source.CONTACT]

# request -> expected state after, per column (same order as STATES). "refused" keeps the state
# and must log a refusal event.
RULES = {
    "agent_opt_out": [Source.AGENT, Source.AGENT, Source.SYSTEM, Source.CONTACT],
    "carrier_opt_out": [Source.SYSTEM, Source.SYSTEM, Source.SYSTEM, Source.CONTACT],
    "stop_word": [Source.CONTACT, Source.CONTACT, Source.CONTACT, Source.CONTACT],
    "admin_opt_in": [IN, IN, "refused", "refused"],
    "agent_opt_in": ["refused", "refused", "refused", "refused"],
    "start_word": [IN, IN, IN, IN],
}


def _put_in_state(state, actor):
    """Bring NUMBER to `state` through the services (a contact STOP reaches any source)."""
    if state is IN:
        return
    channel = {Source.AGENT: Channel.UI, Source.SYSTEM: Channel.CARRIER}.get(state, Channel.KEYWORD)
    phone_opt_out(number=NUMBER, source=state, channel=channel, actor=actor)


def _request(name, *, admin, agent):
    if name == "agent_opt_out":
        return phone_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI, actor=agent)
    if name == "carrier_opt_out":
        return phone_opt_out(
            number=NUMBER,
            source=Source.SYSTEM,
            channel=Channel.CARRIER,
            details={"error_code": "21610"},
        )
    if name == "stop_word":
        return phone_opt_out(
            number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD, details={"body": "STOP"}
        )
    if name == "admin_opt_in":
        return phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.REPORT, actor=admin)
    if name == "agent_opt_in":
        return phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.UI, actor=agent)
    if name == "start_word":
        return phone_opt_in(number=NUMBER, by=OptInBy.CONTACT, channel=Channel.KEYWORD)
    raise AssertionError(name)


TABLE = [
    pytest.param(request, before, after, id=f"{request}-from-{before or 'in'}")
    for request, afters in RULES.items()
    for before, after in zip(STATES, afters, strict=True)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("request_name", "before", "expected"), TABLE)
def test_rules_table(request_name, before, expected, admin_user, agent_user):
    _put_in_state(before, agent_user)
    events_before = ConsentEvent.objects.count()

    result = _request(request_name, admin=admin_user, agent=agent_user)

    status = phone_status(number=NUMBER)
    new_events = list(ConsentEvent.objects.order_by("id")[events_before:])
    if expected == "refused":
        assert result.outcome == Outcome.REFUSED
        assert status.source == before
        assert [e.action for e in new_events] == [ConsentEvent.Action.OPT_IN_REFUSED]
        assert new_events[0].details["reason"] == result.reason
    else:
        assert status.source == expected
        changed = expected != before
        assert result.changed is changed
        assert len(new_events) == (1 if changed else 0)
    # The log alone always explains the list.
    history = ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id")
    assert state_from_events(events=history) == status.source


@pytest.mark.django_db
def test_admin_cannot_opt_in_a_number_that_texted_stop(admin_user):
    phone_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    result = phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.API, actor=admin_user)

    assert result.reason == RefusalReason.CONTACT_OPT_OUT
    assert "START" in result.detail
    refusal = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN_REFUSED)
    assert refusal.actor == admin_user
    assert refusal.channel == Channel.API


@pytest.mark.django_db
def test_system_opt_out_refusal_names_its_reason(admin_user):
    phone_opt_out(number=NUMBER, source=Source.SYSTEM, channel=Channel.CARRIER)
    result = phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.API, actor=admin_user)
    assert result.reason == RefusalReason.SYSTEM_OPT_OUT


@pytest.mark.django_db
def test_superuser_may_opt_in_an_agent_opt_out():
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    phone_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    assert phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.UI, actor=root).changed


@pytest.mark.django_db
def test_weaker_opt_out_never_downgrades_a_stronger_one(agent_user):
    phone_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    for source in (Source.SYSTEM, Source.AGENT):
        result = phone_opt_out(number=NUMBER, source=source, channel=Channel.API, actor=agent_user)
        assert result.outcome == Outcome.ALREADY_OPTED_OUT
        assert result.source == Source.CONTACT
    assert OptOut.objects.get().channel == Channel.KEYWORD
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_repeated_opt_out_is_idempotent(agent_user):
    first = phone_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    second = phone_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    assert (first.outcome, second.outcome) == (Outcome.OPTED_OUT, Outcome.ALREADY_OPTED_OUT)
    assert OptOut.objects.count() == 1
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_opt_in_of_a_number_not_on_the_list_changes_nothing(admin_user):
    result = phone_opt_in(number=NUMBER, by=OptInBy.ADMIN, channel=Channel.API, actor=admin_user)
    assert result.outcome == Outcome.NOT_OPTED_OUT
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_event_records_actor_lead_channel_and_details(agent_user):
    lead = LeadFactory()
    phone_opt_out(
        number="(415) 555-2671",
        source=Source.AGENT,
        channel=Channel.IMPORT,
        actor=agent_user,
        lead=lead,
        note="asked on the phone",
        details={"import_job": 7},
    )
    event = ConsentEvent.objects.get()
    assert (event.phone_number, event.actor, event.lead) == (NUMBER, agent_user, lead)
    assert event.details == {"import_job": 7, "note": "asked on the phone"}
    row = OptOut.objects.get()
    assert (row.actor, row.lead, row.note) == (agent_user, lead, "asked on the phone")


@pytest.mark.django_db
def test_batch_with_a_malformed_number_applies_nothing(agent_user):
    with pytest.raises(InvalidPhoneNumber):
        phones_opt_out(
            numbers=[NUMBER, "not a phone"],
            source=Source.AGENT,
            channel=Channel.API,
            actor=agent_user,
        )
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_batch_mixes_outcomes_and_dedupes_inputs(admin_user):
    phone_opt_out(number="+12125550101", source=Source.CONTACT, channel=Channel.KEYWORD)
    phone_opt_out(number="+12125550102", source=Source.AGENT, channel=Channel.UI)

    results = phones_opt_in(
        numbers=["+12125550101", "212-555-0102", "+1 212 555 0102", "+12125550103"],
        by=OptInBy.ADMIN,
        channel=Channel.API,
        actor=admin_user,
    )

    outcomes = {r.phone_number: r.outcome for r in results}
    assert outcomes == {
        "+12125550101": Outcome.REFUSED,
        "+12125550102": Outcome.OPTED_IN,
        "+12125550103": Outcome.NOT_OPTED_OUT,
    }


@pytest.mark.django_db
def test_lead_created_with_opt_out_false_leaves_an_existing_opt_out_alone(agent_user):
    phone_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    lead_create(first_name="Dana", phones=[{"number": "415 555 2671"}], sms_opt_out=False)

    assert phone_status(number=NUMBER).source == Source.CONTACT
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_lead_created_with_opt_out_true_opts_every_phone_out(agent_user):
    result = lead_create(
        first_name="Eve",
        phones=[{"number": "415 555 2671"}, {"number": "212 555 0101", "kind": "home"}],
        sms_opt_out=True,
        actor=agent_user,
        channel=Channel.API,
    )
    assert {r.outcome for r in result.opt_outs} == {Outcome.OPTED_OUT}
    assert set(OptOut.objects.values_list("phone_number", "source")) == {
        (NUMBER, Source.AGENT),
        ("+12125550101", Source.AGENT),
    }
    asses = OptOut.objects.get(phone_number=NUMBER)
    assert asses.lead == result.lead


@pytest.mark.django_db
def test_deleting_a_lead_or_its_phone_never_removes_the_number_from_the_list(agent_user):
    result = lead_create(first_name="Fay", phones=[{"number": NUMBER}], sms_opt_out=True)
    lead_update(lead=result.lead, phones=[])
    assert phone_status(number=NUMBER).sms_opted_out
    result.lead.delete()
    assert phone_status(number=NUMBER).sms_opted_out


@pytest.mark.django_db
def test_sms_opt_out_is_computed_from_any_phone_of_the_lead():
    from leads.models import Lead

    both = lead_create(first_name="A", phones=[{"number": NUMBER}, {"number": "+12125550101"}])
    other = lead_create(first_name="B", phones=[{"number": "+12125550102"}])
    phone_opt_out(number="+12125550101", source=Source.SYSTEM, channel=Channel.CARRIER)

    flags = dict(Lead.objects.with_sms_opt_out().values_list("pk", "sms_opt_out"))

    assert flags == {both.lead.pk: True, other.lead.pk: False}


@pytest.mark.django_db
def test_consent_events_are_append_only():
    phone_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    event = ConsentEvent.objects.get()
    event.details = {"tampered": True}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
