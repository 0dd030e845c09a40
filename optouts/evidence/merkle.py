"""A Merkle tree over every number's chain head: RFC 6962 / RFC 9162 (Certificate Transparency).

Pure functions, no database. An anchor signs the root of the tree whose leaves are the numbers'
chain heads (optouts/evidence/anchors.py says what a leaf holds); an evidence bundle carries one
leaf's inclusion proof, which anyone checks with `inclusion_verify` or the same dozen lines in
docs/examples/verify_bundle.py:

    leaf hash  = sha256(0x00 || leaf bytes)
    node hash  = sha256(0x01 || left || right)
    MTH(D[n])  = MTH(D[0:k]) joined with MTH(D[k:n]), k the largest power of two below n

Why this tree: its proof check is standardised (RFC 9162 2.1.3.2), so counsel's expert can use an
existing implementation instead of trusting ours; the domain bytes keep a leaf from passing for a
node. The root and every proof are computed streaming, in O(log n) memory, so a million leaves
never sit in memory at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleRoot:
    """The root of leaves added one at a time, keeping one subtree per bit of the count."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (leaves under it, hash), largest first
        self.size = 0

    def add(self, digest: bytes) -> None:
        """Add a leaf hash (leaf_hash of the leaf's bytes)."""
        size, node = 1, digest
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, node = left_size + size, node_hash(left, node)
        self._stack.append((size, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return bytes.fromhex(EMPTY_ROOT)
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def merkle_root(digests: Iterable[bytes]) -> bytes:
    tree = MerkleRoot()
    for digest in digests:
        tree.add(digest)
    return tree.root()


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _path_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree hashes form the audit path of `index`, leaf to root."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    ranges.reverse()
    return ranges


def inclusion_proof(digests: Iterable[bytes], *, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in a tree of `size` leaves (RFC 6962 PATH), in one pass
    over the leaf hashes in order: each range of the path is hashed as its leaves go by."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges = _path_ranges(index, 0, size)
    trees = [MerkleRoot() for _ in ranges]
    by_start = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    cursor, seen = 0, 0
    for position, digest in enumerate(digests):
        if position >= size:
            break
        seen += 1
        while cursor < len(by_start) and ranges[by_start[cursor]][1] <= position:
            cursor += 1
        if cursor < len(by_start) and ranges[by_start[cursor]][0] <= position:
            trees[by_start[cursor]].add(digest)
    if seen != size:
        raise ValueError(f"expected {size} leaves, got {seen}")
    return [tree.root() for tree in trees]


def inclusion_verify(
    *, digest: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `path` prove leaf hash `digest` at `index` under `root`?"""
    if index >= size or index < 0:
        return False
    fn, sn, node = index, size - 1, digest
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and node == root
