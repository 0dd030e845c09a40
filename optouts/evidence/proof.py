"""One number's proof against the latest anchor, for its evidence bundle.

The bundle carries the signed anchor as it was stored, the number's leaf, the leaf's Merkle
inclusion proof and the public key the anchors are signed with, so anyone can check, with that
published key and docs/examples/verify_bundle.py, that the events in the bundle are the ones the
anchor signed, without access to the database or this app.
"""

from __future__ import annotations

from optouts.evidence.anchors import (
    AnchorInvalid,
    AnchorKeyError,
    public_key_hex,
    public_key_pem,
    signing_key_load,
    trusted_public_keys,
)
from optouts.evidence.merkle import inclusion_proof
from optouts.evidence.selectors import AnchorRef, NumberReport, phone_evidence_check
from optouts.evidence.store import AnchorStore, anchor_store, anchors_check

VERIFY_COMMAND = "python docs/examples/verify_bundle.py BUNDLE.json --public-key PUBLIC_KEY"


def _public_key() -> dict:
    try:
        key = signing_key_load()
    except AnchorKeyError:
        key = None
    if key is None:
        return {"public_key": None, "public_key_pem": None}
    public = key.public_key()
    return {"public_key": public_key_hex(public), "public_key_pem": public_key_pem(public)}


def _leaf_index(store: AnchorStore, payload: dict, number: str):
    for index, leaf in enumerate(store.leaves(payload)):
        if leaf.number == number:
            return index, leaf
        if leaf.number > number:
            break
    return None, None


def phone_anchor_proof(
    *, number: str, store: AnchorStore | None = None
) -> tuple[NumberReport, dict]:
    """The number's verdict (chain, list row, anchor) and the bundle's `anchor` section.

    Two passes over the latest anchor's leaves: one to find the number, one to hash the
    subtrees of its proof; a million leaves stream through, none are kept.
    """
    section = {"status": "none", **_public_key(), "verify_with": VERIFY_COMMAND}
    store = store or anchor_store()
    try:
        anchors = anchors_check(store=store, keys=trusted_public_keys())
        if not anchors.ok:
            raise AnchorInvalid("; ".join(anchors.problems))
        payload = anchors.latest
        if payload is None:
            report = phone_evidence_check(number=number)
            section["summary"] = "No anchor has been written yet: nothing pins this history."
            return report, section
        index, leaf = _leaf_index(store, payload, number)
        reference = AnchorRef(payload, [leaf] if leaf else [])
        report = phone_evidence_check(number=number, anchor=reference)
        proof = []
        if leaf is not None:
            digests = (each.digest for each in store.leaves(payload))
            proof = inclusion_proof(digests, index=index, size=payload["numbers"])
        section.update(
            {
                "status": report.anchor_state,
                "document": store.document(payload["sequence"]),
                "leaf": None
                if leaf is None
                else {
                    "line": leaf.line,
                    "index": index,
                    "events": leaf.events,
                    "last_id": leaf.last_id,
                    "head": leaf.head,
                },
                "tree_size": payload["numbers"],
                "proof": [digest.hex() for digest in proof],
                "events_after_anchor": report.pending,
                "summary": " ".join(report.lines()),
            }
        )
        return report, section
    except (AnchorInvalid, AnchorKeyError) as exc:
        report = phone_evidence_check(number=number)
        section.update({"status": "unavailable", "summary": f"The anchors do not check out: {exc}"})
        return report, section
