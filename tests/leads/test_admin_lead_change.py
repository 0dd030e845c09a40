"""The lead add/edit page: phones in any format, SMS Opt-Out read-only, per-number consent."""

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from leads.models import Lead, LeadPhone
from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import RefusalReason, refusal_sentence
from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_in, given_opt_out
from tests.leads._admin_helpers import add_url, change_url, lead_post, opt_in_url, opt_out_url

pytestmark = pytest.mark.django_db

TEXTABLE_HTML = (
    '<div class="readonly"><span class="sms-status sms-status-textable">Textable</span></div>'
)
OPTED_OUT_HTML = (
    '<div class="readonly"><span class="sms-status sms-status-opted-out">Opted out</span></div>'
)


def test_agent_adds_a_lead_with_numbers_typed_in_any_format_stored_as_e164(agent_client):
    data = lead_post(
        first_name="Ana",
        last_name="Garcia",
        new_phones=["(415) 555-2671", "+44 20 7946 0958", "1-212-555-0199"],
    )
    response = agent_client.post(add_url(), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    lead = Lead.objects.get(first_name="Ana")
    assert sorted(lead.phones.values_list("number", flat=True)) == [
        "+12125550199",
        "+14155552671",
        "+442079460958",
    ]


def test_a_bad_number_is_an_error_on_its_own_row_and_nothing_is_saved(agent_client):
    data = lead_post(first_name="Ana", new_phones=["(415) 555-2671", "555-CALL-NOW"])
    response = agent_client.post(add_url(), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors == {}
    assert "555-CALL-NOW" in formset.forms[1].errors["number"][0]
    assert "not a valid phone number" in formset.forms[1].errors["number"][0]
    assert not Lead.objects.exists()
    assert not LeadPhone.objects.exists()


def test_a_bad_number_on_edit_leaves_the_lead_and_its_phones_as_they_were(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    lead = phone.lead
    data = lead_post(lead=lead, phones=[phone], new_phones=["12"], first_name="Changed")
    response = agent_client.post(change_url(lead), data)
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.first_name != "Changed"
    assert list(lead.phones.values_list("number", flat=True)) == ["+14155552671"]


def test_the_same_number_typed_twice_is_reported_on_the_second_row(agent_client):
    data = lead_post(first_name="Ana", new_phones=["4155552671", "+1 (415) 555-2671"])
    response = agent_client.post(add_url(), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "already in row 1" in formset.forms[1].errors["number"][0]
    assert not Lead.objects.exists()


def test_editing_a_lead_replaces_changed_numbers_and_drops_deleted_ones(agent_client):
    lead = LeadFactory()
    keep = LeadPhoneFactory(lead=lead, number="+14155552671")
    edit = LeadPhoneFactory(lead=lead, number="+14155552672")
    drop = LeadPhoneFactory(lead=lead, number="+14155552673")
    data = lead_post(
        lead=lead,
        phones=[keep, edit, drop],
        deleted={drop.pk},
        edits={edit.pk: "212 555 0199"},
        new_phones=["(617) 555-0100"],
    )
    response = agent_client.post(change_url(lead), data)
    assert response.status_code == 302
    assert sorted(lead.phones.values_list("number", flat=True)) == [
        "+12125550199",
        "+14155552671",
        "+16175550100",
    ]


def test_removing_an_opted_out_number_from_a_lead_leaves_it_on_the_list(agent_client, agent_user):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    data = lead_post(lead=phone.lead, phones=[phone], deleted={phone.pk})
    assert agent_client.post(change_url(phone.lead), data).status_code == 302
    assert not phone.lead.phones.exists()
    assert OptOut.objects.filter(phone_number="+14155552671").exists()


def test_posting_the_old_sms_opt_out_checkbox_changes_nothing(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    data = lead_post(lead=phone.lead, phones=[phone], sms_opt_out="on")
    assert agent_client.post(change_url(phone.lead), data).status_code == 302
    assert not OptOut.objects.exists()
    assert not ConsentEvent.objects.exists()

    data = lead_post(first_name="New", new_phones=["4155550000"], sms_opt_out="on")
    assert agent_client.post(add_url(), data).status_code == 302
    assert not OptOut.objects.exists()


def test_posting_sms_opt_out_off_does_not_opt_an_opted_out_number_in(agent_client, agent_user):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    data = lead_post(lead=phone.lead, phones=[phone], sms_opt_out="")
    assert agent_client.post(change_url(phone.lead), data).status_code == 302
    assert OptOut.objects.filter(phone_number=phone.number).exists()


def test_sms_opt_out_is_shown_read_only_as_textable_or_opted_out(agent_client, agent_user):
    phone = LeadPhoneFactory(number="+14155552671")
    response = agent_client.get(change_url(phone.lead))
    assert "sms_opt_out" not in response.context["adminform"].form.fields
    assert response.context["adminform"].form.fields.keys().isdisjoint({"sms_opt_out"})
    assert TEXTABLE_HTML in response.content.decode()
    assert 'name="sms_opt_out"' not in response.content.decode()

    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    response = agent_client.get(change_url(phone.lead))
    assert OPTED_OUT_HTML in response.content.decode()


def test_add_page_shows_no_sms_status_and_no_consent_section(agent_client):
    response = agent_client.get(add_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert '<div class="readonly">-</div>' in body
    assert 'id="sms-consent"' not in body


def test_an_opted_in_number_offers_an_opt_out_link_with_its_dialog(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    other = LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name="Zed"))
    response = agent_client.get(change_url(phone.lead))
    body = response.content.decode()
    assert f'href="{opt_out_url(phone.lead, phone)}"' in body
    assert f'<dialog class="consent-dialog" id="opt-out-dialog-{phone.pk}"' in body
    assert "Opt-out is <strong>by number</strong>" in body
    assert str(other.lead) in body
    assert "Opt in" not in body
    assert "<script>" not in body.split("</head>")[1]  # no inline script in the page body


def test_an_agent_opt_out_shows_source_when_who_and_that_an_admin_can_undo_it(
    agent_client, agent_user
):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(
        number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user, lead=None
    )
    body = agent_client.get(change_url(phone.lead)).content.decode()
    assert '<td class="phone-source">Agent</td>' in body
    assert "bob (Lead page)" in body
    assert "an admin can opt it back in." in body
    assert f'href="{opt_out_url(phone.lead, phone)}"' not in body
    assert f'href="{opt_in_url(phone.lead, phone)}"' not in body  # agents never see Opt in


def test_admin_sees_opt_in_on_an_agent_opt_out_only(admin_client, agent_user):
    agent_phone = LeadPhoneFactory(number="+14155552671")
    contact_phone = LeadPhoneFactory(number="+14155552672", lead=agent_phone.lead)
    given_opt_out(number=agent_phone.number, source=Source.AGENT, channel=Channel.UI)
    given_opt_out(number=contact_phone.number, source=Source.CONTACT, channel=Channel.KEYWORD)
    body = admin_client.get(change_url(agent_phone.lead)).content.decode()
    assert f'href="{opt_in_url(agent_phone.lead, agent_phone)}"' in body
    assert f'href="{opt_in_url(agent_phone.lead, contact_phone)}"' not in body
    assert refusal_sentence(reason=RefusalReason.CONTACT_OPT_OUT) in body


def test_a_system_opt_out_says_the_contact_must_text_start(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, source=Source.SYSTEM, channel=Channel.CARRIER)
    body = agent_client.get(change_url(phone.lead)).content.decode()
    assert '<td class="phone-source">System</td>' in body
    assert refusal_sentence(reason=RefusalReason.SYSTEM_OPT_OUT) in body


def test_consent_history_of_the_lead_numbers_is_newest_first(admin_client, admin_user):
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, note="asked")
    given_opt_in(number=phone.number, by="admin", channel=Channel.UI, actor=admin_user)
    response = admin_client.get(change_url(phone.lead))
    history = response.context["consent_history"]
    assert [e.action for e in history] == ["opt_in", "opt_out"]
    body = response.content.decode()
    assert body.index("Opted in</td>") < body.index("Opted out</td>", body.index("Consent history"))
    assert "note: asked" in body


def test_history_links_a_live_lead_and_names_a_deleted_one_as_it_was(admin_client, agent_user):
    phone = LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name="Ida"))
    live = LeadPhoneFactory(number=phone.number, lead=LeadFactory(first_name="Liv", last_name=""))
    gone = LeadPhoneFactory(number=phone.number, lead=LeadFactory(first_name="Del", last_name=""))
    given_opt_out(number=phone.number, channel=Channel.UI, actor=agent_user, lead=gone.lead)
    given_opt_in(number=phone.number, by="admin", channel=Channel.UI, lead=live.lead)
    given_opt_out(number=phone.number, channel=Channel.UI, actor=agent_user, lead=phone.lead)
    gone_id = gone.lead.pk
    gone.lead.delete()
    agent_user.delete()
    body = admin_client.get(change_url(phone.lead)).content.decode()
    history = body[body.index("Consent history") :]
    assert "<td>this lead</td>" in history
    assert f'<a href="{change_url(live.lead)}">Liv</a>' in history
    assert "<td>Del (deleted)</td>" in history
    assert f"/admin/leads/lead/{gone_id}/" not in history
    assert "<td>bob</td>" in history  # the deleted agent, by the username they had


def test_a_lead_named_script_is_escaped_everywhere_on_the_page(agent_client):
    evil = "<script>alert(1)</script>"
    phone = LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name=evil, last_name=""))
    other = LeadPhoneFactory(number="+14155552671", lead=LeadFactory(first_name=evil, last_name=""))
    given_opt_out(number=phone.number, source=Source.AGENT, channel=Channel.UI, lead=other.lead)
    for url in (change_url(phone.lead), opt_out_url(phone.lead, phone)):
        body = agent_client.get(url).content.decode()
        assert evil not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_logged_out_visitors_are_sent_to_the_login_page(client):
    lead = LeadFactory()
    for url in (add_url(), change_url(lead)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_opt_in_dialog_names_who_opted_out_and_ends_its_date_with_one_period(
    admin_client, admin_user
):
    # An admin's import is source Agent too: the dialog names the admin, never "an agent", and
    # the date is not "2:30 p.m.." (Django's default format ends with a period).
    phone = LeadPhoneFactory(number="+14155552671")
    given_opt_out(
        number=phone.number, source=Source.AGENT, channel=Channel.IMPORT, actor=admin_user
    )

    body = admin_client.get(change_url(phone.lead)).content.decode()

    assert "was opted out from the CRM (source Agent) by alice, import, on 20" in body
    assert "was opted out by an agent" not in body
    assert ".." not in body.split('id="opt-in-dialog-')[1].split("</p>")[0]


# --- the page as people use it -----------------------------------------


def _main_form(body: str) -> str:
    """The lead's own <form> on the change page, from its tag to its end."""
    start = body.index('id="lead_form"')
    return body[start : body.index("</form>", start)]


def test_opt_out_sits_with_the_phones_above_save_and_no_form_is_nested(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    body = agent_client.get(change_url(phone.lead)).content.decode()
    form = _main_form(body)
    # Inside the lead's form: after the phones table, before the Save row.
    assert form.index('id="phones-group"') < form.index('id="sms-consent"')
    assert form.index(f'href="{opt_out_url(phone.lead, phone)}"') < form.index('name="_save"')
    # The dialogs' and the SMS forms come after it: a <form> inside a <form> would be dropped
    # by the browser and its fields would post to the lead's form.
    assert "<form" not in form[1:]
    assert body.index('class="sms-send-form"') > body.index("</form>", body.index('id="lead_form"'))


def test_a_lead_with_numbers_has_no_empty_phone_row_and_a_new_lead_has_one(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    LeadPhoneFactory(number="+14155552672", lead=phone.lead)
    formset = agent_client.get(change_url(phone.lead)).context["inline_admin_formsets"][0].formset
    assert formset.total_form_count() == 2
    assert formset.initial_form_count() == 2

    for url in (add_url(), change_url(LeadFactory())):
        formset = agent_client.get(url).context["inline_admin_formsets"][0].formset
        assert formset.total_form_count() == 1 and formset.initial_form_count() == 0


def test_the_phone_box_shows_the_number_as_every_page_and_saving_keeps_it(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    foreign = LeadPhoneFactory(number="+442079460958", lead=phone.lead)
    body = agent_client.get(change_url(phone.lead)).content.decode()
    assert 'value="(415) 555-2671"' in body
    assert 'value="+442079460958"' in body
    assert 'value="+14155552671"' not in body.split('id="phones-group"')[1].split("</fieldset>")[0]

    # The browser posts back what the boxes show.
    data = lead_post(
        lead=phone.lead,
        phones=[phone, foreign],
        edits={phone.pk: "(415) 555-2671", foreign.pk: "+442079460958"},
    )
    assert agent_client.post(change_url(phone.lead), data).status_code == 302
    assert sorted(phone.lead.phones.values_list("number", flat=True)) == [
        "+14155552671",
        "+442079460958",
    ]
    assert not ConsentEvent.objects.exists()


def test_numbers_and_times_are_shown_in_one_format_in_the_site_time_zone(
    agent_client, agent_user, settings
):
    settings.TIME_ZONE = "America/Chicago"
    phone = LeadPhoneFactory(number="+14155552671")
    with freeze_time(datetime(2026, 3, 2, 15, 4, 59, tzinfo=UTC)):
        given_opt_out(
            number=phone.number, source=Source.AGENT, channel=Channel.UI, actor=agent_user
        )
    body = agent_client.get(change_url(phone.lead)).content.decode()
    assert '<td class="phone-since">2026-03-02 09:04</td>' in body
    assert '<td class="event-when">2026-03-02 09:04</td>' in body
    assert '<td class="event-number">(415) 555-2671</td>' in body
    assert "Times are in Central time." in body
    assert ">+14155552671<" not in body


def test_a_number_never_opted_out_reads_textable_not_opted_in(agent_client):
    phone = LeadPhoneFactory(number="+14155552671")
    body = agent_client.get(change_url(phone.lead)).content.decode()
    status = '<td class="phone-status"><span class="sms-status sms-status-textable">Textable'
    assert status in body
    assert "Opted in" not in body
