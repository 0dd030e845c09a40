"""Page links that carry the place a page starts from, never a page number (keyset pages).

A cursor is `<time in UTC>_<id>`, e.g. `20261202T143000.123456Z_981`: the row the page starts
after (or before), in an order by (time, id). Readable, and nothing in it needs escaping in a
URL. The opt-out report (times of opt-out) and the lead list (times of creation) both use it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_CURSOR = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{6})Z_(\d{1,19})", re.ASCII)


def cursor_text(*, at: datetime, id: int) -> str:
    t = at.astimezone(UTC)
    return (
        f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}"
        f".{t.microsecond:06d}Z_{id}"
    )


def cursor_parse(text: str) -> tuple[datetime, int] | None:
    """(time, id) of the cursor a page link carries, None if it is not one (never an exception:
    a link edited by hand is an invalid page, not an error)."""
    match = _CURSOR.fullmatch(text)
    if match is None:
        return None
    *parts, pk = (int(g) for g in match.groups())
    if not 1 <= pk < 2**63:
        return None
    try:
        return datetime(*parts, tzinfo=UTC), pk
    except ValueError:
        return None
