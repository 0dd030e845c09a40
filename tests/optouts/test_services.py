"""docs/rules.md's table, row by row, plus precedence, idempotency and auditing.

Every request goes through the intent service a real caller uses (staff, contact, carrier, admin).
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leads.services import lead_create, lead_update
from optouts.messaging.inbox import possible_opt_out_confirm
from optouts.messaging.models import PossibleOptOut
from optouts.messaging.provider_callbacks import inbound_message_receive
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.selectors import phone_status
from optouts.services import (
    ConsentNotPermitted,
    OptInNoteRequired,
    Outcome,
    RefusalReason,
    phone_opt_in_by_contact,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)
from optouts.services.apply import _locked_rows
from tests.factories import LeadFactory, UserFactory
from tests.optouts.rules_oracle import state_from_log
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
    # The contact's words, whoever applies them: a clear revocation read by the system, the
    # contact's request taken down by an agent on a call, a reviewer confirming a pending text.
    "revocation_in_words": [Source.CONTACT, Source.CONTACT, Source.CONTACT, Source.CONTACT],
    "contact_asked_on_a_call": [Source.CONTACT, Source.CONTACT, Source.CONTACT, Source.CONTACT],
    # (No pending item opens over a contact's or carrier's opt-out: nothing to confirm there.)
    "reviewer_confirms_pending": [Source.CONTACT, Source.CONTACT, None, None],
    # A possible revocation changes no list row: it pauses texts (tested in the row's own test).
    "possible_revocation": [IN, Source.AGENT, Source.SYSTEM, Source.CONTACT],
    "admin_opt_in": [IN, IN, "refused", "refused"],
    "agent_opt_in": ["refused", "refused", "refused", "refused"],
    "start_word": [IN, IN, IN, IN],
}


def staff_opt_out(number, user, channel=Channel.UI, **kwargs):
    (result,) = phones_opt_out_by_staff(numbers=[number], user=user, channel=channel, **kwargs)
    return result


def admin_opt_in(number, user, channel=Channel.REPORT, note="customer asked by phone"):
    (result,) = phones_opt_in_by_admin(numbers=[number], user=user, channel=channel, note=note)
    return result


def _put_in_state(state, agent):
    """Bring NUMBER to `state` through the services (a contact STOP reaches any source)."""
    if state == Source.AGENT:
        staff_opt_out(NUMBER, agent)
    elif state == Source.SYSTEM:
        phone_opt_out_by_carrier(number=NUMBER, details={"error_code": "21610"})
    elif state == Source.CONTACT:
        phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP"})


def _request(name, *, admin, agent):
    if name == "agent_opt_out":
        return staff_opt_out(NUMBER, agent)
    if name == "carrier_opt_out":
        return phone_opt_out_by_carrier(number=NUMBER, details={"error_code": "21610"})
    if name == "stop_word":
        return phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP"})
    if name == "revocation_in_words":
        return phone_opt_out_by_contact(
            number=NUMBER, channel=Channel.SMS, details={"text": "wrong number"}
        )
    if name == "contact_asked_on_a_call":
        return phone_opt_out_by_contact(number=NUMBER, channel=Channel.CALL, recorded_by=agent)
    if name in ("reviewer_confirms_pending", "possible_revocation"):
        sid = f"SM{ConsentEvent.objects.count():032x}"
        inbound_message_receive(
            message_sid=sid, from_number=NUMBER, body="pls stop texting so early ok"
        )
        item = PossibleOptOut.objects.filter(phone_number=NUMBER, status="open").first()
        if name == "possible_revocation":
            return _Unchanged(opened=item is not None)
        return possible_opt_out_confirm(item_id=item.pk, actor=agent)
    if name == "admin_opt_in":
        return admin_opt_in(NUMBER, admin)
    if name == "agent_opt_in":
        return admin_opt_in(NUMBER, agent, channel=Channel.UI)
    if name == "start_word":
        return phone_opt_in_by_contact(number=NUMBER, details={"text": "START"})
    raise AssertionError(name)


class _Unchanged:
    """What a possible revocation returns here: no list change; whether it paused texts."""

    outcome = "unchanged"
    changed = False

    def __init__(self, *, opened: bool) -> None:
        self.opened = opened


TABLE = [
    pytest.param(request, before, after, id=f"{request}-from-{before or 'in'}")
    for request, afters in RULES.items()
    for before, after in zip(STATES, afters, strict=True)
    if not (request == "reviewer_confirms_pending" and before in (Source.SYSTEM, Source.CONTACT))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("request_name", "before", "expected"), TABLE)
def test_rules_table(request_name, before, expected, admin_user, agent_user):
    _put_in_state(before, agent_user)
    events_before = ConsentEvent.objects.count()

    result = _request(request_name, admin=admin_user, agent=agent_user)

    status = phone_status(number=NUMBER)
    # The list's own events; a pause for review or its end are checked by their own rows.
    new_events = [
        e
        for e in ConsentEvent.objects.order_by("id")[events_before:]
        if e.action not in ("revocation_pending", "revocation_dismissed")
    ]
    if request_name == "possible_revocation":
        # Pending (no SMS until decided) from opted in and from an agent's opt-out; nothing to
        # decide over the contact's or the carrier's.
        assert result.opened is (before in (IN, Source.AGENT))
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
    # The log alone always explains the list: the rules table replayed over it gives the row.
    history = ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id")
    assert state_from_log(events=history) == status.source


@pytest.mark.django_db
def test_admin_cannot_opt_in_a_number_that_texted_stop(admin_user):
    phone_opt_out_by_contact(number=NUMBER)

    result = admin_opt_in(NUMBER, admin_user, channel=Channel.API)

    assert result.reason == RefusalReason.CONTACT_OPT_OUT
    assert "START" in result.detail
    refusal = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN_REFUSED)
    assert (refusal.actor_id, refusal.actor_label) == (admin_user.pk, admin_user.username)
    assert refusal.channel == Channel.API
    assert refusal.details["note"] == "customer asked by phone"


@pytest.mark.django_db
def test_system_opt_out_refusal_names_its_reason(admin_user):
    phone_opt_out_by_carrier(number=NUMBER)
    assert admin_opt_in(NUMBER, admin_user).reason == RefusalReason.SYSTEM_OPT_OUT


@pytest.mark.django_db
def test_superuser_may_opt_in_an_agent_opt_out(agent_user):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    staff_opt_out(NUMBER, agent_user)
    assert admin_opt_in(NUMBER, root, channel=Channel.UI).changed


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["", "   ", None])
def test_admin_opt_in_without_a_reason_is_refused_and_writes_nothing(admin_user, agent_user, note):
    staff_opt_out(NUMBER, agent_user)
    events = ConsentEvent.objects.count()
    with pytest.raises(OptInNoteRequired):
        phones_opt_in_by_admin(numbers=[NUMBER], user=admin_user, channel=Channel.UI, note=note)
    assert phone_status(number=NUMBER).source == Source.AGENT
    assert ConsentEvent.objects.count() == events


@pytest.mark.django_db
def test_admin_opt_in_keeps_its_reason_on_the_event(admin_user, agent_user):
    staff_opt_out(NUMBER, agent_user)
    admin_opt_in(NUMBER, admin_user, note="  customer asked by phone on 2 Dec ")
    event = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN)
    assert event.details["note"] == "customer asked by phone on 2 Dec"


@pytest.mark.django_db
def test_staff_opt_out_needs_the_opt_out_permission():
    nobody = UserFactory(username="viewer", is_staff=True)
    with pytest.raises(ConsentNotPermitted) as caught:
        staff_opt_out(NUMBER, nobody)
    assert isinstance(caught.value, PermissionDenied)
    with pytest.raises(ConsentNotPermitted):
        staff_opt_out(NUMBER, None)
    assert not OptOut.objects.exists() and not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_inactive_staff_may_not_opt_out(agent_user):
    agent_user.is_active = False
    agent_user.save()
    with pytest.raises(ConsentNotPermitted):
        staff_opt_out(NUMBER, agent_user)


@pytest.mark.django_db
@pytest.mark.parametrize("channel", [Channel.KEYWORD, Channel.CARRIER])
def test_staff_cannot_claim_a_contact_or_carrier_channel(agent_user, channel):
    with pytest.raises(ValueError, match="Channel"):
        staff_opt_out(NUMBER, agent_user, channel=channel)


@pytest.mark.django_db
def test_admin_cannot_opt_in_through_the_keyword_channel(admin_user):
    with pytest.raises(ValueError, match="Channel"):
        admin_opt_in(NUMBER, admin_user, channel=Channel.KEYWORD)


@pytest.mark.django_db
def test_weaker_opt_out_never_downgrades_a_stronger_one(agent_user):
    phone_opt_out_by_contact(number=NUMBER)
    results = [
        phone_opt_out_by_carrier(number=NUMBER),
        staff_opt_out(NUMBER, agent_user, channel=Channel.API),
    ]
    for result in results:
        assert result.outcome == Outcome.ALREADY_OPTED_OUT
        assert result.source == Source.CONTACT
    assert OptOut.objects.get().channel == Channel.KEYWORD
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_repeated_opt_out_is_idempotent(agent_user):
    first = staff_opt_out(NUMBER, agent_user)
    second = staff_opt_out(NUMBER, agent_user)
    assert (first.outcome, second.outcome) == (Outcome.OPTED_OUT, Outcome.ALREADY_OPTED_OUT)
    assert OptOut.objects.count() == 1
    assert ConsentEvent.objects.count() == 1


@pytest.mark.django_db
def test_opt_in_of_a_number_not_on_the_list_changes_nothing(admin_user):
    result = admin_opt_in(NUMBER, admin_user, channel=Channel.API)
    assert result.outcome == Outcome.NOT_OPTED_OUT
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_event_records_actor_lead_channel_and_details(agent_user):
    lead = LeadFactory()
    staff_opt_out(
        "(415) 555-2671",
        agent_user,
        channel=Channel.IMPORT,
        lead=lead.ref,
        note="asked on the phone",
        details={"import_job": 7},
    )
    event = ConsentEvent.objects.get()
    assert (event.phone_number, event.actor_id, event.lead_id) == (NUMBER, agent_user.pk, lead.pk)
    assert event.details == {"import_job": 7, "note": "asked on the phone"}
    row = OptOut.objects.get()
    assert (row.actor_id, row.lead_id, row.note) == (agent_user.pk, lead.pk, "asked on the phone")


@pytest.mark.django_db
def test_batch_with_a_malformed_number_applies_nothing(agent_user):
    with pytest.raises(InvalidPhoneNumber):
        phones_opt_out_by_staff(
            numbers=[NUMBER, "not a phone"], user=agent_user, channel=Channel.API
        )
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
def test_batch_mixes_outcomes_and_dedupes_inputs(admin_user, agent_user):
    phone_opt_out_by_contact(number="+12125550101")
    staff_opt_out("+12125550102", agent_user)

    results = phones_opt_in_by_admin(
        numbers=["+12125550101", "212-555-0102", "+1 212 555 0102", "+12125550103"],
        user=admin_user,
        channel=Channel.API,
        note="asked",
    )

    outcomes = {r.phone_number: r.outcome for r in results}
    assert outcomes == {
        "+12125550101": Outcome.REFUSED,
        "+12125550102": Outcome.OPTED_IN,
        "+12125550103": Outcome.NOT_OPTED_OUT,
    }


@pytest.mark.django_db
def test_lead_created_with_opt_out_false_leaves_an_existing_opt_out_alone(agent_user):
    phone_opt_out_by_contact(number=NUMBER)

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
    assert OptOut.objects.get(phone_number=NUMBER).lead_id == result.lead.pk


@pytest.mark.django_db
def test_lead_created_with_opt_out_true_needs_the_opt_out_permission():
    viewer = UserFactory(username="viewer", is_staff=True)
    with pytest.raises(ConsentNotPermitted):
        lead_create(first_name="Gil", phones=[{"number": NUMBER}], sms_opt_out=True, actor=viewer)
    assert not OptOut.objects.exists()


@pytest.mark.django_db
def test_deleting_a_lead_or_its_phone_never_removes_the_number_from_the_list(agent_user):
    result = lead_create(
        first_name="Fay", phones=[{"number": NUMBER}], sms_opt_out=True, actor=agent_user
    )
    lead_update(lead=result.lead, phones=[])
    assert phone_status(number=NUMBER).sms_opted_out
    result.lead.delete()
    assert phone_status(number=NUMBER).sms_opted_out


@pytest.mark.django_db
def test_sms_opt_out_is_computed_from_any_phone_of_the_lead():
    from leads.models import Lead

    both = lead_create(first_name="A", phones=[{"number": NUMBER}, {"number": "+12125550101"}])
    other = lead_create(first_name="B", phones=[{"number": "+12125550102"}])
    phone_opt_out_by_carrier(number="+12125550101")

    flags = dict(Lead.objects.with_sms_opt_out().values_list("pk", "sms_opt_out"))

    assert flags == {both.lead.pk: True, other.lead.pk: False}


@pytest.mark.django_db
def test_consent_events_are_append_only():
    phone_opt_out_by_contact(number=NUMBER)
    event = ConsentEvent.objects.get()
    event.details = {"tampered": True}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_on_its_own_takes_no_savepoint_and_updates_the_day_count_last(agent_user):
    """An API opt-out is one transaction, and the day's roll-up row (which every opt-out of the
    day updates, so concurrent requests queue on its lock) is its last write before the commit."""
    with CaptureQueriesContext(connection) as queries:
        phones_opt_out_by_staff(numbers=[NUMBER], user=agent_user, channel=Channel.API)

    statements = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in statements if s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert "optouts_optoutday" in writes[-1]
    assert OptOut.objects.filter(phone_number=NUMBER).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statements PostgreSQL runs")
def test_an_opt_out_of_a_new_number_on_its_own_is_six_statements_in_its_transaction(agent_user):
    """The API's most common request, statement by statement (each costs the web process a
    round trip): the lock (the global key and the number's, one statement), the locked read, the
    list row, the chain head with the event's id, the event, the day's count."""
    with CaptureQueriesContext(connection) as queries:
        phones_opt_out_by_staff(numbers=[NUMBER], user=agent_user, channel=Channel.API)

    statements = [q["sql"] for q in queries.captured_queries]
    inside = statements[statements.index("BEGIN") + 1 : statements.index("COMMIT")]
    # (the statement's verb, the first table it names)
    shapes = [
        (sql.split()[0], next(iter(re.findall(r'"(optouts_\w+)"', sql)), None)) for sql in inside
    ]
    assert shapes == [
        ("SELECT", None),  # pg_advisory_xact_lock_shared(global), pg_advisory_xact_lock(number)
        ("SELECT", "optouts_optout"),  # ... FOR UPDATE
        ("INSERT", "optouts_optout"),
        ("SELECT", "optouts_consentevent"),  # the chain head, and nextval() for the event's id
        ("INSERT", "optouts_consentevent"),
        ("INSERT", "optouts_optoutday"),
    ]


@pytest.mark.django_db
def test_the_locked_read_of_the_list_gives_the_rows_a_queryset_gives(agent_user):
    """The rules decide on rows read under the lock by hand on PostgreSQL (not a queryset): the
    same values, as saved model instances, with every column (a carrier reason, a lead)."""
    lead = LeadFactory()
    phones_opt_out_by_staff(
        numbers=[NUMBER], user=agent_user, channel=Channel.UI, lead=lead.ref, note="asked"
    )
    phone_opt_out_by_carrier(number="+12125550101", reason="landline")

    with transaction.atomic():
        locked = _locked_rows([NUMBER, "+12125550101", "+12125550199"])

    assert sorted(locked) == ["+12125550101", NUMBER]
    fields = [f.attname for f in OptOut._meta.concrete_fields]
    for number, row in locked.items():
        expected = OptOut.objects.get(phone_number=number)
        assert [getattr(row, name) for name in fields] == [
            getattr(expected, name) for name in fields
        ]
        assert type(row.opted_out_at) is type(expected.opted_out_at)
        assert (row._state.adding, row._state.db) == (False, expected._state.db)
