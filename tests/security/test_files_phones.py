"""Issue 13, the list of 500s: phone parsing accepted `x4155552671`, an emoji before the digits
and `++1...` (libphonenumber skips whatever comes before the first digit it likes).

What people type is digits, the separators they use (spaces, ( ) - . / and the dashes word
processors put in), one leading +, and an extension at the end; anything else is refused with
a sentence saying what is wrong.
"""

from __future__ import annotations

import pytest

from velocify_sms.phones import InvalidPhoneNumber, phone_normalize, phone_normalize_many

REFUSED = [
    ("x4155552671", "does not look like a phone number"),
    ("\U0001f4de4155552671", "it contains '\U0001f4de'"),
    ("\u260e 415 555 2671", "it contains '\u260e'"),
    ("415 555 2671 \U0001f600", "it contains '\U0001f600'"),
    ("++14155552671", "does not look like a phone number"),
    ("+1+4155552671", "does not look like a phone number"),
    ("4155552671+", "does not look like a phone number"),
    ("415*555*2671", "it contains '*'"),
    ("#4155552671", "it contains '#'"),
    ("415_555_2671", "it contains '_'"),
    ("415,555,2671", "it contains ','"),
    ("4155552671x", "it contains letters"),
    ("tel:4155552671", "it contains letters"),
    ("\u0437\u0432\u043e\u043d\u0438 4155552671", "it contains letters"),  # Cyrillic "call"
    ("415\x005552671", "it contains '\\x00'"),
]

STILL_READ = [
    ("(415) 555-2671", "+14155552671"),
    ("+1 (415) 555-2671", "+14155552671"),
    ("415/555-2671", "+14155552671"),
    ("415\u2013555\u20132671", "+14155552671"),  # en dashes from a word processor
    ("415\u00a0555\u00a02671", "+14155552671"),  # no-break spaces from a web page
    ("415-555-2671 x12", "+14155552671"),
    ("415-555-2671 ext 12", "+14155552671"),
    ("415-555-2671 extension 12", "+14155552671"),
    ("\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11", "+14155552671"),  # full-width
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_letters_and_symbols_around_the_digits_are_refused(raw, reason):
    with pytest.raises(InvalidPhoneNumber) as caught:
        phone_normalize(raw)
    assert reason in str(caught.value)


@pytest.mark.parametrize(("raw", "e164"), STILL_READ)
def test_the_separators_people_type_are_still_read(raw, e164):
    assert phone_normalize(raw) == e164


def test_a_batch_names_each_refused_item():
    numbers, errors = phone_normalize_many(["4155552671", "x4155552671", "++14155552672"])
    assert numbers == ["+14155552671"]
    assert [e["index"] for e in errors] == [1, 2]
