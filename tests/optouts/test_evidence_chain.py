"""The evidence chain: each event's hash is written with it, anyone can recompute it from the rows,
and editing or removing any row makes verification fail at that row."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from optouts.evidence.chain import CANONICAL_FIELDS, chain_verify, event_canonical
from optouts.evidence.selectors import chains_verify_all, phone_chain_verification
from optouts.models import ConsentEvent, Source
from optouts.services import (
    consent_events_seal,
    phone_opt_in_by_contact,
    phone_opt_out_by_carrier,
    phone_opt_out_by_contact,
    phones_opt_out_by_staff,
)
from tests.append_only import tamper
from tests.factories import ConsentEventFactory, given_opt_in, given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"
OTHER = "+12125550100"


@pytest.fixture
def history(admin_user):
    """Four events on NUMBER (agent out, admin in, STOP, START) and one on OTHER."""
    given_opt_out(number=NUMBER, actor=admin_user, note="asked on the phone")
    given_opt_in(number=NUMBER, actor=admin_user, note="called back")
    phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP", "message_sid": "SM1"})
    phone_opt_in_by_contact(number=NUMBER, details={"text": "START ñ", "message_sid": "SM2"})
    phone_opt_out_by_carrier(number=OTHER, details={"error_code": "21610"})
    return list(ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id"))


def _independent_chain(number: str) -> list[str]:
    """The documented recipe (docs/compliance.md), with json and hashlib only: no app code."""
    previous = hashlib.sha256(number.encode()).hexdigest()
    hashes = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, phone_number, action, source, previous_source, channel, actor_id, "
            "actor_label, lead_id, lead_label, created_at, details FROM optouts_consentevent "
            "WHERE phone_number = %s ORDER BY id",
            [number],
        )
        for row in cursor.fetchall():
            (pk, phone, action, source, previous_source, channel, actor_id, actor_label) = row[:8]
            lead_id, lead_label, created_at, details = row[8:]
            if isinstance(created_at, str):  # SQLite hands back text
                from django.utils.dateparse import parse_datetime

                created_at = parse_datetime(created_at).replace(tzinfo=UTC)
            if isinstance(details, str):
                details = json.loads(details)
            canonical = json.dumps(
                {
                    "id": pk,
                    "phone_number": phone,
                    "action": action,
                    "source": source,
                    "previous_source": previous_source,
                    "channel": channel,
                    "actor_id": actor_id,
                    "actor_label": actor_label,
                    "lead_id": lead_id,
                    "lead_label": lead_label,
                    "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "details": details,
                },
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            )
            previous = hashlib.sha256((previous + canonical).encode()).hexdigest()
            hashes.append(previous)
    return hashes


def _tamper(sql: str, params: list) -> None:
    """Edit the history below the app, as someone with the database would: past the
    append-only triggers, inside the test's transaction (rolled back with it)."""
    tamper(connection, sql, params)


# --- Written with each event ------------------------------------------------------------------


def test_every_event_is_written_with_the_hash_anyone_can_recompute_from_the_rows(history):
    stored = [e.chain_hash for e in history]

    assert stored == _independent_chain(NUMBER)
    assert all(len(h) == 64 for h in stored)
    assert phone_chain_verification(number=NUMBER).ok


def test_each_number_has_its_own_chain_from_its_own_seed(history):
    (other,) = ConsentEvent.objects.filter(phone_number=OTHER)

    assert other.chain_hash == _independent_chain(OTHER)[0]
    seed = hashlib.sha256(OTHER.encode()).hexdigest()
    assert (
        other.chain_hash
        == hashlib.sha256((seed + event_canonical(fields=other.__dict__)).encode()).hexdigest()
    )


def test_a_batch_chains_each_number_on_its_own_head(admin_user, history):
    phones_opt_out_by_staff(numbers=[NUMBER, OTHER, "+13105550100"], user=admin_user, channel="api")

    for number in (NUMBER, OTHER, "+13105550100"):
        assert phone_chain_verification(number=number).ok, number
    hashes = list(ConsentEvent.objects.filter(phone_number=NUMBER).order_by("id"))
    assert [e.chain_hash for e in hashes] == _independent_chain(NUMBER)


def test_the_canonical_form_is_sorted_compact_json_of_the_stored_columns(history):
    event = history[-1]

    canonical = event_canonical(fields=event.__dict__)

    assert canonical.startswith('{"action":"opt_in","actor_id":null,"actor_label":"",')
    assert '"details":{"message_sid":"SM2","requested_by":"contact","text":"START ñ"}' in canonical
    assert f'"id":{event.pk},' in canonical
    assert '"created_at":"' + event.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") in canonical


# --- Tampering is visible ---------------------------------------------------------------------


def test_editing_one_events_details_breaks_the_chain_at_that_event(history):
    target = history[1]
    _tamper(
        "UPDATE optouts_consentevent SET details = %s WHERE id = %s",
        [json.dumps({"note": "no reason needed"}), target.pk],
    )

    verdict = phone_chain_verification(number=NUMBER)

    assert not verdict.ok
    assert verdict.first_broken.id == target.pk
    assert [c.id for c in verdict.broken] == [target.pk]  # each changed row named on its own
    assert f"breaks at event id {target.pk}" in verdict.summary()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_label", "someone else"),
        ("created_at", "2020-01-01 00:00:00+00"),
        ("action", "opt_in"),
        ("lead_id", 99),
    ],
)
def test_editing_any_hashed_column_breaks_the_chain(history, column, value):
    target = history[2]
    _tamper(f"UPDATE optouts_consentevent SET {column} = %s WHERE id = %s", [value, target.pk])

    assert phone_chain_verification(number=NUMBER).first_broken.id == target.pk


def test_removing_an_event_breaks_the_chain_at_the_next_one(history):
    _tamper("DELETE FROM optouts_consentevent WHERE id = %s", [history[1].pk])

    assert phone_chain_verification(number=NUMBER).first_broken.id == history[2].pk


def test_rewriting_a_stored_hash_breaks_it_and_the_next(history):
    _tamper(
        "UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", ["0" * 64, history[0].pk]
    )

    verdict = phone_chain_verification(number=NUMBER)
    assert [c.id for c in verdict.broken] == [history[0].pk, history[1].pk]


# --- manage.py sms_evidence_verify ------------------------------------------------------------


def test_verify_command_prints_ok_and_the_head_hash(history, capsys):
    call_command("sms_evidence_verify", "(415) 555-2671")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"OK {NUMBER}: 4 events, head {history[-1].chain_hash}",
        "(Not checked against a signed anchor.)",
    ]


def test_verify_command_says_where_the_chain_breaks_and_fails(history, capsys):
    _tamper(
        "UPDATE optouts_consentevent SET details = %s WHERE id = %s",
        [json.dumps({"text": "I never said stop"}), history[2].pk],
    )

    with pytest.raises(CommandError, match=f"breaks at event id {history[2].pk}") as caught:
        call_command("sms_evidence_verify", "4155552671")

    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert out.startswith(f"BROKEN {NUMBER}: 4 events, the chain breaks at event id")
    assert f"event id {history[2].pk}: The stored chain hash does not match" in out


def test_verify_command_refuses_a_malformed_number_or_no_number(db):
    with pytest.raises(CommandError) as caught:
        call_command("sms_evidence_verify", "not a number")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError, match="one phone number, or --all"):
        call_command("sms_evidence_verify")


def test_verify_all_names_only_the_broken_numbers(history, capsys):
    call_command("sms_evidence_verify", "--all")
    assert capsys.readouterr().out.strip() == (
        "OK: every chain verifies and every list row matches its events (2 numbers, 5 events); "
        "not checked against a signed anchor."
    )

    _tamper("UPDATE optouts_consentevent SET actor_label = 'x' WHERE phone_number = %s", [OTHER])
    with pytest.raises(CommandError, match="1 numbers with problems among 2 numbers"):
        call_command("sms_evidence_verify", "--all")
    assert capsys.readouterr().out.startswith(f"BROKEN {OTHER}")


def test_verify_all_is_bounded_and_says_so(history):
    survey = chains_verify_all(limit=1)

    assert (survey.numbers, survey.truncated, survey.broken) == (1, True, ())
    assert survey.events == 1  # OTHER (+1212...) sorts first


# --- Events written without a hash (an older process during a deploy, a raw bulk load) --------


def test_an_unsealed_event_is_reported_until_it_is_sealed(db, capsys):
    ConsentEventFactory(phone_number=NUMBER, details={"keyword": "STOP"})
    ConsentEventFactory(phone_number=NUMBER, action="opt_in", details={"keyword": "START"})

    verdict = phone_chain_verification(number=NUMBER)
    assert [c.reason for c in verdict.broken] == ["missing", "missing"]

    assert consent_events_seal() == 2
    assert phone_chain_verification(number=NUMBER).ok
    assert [e.chain_hash for e in ConsentEvent.objects.order_by("id")] == _independent_chain(NUMBER)
    call_command("sms_evidence_seal")
    assert capsys.readouterr().out.strip() == "Sealed 0 events."


def test_the_next_write_seals_an_unsealed_predecessor_and_chains_on_it(db):
    ConsentEventFactory(phone_number=NUMBER, source=Source.AGENT)

    phone_opt_out_by_contact(number=NUMBER, details={"text": "STOP"})

    assert all(ConsentEvent.objects.values_list("chain_hash", flat=True))
    assert phone_chain_verification(number=NUMBER).ok


# --- The triggers (PostgreSQL and SQLite) let an empty hash be set once, nothing else -----------


def test_the_database_lets_an_empty_hash_be_sealed_but_never_rewritten(history):
    event = ConsentEventFactory(phone_number=OTHER)
    digest = "a" * 64
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", [digest, event.pk]
        )
    refused = pytest.raises(DatabaseError, match="append-only")
    for sql, params in [
        ("UPDATE optouts_consentevent SET chain_hash = %s WHERE id = %s", ["b" * 64, event.pk]),
        ("UPDATE optouts_consentevent SET chain_hash = '' WHERE id = %s", [history[0].pk]),
    ]:
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert ConsentEvent.objects.get(pk=event.pk).chain_hash == digest


def test_sealing_cannot_smuggle_in_another_change(db):
    event = ConsentEventFactory(phone_number=OTHER, actor_label="bob")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE optouts_consentevent SET chain_hash = %s, actor_label = 'eve' WHERE id = %s",
            ["c" * 64, event.pk],
        )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE optouts_consentevent SET chain_hash = 'not hex' WHERE id = %s", [event.pk]
        )


def test_chain_verify_of_a_number_without_events_is_ok_with_the_seed_as_head():
    verdict = chain_verify(number=NUMBER, events=[])

    assert verdict.ok
    assert verdict.head == hashlib.sha256(NUMBER.encode()).hexdigest()


def test_bulk_demo_events_are_chained_too(db):
    from leads.management.bulk_seed import bulk_optouts_ensure

    bulk_optouts_ensure(count=60)  # past db_copy's COPY threshold on PostgreSQL

    survey = chains_verify_all()
    assert (survey.numbers, survey.events, survey.broken) == (60, 60, ())


# --- The verifier's fast canonical form is the same text ---------------------------------------

_texts = st.text(max_size=12)
_ids = st.one_of(st.none(), st.integers(min_value=0, max_value=2**62))
_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), _texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_texts, inner, max_size=3)
    ),
    max_leaves=6,
)


@given(
    pk=st.integers(min_value=1, max_value=2**62),
    texts=st.lists(_texts, min_size=6, max_size=6),
    actor_id=_ids,
    lead_id=_ids,
    details=st.dictionaries(_texts, _json_values, max_size=4),
    when=st.datetimes(timezones=st.just(UTC)),
)
def test_the_verifiers_row_canonical_is_event_canonical(
    pk, texts, actor_id, lead_id, details, when
):
    from optouts.evidence.chain import chain_time, row_canonical

    number, action, source, previous_source, channel, label = texts
    fields = {
        "id": pk,
        "phone_number": number,
        "action": action,
        "source": source,
        "previous_source": previous_source,
        "channel": channel,
        "actor_id": actor_id,
        "actor_label": label,
        "lead_id": lead_id,
        "lead_label": label[::-1],
        "created_at": when,
        "details": details,
    }
    row = (*(fields[name] for name in CANONICAL_FIELDS[:10]), chain_time(when), details, "")

    assert row_canonical(row) == event_canonical(fields=fields)


@given(
    texts=st.lists(_texts, min_size=6, max_size=6),
    actor_id=_ids,
    lead_ids=st.lists(_ids, min_size=1, max_size=4),
    details=st.dictionaries(_texts, _json_values, max_size=4),
    when=st.datetimes(timezones=st.just(UTC)),
)
def test_a_batchs_canonical_texts_are_event_canonical(texts, actor_id, lead_ids, details, when):
    from types import SimpleNamespace

    from optouts.evidence.chain import event_fields, events_canonical

    number, action, source, previous_source, channel, label = texts
    events = [
        SimpleNamespace(
            id=pk,
            phone_number=number,
            action=action,
            source=source,
            previous_source=previous_source,
            channel=channel,
            actor_id=actor_id,
            actor_label=label,
            lead_id=lead_id,
            lead_label=label[::-1],
            created_at=when,
            details=details,
        )
        for pk, lead_id in enumerate(lead_ids, start=1)
    ]
    # What event_canonical takes and the fast form does not: a tuple, no details, a label
    # that is not a str.
    events[0].details = {**details, "pair": (1, "two")}
    events[-1].details = None
    events[-1].actor_label = 7

    assert events_canonical(events=events) == [
        event_canonical(fields=event_fields(event)) for event in events
    ]
