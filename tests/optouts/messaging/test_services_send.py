"""The send guard: a number on the list never reaches the provider, whatever its source."""

from __future__ import annotations

import pytest

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry
from optouts.messaging.services import (
    MessageInvalid,
    RecipientOptedOut,
    message_deliver,
    message_send,
)
from optouts.models import Channel, Source
from tests.factories import LeadFactory, given_opt_in, given_opt_out
from velocify_sms.phones import InvalidPhoneNumber

pytestmark = pytest.mark.django_db

NUMBER = "+14155550177"


def test_a_message_to_an_opted_in_number_is_recorded_and_handed_to_the_provider(agent_user):
    lead = LeadFactory()
    message = message_send(to="(415) 555-0177", body=" Hello ", lead_id=lead.pk, sender=agent_user)
    assert message.status == MessageStatus.SENT
    assert (message.to_number, message.body, message.sender) == (NUMBER, "Hello", agent_user)
    # The lead as the consent history keeps one: its id and the name it had then.
    assert (message.lead_id, message.lead_label) == (lead.pk, str(lead))
    assert message.provider_id.startswith("local-")
    assert message.sent_at is not None
    entry = OutboxEntry.objects.get()
    assert (entry.to_number, entry.body, entry.message_id) == (NUMBER, "Hello", message.pk)


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        (Source.AGENT, Channel.UI),
        (Source.SYSTEM, Channel.CARRIER),
        (Source.CONTACT, Channel.KEYWORD),
    ],
)
def test_a_send_to_an_opted_out_number_is_blocked_for_every_source(source, channel):
    given_opt_out(number=NUMBER, source=source, channel=channel)
    with pytest.raises(RecipientOptedOut) as caught:
        message_send(to=NUMBER, body="Hello")
    message = OutboundMessage.objects.get()
    assert caught.value.message == message
    assert message.status == MessageStatus.BLOCKED
    assert message.blocked_source == source
    assert "on the opt-out list" in message.reason
    assert not OutboxEntry.objects.exists()


def test_an_opt_out_committed_after_queueing_blocks_the_hand_off(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    message = message_send(to=NUMBER, body="Hello")  # queued; no worker has run yet
    assert message.status == MessageStatus.QUEUED
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    delivered = message_deliver(message_id=message.pk)  # what the worker runs
    assert delivered.status == MessageStatus.BLOCKED
    assert not OutboxEntry.objects.exists()


def test_a_number_opted_back_in_can_be_texted_again():
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    given_opt_in(number=NUMBER, by="contact", channel=Channel.KEYWORD)
    assert message_send(to=NUMBER, body="Welcome back").status == MessageStatus.SENT


def test_delivering_twice_hands_off_once():
    message = message_send(to=NUMBER, body="Hello")
    message_deliver(message_id=message.pk)
    assert OutboxEntry.objects.count() == 1


def test_with_the_database_queue_the_message_waits_for_the_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = message_send(to=NUMBER, body="Hello")
    assert message.status == MessageStatus.QUEUED
    assert not OutboxEntry.objects.exists()
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.get()
    assert task.task_path == "optouts.messaging.tasks.message_deliver_task"
    assert task.args_kwargs["kwargs"] == {"message_id": message.pk}


def test_bad_input_records_nothing():
    with pytest.raises(InvalidPhoneNumber):
        message_send(to="not a number", body="Hello")
    with pytest.raises(MessageInvalid):
        message_send(to=NUMBER, body="   ")
    with pytest.raises(MessageInvalid):
        message_send(to=NUMBER, body="x" * 1601)
    assert not OutboundMessage.objects.exists()


def test_the_batch_recipient_check_answers_like_a_plain_list_filter():
    from optouts.models import OptOut
    from optouts.selectors import phones_opted_out

    def plain(numbers):
        rows = OptOut.objects.filter(phone_number__in=numbers)
        return dict(rows.values_list("phone_number", "source"))

    listed = [f"+1415555{n:04d}" for n in range(1000, 1150)]
    for number in listed[::3]:
        given_opt_out(number=number, source=Source.AGENT, channel=Channel.API)
    batch = [*listed, "+14155559876"]  # over the big-batch threshold: the array path
    expected = plain(batch)
    assert len(expected) == 50
    assert phones_opted_out(numbers=batch) == expected
    assert phones_opted_out(numbers=batch[:5]) == plain(batch[:5])
