"""The one array filter (velocify_sms.db_arrays) and the reads that go through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from optouts.messaging.models import MessageStatus, OutboundMessage
from optouts.messaging.selectors import messages_sent_counts
from optouts.models import OptOut, Source
from optouts.selectors import phones_opted_out, phones_status
from velocify_sms.db_arrays import ARRAY_ABOVE, array_param, in_values

pytestmark = pytest.mark.django_db

BIG = ARRAY_ABOVE + 1


def _numbers(count: int) -> list[str]:
    return [f"+1415555{n:04d}" for n in range(count)]


def _uses_array(queries) -> bool:
    return any("unnest" in query["sql"] for query in queries)


def test_unsupported_array_type_is_refused():
    with pytest.raises(ValueError):
        in_values("phone_number", ["+14155550100"], sql_type="text[]; --")


@pytest.mark.parametrize("count", [0, 3, BIG])
def test_in_values_finds_the_same_rows_at_any_size(count):
    numbers = _numbers(count + 5)
    OptOut.objects.bulk_create(
        OptOut(phone_number=n, source=Source.AGENT, channel="ui", opted_out_at=timezone.now())
        for n in numbers[::2]
    )
    wanted = numbers[:count]
    found = set(
        OptOut.objects.filter(in_values("phone_number", wanted)).values_list(
            "phone_number", flat=True
        )
    )
    assert found == set(wanted[::2])


@pytest.mark.parametrize(
    "read",
    [
        lambda numbers: phones_opted_out(numbers=numbers),
        lambda numbers: phones_status(numbers=numbers),
        lambda numbers: messages_sent_counts(
            numbers=numbers, since=timezone.now() - timedelta(days=1)
        ),
    ],
    ids=["phones_opted_out", "phones_status", "messages_sent_counts"],
)
def test_a_big_batch_goes_to_postgresql_as_one_array(read):
    numbers = _numbers(BIG)
    with CaptureQueriesContext(connection) as small:
        read(numbers[:ARRAY_ABOVE])
    with CaptureQueriesContext(connection) as big:
        read(numbers)
    assert not _uses_array(small.captured_queries)
    assert _uses_array(big.captured_queries) == (connection.vendor == "postgresql")


def test_big_batch_reads_answer_as_small_ones():
    numbers = _numbers(BIG)
    now = timezone.now()
    OptOut.objects.bulk_create(
        OptOut(phone_number=n, source=Source.CONTACT, channel="keyword", opted_out_at=now)
        for n in numbers[:3]
    )
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to_number=n,
            body="hi",
            status=MessageStatus.SENT,
            sent_at=now,
            created_at=now,
            status_changed_at=now,
        )
        for n in numbers[-2:]
    )
    assert phones_opted_out(numbers=numbers) == {n: Source.CONTACT for n in numbers[:3]}
    statuses = phones_status(numbers=numbers)
    assert [n for n, s in statuses.items() if s.sms_opted_out] == numbers[:3]
    since = now - timedelta(hours=1)
    assert messages_sent_counts(numbers=numbers, since=since) == {n: 1 for n in numbers[-2:]}


@pytest.mark.parametrize(
    ("values", "sql_type"),
    [
        ([], "text"),
        ([""], "text"),
        (['a"b', "c\\d", "e'f", "", "NULL", "x y", "{}", ",", '\\"', "ü", " lead "], "text"),
        (_numbers(3), "text"),
        ([1, 2, 9_223_372_036_854_775_807], "bigint"),
        ([], "bigint"),
    ],
)
def test_the_array_literal_is_the_array_the_list_would_be(values, sql_type):
    if connection.vendor != "postgresql":
        pytest.skip("an array parameter is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT %s::{sql_type}[], %s::{sql_type}[]",
            [array_param(values, sql_type=sql_type), values],
        )
        from_literal, from_list = cursor.fetchone()
    assert from_literal == from_list == values


def test_values_that_are_not_text_go_as_the_list():
    assert array_param(["+14155550100", None]) == ["+14155550100", None]
