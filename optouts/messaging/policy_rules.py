"""The send policy's rules table: calling hours and frequency caps, federal and by US state.

One row per jurisdiction, each with its source in the comment above it. Times are the recipient's
local time and a window is half-open: 8:00-20:00 lets a text go from 8:00:00 to 19:59:59, so a
send at 20:00 sharp waits. A cap is the most messages this system may send to one number in any
24 hours (a rolling window, not a calendar day). optouts/messaging/policy.py combines the rows
that apply to a recipient with the settings (which may only tighten) and takes the strictest of
each limit.

This table is what the law said when the rows were written (sources checked 2026-12), not legal
advice: docs/compliance.md says what it covers, what it does not (other states, the "same subject
matter" nuance, Sundays and holidays) and what stays the customer's job. A new row needs its
source and a line in the rules-table test (tests/optouts/messaging/test_policy_rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class PolicyRule:
    """The limits of one jurisdiction."""

    name: str  # how a refusal names it: "federal rule", "Florida"
    start: time  # earliest local time a text may arrive
    end: time  # texts must arrive before this local time
    daily_cap: int | None  # most texts to one number in any 24 hours; None: no cap


# Federal, every US number: 47 C.F.R. § 64.1200(c)(1) (FCC rules under the TCPA, 47 U.S.C. § 227)
# forbids telephone solicitations before 8 a.m. or after 9 p.m. local time at the called party's
# location; the FTC's Telemarketing Sales Rule, 16 C.F.R. § 310.4(c), says the same. The FCC treats
# a text message as a call under the TCPA. velocify_sms/settings.py repeats these bounds
# (SMS_FEDERAL_WINDOW) to refuse settings that would widen them; a test keeps the two equal.
FEDERAL = PolicyRule("federal rule", time(8, 0), time(21, 0), None)

# By state, keyed by the USPS code. Each state also presumes that a number with one of its area
# codes belongs to a resident, which is why the area code alone brings a row into force.
STATE_RULES: dict[str, PolicyRule] = {
    # Florida Telemarketing Act, Fla. Stat. § 501.616(6)(a)-(b), as amended by ch. 2021-185, Laws
    # of Fla. (CS/SB 1120, in force 2021-07-01): no commercial telephone solicitation before 8 a.m.
    # or after 8 p.m. local time at the called person's location, and no more than 3 to a person
    # in 24 hours on the same subject matter. Area-code presumption: Fla. Stat. § 501.059.
    "FL": PolicyRule("Florida", time(8, 0), time(20, 0), 3),
    # Oklahoma Telephone Solicitation Act of 2022, Okla. Stat. tit. 15, § 775C.1 et seq. (enrolled
    # HB 3168, in force 2022-11-01): commercial telephonic sales calls only between 8 a.m. and
    # 8 p.m. at the called party's location, at most 3 in 24 hours on the same subject matter;
    # Oklahoma area codes presumed to reach Oklahoma residents.
    "OK": PolicyRule("Oklahoma", time(8, 0), time(20, 0), 3),
    # Maryland Stop the Spam Calls Act of 2023, Md. Code Ann., Com. Law § 14-4501 et seq. (SB 90,
    # in force 2024-01-01): telephone solicitations (calls and texts) only between 8 a.m. and
    # 8 p.m. in the called party's time zone, at most 3 in 24 hours on the same subject.
    "MD": PolicyRule("Maryland", time(8, 0), time(20, 0), 3),
}

# Where phonenumbers cannot place a US-plan (+1) number in a time zone (toll-free and other
# non-geographic area codes, an area code newer than its data): every zone of the 50 states from
# Eastern to Hawaii, so that the most restrictive reading holds wherever the recipient is. Their
# 8:00-21:00 windows overlap from 8:00 in Honolulu to 21:00 in New York. Source: the IANA tz
# database's zones for the states; the territories (Puerto Rico, Guam, ...) have area codes of
# their own, which phonenumbers places.
UNPLACED_US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)

# USPS codes and names: phonenumbers' English geocoder describes a US number either by state name
# ("Florida") or by city and code ("Tallahassee, FL"); a lead's state may be given either way.
US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
