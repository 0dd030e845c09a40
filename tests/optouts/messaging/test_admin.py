"""Admin: message logs, the possible-opt-out inbox, and the lead page's send form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from optouts.messaging.models import (
    MessageStatus,
    OutboundMessage,
    OutboxEntry,
    PossibleOptOut,
)
from optouts.messaging.services import inbound_message_receive, message_send
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155550133"
NUMBER_SHOWN = "(415) 555-0133"
INBOX = reverse("admin:optouts_possibleoptout_changelist")
SEND = reverse("admin:optouts_outboundmessage_send")


@pytest.fixture
def flagged(db):
    inbound_message_receive(
        message_sid="SMflag", from_number=NUMBER, body="<script>x</script> please STOP"
    )
    return PossibleOptOut.objects.get()


def _confirm_url(item):
    return reverse("admin:optouts_possibleoptout_confirm", args=[item.pk])


def _dismiss_url(item):
    return reverse("admin:optouts_possibleoptout_dismiss", args=[item.pk])


def test_the_inbox_lists_open_flags_with_an_opt_out_link_and_escaped_text(agent_client, flagged):
    page = agent_client.get(INBOX).content.decode()
    assert NUMBER_SHOWN in page
    assert "&lt;script&gt;x&lt;/script&gt; please STOP" in page
    assert "<script>x</script>" not in page
    # Opt out opens its confirmation page; it never posts from the list in one click.
    assert f'<a class="button sms-inbox-opt-out" href="{_confirm_url(flagged)}">Opt out</a>' in page
    assert f'formaction="{_confirm_url(flagged)}"' not in page


def test_only_admins_are_offered_dismiss_in_the_inbox(client, agent_user, admin_user, flagged):
    dismiss = f'<a class="button sms-inbox-dismiss" href="{_dismiss_url(flagged)}">Dismiss</a>'
    client.force_login(agent_user)
    assert dismiss not in client.get(INBOX).content.decode()
    client.force_login(admin_user)
    assert dismiss in client.get(INBOX).content.decode()


def test_opt_out_from_the_inbox_asks_first_and_changes_nothing_until_confirmed(
    agent_client, flagged
):
    response = agent_client.get(_confirm_url(flagged))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Opt out {NUMBER_SHOWN}?" in page
    assert "&lt;script&gt;x&lt;/script&gt; please STOP" in page
    assert "Opt-out is <strong>by number</strong>" in page
    assert '<input type="submit" class="default confirm-opt-out" value="Confirm opt-out">' in page
    assert '<form method="post">' in page  # to this same address
    assert f'href="{INBOX}">Cancel</a>' in page
    assert not OptOut.objects.exists()
    # Only the event that paused texts while the message waits for a person.
    assert list(ConsentEvent.objects.values_list("action", flat=True)) == ["revocation_pending"]
    flagged.refresh_from_db()
    assert flagged.status == PossibleOptOut.Status.OPEN


def test_the_confirmation_names_the_leads_with_the_number_and_its_state(agent_client, flagged):
    lead = LeadFactory(first_name="Ana", last_name="Garcia")
    LeadPhoneFactory(lead=lead, number=NUMBER)
    page = agent_client.get(_confirm_url(flagged)).content.decode()
    assert f'<a href="/admin/leads/lead/{lead.pk}/change/">Ana Garcia</a>' in page
    assert '<span class="sms-status sms-status-textable">Textable</span>' in page

    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    page = agent_client.get(_confirm_url(flagged)).content.decode()
    assert '<span class="sms-status sms-status-opted-out">Opted out</span> (source Contact)' in page


def test_the_confirmation_of_a_handled_message_offers_nothing_to_confirm(admin_client, flagged):
    admin_client.post(_dismiss_url(flagged), {"reason": "asked about a branch visit"})
    page = admin_client.get(_confirm_url(flagged)).content.decode()
    assert "This message was already handled: Dismissed by alice" in page
    assert "confirm-opt-out" not in page


def test_the_confirmation_of_an_unknown_message_is_a_404(agent_client, flagged):
    assert (
        agent_client.get(_confirm_url(flagged).replace(str(flagged.pk), "999999")).status_code
        == 404
    )


def test_confirming_opts_the_number_out_as_the_contact_by_sms_applied_by_the_reviewer(
    agent_client, agent_user, flagged
):
    response = agent_client.post(_confirm_url(flagged), {"next": INBOX})
    assert response["Location"] == INBOX
    assert response.status_code == 302
    row = OptOut.objects.get(phone_number=NUMBER)
    # The contact's words stay the contact's, whoever clicked: an admin cannot opt it back in.
    assert (row.source, row.channel, row.actor_id) == (Source.CONTACT, Channel.SMS, agent_user.pk)
    flagged.refresh_from_db()
    assert flagged.status == PossibleOptOut.Status.OPTED_OUT
    assert flagged.resolved_by == agent_user
    event = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_OUT)
    assert event.details["message_sid"] == "SMflag"
    assert event.details["requested_by"] == "contact"
    assert event.actor_label == agent_user.username
    # Closed items leave the default (open) view.
    assert f'formaction="{_confirm_url(flagged)}"' not in agent_client.get(INBOX).content.decode()


def test_an_admin_dismisses_with_a_reason_kept_in_the_history(admin_client, admin_user, flagged):
    page = admin_client.get(_dismiss_url(flagged)).content.decode()
    assert f"Dismiss the message from {NUMBER_SHOWN}?" in page
    assert 'name="reason"' in page
    response = admin_client.post(_dismiss_url(flagged), {"reason": "asked about a branch visit"})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == PossibleOptOut.Status.DISMISSED
    assert flagged.dismiss_reason == "asked about a branch visit"
    assert not OptOut.objects.exists()
    event = ConsentEvent.objects.get(action=ConsentEvent.Action.REVOCATION_DISMISSED)
    assert (event.actor_id, event.details["note"]) == (admin_user.pk, "asked about a branch visit")
    assert event.details["message_sid"] == "SMflag"


def test_a_dismissal_without_a_reason_is_refused_and_changes_nothing(admin_client, flagged):
    response = admin_client.post(_dismiss_url(flagged), {"reason": "  "})
    assert response.status_code == 400
    assert "Say why this message does not ask to stop" in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.status == PossibleOptOut.Status.OPEN
    assert not ConsentEvent.objects.filter(action="revocation_dismissed").exists()


def test_an_agent_may_not_dismiss_a_contacts_words(agent_client, flagged):
    assert agent_client.get(_dismiss_url(flagged)).status_code == 403
    response = agent_client.post(_dismiss_url(flagged), {"reason": "looks harmless"})
    assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.status == PossibleOptOut.Status.OPEN
    assert not ConsentEvent.objects.filter(action="revocation_dismissed").exists()


def test_a_second_decision_on_the_same_flag_changes_nothing(admin_client, flagged):
    admin_client.post(_dismiss_url(flagged), {"reason": "asked about a branch visit"})
    admin_client.post(_confirm_url(flagged))
    assert not OptOut.objects.exists()


def test_the_decisions_need_the_permission_and_the_right_method(client, agent_client, flagged):
    assert agent_client.put(_confirm_url(flagged)).status_code == 405
    assert agent_client.put(_dismiss_url(flagged)).status_code == 405
    staff = UserFactory(username="staff-only", is_staff=True)
    client.force_login(staff)
    assert client.get(_confirm_url(flagged)).status_code == 403
    assert client.post(_confirm_url(flagged)).status_code == 403
    assert client.post(_dismiss_url(flagged), {"reason": "x"}).status_code == 403
    assert not OptOut.objects.exists()


def test_the_logs_are_read_only_pages(admin_client, flagged):
    message_send(to="+14155550134", body="Hello <b>there</b>")
    for name in ["outboundmessage", "inboundmessage", "outboxentry", "statuscallbackevent"]:
        response = admin_client.get(reverse(f"admin:optouts_{name}_changelist"))
        assert response.status_code == 200, name
        assert b"Hello <b>" not in response.content
    message = OutboundMessage.objects.get()
    change = reverse("admin:optouts_outboundmessage_change", args=[message.pk])
    assert admin_client.post(change, {"body": "edited"}).status_code == 403


def _render_form(user, phone, lead=None):
    request = RequestFactory().get("/admin/leads/lead/1/change/")
    request.user = user
    return render_to_string(
        "admin/optouts/messaging/_send_form.html", {"phone": phone, "lead": lead}, request=request
    )


def test_the_send_form_is_shown_for_an_opted_in_number(agent_user):
    lead = LeadFactory()
    html = _render_form(agent_user, NUMBER, lead)
    assert f'action="{SEND}"' in html
    assert f'name="to" value="{NUMBER}"' in html
    assert f'name="lead" value="{lead.pk}"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(
    ("source", "words"),
    [(Source.CONTACT, "texted STOP"), (Source.SYSTEM, "carrier"), (Source.AGENT, "agent")],
)
def test_an_opted_out_number_shows_why_it_cannot_be_texted(agent_user, source, words):
    given_opt_out(number=NUMBER, source=source, channel=Channel.UI)
    html = _render_form(agent_user, NUMBER)
    assert "<form" not in html
    assert "Cannot text" in html
    assert words in html


def test_a_user_without_the_send_permission_sees_no_form(db):
    html = _render_form(UserFactory(username="nobody", is_staff=True), NUMBER)
    assert "<form" not in html


def test_an_agent_sends_from_the_lead_page_and_returns_to_it(agent_client, agent_user):
    lead = LeadFactory()
    back = f"/admin/leads/lead/{lead.pk}/change/"
    response = agent_client.post(
        SEND, {"to": NUMBER, "body": "Hi there", "lead": lead.pk, "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    message = OutboundMessage.objects.get()
    assert (message.status, message.lead_id, message.sender) == (
        MessageStatus.SENT,
        lead.pk,
        agent_user,
    )


@pytest.mark.parametrize("lead", ["999999", "0", "x", str(2**64)])
def test_a_send_from_the_page_for_an_unknown_lead_is_refused_with_a_message(agent_client, lead):
    response = agent_client.post(SEND, {"to": NUMBER, "body": "Hi", "lead": lead}, follow=True)
    assert response.status_code == 200
    assert "Not sent: lead:" in response.content.decode()
    assert not OutboundMessage.objects.exists()


def test_a_send_from_the_page_to_an_opted_out_number_is_blocked_with_a_message(agent_client):
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    response = agent_client.post(SEND, {"to": NUMBER, "body": "Hi"}, follow=True)
    assert "on the opt-out list" in response.content.decode()
    assert OutboundMessage.objects.get().status == MessageStatus.BLOCKED
    assert not OutboxEntry.objects.exists()


def test_the_send_view_refuses_other_sites_as_next_and_users_without_permission(
    client, agent_client
):
    response = agent_client.post(
        SEND, {"to": NUMBER, "body": "Hi", "next": "https://evil.example.com/"}
    )
    assert "evil" not in response["Location"]
    client.force_login(UserFactory(username="staff2", is_staff=True))
    assert client.post(SEND, {"to": NUMBER, "body": "Hi"}).status_code == 403
    assert OutboundMessage.objects.count() == 1


def test_the_inbox_says_textable_or_opted_out_never_opted_in(agent_client, flagged):
    page = agent_client.get(INBOX).content.decode()
    assert '<span class="sms-status sms-status-textable">Textable</span>' in page
    assert "Opted in" not in page
    assert "optouts/sms_status.css" in page
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    page = agent_client.get(INBOX).content.decode()
    assert '<span class="sms-status sms-status-opted-out">Opted out (Contact)</span>' in page


def test_the_sms_pages_show_numbers_and_times_as_every_page_does(admin_client, settings):
    settings.TIME_ZONE = "America/Denver"
    with freeze_time(datetime(2026, 6, 1, 18, 30, tzinfo=UTC)):
        inbound_message_receive(
            message_sid="SMtime", from_number=NUMBER, body="maybe stop texting so late"
        )
        message_send(to="+442079460958", body="Hello")
    for name in ["outboundmessage", "outboxentry", "inboundmessage", "possibleoptout"]:
        page = admin_client.get(reverse(f"admin:optouts_{name}_changelist")).content.decode()
        assert "2026-06-01 12:30" in page, name
        assert NUMBER_SHOWN in page or "+442079460958" in page, name
        assert ">+14155550133<" not in page, name
