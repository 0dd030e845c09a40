"""Signed anchors: written by `sms_evidence_anchor` outside the database, chained to each other,
checked by `sms_evidence_verify`; a number's bundle carries its proof, which anyone checks with
the published public key and docs/examples/verify_bundle.py, without the database."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from optouts.evidence.anchors import anchor_hash, anchor_sign, public_key_hex, signing_key_required
from optouts.evidence.services import evidence_anchor_write
from optouts.evidence.store import anchor_store
from optouts.models import ConsentEvent
from optouts.services import phone_opt_in_by_contact, phone_opt_out_by_contact

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "examples" / "verify_bundle.py"
NUMBER, OTHER = "+14155552671", "+12125550100"


def _command(name: str, *args: str) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc.returncode
    return out.getvalue(), err.getvalue(), 0


@pytest.fixture
def two_numbers():
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    phone_opt_out_by_contact(number=OTHER, details={"keyword": "STOP"})


def _folder(settings) -> Path:
    return Path(settings.SMS_EVIDENCE_ANCHOR_DIR)


# --- Writing anchors --------------------------------------------------------------------------


def test_the_anchor_command_signs_every_numbers_head_and_chains_anchors(two_numbers, settings):
    out, _, status = _command("sms_evidence_anchor")
    assert status == 0
    assert out.startswith("Anchor #1 at ")
    assert "2 numbers, 2 events" in out
    phone_opt_in_by_contact(number=NUMBER, details={"keyword": "START"})
    _command("sms_evidence_anchor")

    first = json.loads((_folder(settings) / "anchor-00000001.json").read_text())
    second = json.loads((_folder(settings) / "anchor-00000002.json").read_text())
    assert second["anchor"]["previous_anchor"] == anchor_hash(first["anchor"])
    assert first["anchor"]["previous_anchor"] is None
    assert second["anchor"]["public_key"] == public_key_hex(signing_key_required().public_key())
    with gzip.open(_folder(settings) / second["anchor"]["leaves_file"], "rt") as leaves:
        lines = leaves.read().splitlines()
    heads = {
        n: ConsentEvent.objects.filter(phone_number=n).order_by("-id").first()
        for n in (NUMBER, OTHER)
    }
    assert lines == [
        f"{OTHER}\t1\t{heads[OTHER].pk}\t{heads[OTHER].chain_hash}",
        f"{NUMBER}\t2\t{heads[NUMBER].pk}\t{heads[NUMBER].chain_hash}",
    ]


def test_an_unchanged_database_gets_a_new_anchor_naming_the_same_leaves(two_numbers, settings):
    first = evidence_anchor_write().payload
    second = evidence_anchor_write().payload

    assert second["sequence"] == 2
    assert second["merkle_root"] == first["merkle_root"]
    assert second["leaves_file"] == first["leaves_file"]
    assert sorted(p.name for p in _folder(settings).iterdir()) == [
        "anchor-00000001-leaves.txt.gz",
        "anchor-00000001.json",
        "anchor-00000002.json",
    ]


def test_without_a_signing_key_the_command_refuses(settings, db):
    settings.SMS_EVIDENCE_SIGNING_KEY = ""

    _, _, status = _command("sms_evidence_anchor")

    assert status == 2


def test_the_command_prints_the_public_key_to_publish(db):
    out, _, _ = _command("sms_evidence_anchor", "--public-key")

    public = public_key_hex(signing_key_required().public_key())
    assert out.startswith(public)
    assert "-----BEGIN PUBLIC KEY-----" in out


def test_the_anchorer_seals_unsealed_events_before_it_signs(settings, db):
    from tests.factories import ConsentEventFactory

    ConsentEventFactory(phone_number=NUMBER)  # a raw load, no hash

    payload = evidence_anchor_write().payload

    assert payload["numbers"] == 1
    assert ConsentEvent.objects.get().chain_hash


def test_the_storage_alias_setting_sends_anchors_to_that_storage(two_numbers, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "bucket")},
        },
    }
    settings.SMS_EVIDENCE_ANCHOR_STORAGE = "evidence"

    evidence_anchor_write()

    assert (tmp_path / "bucket" / "anchor-00000001.json").exists()
    assert not any(_folder(settings).iterdir())


# --- Verifying against anchors ----------------------------------------------------------------


def test_events_newer_than_the_anchor_read_not_yet_anchored_never_ok(two_numbers):
    evidence_anchor_write()
    phone_opt_in_by_contact(number=NUMBER, details={"keyword": "START"})

    out, _, status = _command("sms_evidence_verify", NUMBER)
    assert status == 0
    assert out.startswith(f"NOT YET ANCHORED {NUMBER}: 2 events, head ")
    assert "1 newer than anchor #1" in out
    assert "OK" not in out

    out, _, status = _command("sms_evidence_verify", "--all")
    assert status == 0
    assert out.startswith("NOT YET ANCHORED: 1 numbers have 1 events newer than anchor #1")
    assert "the other 1 numbers match it" in out

    evidence_anchor_write()
    out, _, _ = _command("sms_evidence_verify", NUMBER)
    assert out.startswith(f"OK {NUMBER}: 2 events, head ")
    assert "as anchor #2" in out


def test_a_number_first_seen_after_the_anchor_is_not_yet_anchored(two_numbers):
    evidence_anchor_write()
    phone_opt_out_by_contact(number="+13105550100", details={"keyword": "STOP"})

    out, _, _ = _command("sms_evidence_verify", "+13105550100")

    assert out.startswith("NOT YET ANCHORED +13105550100: 1 events")


@pytest.mark.parametrize("damage", ["delete", "edit", "replace", "foreign key"])
def test_damaged_anchors_are_reported(two_numbers, settings, damage):
    evidence_anchor_write()
    evidence_anchor_write()
    folder = _folder(settings)
    first = folder / "anchor-00000001.json"
    if damage == "delete":
        first.unlink()
        expected = "anchor #1 is missing"
    elif damage == "edit":
        document = json.loads(first.read_text())
        document["anchor"]["events"] = 1
        first.write_text(json.dumps(document))
        expected = "the signature of anchor #1 does not verify"
    elif damage == "replace":
        # A new anchor #2, properly signed, that does not name #1: the chain of anchors breaks.
        second = folder / "anchor-00000002.json"
        document = json.loads(second.read_text())
        payload = {k: v for k, v in document["anchor"].items() if k not in {"public_key", "key_id"}}
        payload.pop("algorithm")
        payload["previous_anchor"] = "0" * 64
        second.write_text(json.dumps(anchor_sign(payload=payload, key=signing_key_required())))
        expected = "anchor #2 does not name anchor #1"
    else:
        settings.SMS_EVIDENCE_SIGNING_KEY = "11" * 32
        expected = "not a trusted key"

    out, _, status = _command("sms_evidence_verify", "--all")

    assert status == 1
    assert expected in out


def test_verifying_from_outside_needs_a_public_key(two_numbers, settings):
    evidence_anchor_write()
    settings.SMS_EVIDENCE_SIGNING_KEY = ""

    _, _, status = _command("sms_evidence_verify", "--all", "--anchors", str(_folder(settings)))

    assert status == 2


# --- The bundle carries the proof -------------------------------------------------------------


def _bundle(admin_api, tmp_path, number=NUMBER) -> Path:
    response = admin_api.get(f"/api/v1/sms/phone-numbers/{number}/evidence/")
    assert response.status_code == 200
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(response.json()))
    return path


def _offline(path: Path, key: str) -> subprocess.CompletedProcess:
    # A bare interpreter: no Django, no settings, no database, only the script and the key.
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path), "--public-key", key],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=path.parent,
    )


def test_an_exported_bundle_verifies_offline_with_the_published_key(admin_api, tmp_path):
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    phone_opt_out_by_contact(number=OTHER, details={"keyword": "STOP"})
    phone_opt_in_by_contact(number=NUMBER, details={"keyword": "START"})
    evidence_anchor_write()
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    public = public_key_hex(signing_key_required().public_key())
    path = _bundle(admin_api, tmp_path)

    bundle = json.loads(path.read_text())
    assert bundle["anchor"]["status"] == "pending"
    assert bundle["anchor"]["public_key"] == public
    assert bundle["anchor"]["leaf"]["events"] == 2

    result = _offline(path, public)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("chain OK: 3 events")
    assert lines[1].startswith("anchor #1 of ")
    assert lines[2].startswith("ANCHORED: events 1 to 2")
    assert lines[3].startswith("NOT YET ANCHORED: the 1 events after id")


def test_offline_verification_fails_for_another_key_or_an_edited_bundle(admin_api, tmp_path):
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    evidence_anchor_write()
    public = public_key_hex(signing_key_required().public_key())
    path = _bundle(admin_api, tmp_path)

    other_key = public_key_hex(Ed25519PrivateKey.from_private_bytes(b"\x22" * 32).public_key())
    result = _offline(path, other_key)
    assert result.returncode == 1
    assert "names another public key" in result.stdout

    bundle = json.loads(path.read_text())
    bundle["events"][0]["source"] = "agent"
    bundle["events"][0]["details"] = {}
    path.write_text(json.dumps(bundle))
    result = _offline(path, public)
    assert result.returncode == 1
    assert "the chain breaks at event id" in result.stdout


def test_a_bundle_names_a_deleted_history_the_anchor_holds(admin_api, tmp_path):
    from django.db import connection

    from tests.append_only import tamper

    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    evidence_anchor_write()
    tamper(connection, "DELETE FROM optouts_consentevent WHERE phone_number = %s", [NUMBER])

    bundle = json.loads(_bundle(admin_api, tmp_path).read_text())

    assert bundle["anchor"]["status"] == "deleted"
    assert bundle["verification"]["findings"][0].startswith(f"DELETED {NUMBER}")
    assert bundle["verification"]["list"].startswith("on the opt-out list (source contact)")


def test_anchor_store_lists_only_anchor_documents(two_numbers, settings):
    evidence_anchor_write()
    (_folder(settings) / "notes.txt").write_text("kept by the auditor")

    assert anchor_store().sequences() == [1]


def test_the_csv_and_the_printable_page_carry_the_anchor_too(admin_api):
    phone_opt_out_by_contact(number=NUMBER, details={"keyword": "STOP"})
    evidence_anchor_write()

    csv_text = admin_api.get(f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/?format=csv")
    html = admin_api.get(f"/api/v1/sms/phone-numbers/{NUMBER}/evidence/?format=html")

    text = csv_text.content.decode()
    assert "Anchor,anchored," in text
    assert "Anchor (signed, JSON)" in text
    assert "Anchor leaf and proof (JSON)" in text
    assert public_key_hex(signing_key_required().public_key()) in text
    page = html.content.decode()
    assert 'id="anchor">OK ' in page
    assert "anchor #1, Merkle proof of 0 hashes" in page


def test_offline_verification_fails_for_a_proof_that_does_not_lead_to_the_signed_root(
    admin_api, tmp_path
):
    for number in (NUMBER, OTHER, "+13105550100"):
        phone_opt_out_by_contact(number=number, details={"keyword": "STOP"})
    evidence_anchor_write()
    public = public_key_hex(signing_key_required().public_key())
    path = _bundle(admin_api, tmp_path)
    bundle = json.loads(path.read_text())
    assert bundle["anchor"]["proof"]

    bundle["anchor"]["proof"][0] = "00" * 32
    path.write_text(json.dumps(bundle))
    result = _offline(path, public)

    assert result.returncode == 1
    assert "the Merkle proof does not lead to the root anchor #1" in result.stdout


def test_every_anchors_on_a_schedule_until_stopped(two_numbers, settings, monkeypatch):
    import threading

    from optouts.management.commands import sms_evidence_anchor as command

    # The test's own transaction and signal handlers stay as they are.
    monkeypatch.setattr(command, "close_old_connections", lambda: None)
    monkeypatch.setattr(command.signal, "signal", lambda *args: None)
    waits = []

    def wait(self, seconds):
        waits.append(seconds)
        if len(waits) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(threading.Event, "wait", wait)

    out, _, status = _command("sms_evidence_anchor", "--every", "3600")

    assert status == 0
    assert waits == [3600, 3600]
    assert out.startswith("Anchoring the evidence every 3600 s to ")
    assert anchor_store().sequences() == [1, 2]


def test_an_anchor_whose_leaves_are_gone_is_reported_not_a_crash(two_numbers, settings):
    evidence_anchor_write()
    (_folder(settings) / "anchor-00000001-leaves.txt.gz").unlink()

    out, _, status = _command("sms_evidence_verify", "--all")
    assert status == 1
    assert "ANCHORS: the leaves of anchor #1 cannot be read" in out

    _, err, status = _command("sms_evidence_anchor")
    assert status == 1
    assert err.startswith("REFUSED: the leaves of anchor #1 cannot be read")
