"""Header aliases, the mapping checks and the opt-out value table."""

from __future__ import annotations

import pytest

from leads.imports.mapping import (
    MappingError,
    RowCleaner,
    header_key,
    mapping_check,
    mapping_guess,
    mapping_parse_pairs,
    mapping_unmapped,
    opt_out_value,
)


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("General.Sms.OptOut", "sms_opt_out"),
        ("SMS Opt Out", "sms_opt_out"),
        ("SMS Opt-Out", "sms_opt_out"),
        ("sms_opt_out", "sms_opt_out"),
        ("First Name", "first_name"),
        ("FirstName", "first_name"),
        ("first_name", "first_name"),
        ("LAST NAME", "last_name"),
        ("E-mail", "email"),
        ("Mobile Phone", "phone:mobile"),
        ("Cell", "phone:mobile"),
        ("Home Phone", "phone:home"),
        ("Work Phone", "phone:work"),
        ("External ID", "external_id"),
        ("Favourite colour", "ignore"),
    ],
)
def test_headers_map_by_alias_whatever_the_case_spaces_and_punctuation(header, target):
    assert mapping_guess(headers=[header]) == {header: target}


def test_header_key_drops_case_spaces_and_punctuation():
    assert header_key(" General.Sms.Opt-Out ") == "generalsmsoptout"


def test_only_the_first_column_gets_a_single_field_the_rest_are_listed_as_unmapped():
    mapping = mapping_guess(headers=["SMS Opt Out", "General.Sms.OptOut", "Cell", "Mobile"])
    assert mapping == {
        "SMS Opt Out": "sms_opt_out",
        "General.Sms.OptOut": "ignore",
        "Cell": "phone:mobile",
        "Mobile": "phone:mobile",
    }
    assert mapping_unmapped(mapping=mapping) == ["General.Sms.OptOut"]


def test_a_saved_mapping_wins_over_the_aliases():
    mapping = mapping_guess(
        headers=["Cell", "Notes"], saved={"cell": "phone:work", "notes": "company"}
    )
    assert mapping == {"Cell": "phone:work", "Notes": "company"}


def test_mapping_check_names_every_problem():
    with pytest.raises(MappingError) as caught:
        mapping_check(
            headers=["A", "B", "C"],
            mapping={"A": "email", "B": "email", "C": "shoe_size", "Z": "company"},
        )
    text = str(caught.value)
    assert '"Z"' in text
    assert "'shoe_size' is not a field" in text
    assert 'Email is mapped from more than one column: "A", "B"' in text


def test_mapping_check_refuses_a_mapping_that_imports_nothing():
    with pytest.raises(MappingError, match="nothing would be imported"):
        mapping_check(headers=["A"], mapping={"A": "sms_opt_out"})


def test_map_pairs_from_the_command_line():
    assert mapping_parse_pairs(["Cell=phone:mobile", "a=b=first_name"]) == {
        "Cell": "phone:mobile",
        "a=b": "first_name",
    }
    with pytest.raises(MappingError):
        mapping_parse_pairs(["nonsense"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("Yes", True),
        ("y", True),
        ("1", True),
        (" Y ", True),
        ("FALSE", False),
        ("false", False),
        ("No", False),
        ("n", False),
        ("0", False),
        ("", False),
        ("  ", False),
    ],
)
def test_opt_out_value_table(text, value):
    assert opt_out_value(text) is value


@pytest.mark.parametrize("text", ["maybe", "2", "opted out", "T", "-1"])
def test_any_other_opt_out_value_is_an_error(text):
    with pytest.raises(ValueError, match="is not a yes/no value"):
        opt_out_value(text)


HEADERS = ["ID", "First Name", "Email", "Cell", "Home Phone", "SMS Opt Out", "Status"]


def cleaner():
    return RowCleaner(headers=HEADERS, mapping=mapping_guess(headers=HEADERS))


def test_a_row_is_cleaned_to_what_will_be_stored():
    row = cleaner().clean(
        2, ["7", "Ann", "ann@example.com", "(415) 555-2671", "4155552671", "yes", "Qualified"]
    )
    assert row.errors == []
    assert row.fields == {
        "external_id": "7",
        "first_name": "Ann",
        "email": "ann@example.com",
        "status": "qualified",
    }
    assert row.phones == [("+14155552671", "mobile")]
    assert row.sms_opt_out is True


def test_row_errors_name_the_column_and_value():
    row = cleaner().clean(9, ["7", "Ann", "not-an-email", "12", "", "perhaps", "Sleeping"])
    assert [(e.column, e.value) for e in row.errors] == [
        ("Email", "not-an-email"),
        ("Cell", "12"),
        ("SMS Opt Out", "perhaps"),
        ("Status", "Sleeping"),
    ]
    assert "is not a yes/no value" in row.errors[2].detail


def test_opt_out_true_without_any_phone_is_an_error():
    row = cleaner().clean(3, ["7", "Ann", "", "", "", "TRUE", ""])
    assert [e.detail for e in row.errors] == [
        "SMS Opt Out is TRUE but the row has no phone number to opt out."
    ]


@pytest.mark.parametrize(
    "address",
    [
        "ann@example.com",
        "first.last+tag@sub.example.co.uk",
        '"quoted name"@example.com',
        "user@[192.168.0.1]",
        "user@[IPv6:::1]",
        "user@localhost",
        "no-at-sign.example.com",
        "two@@example.com",
        "trailing.@example.com",
        "user@exa mple.com",
        "user@-example.com",
        "user@example",
        "ünï@exämple.com",
        "a" * 330 + "@example.com",
    ],
)
def test_the_import_checks_email_exactly_as_djangos_email_field(address):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email as django_validate_email

    from leads.imports.mapping import validate_email

    def accepted(check) -> bool:
        try:
            check(address)
        except ValidationError:
            return False
        return True

    assert accepted(validate_email) == accepted(django_validate_email)
