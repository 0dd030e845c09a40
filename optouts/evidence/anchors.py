"""Signed anchors: what pins the evidence chains outside the database.

An anchor is a small JSON document, signed with an Ed25519 key that is never stored in the
database (docs/compliance.md, "Anchors"):

    {"anchor": {"format", "version", "sequence", "created_at", "numbers", "events",
                "last_event_id", "merkle_root", "tree", "leaves_file", "previous_anchor",
                "algorithm", "public_key", "key_id"},
     "signature": hex Ed25519 signature of the canonical JSON of "anchor"}

`merkle_root` is the RFC 6962 root (optouts/evidence/merkle.py) over one leaf per number that
had events, sorted by number; a leaf is the UTF-8 line `number TAB events TAB last event id TAB
chain head`. `previous_anchor` is the sha256 of the previous anchor's canonical JSON, so anchors
form a chain of their own: one removed or replaced breaks the next. The leaves are kept beside
the anchor (`leaves_file`, gzip text, one leaf a line) so a verifier can name the number whose
history no longer matches, and an evidence bundle can carry its number's inclusion proof.

Pure functions and the key's loading from settings; the files are read and written by
optouts/evidence/store.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from optouts.evidence.merkle import leaf_hash

ANCHOR_FORMAT = "velocify-sms evidence anchor"
ANCHOR_VERSION = 1
ALGORITHM = "Ed25519"
TREE = (
    "RFC 6962 SHA-256 Merkle tree (leaf: sha256(0x00 || line), node: sha256(0x01 || left || "
    "right)); one leaf per number, sorted by number, the UTF-8 line 'number TAB events TAB last "
    "event id TAB chain head'"
)


class AnchorKeyError(Exception):
    """The signing key or a public key is missing or malformed."""


class AnchorInvalid(Exception):
    """An anchor document that does not verify (signature, key, format or chain of anchors)."""


# --- Keys ------------------------------------------------------------------------------------


def _private_key_parse(text: str, *, origin: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise AnchorKeyError(f"{origin} is not a readable PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AnchorKeyError(f"{origin} is not an Ed25519 key.")
        return key
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise AnchorKeyError(
            f"{origin} must be 64 hex digits (a raw Ed25519 private key) or an Ed25519 PEM "
            "private key (openssl genpkey -algorithm ed25519)."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_key_load() -> Ed25519PrivateKey | None:
    """The anchor signing key from SMS_EVIDENCE_SIGNING_KEY or SMS_EVIDENCE_SIGNING_KEY_FILE
    (None when neither is set; raises AnchorKeyError when one is set but unusable)."""
    inline = getattr(settings, "SMS_EVIDENCE_SIGNING_KEY", "")
    path = getattr(settings, "SMS_EVIDENCE_SIGNING_KEY_FILE", "")
    if inline and path:
        raise AnchorKeyError(
            "Set SMS_EVIDENCE_SIGNING_KEY or SMS_EVIDENCE_SIGNING_KEY_FILE, not both."
        )
    if inline:
        return _private_key_parse(inline, origin="SMS_EVIDENCE_SIGNING_KEY")
    if path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise AnchorKeyError(f"SMS_EVIDENCE_SIGNING_KEY_FILE={path}: {exc.strerror}") from None
        return _private_key_parse(text, origin=f"SMS_EVIDENCE_SIGNING_KEY_FILE ({path})")
    return None


def signing_key_required() -> Ed25519PrivateKey:
    key = signing_key_load()
    if key is None:
        raise AnchorKeyError(
            "No anchor signing key: set SMS_EVIDENCE_SIGNING_KEY (64 hex digits) or "
            "SMS_EVIDENCE_SIGNING_KEY_FILE (docs/operations.md); `make venv` writes a "
            "development key into .env."
        )
    return key


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(public_hex: str) -> str:
    """A short name for a public key: the first 16 hex digits of sha256 of its 32 raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def public_key_parse(text: str) -> Ed25519PublicKey:
    """A public key as 64 hex digits or PEM (SubjectPublicKeyInfo), or a file holding either."""
    text = text.strip()
    if not text.startswith("-----BEGIN") and len(text) != 64 and Path(text).is_file():
        text = Path(text).read_text().strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise AnchorKeyError(f"not a readable PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise AnchorKeyError("not an Ed25519 public key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:
        raise AnchorKeyError(
            "a public key is 64 hex digits, a PEM block, or a file holding one"
        ) from None


def trusted_public_keys(extra: list[str] | None = None) -> dict[str, Ed25519PublicKey]:
    """{key id: key} of the keys an anchor may be signed with: those given (`extra`, e.g.
    `--public-key`), else the signing key's own and SMS_EVIDENCE_TRUSTED_PUBLIC_KEYS (older
    keys, after a rotation)."""
    keys: list[Ed25519PublicKey] = []
    if extra:
        keys = [public_key_parse(text) for text in extra]
    else:
        signing = signing_key_load()
        if signing is not None:
            keys.append(signing.public_key())
        keys += [
            public_key_parse(t) for t in getattr(settings, "SMS_EVIDENCE_TRUSTED_PUBLIC_KEYS", [])
        ]
    return {key_id(public_key_hex(key)): key for key in keys}


# --- Leaves ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One number as an anchor saw it: how many events, the last one's id and its chain hash."""

    number: str
    events: int
    last_id: int
    head: str

    @property
    def line(self) -> str:
        return f"{self.number}\t{self.events}\t{self.last_id}\t{self.head}"

    @property
    def digest(self) -> bytes:
        return leaf_hash(self.line.encode("utf-8"))


def leaf_parse(line: str) -> Leaf:
    try:
        number, events, last_id, head = line.rstrip("\n").split("\t")
        return Leaf(number, int(events), int(last_id), head)
    except ValueError:
        raise AnchorInvalid(f"not a leaf line: {line[:80]!r}") from None


# --- Anchor documents ------------------------------------------------------------------------


def anchor_canonical(payload: dict) -> bytes:
    """What is signed and hashed: the payload as sorted, compact JSON in UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def anchor_hash(payload: dict) -> str:
    return hashlib.sha256(anchor_canonical(payload)).hexdigest()


def anchor_sign(*, payload: dict, key: Ed25519PrivateKey) -> dict:
    """The signed document: the payload, naming the key's public half, and its signature."""
    public_hex = public_key_hex(key.public_key())
    payload = {**payload, "algorithm": ALGORITHM, "public_key": public_hex}
    payload["key_id"] = key_id(public_hex)
    return {"anchor": payload, "signature": key.sign(anchor_canonical(payload)).hex()}


def anchor_check(document: dict, *, keys: dict[str, Ed25519PublicKey]) -> dict:
    """The payload of a signed anchor, once its format and signature check out with one of
    `keys` (the key named inside the document is not trusted on its own word)."""
    try:
        payload, signature = document["anchor"], bytes.fromhex(document["signature"])
        if payload["format"] != ANCHOR_FORMAT or payload["version"] != ANCHOR_VERSION:
            raise AnchorInvalid("not a velocify-sms evidence anchor of a known version")
        key = keys.get(payload["key_id"])
    except (KeyError, TypeError, ValueError):
        raise AnchorInvalid("not an anchor document") from None
    if key is None:
        raise AnchorInvalid(
            f"anchor #{payload.get('sequence')} is signed by key {payload['key_id']}, which is "
            "not a trusted key"
        )
    if public_key_hex(key) != payload.get("public_key"):
        raise AnchorInvalid(f"anchor #{payload.get('sequence')} names another public key")
    try:
        key.verify(signature, anchor_canonical(payload))
    except InvalidSignature:
        raise AnchorInvalid(
            f"the signature of anchor #{payload.get('sequence')} does not verify: it was "
            "changed after it was signed"
        ) from None
    return payload
