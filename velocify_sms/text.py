"""Counted nouns for messages people read: "1 row", "2 rows", never "1 rows" or "row(s)"."""

from __future__ import annotations


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the form that number takes, with thousands separators."""
    noun = singular if n == 1 else (plural or f"{singular}s")
    return f"{n:,} {noun}"
