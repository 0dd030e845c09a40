"""Phone numbers: parse what people type into E.164, the only form the project stores."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from phonenumbers.phonemetadata import PhoneMetadata

# What people type: digits, the separators they use (spaces of any kind, ( ) - . / and the
# dashes word processors put in), one + at the start, and an extension at the end ("415 555 2671
# ext. 3": legitimate, though never part of an SMS address; phonenumbers drops it). Anything
# else is refused before phonenumbers sees it, because phonenumbers skips whatever comes before
# the first digit it likes ("x4155552671", an emoji, "++1...") and would read the rest.
_SEPARATOR_CHARS = "().-/\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# "(+44) 20 7946 0958" is how the CSV exports write a foreign number (phone_display_for_csv), so
# the + may also follow an opening parenthesis at the start.
_TYPED = re.compile(
    r"(?:\(\s*\+|\+)?[\d\s"
    + re.escape(_SEPARATOR_CHARS)
    + r"]+(?:(?:ext\.?|extension|x)\s*\d+\s*)?",
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"(ext\.?|x|extension)\s*\d+\s*$", re.IGNORECASE)


class InvalidPhoneNumber(ValueError):
    """A value that is not a phone number; `str(error)` is a sentence naming the input."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{value!r} is not a valid phone number: {reason}.")


def phone_normalize(value: object, *, region: str | None = None) -> str:
    """Return `value` as E.164 (`+14155552671`) or raise InvalidPhoneNumber.

    Numbers typed without a leading `+` are read in `region` (default: SMS_DEFAULT_REGION).
    """
    region = region or _default_region()
    if type(value) is str:
        # The same strings come back again and again (a lead list names a number on several
        # rows, the consent service re-reads what the import cleaned): remember the answers.
        return _text_normalize(value, region)
    if value is None:
        raise InvalidPhoneNumber(value, "it is empty")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidPhoneNumber(value, f"expected text, got {type(value).__name__}")
    if isinstance(value, float):
        # Spreadsheets store 4155552671 as 4155552671.0.
        if not value.is_integer():
            raise InvalidPhoneNumber(value, "it has a fractional part")
        value = int(value)
    return _text_normalize(str(value), region, value)


def _default_region() -> str:
    # Read through the settings proxy once, not per number (it cost a tenth of an import's
    # cleaning); a test that overrides the setting clears it (setting_changed below).
    global _region
    if _region is None:
        _region = settings.SMS_DEFAULT_REGION
    return _region


_region: str | None = None


@receiver(setting_changed)
def _region_forget(*, setting: str, **kwargs) -> None:
    global _region
    if setting == "SMS_DEFAULT_REGION":
        _region = None


# Bounded, so a file of a million distinct numbers holds at most this many answers (~15 MB).
# Only answers are cached: an invalid string raises, and is worked out again next time.
PARSED_CACHE_SIZE = 100_000


@functools.lru_cache(maxsize=PARSED_CACHE_SIZE)
def _text_normalize(raw: str, region: str, value: object = None) -> str:
    value = raw if value is None else value
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber(value, "it is empty")
    if len(text) > 40:
        raise InvalidPhoneNumber(text[:40] + "…", "it is too long")
    if not _TYPED.fullmatch(text):
        raise InvalidPhoneNumber(value, _untyped_reason(text))
    fast = _nanp_fast_path(text, region)
    if fast is not None:
        return fast
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "it cannot be read")
        raise InvalidPhoneNumber(value, reason) from None
    # Validity first: it is the common case and one check; the reason is worked out only for
    # the numbers that fail (this function is the hot path of a big import).
    if not phonenumbers.is_valid_number(parsed):
        possible = phonenumbers.is_possible_number_with_reason(parsed)
        if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
            reason = _POSSIBLE_REASONS.get(possible, "it has the wrong length")
            raise InvalidPhoneNumber(value, reason)
        raise InvalidPhoneNumber(value, "no such number exists in its country's numbering plan")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _untyped_reason(text: str) -> str:
    """Why `text` is not something people type as a phone number (it failed _TYPED)."""
    body = _EXTENSION.sub("", text)
    if any(c.isalpha() for c in body):
        return "it contains letters"
    for char in body:
        if not (char.isdecimal() or char.isspace() or char in _SEPARATOR_CHARS or char == "+"):
            return f"it contains {char!r}, which is not a digit or one of ( ) - . /"
    return "it does not look like a phone number"  # a + not at the start, or no digits


# --- The fast path -----------------------------------------------------------------------------
# phonenumbers.parse + is_valid_number cost ~200 µs a number (it tries every number type through
# generic code); a big import normalises hundreds of thousands. For the common case, a 10-digit
# North American number in the default region typed with ordinary separators, we run the same
# checks libphonenumber runs (its own metadata patterns: the general pattern, then any number
# type) on the bare digits. Anything else, or anything these patterns reject, takes the full path,
# so the fast path can only ever say "valid" where libphonenumber says so for the same region.

_SEPARATORS = re.compile(r"[\s().\-]")
# Most common first: the alternation stops at the first match (in NANP fixed_line and mobile
# are one).
_NUMBER_TYPES = (
    "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip",
    "personal_number", "pager", "uan", "voicemail",
)  # fmt: skip


@functools.cache
def _nanp_patterns(region: str):
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None or metadata.country_code != 1:
        return None
    types = [getattr(metadata, name) for name in _NUMBER_TYPES]
    # One alternation matches in full exactly when one of the types does, in one call.
    any_type = "|".join(
        f"(?:{d.national_number_pattern})" for d in types if d and d.national_number_pattern
    )
    return re.compile(metadata.general_desc.national_number_pattern), re.compile(any_type)


def _nanp_fast_path(text: str, region: str) -> str | None:
    patterns = _nanp_patterns(region)
    if patterns is None:
        return None
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+1"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return None
    general, any_type = patterns
    if general.fullmatch(digits) and any_type.fullmatch(digits):
        return "+1" + digits
    return None


def phone_normalize_many(values: list[object]) -> tuple[list[str], list[dict]]:
    """Normalise a batch: (numbers in input order, errors as {"index", "input", "detail"})."""
    numbers: list[str] = []
    errors: list[dict] = []
    for index, value in enumerate(values):
        try:
            numbers.append(phone_normalize(value))
        except InvalidPhoneNumber as exc:
            errors.append({"index": index, "input": value, "detail": str(exc)})
    return numbers, errors


def phone_display(number: str) -> str:
    """How every page and export shows a stored E.164 number (one rule).

    A number of the site's region (SMS_DEFAULT_REGION) in its national format, `(415) 555-2671`;
    any other number in E.164, `+442079460958`, so that a foreign number never reads like a local
    one. Anything that is not a number comes back as it is.
    """
    fast = _national_fast(number)
    if fast is not None:
        return fast
    parsed = _parsed_e164(number)
    if parsed is None:
        return number
    if phonenumbers.region_code_for_number(parsed) == settings.SMS_DEFAULT_REGION:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# The name the callers used before phone_display existed (the report among them).
phone_format_national = phone_display


def phone_display_for_csv(number: str) -> str:
    """phone_display for a CSV cell: the same text, except that E.164 is written `(+44) 2079460958`.

    A cell that starts with `+` is a formula to Excel, LibreOffice and Google Sheets: the export
    would have to prefix it with `'` (csv_export), and a spreadsheet turns `+442079460958` into
    the number 442079460958. In parentheses the country code stays visible, the cell stays text,
    and the lead import reads it back as the same number. National formats start with a digit
    or `(`, never with a formula character (docs/decisions.md, "Phone numbers in CSV exports").
    """
    shown = phone_display(number)
    if not shown.startswith("+"):
        return shown
    parsed = _parsed_e164(number)
    if parsed is None:
        return shown
    return f"(+{parsed.country_code}) {phonenumbers.national_significant_number(parsed)}"


# --- The display fast path ---------------------------------------------------------------------
# parse + region_code_for_number + format_number cost ~80 µs a number, half of a big export. When
# the site's region is the main region of country code 1 (the US), libphonenumber calls `+1` and
# ten digits a number of that region exactly when the ten digits fit the region's general pattern
# and one of its number types (region_code_for_number tries the main region first, and it has no
# leading digits), and formats every such number with the one ten-digit national format. Those
# patterns, taken from libphonenumber's own metadata, decide here; anything else takes the full
# path above.


@functools.cache
def _national_display_patterns(region: str) -> tuple[str, str] | None:
    """(general pattern, any-type pattern) of ten national digits for `region`, or None when the
    fast path does not apply to it."""
    region = region.upper()
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.country_code != 1 or metadata.leading_digits:
        return None
    if phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ())[:1] != (region,):
        return None
    ten_digit = [f for f in metadata.number_format if re.fullmatch(f.pattern, "2" * 10) is not None]
    expected = (r"(\d{3})(\d{3})(\d{4})", r"(\1) \2-\3")
    if [(f.pattern, f.format) for f in ten_digit] != [expected] or any(
        f.national_prefix_formatting_rule for f in ten_digit
    ):
        return None
    general = metadata.general_desc
    if general.possible_length and 10 not in general.possible_length:
        return None
    types = [getattr(metadata, name) for name in _NUMBER_TYPES]
    any_type = "|".join(
        f"(?:{d.national_number_pattern})"
        for d in types
        if d and d.national_number_pattern and (not d.possible_length or 10 in d.possible_length)
    )
    return general.national_number_pattern, any_type


@functools.cache
def _national_display_regexes(region: str):
    patterns = _national_display_patterns(region)
    return None if patterns is None else tuple(re.compile(p) for p in patterns)


def _national_fast(number: object) -> str | None:
    if type(number) is not str or len(number) != 12 or not number.startswith("+1"):
        return None
    regexes = _national_display_regexes(_default_region())
    if regexes is None:
        return None
    digits = number[2:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    general, any_type = regexes
    if general.fullmatch(digits) and any_type.fullmatch(digits):
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return None


def _parsed_e164(number: str) -> phonenumbers.PhoneNumber | None:
    if not isinstance(number, str) or not number.startswith("+"):
        return None
    try:
        return phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None


def phone_prefix_to_e164(digits: str, *, region: str | None = None) -> str:
    """Turn the start of a number someone typed into the start of an E.164 string.

    `415` (no plus) is the start of a national number in the default region, so `+1415`;
    `+44 20` starts at the country code, so `+4420`. Raises ValueError under 3 digits.
    """
    text = digits.strip()
    only_digits = re.sub(r"\D", "", text)
    if len(only_digits) < 3:
        raise ValueError("Enter at least the first 3 digits of the phone number.")
    if text.startswith("+"):
        return "+" + only_digits
    country_code = phonenumbers.country_code_for_region(region or settings.SMS_DEFAULT_REGION)
    # No NANP area code starts with 1, so a leading 1 ("1-415...") is the country code typed
    # out of habit.
    if country_code == 1 and only_digits.startswith("1"):
        only_digits = only_digits[1:]
    return f"+{country_code}{only_digits}"


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "its country code is unknown",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "it does not look like a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short",
    phonenumbers.NumberParseException.TOO_LONG: "it is too long",
}
_POSSIBLE_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: "it is too short",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it has no area code",
    phonenumbers.ValidationResult.TOO_LONG: "it is too long",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "its country code is unknown",
    phonenumbers.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}


_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
PHONE_PREFIX_MIN_DIGITS = 3
PHONE_SUFFIX_MIN_DIGITS = 4


@dataclass(frozen=True)
class PhoneSearch:
    """What a typed phone search asks for: one whole number (`exact`, E.164), or numbers that
    start with `prefix` (E.164 start) or, when given, end with `suffix` (digits)."""

    exact: str = ""
    prefix: str = ""
    suffix: str = ""

    def describe(self) -> str:
        """The kind of match in words, for the page that ran it."""
        if self.exact:
            return f"the number {phone_display(self.exact)}"
        if self.suffix:
            return f"numbers starting with {self.prefix} or ending in {self.suffix}"
        return f"numbers starting with {self.prefix}"


def phone_search_parse(term: str) -> PhoneSearch | None:
    """Read a typed phone search, the one rule of the lead list and the opt-out report; None if
    `term` is not one (other characters than digits and separators, or under 3 digits).

    A whole number in any format (`(415) 555-2671`, `+1 415 555 2671`) is that number. Otherwise
    3 digits or more are the start of a number (`415` -> `+1415`, `+44 20` -> `+4420`), and 4
    digits or more also its end (`1651`, `555-1651`: agents search by the last four).
    """
    text = (term or "").strip()
    digits = re.sub(r"\D", "", text)
    if not _PHONE_LIKE.match(text) or len(digits) < PHONE_PREFIX_MIN_DIGITS:
        return None
    try:
        return PhoneSearch(exact=phone_normalize(text))
    except InvalidPhoneNumber:
        pass
    suffix = digits if len(digits) >= PHONE_SUFFIX_MIN_DIGITS else ""
    return PhoneSearch(prefix=phone_prefix_to_e164(text), suffix=suffix)
