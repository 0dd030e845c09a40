"""Opt-out and opt-in of one number from the lead page: confirmation, POST, permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out
from tests.leads._admin_helpers import change_url, opt_in_url, opt_out_url

pytestmark = pytest.mark.django_db

OPTED_OUT_HTML = (
    '<div class="readonly"><span class="sms-status sms-status-opted-out">Opted out</span></div>'
)


@pytest.fixture
def phone():
    return LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name="Ana"))


NOTE = "customer asked by phone on 2 Dec"


def test_without_javascript_the_opt_out_link_shows_a_confirmation_page(agent_client, phone):
    sharing = LeadPhoneFactory(number=phone.number, lead=LeadFactory(first_name="Zoe"))
    response = agent_client.get(opt_out_url(phone.lead, phone))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Opt out (415) 555-2671?" in body
    assert "by number" in body
    assert str(sharing.lead) in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert not OptOut.objects.exists()  # GET changes nothing


def test_confirming_opts_the_number_out_as_agent_from_the_lead_page(
    agent_client, agent_user, phone
):
    response = agent_client.post(opt_out_url(phone.lead, phone))
    assert response.status_code == 302
    assert response["Location"] == change_url(phone.lead)
    row = OptOut.objects.get(phone_number=phone.number)
    assert (row.source, row.channel, row.actor_id, row.lead_id, row.lead_label) == (
        Source.AGENT,
        Channel.UI,
        agent_user.pk,
        phone.lead.pk,
        str(phone.lead),
    )
    event = ConsentEvent.objects.get()
    assert (event.action, event.actor_label, event.lead_id) == ("opt_out", "bob", phone.lead.pk)
    page = agent_client.get(change_url(phone.lead)).content.decode()
    assert "is opted out of SMS (source Agent)" in page
    assert OPTED_OUT_HTML in page


def test_a_second_lead_with_the_same_number_shows_opted_out(agent_client, phone):
    sharing = LeadPhoneFactory(number=phone.number)
    agent_client.post(opt_out_url(phone.lead, phone))
    page = agent_client.get(change_url(sharing.lead)).content.decode()
    assert OPTED_OUT_HTML in page


def test_opting_out_a_contact_opt_out_again_changes_nothing(agent_client, phone):
    given_opt_out(number=phone.number, source=Source.CONTACT, channel=Channel.KEYWORD)
    response = agent_client.post(opt_out_url(phone.lead, phone), follow=True)
    assert "was already opted out (source Contact); nothing changed." in response.content.decode()
    assert OptOut.objects.get().source == Source.CONTACT
    assert ConsentEvent.objects.count() == 1


def test_opt_out_post_without_csrf_token_is_refused(agent_user, phone):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_user)
    assert client.post(opt_out_url(phone.lead, phone)).status_code == 403
    assert not OptOut.objects.exists()


def test_staff_without_the_opt_out_permission_gets_403(client, phone):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(user)
    assert client.get(opt_out_url(phone.lead, phone)).status_code == 403
    assert client.post(opt_out_url(phone.lead, phone)).status_code == 403
    assert not OptOut.objects.exists()


def test_a_phone_of_another_lead_is_not_found(agent_client, phone):
    other = LeadFactory()
    assert agent_client.post(opt_out_url(other, phone)).status_code == 404
    assert not OptOut.objects.exists()


def test_agent_forging_an_opt_in_post_gets_403_and_the_number_stays_out(
    agent_client, agent_user, phone
):
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    assert agent_client.get(opt_in_url(phone.lead, phone)).status_code == 403
    assert agent_client.post(opt_in_url(phone.lead, phone)).status_code == 403
    assert OptOut.objects.filter(phone_number=phone.number).exists()
    assert ConsentEvent.objects.count() == 1


def test_admin_opts_an_agent_opt_out_back_in(admin_client, admin_user, agent_user, phone):
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    page = admin_client.get(opt_in_url(phone.lead, phone))
    assert "Opt (415) 555-2671 back in?" in page.content.decode()
    response = admin_client.post(opt_in_url(phone.lead, phone), {"note": NOTE}, follow=True)
    assert "is opted in to SMS again." in response.content.decode()
    assert not OptOut.objects.exists()
    event = ConsentEvent.objects.latest("id")
    assert (event.action, event.channel, event.actor_id, event.lead_id) == (
        "opt_in",
        Channel.UI,
        admin_user.pk,
        phone.lead.pk,
    )


def test_admin_opt_in_of_a_number_that_texted_stop_is_refused_with_the_reason(admin_client, phone):
    given_opt_out(number=phone.number, source=Source.CONTACT, channel=Channel.KEYWORD)
    page = admin_client.get(opt_in_url(phone.lead, phone)).content.decode()
    assert "cannot be opted in here" in page
    response = admin_client.post(opt_in_url(phone.lead, phone), {"note": NOTE}, follow=True)
    assert "stays opted out. The contact texted STOP" in response.content.decode()
    assert OptOut.objects.get().source == Source.CONTACT
    assert ConsentEvent.objects.latest("id").action == "opt_in_refused"


def test_logged_out_opt_out_post_redirects_to_login_and_changes_nothing(client, phone):
    response = client.post(opt_out_url(phone.lead, phone))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not OptOut.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_not_allowed(agent_client, phone, method):
    assert getattr(agent_client, method)(opt_out_url(phone.lead, phone)).status_code == 405


def test_lead_page_offers_an_sms_form_for_an_opted_in_number_only(agent_client, phone):
    from optouts.messaging.roles import MESSAGING_GRANTS
    from optouts.roles import roles_ensure

    roles_ensure(grants=MESSAGING_GRANTS)
    opted_out = LeadPhoneFactory(number="+12125550123", lead=phone.lead)
    given_opt_out(number=opted_out.number, source=Source.CONTACT, channel=Channel.KEYWORD)

    page = agent_client.get(change_url(phone.lead)).content.decode()

    assert page.count('class="sms-send-form"') == 1
    assert 'name="to" value="+14155552671"' in page
    assert "Cannot text (212) 555-0123" in page


def test_admin_opt_in_without_a_reason_shows_the_form_again_and_changes_nothing(
    admin_client, agent_user
):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, actor=agent_user)

    response = admin_client.post(opt_in_url(phone.lead, phone), {"note": "  "})

    assert response.status_code == 400
    assert "needs a reason" in response.content.decode()
    assert OptOut.objects.filter(phone_number=phone.number).exists()
    assert not ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN).exists()


def test_admin_opt_in_keeps_the_reason_on_the_event(admin_client, agent_user):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, actor=agent_user)

    admin_client.post(opt_in_url(phone.lead, phone), {"note": NOTE})

    event = ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN)
    assert event.details["note"] == NOTE


def test_the_opt_out_dialog_asks_who_is_asking(agent_client, phone):
    body = agent_client.get(opt_out_url(phone.lead, phone)).content.decode()
    assert "Who is asking?" in body
    assert 'value="contact_call"' in body
    assert 'name="asked_by" value="agent" checked' in body


@pytest.mark.parametrize(
    ("asked_by", "channel"),
    [
        ("contact_call", Channel.CALL),
        ("contact_email", Channel.EMAIL),
        ("contact_in_person", Channel.IN_PERSON),
    ],
)
def test_the_contact_asking_on_a_call_is_the_contacts_opt_out_recorded_by_the_agent(
    agent_client, agent_user, admin_user, phone, asked_by, channel
):
    response = agent_client.post(opt_out_url(phone.lead, phone), {"asked_by": asked_by})
    assert response.status_code == 302
    row = OptOut.objects.get(phone_number=phone.number)
    assert (row.source, row.channel, row.actor_id) == (Source.CONTACT, channel, agent_user.pk)
    event = ConsentEvent.objects.get()
    assert (event.actor_label, event.details["requested_by"]) == ("bob", "contact")
    # Only the contact's START undoes it: an admin's opt-in is refused.
    agent_client.force_login(admin_user)
    refused = agent_client.post(opt_in_url(phone.lead, phone), {"note": NOTE})
    assert OptOut.objects.get(phone_number=phone.number).source == Source.CONTACT
    assert refused.status_code in (200, 302, 400)


def test_an_unknown_asked_by_is_refused_and_changes_nothing(agent_client, phone):
    response = agent_client.post(opt_out_url(phone.lead, phone), {"asked_by": "contact_fax"})
    assert response.status_code == 400
    assert not OptOut.objects.exists()
