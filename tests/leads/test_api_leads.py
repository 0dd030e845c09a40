"""Lead API: nested phones, computed sms_opt_out, and FALSE never opting a number in."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from leads.models import Lead, LeadPhone
from optouts.models import Channel, ConsentEvent, OptOut, Source
from tests.factories import LeadFactory, LeadPhoneFactory, UserFactory, given_opt_out

URL = "/api/v1/leads/"
NUMBER = "+14155552671"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def _detail(lead_id):
    return f"{URL}{lead_id}/"


def test_post_creates_a_lead_with_nested_phones(agent_api):
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phones": [{"number": "(415) 555-2671", "kind": "mobile"}, {"number": "212 555 0100"}],
    }

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    lead = response.json()
    assert lead["phones"] == [
        {"number": NUMBER, "kind": "mobile"},
        {"number": "+12125550100", "kind": "mobile"},
    ]
    assert lead["sms_opt_out"] is False
    assert not OptOut.objects.exists()


def test_post_with_sms_opt_out_true_opts_every_number_out_in_one_go(agent_api, agent_user):
    body = {"first_name": "Ada", "phones": [{"number": NUMBER}, {"number": "+12125550100"}]}

    response = agent_api.post(URL, {**body, "sms_opt_out": True}, format="json")

    assert response.status_code == 201
    assert response.json()["sms_opt_out"] is True
    rows = OptOut.objects.order_by("phone_number")
    assert [(r.phone_number, r.source, r.channel, r.actor_id) for r in rows] == [
        ("+12125550100", Source.AGENT, Channel.API, agent_user.pk),
        (NUMBER, Source.AGENT, Channel.API, agent_user.pk),
    ]
    lead = Lead.objects.get()
    assert set(ConsentEvent.objects.values_list("lead_id", "lead_label")) == {(lead.pk, "Ada")}


@pytest.mark.parametrize("flag", [{"sms_opt_out": False}, {}], ids=["false", "absent"])
@pytest.mark.parametrize("source", [Source.AGENT, Source.SYSTEM, Source.CONTACT])
def test_false_or_absent_never_opts_a_number_in(agent_api, flag, source):
    given_opt_out(number=NUMBER, source=source, channel=Channel.UI)

    response = agent_api.post(
        URL, {"first_name": "Ada", "phones": [{"number": NUMBER}], **flag}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["sms_opt_out"] is True  # computed from the list, which kept it
    assert OptOut.objects.get().source == source
    assert ConsentEvent.objects.count() == 1


def test_a_malformed_phone_refuses_the_lead_whole(agent_api):
    body = {
        "first_name": "Ada",
        "phones": [{"number": NUMBER}, {"number": "not a phone"}],
        "sms_opt_out": True,
    }

    response = agent_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone_numbers"
    assert response.json()["errors"]["phones"][0]["index"] == 1
    assert response.json()["errors"]["phones"][0]["input"] == "not a phone"
    assert not Lead.objects.exists()
    assert not OptOut.objects.exists()


def test_repeated_post_with_the_same_external_id_updates_instead_of_duplicating(agent_api):
    first = agent_api.post(
        URL, {"external_id": "crm-1", "first_name": "Ada", "phones": [{"number": NUMBER}]}, "json"
    )
    again = agent_api.post(URL, {"external_id": "crm-1", "last_name": "Lovelace"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["first_name"], again.json()["last_name"]) == ("Ada", "Lovelace")
    assert again.json()["phones"] == [{"number": NUMBER, "kind": "mobile"}]  # kept: not sent
    assert Lead.objects.count() == 1


def test_repeated_post_with_sms_opt_out_true_opts_out_the_existing_lead(agent_api):
    agent_api.post(URL, {"external_id": "crm-1", "phones": [{"number": NUMBER}]}, format="json")

    response = agent_api.post(URL, {"external_id": "crm-1", "sms_opt_out": True}, format="json")

    assert response.status_code == 200
    assert response.json()["sms_opt_out"] is True
    assert OptOut.objects.get().phone_number == NUMBER


def test_an_empty_lead_is_refused(agent_api):
    response = agent_api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_list_computes_sms_opt_out_and_filters_on_it(agent_api, django_assert_max_num_queries):
    opted = LeadPhoneFactory(number=NUMBER).lead
    clean = LeadPhoneFactory(number="+12125550100").lead
    LeadPhoneFactory(lead=clean, number="+13125550100")
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    for _ in range(5):
        LeadPhoneFactory()

    with django_assert_max_num_queries(8):
        everything = agent_api.get(URL).json()
    flagged = agent_api.get(URL, {"sms_opt_out": "true"}).json()
    unflagged = agent_api.get(URL, {"sms_opt_out": "false"}).json()

    assert everything["count"] == 7
    assert [lead["id"] for lead in flagged["results"]] == [opted.pk]
    assert clean.pk in [lead["id"] for lead in unflagged["results"]]
    assert opted.pk not in [lead["id"] for lead in unflagged["results"]]


def test_a_bad_sms_opt_out_filter_is_a_400(agent_api):
    response = agent_api.get(URL, {"sms_opt_out": "maybe"})

    assert response.status_code == 400
    assert "sms_opt_out" in response.json()["errors"]


def test_search_by_name_and_by_number_in_any_form(agent_api):
    # Every searched field fixed: a random surname or email (Adams, ...) would also match "ada".
    fields = {"last_name": "Lovelace", "email": "", "company": "", "external_id": None}
    ada = LeadPhoneFactory(number=NUMBER, lead=LeadFactory(first_name="Ada", **fields)).lead
    LeadFactory(first_name="Grace", last_name="Hopper", email="", company="", external_id=None)

    by_name = agent_api.get(URL, {"search": "ada"}).json()["results"]
    by_number = agent_api.get(URL, {"search": "(415) 555-2671"}).json()["results"]

    assert [lead["id"] for lead in by_name] == [ada.pk]
    assert [lead["id"] for lead in by_number] == [ada.pk]


def test_get_one_lead_and_404_for_a_missing_one(agent_api):
    lead = LeadPhoneFactory(number=NUMBER).lead

    assert agent_api.get(_detail(lead.pk)).json()["phones"][0]["number"] == NUMBER
    missing = agent_api.get(_detail(lead.pk + 1000))
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_patch_changes_only_the_fields_sent(agent_api):
    lead = LeadPhoneFactory(number=NUMBER, lead=LeadFactory(first_name="Ada")).lead

    response = agent_api.patch(_detail(lead.pk), {"company": "Analytical"}, format="json")

    assert response.status_code == 200
    assert response.json()["company"] == "Analytical"
    assert response.json()["first_name"] == "Ada"
    assert response.json()["phones"] == [{"number": NUMBER, "kind": "mobile"}]


def test_patch_dropping_a_phone_leaves_its_opt_out_on_the_list(agent_api):
    lead = LeadPhoneFactory(number=NUMBER).lead
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)

    response = agent_api.patch(
        _detail(lead.pk), {"phones": [{"number": "+12125550100"}]}, format="json"
    )

    assert response.json()["sms_opt_out"] is False
    assert OptOut.objects.filter(phone_number=NUMBER).exists()
    assert list(LeadPhone.objects.values_list("number", flat=True)) == ["+12125550100"]


def test_patch_sms_opt_out_false_never_opts_in_and_true_opts_out(agent_api):
    lead = LeadPhoneFactory(number=NUMBER).lead
    given_opt_out(number=NUMBER, source=Source.AGENT, channel=Channel.UI)
    LeadPhoneFactory(lead=lead, number="+12125550100")

    kept = agent_api.patch(_detail(lead.pk), {"sms_opt_out": False}, format="json")
    assert kept.json()["sms_opt_out"] is True
    assert OptOut.objects.count() == 1

    agent_api.patch(_detail(lead.pk), {"sms_opt_out": True}, format="json")
    assert OptOut.objects.count() == 2


def test_sms_opt_out_is_read_only_in_the_sense_that_false_is_not_stored(agent_api):
    lead = LeadPhoneFactory(number=NUMBER).lead
    given_opt_out(number=NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)

    agent_api.patch(_detail(lead.pk), {"sms_opt_out": False}, format="json")

    assert agent_api.get(_detail(lead.pk)).json()["sms_opt_out"] is True


def test_anonymous_gets_401_and_a_user_without_lead_permissions_403(api_client):
    assert api_client.get(URL).status_code == 401
    api_client.force_authenticate(UserFactory(username="outsider"))
    forbidden = api_client.post(URL, {"first_name": "Ada"}, format="json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"
    assert not Lead.objects.exists()


def test_admin_token_client_can_create_and_read(admin_api):
    created = admin_api.post(URL, {"first_name": "Ada"}, format="json")

    assert created.status_code == 201
    assert admin_api.get(_detail(created.json()["id"])).status_code == 200


@pytest.mark.django_db
def test_textable_phones_counts_numbers_that_may_be_texted_and_filters(agent_api):
    from optouts.messaging.services import inbound_message_receive
    from optouts.models import Source
    from tests.factories import LeadFactory, LeadPhoneFactory, given_opt_out

    both = LeadFactory(last_name="Both")
    LeadPhoneFactory(lead=both, number="+14155550301")
    LeadPhoneFactory(lead=both, number="+14155550302")
    given_opt_out(number="+14155550301", source=Source.CONTACT)
    none = LeadFactory(last_name="None")
    LeadPhoneFactory(lead=none, number="+14155550303")
    inbound_message_receive(
        message_sid="SMtext", from_number="+14155550303", body="stop texting so early"
    )
    leads = {row["last_name"]: row for row in agent_api.get("/api/v1/leads/").json()["results"]}
    assert (leads["Both"]["sms_opt_out"], leads["Both"]["textable_phones"]) == (True, 1)
    assert (leads["None"]["sms_opt_out"], leads["None"]["textable_phones"]) == (False, 0)
    textable = agent_api.get("/api/v1/leads/", {"textable": "true"}).json()["results"]
    assert [row["last_name"] for row in textable] == ["Both"]
    not_textable = agent_api.get("/api/v1/leads/", {"textable": "false"}).json()["results"]
    assert [row["last_name"] for row in not_textable] == ["None"]
