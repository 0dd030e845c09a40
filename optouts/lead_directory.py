"""What the opt-out core may know about leads, without importing the leads app.

Layering (pyproject.toml, import-linter): `optouts` sits below `leads` and never imports it. The
leads app registers a directory here in its AppConfig.ready(); optouts asks it for labels and the
leads carrying a number. With no leads app installed the directory is empty, and consent still
works: it is kept per number, not per lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LeadRef:
    """Enough of a lead to name and link it: its id and how the admin names it."""

    id: int
    label: str


@dataclass(frozen=True)
class LeadLocation:
    """Where a lead says they are, for the send policy (optouts.messaging.policy): a US state
    (USPS code) and an IANA time zone, each "" when unknown."""

    state: str = ""
    time_zone: str = ""


class LeadDirectory(Protocol):
    def labels(self, ids: Iterable[int]) -> dict[int, str]:
        """{lead id: label} for the ids that exist."""

    def refs_by_number(self, numbers: Iterable[str]) -> dict[str, list[LeadRef]]:
        """{E.164 number: [leads carrying it, by id]}, in one query."""

    def locations(self, ids: Iterable[int]) -> dict[int, LeadLocation]:
        """{lead id: location} for the ids that exist and have a state or a time zone set."""

    def lead_ids_sql(self, number_column: str) -> str:
        """A SQL expression (no parameters): the ids of the leads carrying the number in
        `number_column` (SQL the caller wrote), ascending, separated by spaces; NULL for none."""

    def change_url(self, lead_id: int) -> str | None:
        """The lead's page for staff, None when no such page is mounted."""

    def listing_changed(self, numbers: Iterable[str], *, on_list: bool) -> None:
        """These numbers went onto the list (`on_list`) or off it in the caller's transaction:
        whatever the leads keep about it is brought up to date once that commits, never inside
        it (the caller holds the numbers' consent locks)."""


class _NoLeads:
    def labels(self, ids: Iterable[int]) -> dict[int, str]:
        return {}

    def refs_by_number(self, numbers: Iterable[str]) -> dict[str, list[LeadRef]]:
        return {}

    def locations(self, ids: Iterable[int]) -> dict[int, LeadLocation]:
        return {}

    def lead_ids_sql(self, number_column: str) -> str:
        return "NULL::text"

    def change_url(self, lead_id: int) -> str | None:
        return None

    def listing_changed(self, numbers: Iterable[str], *, on_list: bool) -> None:
        return None


_directory: LeadDirectory = _NoLeads()


def lead_directory_set(directory: LeadDirectory) -> None:
    """Called once by the leads app's AppConfig.ready()."""
    global _directory
    _directory = directory


def lead_directory() -> LeadDirectory:
    return _directory


# The largest id a lead can have (a BigAutoField); a bigger one is refused before any query.
LEAD_ID_MAX = 2**63 - 1


def lead_location(lead_id: int | None) -> LeadLocation | None:
    """The lead's state and time zone for the send policy, None when it has neither."""
    if lead_id is None or not 0 < lead_id <= LEAD_ID_MAX:
        return None
    return _directory.locations([lead_id]).get(lead_id)


def lead_exists(lead_id: int) -> bool:
    """Whether a lead with this id exists (False with no leads app)."""
    return 0 < lead_id <= LEAD_ID_MAX and lead_id in _directory.labels([lead_id])


def lead_ref(lead_id: int | None, *, label: str = "") -> LeadRef | None:
    """The lead with this id as it is named now, or as `label` named it (a snapshot kept with a
    row) when the directory no longer knows it; None for no lead."""
    if lead_id is None:
        return None
    known = _directory.labels([lead_id]) if 0 < lead_id <= LEAD_ID_MAX else {}
    return LeadRef(lead_id, known.get(lead_id, label))


def lead_change_url(lead_id: int) -> str | None:
    """The lead's page for staff, None with no leads app or no page mounted."""
    return _directory.change_url(lead_id)
