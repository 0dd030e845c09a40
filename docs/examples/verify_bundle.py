"""Check a velocify-sms evidence bundle without the app or its database.

    python verify_bundle.py consent-evidence-14155552671-20261202-101500.json \
        --public-key 3b6a27bc...   (64 hex digits, or a PEM file, as the lender published it)

Needs Python 3.10+ and the `cryptography` package, nothing else. It checks, in order:
1. the chain: every event's hash recomputed from its canonical fields and the hash before it,
   from the seed sha256(number) (docs/compliance.md, "The chain");
2. the anchor: signed with Ed25519 by the published key (the key inside the bundle is not
   trusted on its own word);
3. the number's leaf: the anchor held this number with this many events, the last one's id and
   the chain head recomputed in step 1 at that event;
4. the Merkle inclusion proof of that leaf under the anchor's signed root (RFC 9162, 2.1.3.2).
Events after the anchored ones are reported as not yet anchored. Exit status 0 when everything
checks out, 1 when anything does not (the line says what), 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def public_key(text: str) -> Ed25519PublicKey:
    if Path(text).is_file():
        text = Path(text).read_text()
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))


def merkle_included(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2 with sha256(0x00 || leaf) and sha256(0x01 || left || right)."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    node = hashlib.sha256(b"\x00" + leaf).digest()
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == root


def verify(bundle: dict, key: Ed25519PublicKey) -> list[str]:
    """The findings, one line each; raises ValueError at the first thing that does not check."""
    number, events = bundle["phone_number"], bundle["events"]
    names = bundle["chain"]["canonical_fields"]
    previous = hashlib.sha256(number.encode()).hexdigest()
    heads = []
    for event in events:
        text = canonical({name: event[name] for name in names})
        previous = hashlib.sha256((previous + text).encode()).hexdigest()
        if previous != event["chain_hash"]:
            raise ValueError(f"the chain breaks at event id {event['id']}")
        heads.append(previous)
    lines = [f"chain OK: {len(events)} events, head {previous}"]

    section = bundle.get("anchor") or {}
    document = section.get("document")
    if not document:
        raise ValueError(f"no anchor in the bundle ({section.get('summary', 'none')})")
    payload = document["anchor"]
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if payload["public_key"] != raw.hex():
        raise ValueError("the anchor names another public key than the one given")
    try:
        key.verify(bytes.fromhex(document["signature"]), canonical(payload).encode())
    except InvalidSignature:
        raise ValueError(
            f"the signature of anchor #{payload['sequence']} does not verify"
        ) from None
    label = f"anchor #{payload['sequence']} of {payload['created_at']}"
    lines.append(f"{label}: signature OK (key {payload['key_id']})")

    leaf = section.get("leaf")
    if leaf is None:
        raise ValueError(f"{label} does not hold this number: none of its events are anchored")
    count = leaf["events"]
    if count > len(events):
        raise ValueError(f"{label} holds {count} events, the bundle has {len(events)}")
    if events[count - 1]["id"] != leaf["last_id"] or heads[count - 1] != leaf["head"]:
        raise ValueError(f"the events do not pass through the head {label} signed")
    line = f"{number}\t{count}\t{leaf['last_id']}\t{leaf['head']}"
    proof = [bytes.fromhex(p) for p in section["proof"]]
    root = bytes.fromhex(payload["merkle_root"])
    if line != leaf["line"] or not merkle_included(
        line.encode(), leaf["index"], payload["numbers"], proof, root
    ):
        raise ValueError(f"the Merkle proof does not lead to the root {label} signed")
    lines.append(f"ANCHORED: events 1 to {count} (up to id {leaf['last_id']}) are in {label}")
    if len(events) > count:
        lines.append(
            f"NOT YET ANCHORED: the {len(events) - count} events after id {leaf['last_id']}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", help="the evidence bundle (JSON)")
    parser.add_argument("--public-key", required=True, help="64 hex digits or a PEM file")
    args = parser.parse_args(argv)
    try:
        bundle = json.loads(Path(args.bundle).read_text(encoding="utf-8"))
        key = public_key(args.public_key)
    except (OSError, ValueError) as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2
    try:
        for line in verify(bundle, key):
            print(line)
    except (ValueError, KeyError, IndexError) as exc:
        print(f"FAILED {bundle.get('phone_number')}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
