from velocify_sms.text import count_of


def test_one_takes_the_singular_and_every_other_count_the_plural():
    assert count_of(1, "row") == "1 row"
    assert count_of(0, "row") == "0 rows"
    assert count_of(2, "row") == "2 rows"
    assert count_of(1_250_000, "row") == "1,250,000 rows"


def test_an_irregular_plural_is_given():
    assert count_of(1, "row was", "rows were") == "1 row was"
    assert count_of(3, "row was", "rows were") == "3 rows were"
