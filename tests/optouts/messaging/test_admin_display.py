"""The SMS pages show numbers as every page does: national in the site's region, E.164 otherwise;
the stored E.164 stays for the API and the CSV's machine column."""

import pytest

from optouts.messaging.models import MessageStatus, OutboundMessage, OutboxEntry
from optouts.messaging.services import RecipientOptedOut, message_send
from optouts.models import Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

SEND = "/admin/optouts/outboundmessage/send/"
NUMBER, SHOWN = "+14045556882", "(404) 555-6882"


def test_the_local_outbox_shows_the_number_as_pages_do(admin_client):
    response = admin_client.post(SEND, {"to": NUMBER, "body": "Hi"}, follow=True)
    html = response.content.decode()
    assert f"SMS sent to {SHOWN}." in html
    entry = OutboxEntry.objects.get()
    assert str(entry) == f"SMS to {SHOWN} (local outbox)"
    assert str(OutboundMessage.objects.get()) == f"SMS to {SHOWN} (Sent)"

    for url in (
        "/admin/optouts/outboxentry/",
        f"/admin/optouts/outboxentry/{entry.pk}/change/",
        f"/admin/optouts/outboundmessage/{entry.message_id}/change/",
    ):
        html = admin_client.get(url).content.decode()
        assert SHOWN in html, url
        assert NUMBER not in html, url


def test_a_foreign_number_keeps_its_country_code():
    given_opt_out(number="+442079460958", source=Source.CONTACT)
    with pytest.raises(RecipientOptedOut) as refused:
        message_send(to="+442079460958", body="Hi")
    assert refused.value.message.reason.startswith("+442079460958 is on the opt-out list")


def test_a_refusal_names_the_number_as_pages_do(admin_client):
    given_opt_out(number=NUMBER, source=Source.CONTACT)
    response = admin_client.post(SEND, {"to": NUMBER, "body": "Hi"}, follow=True)
    assert f"Not sent: {SHOWN} is on the opt-out list (source: contact)" in (
        response.content.decode()
    )
    assert OutboundMessage.objects.get().status == MessageStatus.BLOCKED


def test_list_pages_are_titled_by_what_they_list_and_count_in_plain_words(admin_client):
    message_send(to=NUMBER, body="Hi")
    html = admin_client.get("/admin/optouts/outboundmessage/").content.decode()
    assert "<h1>Outbound SMS</h1>" in html and "Select" not in html.split("<h1>")[1][:40]
    assert "1 outbound SMS" in html and "SMS log" not in html
    html = admin_client.get("/admin/leads/lead/").content.decode()
    assert "<h1>Leads</h1>" in html and "Select lead to change" not in html
