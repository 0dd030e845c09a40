"""The send policy: quiet hours and frequency caps, decided inside the send guard.

Where a text lands: the recipient's time zones come from the number (phonenumbers' area-code
time zone data, down to the exchange where the data has it), or from the lead's time zone when
the lead has one (optouts.lead_directory). A number that may be in several zones is treated by
the most restrictive of them: a text may go only when the window is open in every one. The
number's US state comes from phonenumbers' geocoder (its area code); a lead's state adds that
state's row, it never removes the area code's (each of these states presumes that a number with
its area code belongs to a resident).

What applies: the federal row, the rows of those states (optouts/messaging/policy_rules.py) and
the settings SMS_SEND_WINDOW_START/END and SMS_FREQUENCY_CAP, the strictest of each: the latest
start, the earliest end, the lowest cap.

The decision, in the guard's order after the list check: outside the window, `quiet_hours` (held
until the next allowed minute, or refused: SMS_QUIET_HOURS_ACTION); over the cap, `frequency_cap`
(refused). The cap counts this system's messages to the number that left in the last 24 hours
(status sent or delivered); message_deliver counts them under the number's lock, taken
exclusively when a cap applies, so two sends at once cannot both pass the last free slot.

Placing a number costs a few phonenumbers look-ups; they are cached per area code and exchange,
so a batch (send_policy_decide_batch) costs dictionary look-ups per number plus one count query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA

from optouts.lead_directory import LeadLocation, lead_location
from optouts.messaging.models import ReasonCode
from optouts.messaging.policy_rules import (
    FEDERAL,
    STATE_RULES,
    UNPLACED_US_ZONES,
    US_STATES,
)
from optouts.messaging.selectors import messages_sent_counts

CAP_PERIOD = timedelta(hours=24)

# Tests that are not about the send window run at any hour of the day: tests/conftest.py turns
# this off for them (the race meta-test's `_ENABLED` in optouts/services/locks.py is the model).
# No setting or environment variable reaches it; caps are enforced either way.
_QUIET_HOURS_ENFORCED = True

_UNKNOWN_ZONE = "Etc/Unknown"
# phonenumbers answers every zone of the +1 plan when no area code entry matches.
_WHOLE_PLAN_ZONES = TIMEZONE_DATA.get("1", ())
_CITY_AND_STATE = re.compile(r",\s*([A-Z]{2})$")
_STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()} | {
    # How phonenumbers' geocoder spells two of them.
    "washington state": "WA",
    "washington d.c.": "DC",
}


# --- Where a number's texts land ----------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """What phonenumbers says about where a number is."""

    zones: tuple[str, ...]  # IANA zones; () when nothing is known
    state: str  # USPS code from the area code; "" outside the 50 states and DC
    placed: bool  # False: phonenumbers had no zone for it; `zones` is the fallback


# Area code -> (state, geographic); area code and exchange -> zones. Real numbers have a few
# hundred area codes and some tens of thousands of exchanges, so both stay small.
_AREA_CACHE: dict[str, tuple[str, bool]] = {}
_PLACEMENT_CACHE: dict[str, Placement] = {}
_PLACEMENT_CACHE_MAX = 200_000


def _state_from_description(description: str) -> str:
    description = description.strip()
    match = _CITY_AND_STATE.search(description)
    if match and match[1] in US_STATES:
        return match[1]
    return _STATE_BY_NAME.get(description.lower(), "")


def state_code(value: str) -> str:
    """A US state as a USPS code, from a code ("fl") or a name ("Florida"); "" if it is neither."""
    value = (value or "").strip()
    if value.upper() in US_STATES:
        return value.upper()
    return _STATE_BY_NAME.get(value.lower(), "")


def _nanp_area(number: str, numobj: phonenumbers.PhoneNumber) -> tuple[str, bool]:
    key = number[:5]  # +1 and the area code: one state, one kind (toll-free or geographic)
    area = _AREA_CACHE.get(key)
    if area is None:
        state = ""
        if phonenumbers.region_code_for_number(numobj) == "US":
            # Imported on first use: the geocoder's data costs ~100 MB, which every process
            # that never sends (an import worker, a management command) should not pay.
            from phonenumbers import geocoder

            state = _state_from_description(geocoder.description_for_valid_number(numobj, "en"))
        area = _AREA_CACHE[key] = (state, phonenumbers.is_number_geographical(numobj))
    return area


def _place(number: str) -> Placement:
    if number.startswith("+1") and len(number) == 12:
        numobj = phonenumbers.PhoneNumber(country_code=1, national_number=int(number[2:]))
        state, geographic = _nanp_area(number, numobj)
        zones = phone_timezones.time_zones_for_geographical_number(numobj) if geographic else ()
        if not zones or zones == _WHOLE_PLAN_ZONES or _UNKNOWN_ZONE in zones:
            return Placement(UNPLACED_US_ZONES, state, False)
        return Placement(tuple(zones), state, True)
    try:
        numobj = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return Placement((), "", False)
    zones = tuple(z for z in phone_timezones.time_zones_for_number(numobj) if z != _UNKNOWN_ZONE)
    return Placement(zones, "", bool(zones))


def _placement_key(number: str) -> str:
    # Time zones are given down to the exchange (+1 NPA NXX) for the +1 plan, never finer.
    return number[:8] if number.startswith("+1") else number


def number_placement(number: str) -> Placement:
    """Where an E.164 number is, by phonenumbers' data (cached per area code and exchange)."""
    key = _placement_key(number)
    placement = _PLACEMENT_CACHE.get(key)
    if placement is None:
        if len(_PLACEMENT_CACHE) >= _PLACEMENT_CACHE_MAX:
            _PLACEMENT_CACHE.clear()
        placement = _PLACEMENT_CACHE[key] = _place(number)
    return placement


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone_valid(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows (for a lead's time zone)."""
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


# --- What applies to a recipient ----------------------------------------------------------------


@dataclass(frozen=True)
class SendRules:
    """The limits for one recipient: its zones, the window and the cap, and where each came from."""

    zones: tuple[str, ...]
    zones_from: str  # "number", "lead" or "fallback" (no zone known for the number)
    start: time
    end: time
    daily_cap: int | None
    window_basis: str  # which rules set the window, for the refusal sentence
    cap_basis: str


def _combine(zones: tuple[str, ...], zones_from: str, states: frozenset[str]) -> SendRules:
    start, end, cap = FEDERAL.start, FEDERAL.end, None
    window_basis, cap_basis = FEDERAL.name, ""
    # Settings may only narrow (velocify_sms/settings.py refuses a wider window at start-up); the
    # max/min here keep that true for values set any other way, e.g. in tests.
    if start < settings.SMS_SEND_WINDOW_START or end > settings.SMS_SEND_WINDOW_END:
        start = max(start, settings.SMS_SEND_WINDOW_START)
        end = min(end, settings.SMS_SEND_WINDOW_END)
        window_basis = "this system's settings"
    if settings.SMS_FREQUENCY_CAP:
        cap, cap_basis = settings.SMS_FREQUENCY_CAP, "this system's settings"
    for code in sorted(states):
        row = STATE_RULES.get(code)
        if row is None:
            continue
        if row.start > start or row.end < end:
            window_basis = row.name
        start, end = max(start, row.start), min(end, row.end)
        if row.daily_cap is not None and (cap is None or row.daily_cap < cap):
            cap, cap_basis = row.daily_cap, row.name
    return SendRules(zones, zones_from, start, end, cap, window_basis, cap_basis)


def send_rules_for(*, number: str, location: LeadLocation | None = None) -> SendRules:
    """The rules for texting an E.164 number, with the lead's location if it has one."""
    locations = {number: location} if location is not None else None
    return send_rules_batch(numbers=[number], locations=locations)[number]


def send_rules_batch(
    *, numbers: Iterable[str], locations: Mapping[str, LeadLocation] | None = None
) -> dict[str, SendRules]:
    """{number: rules} for E.164 numbers; `locations` gives a lead's location per number."""
    locations = locations or {}
    # Numbers of one exchange share their rules unless a lead says otherwise: the memo by the
    # cache key keeps a big batch at a few dictionary look-ups per number.
    by_key: dict[str, SendRules] = {}
    combined: dict[tuple, SendRules] = {}
    found: dict[str, SendRules] = {}
    for number in numbers:
        location = locations.get(number)
        key = _placement_key(number)
        if location is None:
            rules = by_key.get(key)
            if rules is not None:
                found[number] = rules
                continue
        placement = number_placement(number)
        zones, zones_from = placement.zones, "number" if placement.placed else "fallback"
        states = frozenset((placement.state,)) if placement.state else frozenset()
        if location is not None:
            if location.time_zone and time_zone_valid(location.time_zone):
                zones, zones_from = (location.time_zone,), "lead"
            if state_code(location.state):
                states |= {state_code(location.state)}
        combination = (zones, zones_from, states)
        rules = combined.get(combination)
        if rules is None:
            rules = combined[combination] = _combine(zones, zones_from, states)
        if location is None:
            by_key[key] = rules
        found[number] = rules
    return found


# --- The window ---------------------------------------------------------------------------------


def window_opens_at(
    *, zones: tuple[str, ...], start: time, end: time, at: datetime
) -> datetime | None:
    """The first instant from `at` on when the local time in every one of `zones` is within
    [start, end): `at` itself when the window is open now; None when no such instant comes within
    two days (zones too far apart, or none known)."""
    if not zones:
        return None
    moment = at.astimezone(UTC)
    # Each pass moves to the next opening of a zone that is closed; with an overlap, a few passes
    # settle on it (the windows repeat daily), without one the bound below ends the search.
    for _ in range(4 * len(zones) + 4):
        moved = False
        for name in zones:
            local = moment.astimezone(_zone(name))
            clock = local.time()
            if start <= clock < end:
                continue
            day = local.date() if clock < start else local.date() + timedelta(days=1)
            moment = datetime.combine(day, start, tzinfo=_zone(name)).astimezone(UTC)
            moved = True
        if not moved:
            return moment
        if moment - at > timedelta(days=2):
            return None
    return None


# --- The decision -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDecision:
    """May a text go now? `code` is "" when it may; `release_at` is when a quiet-hours send may
    go (None: no allowed time was found); `reason` is the sentence for the log and the caller."""

    code: str = ""
    release_at: datetime | None = None
    reason: str = ""
    release_text: str = ""  # when it may go, in the recipient's time: "08:00 on 11 Mar ..."

    @property
    def allowed(self) -> bool:
        return not self.code


ALLOWED = PolicyDecision()


def _zones_text(rules: SendRules) -> str:
    if rules.zones_from == "lead":
        return f"the lead's time zone, {rules.zones[0]}"
    if len(rules.zones) == 1:
        return rules.zones[0]
    return "each of " + ", ".join(rules.zones)


def _quiet_hours(number: str, rules: SendRules, now: datetime, opens: datetime | None):
    window = f"{rules.start:%H:%M}-{rules.end:%H:%M}"
    head = (
        f"Texts to {number} may arrive only {window} local time ({rules.window_basis}) "
        f"in {_zones_text(rules)}"
    )
    if opens is None:
        reason = (
            f"{head}, and no time of day is inside it in all of them. Set the lead's time zone."
        )
        if rules.zones_from == "fallback" or not rules.zones:
            reason = f"{head}; its time zone is not known. Set the lead's time zone."
        return PolicyDecision(ReasonCode.QUIET_HOURS, None, reason)
    local = ", ".join(f"{now.astimezone(_zone(z)):%H:%M} in {z}" for z in rules.zones[:3])
    zone = rules.zones[0]
    release = f"{opens.astimezone(_zone(zone)):%H:%M on %d %b} in {zone} ({opens:%H:%M} UTC)"
    return PolicyDecision(ReasonCode.QUIET_HOURS, opens, f"{head}; it is {local} now.", release)


def _over_cap(number: str, rules: SendRules, count: int) -> PolicyDecision:
    return PolicyDecision(
        ReasonCode.FREQUENCY_CAP,
        None,
        f"{number} was sent {count} messages in the last 24 hours; the most is "
        f"{rules.daily_cap} ({rules.cap_basis}).",
    )


def send_policy_decide(*, number: str, rules: SendRules, now: datetime) -> PolicyDecision:
    """The policy's answer for one text to `number` at `now` (reads the 24-hour count when a cap
    applies: call it under the number's lock for the answer to hold)."""
    return send_policy_decide_batch(rules={number: rules}, now=now)[number]


def send_policy_decide_batch(
    *, rules: Mapping[str, SendRules], now: datetime
) -> dict[str, PolicyDecision]:
    """{number: decision} for texts to many numbers at `now`: the window per number, then the
    cap for those inside it, counted in one query."""
    decisions: dict[str, PolicyDecision] = {}
    # Many numbers share one SendRules object: the window is worked out once per object.
    opens_memo: dict[int, datetime | None] = {}
    capped: list[str] = []
    for number, rule in rules.items():
        if _QUIET_HOURS_ENFORCED:
            marker = id(rule)
            if marker in opens_memo:
                opens = opens_memo[marker]
            else:
                opens = opens_memo[marker] = window_opens_at(
                    zones=rule.zones, start=rule.start, end=rule.end, at=now
                )
            if opens != now:
                decisions[number] = _quiet_hours(number, rule, now, opens)
                continue
        if rule.daily_cap is not None:
            capped.append(number)
        decisions[number] = ALLOWED
    if capped:
        counts = messages_sent_counts(numbers=capped, since=now - CAP_PERIOD)
        for number in capped:
            count = counts.get(number, 0)
            if count >= rules[number].daily_cap:
                decisions[number] = _over_cap(number, rules[number], count)
    return decisions


def quiet_hours_hold_possible() -> bool:
    """Whether a quiet-hours send is held (else refused): SMS_QUIET_HOURS_ACTION=hold and a task
    backend that can run a task later (database, rq; not immediate)."""
    from optouts.messaging.tasks import message_deliver_task

    return (
        settings.SMS_QUIET_HOURS_ACTION == "hold"
        and message_deliver_task.get_backend().supports_defer
    )


def send_policy_preview(*, number: str, lead_id: int | None, now: datetime) -> PolicyDecision:
    """What the policy would answer for a text sent to `number` now, for the lead page's send
    form (no lock: the guard decides again when the message is sent)."""
    rules = send_rules_for(number=number, location=lead_location(lead_id))
    return send_policy_decide(number=number, rules=rules, now=now)
