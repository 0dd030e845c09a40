"""The Merkle tree over chain heads is RFC 6962's, computed streaming, and its proofs check with
RFC 9162's algorithm; the list replay follows docs/rules.md (pure functions, no database)."""

from __future__ import annotations

import hashlib

import pytest

from optouts.evidence.merkle import (
    EMPTY_ROOT,
    inclusion_proof,
    inclusion_verify,
    leaf_hash,
    merkle_root,
    node_hash,
)
from optouts.evidence.replay import ListState, list_mismatch, list_state_replay


def _rfc6962_root(digests: list[bytes]) -> bytes:
    """MTH as RFC 6962 2.1 defines it, recursively."""
    if not digests:
        return hashlib.sha256(b"").digest()
    if len(digests) == 1:
        return digests[0]
    k = 1 << ((len(digests) - 1).bit_length() - 1)
    return node_hash(_rfc6962_root(digests[:k]), _rfc6962_root(digests[k:]))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 100])
def test_the_streamed_root_is_rfc_6962s_and_every_leaf_has_a_proof(size):
    digests = [leaf_hash(f"+1415555{i:04d}\t1\t{i}\t{'a' * 64}".encode()) for i in range(size)]
    root = merkle_root(digests)

    assert root == _rfc6962_root(digests)
    for index in range(size):
        proof = inclusion_proof(iter(digests), index=index, size=size)
        assert inclusion_verify(
            digest=digests[index], index=index, size=size, path=proof, root=root
        )
        wrong = digests[(index + 1) % size] if size > 1 else leaf_hash(b"other")
        assert not inclusion_verify(digest=wrong, index=index, size=size, path=proof, root=root)


def test_a_leaf_cannot_pass_for_a_node_nor_a_proof_for_another_index():
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    root = merkle_root([a, b])

    assert root == hashlib.sha256(b"\x01" + a + b).digest()
    assert not inclusion_verify(digest=a, index=1, size=2, path=[b], root=root)
    assert merkle_root([]).hex() == EMPTY_ROOT


def test_replaying_the_events_gives_the_list_state_and_only_opt_outs_and_opt_ins_move_it():
    events = [
        (1, "opt_out", "agent"),
        (2, "revocation_pending", "agent"),
        (3, "opt_in_refused", "agent"),
        (4, "opt_out", "contact"),
        (5, "unreachable_hold", "contact"),
    ]
    assert list_state_replay(events) == ListState("contact", 4)
    assert list_state_replay([*events, (6, "opt_in", "contact")]) == ListState("", 6)
    assert list_state_replay([(1, "unreachable_hold", ""), (2, "unreachable_cleared", "")]) == (
        ListState()
    )


def test_each_disagreement_between_row_and_events_is_said():
    assert list_mismatch(state=ListState("contact", 4), row_source="contact", events=5) == ""
    assert list_mismatch(state=ListState(), row_source=None, events=0) == ""
    assert "the row was deleted" in list_mismatch(
        state=ListState("contact", 4), row_source=None, events=5
    )
    assert "without any consent event" in list_mismatch(
        state=ListState(), row_source="agent", events=0
    )
    assert "none of its 2 events is an opt-out" in list_mismatch(
        state=ListState(), row_source="agent", events=2
    )
    assert "is an opt-in" in list_mismatch(state=ListState("", 6), row_source="agent", events=6)
    assert "says contact" in list_mismatch(
        state=ListState("contact", 4), row_source="agent", events=5
    )
