import phonenumbers
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from velocify_sms.csv_export import FORMULA_PREFIXES, csv_safe_cell
from velocify_sms.phones import (
    _TYPED,
    PARSED_CACHE_SIZE,
    InvalidPhoneNumber,
    _nanp_fast_path,
    _text_normalize,
    phone_display,
    phone_display_for_csv,
    phone_format_national,
    phone_normalize,
    phone_prefix_to_e164,
)

GOOD = [
    ("(415) 555-2671", "+14155552671"),
    ("415.555.2671", "+14155552671"),
    ("+1 415 555 2671", "+14155552671"),
    ("1-415-555-2671", "+14155552671"),
    ("4155552671", "+14155552671"),
    ("  415 555 2671  ", "+14155552671"),
    ("+44 20 7946 0958", "+442079460958"),
    ("011 44 20 7946 0958", "+442079460958"),  # the US international prefix
    (4155552671, "+14155552671"),
    (4155552671.0, "+14155552671"),
    ("415-555-2671 ext. 12", "+14155552671"),
]

BAD = [
    ("", "it is empty"),
    ("   ", "it is empty"),
    (None, "it is empty"),
    ("call me", "it contains letters"),
    ("415-CALL-NOW", "it contains letters"),
    ("123", "it is too short"),
    ("555-0100", "it has no area code"),
    ("+999 1234567", "its country code is unknown"),
    ("+1 200 555 0100", "no such number exists"),
    ("4155552671234567", "too long"),
    ("+", "does not look like a phone number"),
    (["4155552671"], "expected text, got list"),
    (True, "expected text, got bool"),
    (4155552671.5, "fractional part"),
]


@pytest.mark.parametrize(("raw", "e164"), GOOD)
def test_phone_normalize_reads_what_people_type(raw, e164):
    assert phone_normalize(raw) == e164


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_phone_normalize_names_the_input_and_the_reason(raw, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        phone_normalize(raw)
    message = str(caught.value)
    assert reason in message
    assert "is not a valid phone number" in message


def test_default_region_is_a_setting(settings):
    settings.SMS_DEFAULT_REGION = "GB"
    assert phone_normalize("020 7946 0958") == "+442079460958"


def test_phone_display_is_national_in_the_site_region_and_e164_otherwise():
    assert phone_display("+14155552671") == "(415) 555-2671"
    assert phone_display("+442079460958") == "+442079460958"
    assert phone_display("+16045550142") == "+16045550142"  # Canada shares +1, not the region
    assert phone_format_national is phone_display  # the old name, one rule


def test_phone_display_follows_the_site_region(settings):
    settings.SMS_DEFAULT_REGION = "GB"
    assert phone_display("+442079460958") == "020 7946 0958"
    assert phone_display("+14155552671") == "+14155552671"


def test_phone_display_leaves_what_is_not_a_number_as_it_is():
    assert phone_display("unknown") == "unknown"
    assert phone_display("+999") == "+999"


def test_a_foreign_number_in_a_csv_cell_keeps_its_country_code_in_parentheses():
    assert phone_display_for_csv("+14155552671") == "(415) 555-2671"
    assert phone_display_for_csv("+442079460958") == "(+44) 2079460958"
    # The lead import reads both back as the same number.
    assert phone_normalize("(+44) 2079460958") == "+442079460958"
    assert phone_normalize("(415) 555-2671") == "+14155552671"


@pytest.mark.parametrize("site_region", ["US", "GB", "DE", "FR", "IN", "BR", "JP", "AU"])
def test_no_phone_number_of_any_country_starts_a_csv_cell_with_a_formula_character(
    settings, site_region
):
    # Every country's example mobile and fixed line number, written as the exports write it,
    # must need no `'` from csv_safe_cell: the formula characters never come first.
    settings.SMS_DEFAULT_REGION = site_region
    checked = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            cell = phone_display_for_csv(e164)
            assert not cell.startswith(FORMULA_PREFIXES), (region, cell)
            assert csv_safe_cell(cell) == cell
            assert phone_normalize(cell, region=site_region) == e164, (region, cell)
            checked += 1
    assert checked > 400


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [("415", "+1415"), ("(415) 55", "+141555"), ("1-415", "+1415"), ("+44 20", "+4420")],
)
def test_phone_prefix_to_e164(typed, prefix):
    assert phone_prefix_to_e164(typed) == prefix


@pytest.mark.parametrize("typed", ["", "41", "+4", "ab"])
def test_phone_prefix_needs_three_digits(typed):
    with pytest.raises(ValueError, match="at least the first 3 digits"):
        phone_prefix_to_e164(typed)


def _reference(text: str) -> str | None:
    """What libphonenumber alone says: E.164 or None (invalid)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_fast_path_agrees_with_libphonenumber_on_random_north_american_numbers():
    import random

    rng = random.Random(23)
    styles = ["{a}{b}{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "1-{a}-{b}-{c}", "+1 {a} {b} {c}"]
    checked = 0
    for _ in range(5000):
        digits = f"{rng.randint(0, 9999999999):010d}"
        text = rng.choice(styles).format(a=digits[:3], b=digits[3:6], c=digits[6:])
        expected = _reference(text)
        try:
            got = phone_normalize(text)
        except InvalidPhoneNumber:
            got = None
        assert got == expected, text
        checked += expected is not None
    assert checked > 1000  # the sample covers plenty of valid numbers too


_SEPARATOR = st.sampled_from(["", " ", "-", ".", "(", ")", "  ", "\u2013"])


@st.composite
def _typed_nanp_like(draw) -> str:
    """Digits that look North American, typed with any mix of separators and prefixes."""
    digits = draw(st.text(alphabet="0123456789", min_size=9, max_size=12))
    prefix = draw(st.sampled_from(["", "+1", "1", "+1 ", "1-", "+", "+44 "]))
    parts = [prefix]
    for digit in digits:
        parts.append(draw(_SEPARATOR) if draw(st.booleans()) else "")
        parts.append(digit)
    return "".join(parts)


@given(text=_typed_nanp_like())
@hypothesis_settings(max_examples=500, deadline=None)
def test_fast_path_equals_libphonenumber_for_random_input(text):
    """The NANP fast path (and the cache in front of it) never answers differently from
    phonenumbers: valid exactly when it is valid, with the same E.164."""
    fast = _nanp_fast_path(text, "US")
    expected = _reference(text)
    if fast is not None:
        assert fast == expected, text
    try:
        got = phone_normalize(text)
    except InvalidPhoneNumber:
        got = None
    if expected is not None and _TYPED.fullmatch(text.strip()):
        assert got == expected, text
    if got is not None:
        assert got == expected, text
    # Asked again, the cached answer is the same.
    try:
        again = phone_normalize(text)
    except InvalidPhoneNumber:
        again = None
    assert again == got


def test_parsed_number_cache_is_bounded_and_keyed_by_region():
    phone_normalize("(415) 555-2671")
    hits = _text_normalize.cache_info().hits
    assert phone_normalize("(415) 555-2671") == "+14155552671"
    assert _text_normalize.cache_info().hits == hits + 1
    assert _text_normalize.cache_info().maxsize == PARSED_CACHE_SIZE
    # The same digits read in another region are another number, not the cached one.
    assert phone_normalize("020 7946 0958", region="GB") == "+442079460958"
    with pytest.raises(InvalidPhoneNumber):
        phone_normalize("020 7946 0958", region="US")


@pytest.mark.parametrize("region", ["US", "CA", "GB"])
def test_display_fast_path_agrees_with_libphonenumber_on_random_plus_one_numbers(settings, region):
    import random

    settings.SMS_DEFAULT_REGION = region
    rng = random.Random(29)
    shown_nationally = 0
    for _ in range(5000):
        number = f"+1{rng.randint(2000000000, 9999999999)}"
        parsed = phonenumbers.parse(number, None)
        expected = (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
            if phonenumbers.region_code_for_number(parsed) == region
            else phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        )
        assert phone_display(number) == expected, number
        shown_nationally += expected.startswith("(")
    assert shown_nationally > (1000 if region == "US" else -1)
