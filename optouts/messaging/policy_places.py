"""Where a recipient's texts land, for the send policy: the zones and state of a number.

The recipient's time zones come from the number (phonenumbers' area-code time zone data, down to
the exchange where the data has it); its US state from phonenumbers' geocoder (the area code);
its country from the numbering plan (+1 is shared by the US, Canada and others). A lead's state
adds the zones of that state (`state_zones`), derived from the same data. Placing a number costs a
few phonenumbers look-ups; they are cached per area code and exchange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA

from optouts.messaging.policy_rules import UNPLACED_US_ZONES, US_STATES

_UNKNOWN_ZONE = "Etc/Unknown"
# phonenumbers answers every zone of the +1 plan when no area code entry matches.
_WHOLE_PLAN_ZONES = TIMEZONE_DATA.get("1", ())
_CITY_AND_STATE = re.compile(r",\s*([A-Z]{2})$")
_STATE_BY_NAME = {name.lower(): code for code, name in US_STATES.items()} | {
    # How phonenumbers' geocoder spells two of them.
    "washington state": "WA",
    "washington d.c.": "DC",
}


@dataclass(frozen=True)
class Placement:
    """What phonenumbers says about where a number is."""

    zones: tuple[str, ...]  # IANA zones; () when nothing is known
    state: str  # USPS code from the area code; "" outside the 50 states and DC
    placed: bool  # False: phonenumbers had no zone for it; `zones` is the fallback
    region: str = ""  # ISO country of the number ("US", "CA"); "" when unknown


# Area code -> (region, state, geographic); area code and exchange -> placement. Real numbers
# have a few hundred area codes and some tens of thousands of exchanges, so both stay small.
_AREA_CACHE: dict[str, tuple[str, str, bool]] = {}
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


def _nanp_area(number: str, numobj: phonenumbers.PhoneNumber) -> tuple[str, str, bool]:
    key = number[:5]  # +1 and the area code: one country, one state, one kind
    area = _AREA_CACHE.get(key)
    if area is None:
        region = phonenumbers.region_code_for_number(numobj) or ""
        state = ""
        if region == "US":
            # Imported on first use: the geocoder's data costs ~100 MB, which every process
            # that never sends (an import worker, a management command) should not pay.
            from phonenumbers import geocoder

            state = _state_from_description(geocoder.description_for_valid_number(numobj, "en"))
        area = (region, state, phonenumbers.is_number_geographical(numobj))
        _AREA_CACHE[key] = area
    return area


def _place(number: str) -> Placement:
    if number.startswith("+1") and len(number) == 12:
        numobj = phonenumbers.PhoneNumber(country_code=1, national_number=int(number[2:]))
        region, state, geographic = _nanp_area(number, numobj)
        zones = phone_timezones.time_zones_for_geographical_number(numobj) if geographic else ()
        if not zones or zones == _WHOLE_PLAN_ZONES or _UNKNOWN_ZONE in zones:
            return Placement(UNPLACED_US_ZONES, state, False, region)
        return Placement(tuple(zones), state, True, region)
    try:
        numobj = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return Placement((), "", False)
    zones = tuple(z for z in phone_timezones.time_zones_for_number(numobj) if z != _UNKNOWN_ZONE)
    return Placement(zones, "", bool(zones), phonenumbers.region_code_for_number(numobj) or "")


def placement_key(number: str) -> str:
    """The part of a number its placement depends on: +1 NPA NXX for the +1 plan (time zones are
    given down to the exchange, never finer), the whole number otherwise."""
    return number[:8] if number.startswith("+1") else number


def number_placement(number: str) -> Placement:
    """Where an E.164 number is, by phonenumbers' data (cached per area code and exchange)."""
    key = placement_key(number)
    placement = _PLACEMENT_CACHE.get(key)
    if placement is None:
        if len(_PLACEMENT_CACHE) >= _PLACEMENT_CACHE_MAX:
            _PLACEMENT_CACHE.clear()
        placement = _PLACEMENT_CACHE[key] = _place(number)
    return placement


@cache
def _zones_by_state() -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for key, zones in TIMEZONE_DATA.items():
        if not key.startswith("1") or len(key) < 4:
            continue
        placement = number_placement(f"+1{key[1:4]}2223333")
        if placement.region == "US" and placement.state:
            found.setdefault(placement.state, set()).update(z for z in zones if z != _UNKNOWN_ZONE)
    return {state: tuple(sorted(zones)) for state, zones in found.items()}


def state_zones(state: str) -> tuple[str, ...]:
    """Every time zone of a US state (USPS code): those of its area codes and exchanges."""
    return _zones_by_state().get(state, ())


@cache
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def time_zone_valid(name: str) -> bool:
    """Whether `name` is an IANA time zone this system knows (for a lead's time zone)."""
    try:
        zone_info(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)
