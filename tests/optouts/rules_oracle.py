"""The test oracle: the rules table of docs/rules.md applied to a number's audit log.

Independent of the services' code: it reads the table as data and replays each logged request
from its event (who asked, by which channel), so a service that wrote the wrong event or put the
wrong source on the list disagrees with it.
"""

from __future__ import annotations

from optouts.models import ConsentEvent, OptOut, Source

IN = None
_LIST_ACTIONS = {
    ConsentEvent.Action.OPT_OUT,
    ConsentEvent.Action.OPT_IN,
    ConsentEvent.Action.OPT_IN_REFUSED,
}
_COLUMNS = [IN, Source.AGENT, Source.SYSTEM, Source.CONTACT]
REFUSED = "refused"

# docs/rules.md's table, row by row: the state after each request, per state before. The
# contact's own request is one row whatever carried it (a stop word, a revocation in words, a
# reviewer's confirmation, the deadline, a call taken down by an agent).
TABLE = {
    "staff_opt_out": [Source.AGENT, Source.AGENT, Source.SYSTEM, Source.CONTACT],
    "carrier_opt_out": [Source.SYSTEM, Source.SYSTEM, Source.SYSTEM, Source.CONTACT],
    "stop_word": [Source.CONTACT, Source.CONTACT, Source.CONTACT, Source.CONTACT],
    "admin_opt_in": [IN, IN, REFUSED, REFUSED],
    "start_word": [IN, IN, IN, IN],
}


def request_of(event: ConsentEvent) -> str:
    """Which row of the table an event records."""
    if event.action == ConsentEvent.Action.OPT_OUT:
        return {
            Source.AGENT: "staff_opt_out",
            Source.SYSTEM: "carrier_opt_out",
            Source.CONTACT: "stop_word",
        }[event.source]
    if event.details.get("requested_by") == "contact":
        return "start_word"
    return "admin_opt_in"


def state_after(*, request: str, before: str | None) -> str | None:
    after = TABLE[request][_COLUMNS.index(before)]
    return before if after == REFUSED else after


def state_from_log(*, events) -> str | None:
    """Replay a number's events (oldest first) through the table; each must be a real change.

    Raises AssertionError if an event records a change the table does not make from the state
    the log had reached (a lost update, a downgrade, an opt-in the rules refuse).
    """
    state = IN
    for event in events:
        if event.action not in _LIST_ACTIONS:
            # A pause for review, a dismissal, an unreachable hold: no list change, and each
            # says so (its source is the list's state, before and after).
            assert event.source == event.previous_source == (state or ""), (
                f"event {event.pk}: {event.action} says the list was at {event.source or 'in'}"
            )
            continue
        request = request_of(event)
        after = state_after(request=request, before=state)
        if event.action == ConsentEvent.Action.OPT_IN_REFUSED:
            if event.details.get("reason") == "not_permitted":  # the agent row: always refused
                continue
            assert after == state, f"event {event.pk}: a refusal where the table changes state"
            assert event.source == (state or ""), f"event {event.pk}: refused from {state}"
            continue
        assert event.previous_source == (state or ""), (
            f"event {event.pk}: says it changed {event.previous_source or 'in'} but the log "
            f"was at {state or 'in'}"
        )
        assert after != state, f"event {event.pk}: {request} from {state or 'in'} is no change"
        state = after
    return state


def assert_list_agrees_with_log(*, numbers) -> None:
    """Each number's row on the list (or its absence) is what its log replays to."""
    listed = dict(
        OptOut.objects.filter(phone_number__in=list(numbers)).values_list("phone_number", "source")
    )
    for number in numbers:
        events = ConsentEvent.objects.filter(phone_number=number).order_by("id")
        assert state_from_log(events=events) == listed.get(number), number
