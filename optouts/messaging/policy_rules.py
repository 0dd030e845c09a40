"""The send policy's rules table: calling hours by day, and frequency caps, per jurisdiction.

One row per jurisdiction: the window on weekdays (Monday to Friday), Saturday and Sunday, the
window on the jurisdiction's legal holidays (its list from the `holidays` package), the cap, and
the source. Times are the recipient's local time and a window is half-open: 8:00-20:00 lets a
text go from 8:00:00 to 19:59:59, so a send at 20:00 sharp waits. `None` for a day means no such
text on that day. On a legal holiday the holiday window applies on top of the day's own (both must
be open). A cap is the most messages this system may send to one number in any 24 hours (a
rolling window, not a calendar day). optouts/messaging/policy.py combines the rows that apply to
a recipient with the settings (which may only tighten): every row, in every zone the recipient
may be in, must be open.

Each row says where it comes from. `unverified` says what of it could not be checked against the
text of the law when the row was written (2026-12: the statute or rule read in a published copy
of the code, or only in secondary sources, or not at all); "" means the source text was read.
docs/compliance.md repeats the table; an unverified row is a conservative reading to be confirmed
by counsel, not settled law. This table is not legal advice. A new row is covered by the boundary
tests in tests/optouts/messaging/test_policy_days.py without a new line there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class Window:
    """Allowed local hours on one day: from `start` (included) to `end` (excluded)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{clock_text(self.start)} to {clock_text(self.end)}"


def clock_text(value: time) -> str:
    """9:00 am, 12:00 pm, 9:30 pm: how a reason sentence says a time of day."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"


def hours(start: str, end: str) -> Window:
    """Window("9:00", "21:30") from "H:MM" strings, to keep the table readable."""
    return Window(*(time(*map(int, value.split(":"))) for value in (start, end)))


@dataclass(frozen=True)
class PolicyRule:
    """The limits of one jurisdiction, by kind of day."""

    key: str  # "federal", "CA", or the USPS code of a state
    name: str  # how a reason sentence names it: "Texas", "The federal rule"
    weekday: Window | None  # Monday to Friday
    saturday: Window | None
    sunday: Window | None
    source: str
    unverified: str = ""  # what of the row could not be checked; "" when its source text was read
    holiday_calendar: str = ""  # `holidays` calendar ("US-TX"); "" when holidays change nothing
    holiday: Window | None = None  # the window on such a holiday; None: no such text that day
    daily_cap: int | None = None  # most texts to one number in any 24 hours; None: no cap
    clock_zone: str = ""  # a fixed zone the law names (Mississippi: Central Standard Time)
    clock_zone_label: str = ""
    note: str = ""  # what the row does beyond the source, for docs/compliance.md

    @property
    def start(self) -> time:
        """The weekday window's start (the figure settings and summaries compare with)."""
        return self.weekday.start if self.weekday else time.max

    @property
    def end(self) -> time:
        return self.weekday.end if self.weekday else time.min

    @property
    def plural(self) -> bool:
        return self.name.endswith(("rules", "settings"))


def every_day(key: str, name: str, window: Window, **fields) -> PolicyRule:
    return PolicyRule(key, name, window, window, window, **fields)


# Federal, every US number: 47 C.F.R. § 64.1200(c)(1) (FCC rules under the TCPA, 47 U.S.C. § 227)
# forbids telephone solicitations before 8 a.m. or after 9 p.m. local time at the called party's
# location; the FTC's Telemarketing Sales Rule, 16 C.F.R. § 310.4(c), says the same. The FCC treats
# a text message as a call under the TCPA. This row is the one copy of these bounds: settings may
# only narrow it (optouts/messaging/checks.py refuses a wider window).
FEDERAL = every_day(
    "federal",
    "the federal rule",
    hours("8:00", "21:00"),
    source="47 C.F.R. § 64.1200(c)(1) (FCC, TCPA, 47 U.S.C. § 227); 16 C.F.R. § 310.4(c) (FTC TSR)",
)

# Canada, every Canadian area code (phonenumbers' region CA) instead of the federal row: the
# CRTC's Unsolicited Telecommunications Rules, Part III (Telemarketing Rules): telemarketing only
# 9:00 a.m.-9:30 p.m. on weekdays and 10:00 a.m.-6:00 p.m. on Saturdays and Sundays, the called
# consumer's local time. The hours were read in the CRTC's and a carrier's published summaries;
# the section number (s. 5) was not read. Provinces may restrict further (not modelled).
CANADA = PolicyRule(
    "CA",
    "Canada's CRTC rules",
    hours("9:00", "21:30"),
    hours("10:00", "18:00"),
    hours("10:00", "18:00"),
    source="CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules), s. 5",
    unverified="the section number (the hours were read in the CRTC's own summary)",
)

_MON_SAT_8_20 = hours("8:00", "20:00")

# By state, keyed by the USPS code: only the states whose rules are stricter than the federal
# row. A state's area codes bring its row into force (most of these states presume that a number
# with one of their area codes belongs to a resident), and so does a lead's state.
STATE_RULES: dict[str, PolicyRule] = {
    "AL": PolicyRule(
        "AL",
        "Alabama",
        _MON_SAT_8_20,
        _MON_SAT_8_20,
        None,
        source="Ala. Admin. Code r. 770-X-5-.17(1)(b) (Public Service Commission telephone rules)",
        holiday_calendar="US-AL",
        note="The rule is written for automated solicitation calls by providers the PSC "
        "regulates; applied to every text.",
    ),
    "CT": every_day(
        "CT",
        "Connecticut",
        hours("9:00", "20:00"),
        source="Conn. Gen. Stat. § 42-288a, as amended by P.A. 23-98 (in force 2023-10-01); "
        "area-code presumption in § 42-288(c)",
        unverified="the hours (the amended text of § 42-288a was not read; § 42-288(c) was)",
    ),
    # Florida Telemarketing Act, as amended by ch. 2021-185, Laws of Fla. (CS/SB 1120, in force
    # 2021-07-01): no commercial telephone solicitation before 8 a.m. or after 8 p.m., at most 3
    # to a person in 24 hours on the same subject matter. Area-code presumption: § 501.059.
    "FL": every_day(
        "FL",
        "Florida",
        _MON_SAT_8_20,
        source="Fla. Stat. § 501.616(6)(a)-(b), as amended by ch. 2021-185 (SB 1120); "
        "area-code presumption in § 501.059",
        daily_cap=3,
    ),
    "KY": every_day(
        "KY",
        "Kentucky",
        hours("10:00", "21:00"),
        source="Ky. Rev. Stat. § 367.46955(15)",
        unverified="the hours and the subsection (only secondary summaries were read)",
    ),
    # La. R.S. 45:811: no calls other than 8:00 a.m.-8:00 p.m. Monday to Saturday, none on state
    # holidays or Sundays; the Public Service Commission's General Order R-29617 § V(A)(2) says
    # the same. The governor may declare further holidays (not foreseeable here).
    "LA": PolicyRule(
        "LA",
        "Louisiana",
        _MON_SAT_8_20,
        _MON_SAT_8_20,
        None,
        source="La. R.S. 45:811; La. PSC General Order R-29617 § V(A)(2)",
        holiday_calendar="US-LA",
    ),
    "MA": every_day(
        "MA",
        "Massachusetts",
        _MON_SAT_8_20,
        source="Mass. Gen. Laws ch. 159C, § 3; 201 CMR 12.02",
        unverified="the citation and the hours (only secondary summaries were read)",
    ),
    # Maryland Stop the Spam Calls Act of 2023 (SB 90, in force 2024-01-01): telephone
    # solicitations (calls and texts) only 8 a.m.-8 p.m., at most 3 in 24 hours on the same subject.
    "MD": every_day(
        "MD",
        "Maryland",
        _MON_SAT_8_20,
        source="Md. Code Ann., Com. Law § 14-4501 et seq. (Stop the Spam Calls Act of 2023, SB 90)",
        daily_cap=3,
    ),
    "MI": every_day(
        "MI",
        "Michigan",
        hours("9:00", "21:00"),
        source="Mich. Comp. Laws § 445.111 et seq. (Home Solicitation Sales Act)",
        unverified="the citation and the hours (only secondary summaries were read)",
    ),
    "MN": every_day(
        "MN",
        "Minnesota",
        hours("9:00", "21:00"),
        source="Minn. Stat. § 325E.27",
        unverified="the citation and the hours (only secondary summaries were read)",
    ),
    # Miss. Code Ann. § 77-3-723: 8:00 a.m.-8:00 p.m. Central Standard Time, none on a Sunday. The
    # statute names standard time: in summer that is 9:00 a.m.-9:00 p.m. by the clock, so both
    # readings (local time and CST) apply at once. Holidays: industry lists name Mississippi's
    # legal holidays, the statute does not; closed on them as the conservative reading.
    "MS": PolicyRule(
        "MS",
        "Mississippi",
        _MON_SAT_8_20,
        _MON_SAT_8_20,
        None,
        source="Miss. Code Ann. § 77-3-723",
        unverified="the holiday closure (not in § 77-3-723; from industry lists)",
        holiday_calendar="US-MS",
        clock_zone="Etc/GMT+6",
        clock_zone_label="Central Standard Time",
    ),
    "NM": every_day(
        "NM",
        "New Mexico",
        hours("9:00", "21:00"),
        source="N.M. Stat. Ann. § 57-12-22",
        unverified="the citation and the hours (only secondary summaries were read)",
    ),
    "NV": every_day(
        "NV",
        "Nevada",
        hours("9:00", "20:00"),
        source="Nev. Rev. Stat. § 228.590",
        unverified="the citation and the hours (only secondary summaries were read)",
    ),
    # Telephone Solicitation Act of 2022 (HB 3168, in force 2022-11-01): 8 a.m.-8 p.m. at the
    # called party's location, at most 3 in 24 hours on the same subject matter.
    "OK": every_day(
        "OK",
        "Oklahoma",
        _MON_SAT_8_20,
        source="Okla. Stat. tit. 15, § 775C.1 et seq. (HB 3168, in force 2022-11-01)",
        daily_cap=3,
    ),
    # Act 73 of 2019 (in force 2019-12-03) added a ban on telephone solicitation on legal
    # holidays to the Telemarketer Registration Act; hours as federal (8 a.m.-9 p.m.).
    "PA": every_day(
        "PA",
        "Pennsylvania",
        hours("8:00", "21:00"),
        source="73 P.S. § 2245(a)(10) (Telemarketer Registration Act, as amended by Act 73 "
        "of 2019)",
        unverified="the holiday list (the amendment was read about, not read)",
        holiday_calendar="US-PA",
    ),
    # R.I. Gen. Laws § 5-61-3.6: unsolicited telephonic sales calls only during "hours of
    # operation", § 5-61-2: Monday to Friday except a state or federal holiday, 9 a.m.-6 p.m.;
    # Saturday 10 a.m.-5 p.m. Not on Sundays. (The US-RI calendar includes the federal holidays.)
    "RI": PolicyRule(
        "RI",
        "Rhode Island",
        hours("9:00", "18:00"),
        hours("10:00", "17:00"),
        None,
        source='R.I. Gen. Laws § 5-61-3.6 and § 5-61-2 ("hours of operation")',
        holiday_calendar="US-RI",
    ),
    # Tex. Bus. & Com. Code § 301.051: 9 a.m.-9 p.m. on a weekday or Saturday, noon-9 p.m. on a
    # Sunday. The section names no holidays; this system gives Texas legal holidays the Sunday
    # hours, a reading stricter than the statute.
    "TX": PolicyRule(
        "TX",
        "Texas",
        hours("9:00", "21:00"),
        hours("9:00", "21:00"),
        hours("12:00", "21:00"),
        source="Tex. Bus. & Com. Code § 301.051",
        unverified="the hours (the section's text was not read); the holiday hours are this "
        "system's own, stricter reading",
        holiday_calendar="US-TX",
        holiday=hours("12:00", "21:00"),
        note="Texas legal holidays get the Sunday hours: not in the statute, stricter than it.",
    ),
    # Utah Code § 13-25a-103(3): no telephone solicitation without prior express consent between
    # 9 p.m. and 8 a.m. local time, on a Sunday, or on a legal holiday.
    "UT": PolicyRule(
        "UT",
        "Utah",
        hours("8:00", "21:00"),
        hours("8:00", "21:00"),
        None,
        source="Utah Code Ann. § 13-25a-103(3)",
        holiday_calendar="US-UT",
    ),
    # RCW 19.158.040(2): a commercial telephone solicitor shall not place calls received before
    # 8:00 a.m. or after 8:00 p.m. at the call recipient's local time (also RCW 80.36.390).
    "WA": every_day(
        "WA",
        "Washington",
        _MON_SAT_8_20,
        source="RCW 19.158.040(2); RCW 80.36.390",
    ),
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
