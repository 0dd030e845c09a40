"""The send policy: allowed hours and days, and frequency caps, decided inside the send guard.

Where a text lands (optouts/messaging/policy_places.py): the zones of the number's area code and
exchange, and its US state or country. The most restrictive reading wins: every rule that
applies must allow the text in every zone the recipient may be in, all at once. A lead's data
(optouts.lead_directory) only adds to that: the lead's time zone and its state's zones join the
number's zones, the lead's state's row joins the area code's. So a lead's data can narrow the
allowed window, never widen it; an agent editing a lead cannot make a text go earlier.

What applies (optouts/messaging/policy_rules.py): the federal row for a US number (or a lead in
a US state), the CRTC's row for a Canadian number instead, the rows of the area code's state and
of the lead's state, and the settings SMS_SEND_WINDOW_START/END when they narrow the federal
window; each row by day (weekday, Saturday, Sunday, the state's legal holidays). The cap is the
lowest of the rows' caps and SMS_FREQUENCY_CAP.

The decision, in the guard's order after the list check: outside the allowed hours or days,
`quiet_hours` (held until the next allowed minute, or refused: SMS_QUIET_HOURS_ACTION), with the
reason said plainly; over the cap, `frequency_cap` (refused). The cap counts this system's
messages to the number that left in the last 24 hours (status sent or delivered); message_deliver
counts them under the number's lock, taken exclusively when a cap applies, so two sends at once
cannot both pass the last free slot.

Speed: rules objects are cached per exchange (and per lead location), and the answer "open until
T" or "closed until T" per rules object, so a batch (send_policy_decide_batch) costs dictionary
look-ups per number plus one count query; the calendar is worked out once per rules object and
window, not per number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache

from django.conf import settings

from optouts.lead_directory import LeadLocation, lead_location
from optouts.messaging.models import ReasonCode
from optouts.messaging.policy_places import (  # noqa: F401 - re-exported
    _AREA_CACHE,
    _PLACEMENT_CACHE,
    Placement,
    number_placement,
    placement_key,
    state_code,
    state_zones,
    time_zone_valid,
    zone_info,
)
from optouts.messaging.policy_rules import (
    CANADA,
    FEDERAL,
    STATE_RULES,
    PolicyRule,
    Window,
    clock_text,
    every_day,
)
from optouts.messaging.policy_window import (
    SEARCH_DAYS,
    Constraint,
    day_label,
    day_name,
    next_open,
    open_until,
    opens_at,
    window_on,
)
from optouts.messaging.selectors import messages_sent_counts
from velocify_sms.dates import time_zone_label
from velocify_sms.phones import phone_display

CAP_PERIOD = timedelta(hours=24)

# Tests that are not about the send window run at any hour of the day: tests/conftest.py turns
# this off for them (the race meta-test's `_ENABLED` in optouts/services/locks.py is the model).
# No setting or environment variable reaches it; caps are enforced either way.
_QUIET_HOURS_ENFORCED = True


# --- What applies to a recipient ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: cached, shared by numbers
class SendRules:
    """The limits for one recipient: where it may be, what applies there, and the cap."""

    zones: tuple[str, ...]  # every zone the recipient may be in (number's, then the lead's)
    zones_from: str  # "number", or "fallback" (no zone known for the number)
    lead_zones: tuple[str, ...]  # the zones the lead's time zone and state added
    jurisdictions: tuple[PolicyRule, ...]
    constraints: tuple[Constraint, ...]  # (zone, rule): each must be open for a text to go
    start: time  # the strictest weekday window, for summaries
    end: time
    daily_cap: int | None
    window_basis: str  # which rule set that weekday window
    cap_basis: str


@cache  # one object per window: policy_window memoises windows by the rule's identity
def _settings_rule(start: time | None, end: time | None) -> PolicyRule | None:
    # Unset, a bound is the federal row's. Settings may only narrow (`check` refuses a wider
    # window, optouts/messaging/checks.py); the clamp keeps that true whatever was set.
    window = Window(
        max(start or FEDERAL.start, FEDERAL.start), min(end or FEDERAL.end, FEDERAL.end)
    )
    if (window.start, window.end) == (FEDERAL.start, FEDERAL.end) or window.start >= window.end:
        return None
    return every_day("settings", "this system's settings", window, source="SMS_SEND_WINDOW_*")


def _combine(placement: Placement, lead_zone: str, lead_state: str, config: tuple) -> SendRules:
    window_start, window_end, cap_setting = config
    states = sorted({placement.state, lead_state} - {""})
    canadian = placement.region == "CA"
    base = [CANADA] if canadian else [FEDERAL]
    if canadian and lead_state:
        base.append(FEDERAL)  # a lead who lives in a US state is reached under US law too
    own = _settings_rule(window_start, window_end)
    rules = [*base, *([own] if own else []), *(STATE_RULES[s] for s in states if s in STATE_RULES)]

    added = ((lead_zone,) if lead_zone else ()) + (state_zones(lead_state) if lead_state else ())
    lead_zones = tuple(z for z in dict.fromkeys(added) if z not in placement.zones)
    zones = placement.zones + lead_zones if placement.zones else ()
    constraints: dict[Constraint, None] = {}
    for rule in rules:
        for zone in zones + ((rule.clock_zone,) if rule.clock_zone and zones else ()):
            constraints[(zone, rule)] = None

    start, end, basis = time.min, time.max, ""
    for rule in rules:
        if rule.start > start or rule.end < end:
            start, end, basis = max(start, rule.start), min(end, rule.end), rule.name
    cap, cap_basis = (cap_setting, "this system's settings") if cap_setting else (None, "")
    for rule in rules:
        if rule.daily_cap is not None and (cap is None or rule.daily_cap < cap):
            cap, cap_basis = rule.daily_cap, rule.name
    return SendRules(
        zones=zones,
        zones_from="number" if placement.placed else "fallback",
        lead_zones=lead_zones,
        jurisdictions=tuple(rules),
        constraints=tuple(constraints),
        start=start,
        end=end,
        daily_cap=cap,
        window_basis=basis,
        cap_basis=cap_basis,
    )


# Rules per exchange (no lead location) and per (placement, lead zone, lead state), valid for
# one set of settings; the open/closed answer per rules object and the time span it holds for.
_BY_EXCHANGE: dict[str, SendRules] = {}
_BY_COMBINATION: dict[tuple, SendRules] = {}
_OPENINGS: dict[SendRules, tuple[datetime, datetime, datetime | None]] = {}
_CACHE_MAX = 200_000
_cached_config: tuple = ()


def _current_config() -> tuple:
    global _cached_config
    policy = settings.SMS_SEND_POLICY
    config = (policy["SEND_WINDOW_START"], policy["SEND_WINDOW_END"], policy["FREQUENCY_CAP"])
    if config != _cached_config or len(_BY_EXCHANGE) + len(_BY_COMBINATION) > _CACHE_MAX:
        policy_caches_clear()
        _cached_config = config
    return config


def policy_caches_clear() -> None:
    """Forget every cached rules object and window answer (settings changed; a cold bench)."""
    _BY_EXCHANGE.clear()
    _BY_COMBINATION.clear()
    _OPENINGS.clear()


def _rules_for(placement: Placement, lead_zone: str, lead_state: str, config: tuple) -> SendRules:
    key = (placement, lead_zone, lead_state)
    rules = _BY_COMBINATION.get(key)
    if rules is None:
        rules = _BY_COMBINATION[key] = _combine(placement, lead_zone, lead_state, config)
    return rules


def send_rules_for(*, number: str, location: LeadLocation | None = None) -> SendRules:
    """The rules for texting an E.164 number, with the lead's location if it has one."""
    locations = {number: location} if location is not None else None
    return send_rules_batch(numbers=[number], locations=locations)[number]


def send_rules_batch(
    *, numbers: Iterable[str], locations: Mapping[str, LeadLocation] | None = None
) -> dict[str, SendRules]:
    """{number: rules} for E.164 numbers; `locations` gives a lead's location per number."""
    locations = locations or {}
    config = _current_config()
    found: dict[str, SendRules] = {}
    for number in numbers:
        location = locations.get(number)
        if location is None:
            key = placement_key(number)
            rules = _BY_EXCHANGE.get(key)
            if rules is None:
                rules = _BY_EXCHANGE[key] = _rules_for(number_placement(number), "", "", config)
        else:
            zone = location.time_zone if time_zone_valid(location.time_zone) else ""
            rules = _rules_for(number_placement(number), zone, state_code(location.state), config)
        found[number] = rules
    return found


# --- The window ---------------------------------------------------------------------------------


def send_window_opens(*, rules: SendRules, at: datetime) -> datetime | None:
    """The first instant from `at` on when a text to a recipient with these rules may arrive:
    `at` itself when it may now; None when no allowed instant comes within SEARCH_DAYS days."""
    cached = _OPENINGS.get(rules)
    if cached is not None and cached[0] <= at < cached[1]:
        return at if cached[2] is None else cached[2]
    opens = opens_at(rules.constraints, at)
    if opens is not None:
        # Open now: the same answer until the first window closes. Closed: no instant before the
        # opening is allowed, so "opens then" holds for every moment until then.
        valid_until = open_until(rules.constraints, at) if opens == at else opens
        if len(_OPENINGS) >= _CACHE_MAX:
            _OPENINGS.clear()
        _OPENINGS[rules] = (at, valid_until, None if opens == at else opens)
    return opens


# --- The decision -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDecision:
    """May a text go now? `code` is "" when it may; `release_at` is when a quiet-hours send may
    go (None: no allowed time was found); `reason` is the sentence for the log and the caller."""

    code: str = ""
    release_at: datetime | None = None
    reason: str = ""
    # When it may go, in the recipient's time: "Monday 9:00 am, the contact's local time (...)".
    release_text: str = ""

    @property
    def allowed(self) -> bool:
        return not self.code


ALLOWED = PolicyDecision()
_NEVER = datetime.max.replace(tzinfo=UTC)


def _blamed(rules: SendRules, now: datetime) -> Constraint:
    """The closed constraint that keeps the text waiting longest (a day's closure and a state's
    row before a general one when they reopen together): the one the reason names."""

    def weight(constraint: Constraint):
        opening = next_open(constraint, now)
        zone, rule = constraint
        closed_all_day = window_on(rule, now.astimezone(zone_info(zone)).date()) is None
        return (opening or _NEVER, closed_all_day, rule.key not in ("federal", "settings"))

    closed = [c for c in rules.constraints if next_open(c, now) != now]
    return max(closed, key=weight) if closed else rules.constraints[0]


# --- The sentences (pages, the log, the API's `detail`; the API's `code` stays the machine's) ----


def _rule_words(rule: PolicyRule) -> str:
    """Who sets the hours, as an agent says it: "US federal law", "Texas", "Canada's CRTC rules"."""
    return "US federal law" if rule.key == "federal" else rule.name


def _why(constraint: Constraint, now: datetime) -> str:
    zone, rule = constraint
    local = now.astimezone(zone_info(zone))
    window, label = window_on(rule, local.date()), day_label(rule, local.date())
    words = _rule_words(rule)
    subject = words[0].upper() + words[1:]
    verb = "allow" if rule.plural else "allows"
    if window is None:
        return f"{subject} {verb} no such texts on {label or day_name(local.date())}"
    if zone == rule.clock_zone:
        reference, now_text = rule.clock_zone_label, f"{clock_text(local.time())} by that clock"
    else:
        reference = "the contact's local time"
        now_text = f"{clock_text(local.time())} there ({time_zone_label(zone)})"
    when = f" on {label}" if label else ""
    return f"{subject} {verb} such texts{when} only from {window}, {reference}; it is {now_text}"


def _day_words(day, today) -> str:
    """`today`, `tomorrow (Tuesday 8 Dec)`, `Thursday 10 Dec`: the day a held text goes."""
    named = f"{day_name(day)} {day.day} {day:%b}"
    if day == today:
        return f"today ({named})"
    if day == today + timedelta(days=1):
        return f"tomorrow ({named})"
    return named


def _release_text(rules: SendRules, opens: datetime, now: datetime) -> str:
    local = [(zone, opens.astimezone(zone_info(zone))) for zone in rules.zones]
    zone, first = local[0]
    today = now.astimezone(zone_info(zone)).date()
    when = f"{clock_text(first.time())} {_day_words(first.date(), today)}"
    if all(other.utcoffset() == first.utcoffset() for _, other in local):
        return f"{when}, the contact's local time ({time_zone_label(zone)})"
    others = ", ".join(
        f"{clock_text(other.time())} {time_zone_label(name)}" for name, other in local[1:4]
    )
    return f"{when}, {time_zone_label(zone)} ({others})"


def _quiet_hours(number: str, rules: SendRules, now: datetime, opens: datetime | None):
    if not rules.constraints:
        return PolicyDecision(
            ReasonCode.QUIET_HOURS,
            None,
            f"The time zone of {phone_display(number)} is not known from the number, so no "
            "allowed hour can be found for it (a lead's time zone can narrow the hours, not set "
            "them).",
        )
    why = _why(_blamed(rules, now), now)
    if opens is None:
        zones = ", ".join(dict.fromkeys(time_zone_label(zone) for zone in rules.zones[:6]))
        return PolicyDecision(
            ReasonCode.QUIET_HOURS,
            None,
            f"{why}. No time in the next {SEARCH_DAYS} days is allowed in all of the contact's "
            f"zones at once ({zones}): check the lead's time zone and state.",
        )
    return PolicyDecision(
        ReasonCode.QUIET_HOURS, opens, f"{why}.", _release_text(rules, opens, now)
    )


def _over_cap(number: str, rules: SendRules, count: int) -> PolicyDecision:
    return PolicyDecision(
        ReasonCode.FREQUENCY_CAP,
        None,
        f"{phone_display(number)} was sent {count} messages in the last 24 hours; the most "
        f"allowed is {rules.daily_cap} (set by {rules.cap_basis}).",
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
    opens_memo: dict[SendRules, datetime | None] = {}
    capped: list[str] = []
    for number, rule in rules.items():
        if _QUIET_HOURS_ENFORCED:
            if rule in opens_memo:
                opens = opens_memo[rule]
            else:
                opens = opens_memo[rule] = send_window_opens(rules=rule, at=now)
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
        settings.SMS_SEND_POLICY["QUIET_HOURS_ACTION"] == "hold"
        and message_deliver_task.get_backend().supports_defer
    )


def send_policy_preview(*, number: str, lead_id: int | None, now: datetime) -> PolicyDecision:
    """What the policy would answer for a text sent to `number` now, for the lead page's send
    form (no lock: the guard decides again when the message is sent)."""
    rules = send_rules_for(number=number, location=lead_location(lead_id))
    return send_policy_decide(number=number, rules=rules, now=now)
