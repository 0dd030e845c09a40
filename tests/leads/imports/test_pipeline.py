"""The reader process: every row cleaned once, in order, errors raised where they happened."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from leads.imports.mapping import RowCleaner
from leads.imports.pipeline import batches_cleaned
from leads.imports.readers import ImportFileError

HEADERS = ["First Name", "Cell", "SMS Opt Out"]
MAPPING = {"First Name": "first_name", "Cell": "phone:mobile", "SMS Opt Out": "sms_opt_out"}


def cleaner() -> RowCleaner:
    return RowCleaner(headers=HEADERS, mapping=MAPPING)


def numbered(n: int):
    for i in range(n):
        opt_out = "TRUE" if i % 3 == 0 else "maybe" if i == 4 else ""
        yield i + 2, [f"Lead {i}", f"415555{i:04d}", opt_out]


def test_batches_hold_every_row_in_order_cleaned_as_the_cleaner_would():
    with batches_cleaned(rows=numbered(25), cleaner=cleaner(), batch_size=10) as batches:
        got = list(batches)
    assert [len(batch) for batch in got] == [10, 10, 5]
    expected = [cleaner().clean(number, values) for number, values in numbered(25)]
    assert [row for batch in got for row, _ in batch] == expected
    # The raw values travel with rejected rows only (the report shows them).
    raw = dict(numbered(25))
    assert [(row.row_number, values) for batch in got for row, values in batch if values] == [
        (6, raw[6])
    ]
    bad = got[0][4][0]
    assert bad.row_number == 6 and bad.errors[0].column == "SMS Opt Out"


def test_an_error_while_reading_comes_after_the_batches_read_before_it():
    def rows():
        yield from numbered(12)
        raise ImportFileError("bad_csv", "Line 14 cannot be read as CSV: boom.")

    seen = []
    with (
        pytest.raises(ImportFileError, match="Line 14") as caught,
        batches_cleaned(rows=rows(), cleaner=cleaner(), batch_size=5) as batches,
    ):
        for batch in batches:
            seen.append(len(batch))
    assert seen == [5, 5]  # the 2 rows after them never make a batch
    assert caught.value.code == "bad_csv"


def test_an_error_that_cannot_be_pickled_still_says_what_it_was():
    class Local(Exception):  # a local class cannot be pickled
        pass

    def rows():
        yield from numbered(1)
        raise Local("the disk went away")

    with (
        pytest.raises(RuntimeError, match="Local: the disk went away"),
        batches_cleaned(rows=rows(), cleaner=cleaner(), batch_size=5) as batches,
    ):
        list(batches)


def test_a_reader_that_dies_is_an_error_not_a_short_import():
    def rows():
        yield from numbered(3)
        os._exit(3)

    with (
        pytest.raises(RuntimeError, match=r"ended without finishing the file \(exit code 3\)"),
        batches_cleaned(rows=rows(), cleaner=cleaner(), batch_size=2) as batches,
    ):
        list(batches)


def test_leaving_early_stops_the_reader():
    with batches_cleaned(rows=numbered(100_000), cleaner=cleaner(), batch_size=10) as batches:
        first = next(iter(batches))
        children = multiprocessing.active_children()
        assert [child.name for child in children] == ["import-reader"]
    assert len(first) == 10
    assert not children[0].is_alive()
