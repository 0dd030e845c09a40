"""The opt-out list replayed from the history: what each number's row must be, given its events.

Pure, no database. docs/rules.md: nothing but an opt-out request puts a number on the list and
nothing but an opt-in request takes it off, and every change writes an event. So replaying a
number's events in id order gives its row: an `opt_out` event puts it on with that event's
source, an `opt_in` takes it off, and the other actions (a refused opt-in, a pending or dismissed
revocation, an unreachable hold or its end) change no list state. A row that disagrees was
written, deleted or changed without its event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from optouts.models import EventAction

_PUTS_ON = EventAction.OPT_OUT.value
_TAKES_OFF = EventAction.OPT_IN.value


@dataclass(frozen=True)
class ListState:
    """A number's row as its history says: `source` ("" = not on the list) and the id of the
    event that decided it (None when no event touched the list)."""

    source: str = ""
    event_id: int | None = None


def list_state_replay(events: Iterable[tuple[int, str, str]]) -> ListState:
    """The list state after `events`, each (id, action, source), in id order."""
    state = ListState()
    for event_id, action, source in events:
        if action == _PUTS_ON:
            state = ListState(source, event_id)
        elif action == _TAKES_OFF:
            state = ListState("", event_id)
    return state


def list_mismatch(*, state: ListState, row_source: str | None, events: int) -> str:
    """Why the list row (`row_source`, None when there is none) disagrees with the replayed
    state, in a sentence; "" when they agree."""
    if row_source is None:
        if not state.source:
            return ""
        return (
            f"not on the opt-out list, but its last list event (id {state.event_id}) is an "
            f"opt-out with source {state.source}: the row was deleted without an opt-in"
        )
    if not state.source:
        if not events:
            return (
                f"on the opt-out list (source {row_source}) without any consent event: nothing "
                "in the history put it there"
            )
        if state.event_id is None:
            return (
                f"on the opt-out list (source {row_source}), but none of its {events} events "
                "is an opt-out: nothing in the history put it there"
            )
        return (
            f"on the opt-out list (source {row_source}), but its last list event (id "
            f"{state.event_id}) is an opt-in: nothing in the history put it back"
        )
    if row_source != state.source:
        return (
            f"on the opt-out list with source {row_source}, but its last list event (id "
            f"{state.event_id}) says {state.source}"
        )
    return ""
