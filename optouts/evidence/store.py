"""Where anchors are kept: a directory by default, any Django storage backend in production.

`SMS_EVIDENCE_ANCHOR_STORAGE` names a storage alias of STORAGES (e.g. django-storages' S3 backend
on a bucket with Object Lock, docs/operations.md); empty, the directory
`SMS_EVIDENCE_ANCHOR_DIR` (default var/anchors). A verifier from outside passes a directory of
its own copies (`sms_evidence_verify --anchors PATH`). Files are written once, never replaced:

    anchor-00000042.json             the signed anchor (optouts/evidence/anchors.py)
    anchor-00000042-leaves.txt.gz    its leaves, one line per number, sorted by number
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

from optouts.evidence.anchors import AnchorInvalid, Leaf, anchor_check, anchor_hash, leaf_parse

_ANCHOR_NAME = re.compile(r"^anchor-(\d{8})\.json$")


def anchor_name(sequence: int) -> str:
    return f"anchor-{sequence:08d}.json"


def leaves_name(sequence: int) -> str:
    return f"anchor-{sequence:08d}-leaves.txt.gz"


class AnchorExists(Exception):
    """Another anchor with this sequence number was written first (two anchorers at once)."""


@dataclass
class AnchorStore:
    """The anchors in one storage, read and written by name."""

    storage: Storage
    where: str

    def sequences(self) -> list[int]:
        try:
            _, files = self.storage.listdir("")
        except FileNotFoundError:
            return []
        found = (_ANCHOR_NAME.match(name) for name in files)
        return sorted(int(match[1]) for match in found if match)

    def document(self, sequence: int) -> dict:
        try:
            with self.storage.open(anchor_name(sequence), "rb") as handle:
                return json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise AnchorInvalid(f"anchor #{sequence} cannot be read: {exc}") from None

    def leaves(self, payload: dict) -> Iterator[Leaf]:
        """The anchor's leaves in order, streamed (a million lines never sit in memory)."""
        try:
            handle = self.storage.open(payload["leaves_file"], "rb")
        except (OSError, KeyError) as exc:
            raise AnchorInvalid(
                f"the leaves of anchor #{payload.get('sequence')} cannot be read: {exc}"
            ) from None
        with handle, gzip.open(handle, "rt", encoding="utf-8", newline="\n") as lines:
            for line in lines:
                yield leaf_parse(line)

    def write(self, *, sequence: int, document: dict, leaves: Path | str | None) -> None:
        """Store the leaves file (None: the anchor names an earlier one), then the anchor, which
        makes it count; never overwrite."""
        names = [leaves_name(sequence), anchor_name(sequence)]
        for name in names:
            if self.storage.exists(name):
                raise AnchorExists(f"{name} already exists in {self.where}")
        if leaves is not None:
            with open(leaves, "rb") as handle:
                self._save(names[0], File(handle))
        self._save(names[1], ContentFile(json.dumps(document, indent=1).encode() + b"\n"))

    def _save(self, name: str, content) -> None:
        saved = self.storage.save(name, content)
        if saved != name:
            # The backend chose another name because `name` appeared meanwhile.
            self.storage.delete(saved)
            raise AnchorExists(f"{name} was written by someone else at the same time")


def anchor_store(*, path: str | Path | None = None) -> AnchorStore:
    """The configured anchor storage, or the directory `path` (a verifier's own copies)."""
    if path is not None:
        return AnchorStore(FileSystemStorage(location=str(path)), str(path))
    alias = settings.SMS_EVIDENCE_ANCHOR_STORAGE
    if alias:
        return AnchorStore(storages[alias], f"storage {alias!r}")
    where = str(settings.SMS_EVIDENCE_ANCHOR_DIR)
    return AnchorStore(FileSystemStorage(location=where), where)


def leaves_gzip(lines: Iterator[str], target: io.BufferedWriter) -> None:
    """Write leaf lines as gzip with no timestamp, so the same leaves give the same bytes."""
    with gzip.GzipFile(fileobj=target, mode="wb", mtime=0) as packed:
        for line in lines:
            packed.write(line.encode("utf-8") + b"\n")


@dataclass
class AnchorChain:
    """Every anchor in a store, checked: signatures, sequence numbers and the links between."""

    where: str
    count: int = 0
    latest: dict | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def anchors_check(*, store: AnchorStore, keys: dict[str, Ed25519PublicKey]) -> AnchorChain:
    """Read and check every anchor, oldest first: each signed by a trusted key, numbered 1, 2, 3
    without a gap, naming the hash of the one before. `latest` is the newest that checks out."""
    chain = AnchorChain(where=store.where)
    previous: dict | None = None
    for expected, sequence in enumerate(store.sequences(), start=1):
        chain.count += 1
        if sequence != expected:
            missing = f"#{expected}" + (f" to #{sequence - 1}" if sequence - 1 > expected else "")
            chain.problems.append(f"anchor {missing} is missing from {store.where}")
            return chain
        try:
            payload = anchor_check(store.document(sequence), keys=keys)
        except AnchorInvalid as exc:
            chain.problems.append(str(exc))
            return chain
        if payload.get("sequence") != sequence:
            chain.problems.append(f"{anchor_name(sequence)} holds anchor #{payload['sequence']}")
            return chain
        link = anchor_hash(previous) if previous else None
        if payload.get("previous_anchor") != link:
            chain.problems.append(
                f"anchor #{sequence} does not name anchor #{sequence - 1} as the one before it: "
                "an anchor was replaced"
            )
            return chain
        previous = chain.latest = payload
    return chain
