"""Someone with the app's database role edits the consent history below the app.

One test per attack found on the evidence chain alone (docs/compliance.md, "What the chain and
the anchors prove"): each passed `sms_evidence_verify` before signed anchors, the list check and
the triggers; each is now reported or refused.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from optouts.evidence.anchors import public_key_hex, signing_key_required
from optouts.evidence.services import AnchorRefused, evidence_anchor_write
from optouts.models import Channel, ConsentEvent, OptOut
from optouts.services import (
    phone_opt_in_by_contact,
    phone_opt_out_by_contact,
    phones_opt_in_by_admin,
    phones_opt_out_by_staff,
)
from tests.append_only import tamper
from tests.optouts.attacker import rewrite

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"
OTHER = "+12125550100"


def _verify(*args: str) -> tuple[str, int]:
    """(stdout, exit status) of sms_evidence_verify."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("sms_evidence_verify", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc.returncode
    return out.getvalue(), 0


@pytest.fixture
def anchored(agent_user, settings, tmp_path):
    """NUMBER opted out by the contact's STOP, OTHER by an agent, both anchored; the anchors
    copied to a folder of the verifier's own, and the published public key."""
    phones_opt_out_by_staff(numbers=[OTHER], user=agent_user, channel=Channel.UI)
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP", "message_sid": "SM1"})
    evidence_anchor_write()
    copies = tmp_path / "copies"
    shutil.copytree(settings.SMS_EVIDENCE_ANCHOR_DIR, copies)
    return {
        "copies": str(copies),
        "public_key": public_key_hex(signing_key_required().public_key()),
    }


def _from_outside(anchored, settings, *args: str) -> tuple[str, int]:
    """The verifier from outside: its copies of the anchors and the published key, no secret."""
    settings.SMS_EVIDENCE_SIGNING_KEY = ""
    return _verify(*args, "--anchors", anchored["copies"], "--public-key", anchored["public_key"])


def test_a_stop_rewritten_as_an_agent_opt_out_with_every_hash_recomputed_is_reported(
    anchored, admin_user, settings
):
    (stop,) = ConsentEvent.objects.filter(phone_number=NUMBER)
    rewrite(
        "UPDATE optouts_consentevent SET source = 'agent', channel = 'ui', details = %s "
        "WHERE id = %s",
        [json.dumps({}), stop.pk],
        rehash_number=NUMBER,
    )
    tamper(connection, "UPDATE optouts_optout SET source = 'agent', channel = 'ui'")
    # The chain alone is fooled, and an admin may now opt the contact back in.
    assert _verify(NUMBER, "--no-anchors")[1] == 0
    phones_opt_in_by_admin(numbers=[NUMBER], user=admin_user, channel=Channel.UI, note="x")
    assert not OptOut.objects.filter(phone_number=NUMBER).exists()

    out, status = _from_outside(anchored, settings, NUMBER)

    assert status == 1
    assert out.startswith(f"REWRITTEN {NUMBER}: the chain does not pass through the head anchor #1")
    out, status = _from_outside(anchored, settings, "--all")
    assert status == 1
    assert f"REWRITTEN {NUMBER}" in out
    assert OTHER not in out


def test_the_anchorer_refuses_to_sign_a_rewritten_history(anchored):
    (stop,) = ConsentEvent.objects.filter(phone_number=NUMBER)
    rewrite(
        "UPDATE optouts_consentevent SET source = 'agent' WHERE id = %s",
        [stop.pk],
        rehash_number=NUMBER,
    )
    tamper(connection, "UPDATE optouts_optout SET source = 'agent'")

    with pytest.raises(AnchorRefused, match=re.escape(f"REWRITTEN {NUMBER}")):
        evidence_anchor_write()


def test_deleting_the_newest_events_of_a_number_is_reported(anchored, settings):
    phone_opt_in_by_contact(number=NUMBER, details={"keyword": "START"})
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    evidence_anchor_write()
    shutil.copytree(settings.SMS_EVIDENCE_ANCHOR_DIR, anchored["copies"], dirs_exist_ok=True)
    newest = list(ConsentEvent.objects.filter(phone_number=NUMBER).order_by("-id")[:2])
    tamper(
        connection,
        "DELETE FROM optouts_consentevent WHERE id IN (%s, %s)",
        [newest[0].pk, newest[1].pk],
    )

    out, status = _from_outside(anchored, settings, NUMBER)

    assert status == 1
    assert out.startswith(f"TRUNCATED {NUMBER}: anchor #2")
    assert "holds 3 events" in out
    assert "the database has 1" in out


def test_deleting_a_numbers_whole_history_is_reported(anchored, settings):
    tamper(connection, "DELETE FROM optouts_consentevent WHERE phone_number = %s", [NUMBER])
    tamper(connection, "DELETE FROM optouts_optout WHERE phone_number = %s", [NUMBER])

    out, status = _from_outside(anchored, settings, NUMBER)
    assert status == 1
    assert out.startswith(f"DELETED {NUMBER}: anchor #1")
    assert "OK" not in out

    out, status = _from_outside(anchored, settings, "--all")
    assert status == 1
    assert f"DELETED {NUMBER}" in out


def test_deleting_a_contacts_list_row_is_reported(anchored):
    tamper(connection, "DELETE FROM optouts_optout WHERE phone_number = %s", [NUMBER])

    out, status = _verify(NUMBER, "--no-anchors")

    assert status == 1
    assert out.startswith(f"LIST {NUMBER}: not on the opt-out list, but its last list event")
    assert "opt-out with source contact: the row was deleted" in out
    out, status = _verify("--all", "--no-anchors")
    assert status == 1
    assert f"LIST {NUMBER}" in out


def test_a_list_row_without_the_events_that_put_it_there_is_reported(anchored):
    tamper(
        connection,
        "INSERT INTO optouts_optout (phone_number, source, channel, opted_out_at, actor_label, "
        "lead_label, note, reason) VALUES (%s, 'contact', 'keyword', %s, '', '', '', '')",
        ["+13105550100", "2026-01-01 00:00:00+00:00"],
    )
    tamper(
        connection, "UPDATE optouts_optout SET source = 'contact' WHERE phone_number = %s", [OTHER]
    )

    out, status = _verify("--all", "--no-anchors")

    assert status == 1
    assert (
        "LIST +13105550100: on the opt-out list (source contact) without any consent event" in out
    )
    assert f"LIST {OTHER}: on the opt-out list with source contact, but its last list event" in out
    assert "says agent" in out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_truncating_the_events_is_refused(anchored):
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE optouts_consentevent")
    assert ConsentEvent.objects.count() == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE optouts_consentevent SET source = 'agent', channel = 'ui'",
        "DELETE FROM optouts_consentevent",
    ],
)
def test_raw_update_and_delete_of_events_are_refused_on_every_database(anchored, sql):
    # SQLite, the embedded default, had no trigger at all.
    with (
        pytest.raises(DatabaseError, match="Consent events are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert _verify("--all")[1] == 0
