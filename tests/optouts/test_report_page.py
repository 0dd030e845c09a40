"""The admin-only opt-out report page: who may open it, what rows show, Opt In, bulk, history."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from optouts.models import Channel, ConsentEvent, OptOut, Source
from optouts.services import RefusalReason, refusal_sentence
from tests.factories import LeadPhoneFactory, given_opt_out

pytestmark = pytest.mark.django_db

REPORT = "/admin/optouts/report/"
AGENT_NUMBER = "+14155550101"
CONTACT_NUMBER = "+14155550102"
SYSTEM_NUMBER = "+12125550103"


@pytest.fixture
def listed(agent_user):
    """One number per source, put on the list through the services."""
    given_opt_out(number=AGENT_NUMBER, source=Source.AGENT, channel=Channel.UI, actor=agent_user)
    given_opt_out(number=CONTACT_NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    given_opt_out(number=SYSTEM_NUMBER, source=Source.SYSTEM, channel=Channel.CARRIER)


NOTE = "customer asked by phone on 2 Dec"


def opt_in_url(number):
    return reverse("admin:optouts_report_opt_in", args=[number])


def test_report_lives_at_a_stable_admin_url():
    assert reverse("admin:optouts_report") == REPORT


def test_admin_sees_every_number_with_its_columns(admin_client, listed):
    LeadPhoneFactory(number=AGENT_NUMBER, lead__first_name="Ada", lead__last_name="Lovelace")
    response = admin_client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "(415) 555-0101" in html and AGENT_NUMBER in html
    assert "the contact" in html and "the carrier" in html and ">bob<" in html
    assert "Ada Lovelace" in html and "/admin/leads/lead/" in html
    assert "Opt-out report" in html


@pytest.mark.parametrize("persona", ["agent_client", "client"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", REPORT),
        ("get", REPORT + "export.csv"),
        ("get", REPORT + "import/"),
        ("post", REPORT + "import/"),
        ("post", REPORT + "opt-in/"),
        ("get", REPORT + f"number/{AGENT_NUMBER}/"),
        ("get", REPORT + f"number/{AGENT_NUMBER}/opt-in/"),
        ("post", REPORT + f"number/{AGENT_NUMBER}/opt-in/"),
    ],
)
def test_only_admins_get_in(request, persona, method, url, listed):
    client = request.getfixturevalue(persona)
    response = getattr(client, method)(url, {"number": [AGENT_NUMBER], "confirm": "yes"})
    if persona == "agent_client":
        assert response.status_code == 403
    else:  # anonymous: admin_view sends them to the login page
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert OptOut.objects.filter(phone_number=AGENT_NUMBER).exists()


def test_admin_index_links_the_report_for_admins(admin_client, listed):
    assert REPORT in admin_client.get("/admin/").content.decode()
    assert REPORT in admin_client.get("/admin/optouts/").content.decode()


def test_agent_index_has_no_report_link(agent_client):
    assert REPORT not in agent_client.get("/admin/").content.decode()


def test_opt_in_link_only_on_agent_rows(admin_client, listed):
    html = admin_client.get(REPORT).content.decode()
    assert opt_in_url(AGENT_NUMBER) in html
    assert opt_in_url(CONTACT_NUMBER) not in html
    assert opt_in_url(SYSTEM_NUMBER) not in html
    assert refusal_sentence(reason=RefusalReason.CONTACT_OPT_OUT) in html
    assert refusal_sentence(reason=RefusalReason.SYSTEM_OPT_OUT) in html
    assert f'name="number" value="{AGENT_NUMBER}"' in html
    assert f'name="number" value="{CONTACT_NUMBER}"' not in html


def test_opt_in_link_opens_a_confirmation_page_without_javascript(admin_client, listed):
    response = admin_client.get(opt_in_url(AGENT_NUMBER))
    assert response.status_code == 200
    assert b"Yes, opt in" in response.content
    assert OptOut.objects.filter(phone_number=AGENT_NUMBER).exists()  # a GET changes nothing


def test_admin_opts_an_agent_row_in_and_sees_a_message(admin_client, admin_user, listed):
    response = admin_client.post(
        opt_in_url(AGENT_NUMBER), {"next": REPORT, "note": NOTE}, follow=True
    )
    assert not OptOut.objects.filter(phone_number=AGENT_NUMBER).exists()
    assert b"was opted back in" in response.content
    event = ConsentEvent.objects.filter(phone_number=AGENT_NUMBER).first()
    assert event.action == ConsentEvent.Action.OPT_IN
    assert event.channel == Channel.REPORT and event.actor_id == admin_user.pk


def test_forged_opt_in_of_a_contact_row_is_refused_and_logged(admin_client, listed, caplog):
    with caplog.at_level(logging.INFO):
        response = admin_client.post(
            opt_in_url(CONTACT_NUMBER), {"next": REPORT, "note": NOTE}, follow=True
        )
    assert OptOut.objects.get(phone_number=CONTACT_NUMBER).source == Source.CONTACT
    assert refusal_sentence(reason=RefusalReason.CONTACT_OPT_OUT).encode() in response.content
    refusal = ConsentEvent.objects.get(
        phone_number=CONTACT_NUMBER, action=ConsentEvent.Action.OPT_IN_REFUSED
    )
    assert refusal.channel == Channel.REPORT
    assert refusal.details["reason"] == RefusalReason.CONTACT_OPT_OUT


def test_opt_in_refuses_to_redirect_off_site(admin_client, listed):
    response = admin_client.post(
        opt_in_url(AGENT_NUMBER), {"next": "https://evil.example/", "note": NOTE}
    )
    assert response["Location"] == REPORT


def test_opt_in_of_a_malformed_number_is_404(admin_client):
    assert admin_client.post(opt_in_url("12")).status_code == 404


def test_bulk_opt_in_asks_first_then_reports_what_it_skipped(admin_client, listed):
    numbers = [AGENT_NUMBER, CONTACT_NUMBER, SYSTEM_NUMBER]
    confirm = admin_client.post(REPORT + "opt-in/", {"number": numbers})
    assert confirm.status_code == 200 and b"Yes, opt them in" in confirm.content
    assert OptOut.objects.count() == 3

    blank = admin_client.post(REPORT + "opt-in/", {"number": numbers, "confirm": "yes"})
    assert blank.status_code == 400 and b"needs a reason" in blank.content
    assert OptOut.objects.count() == 3

    response = admin_client.post(
        REPORT + "opt-in/", {"number": numbers, "confirm": "yes", "note": NOTE}, follow=True
    )
    html = response.content.decode()
    assert "Opted in 1 number." in html and "Skipped 2" in html
    assert refusal_sentence(reason=RefusalReason.CONTACT_OPT_OUT) in html
    assert set(OptOut.objects.values_list("phone_number", flat=True)) == {
        CONTACT_NUMBER,
        SYSTEM_NUMBER,
    }
    assert ConsentEvent.objects.filter(action=ConsentEvent.Action.OPT_IN_REFUSED).count() == 2


def test_bulk_opt_in_with_a_malformed_number_changes_nothing(admin_client, listed):
    response = admin_client.post(
        REPORT + "opt-in/", {"number": [AGENT_NUMBER, "abc"], "confirm": "yes"}, follow=True
    )
    assert b"Nothing was changed" in response.content
    assert OptOut.objects.filter(phone_number=AGENT_NUMBER).exists()


def test_history_page_shows_every_event_of_the_number(admin_client, admin_user, listed):
    given_opt_out(number=AGENT_NUMBER, source=Source.CONTACT, channel=Channel.KEYWORD)
    response = admin_client.get(REPORT + f"number/{AGENT_NUMBER}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="event event-opt_out"') == 2
    assert refusal_sentence(reason=RefusalReason.CONTACT_OPT_OUT) in html


def test_note_and_lead_name_are_escaped(admin_client, agent_user):
    given_opt_out(
        number=AGENT_NUMBER,
        source=Source.AGENT,
        channel=Channel.UI,
        actor=agent_user,
        note="<script>alert(1)</script>",
    )
    LeadPhoneFactory(number=AGENT_NUMBER, lead__first_name="<script>x</script>")
    html = admin_client.get(REPORT).content.decode()
    assert "<script>alert(1)</script>" not in html and "<script>x</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_summary_counts_by_source_follow_the_filter(admin_client, listed):
    response = admin_client.get(REPORT, {"source": ["agent", "system"]})
    counts = {c["source"]: c["n"] for c in response.context["counts"]}
    assert counts == {"agent": 1, "contact": 0, "system": 1}
    assert response.context["total"] == 2
    assert b"<svg" in response.content and b"bar-agent" in response.content


def test_page_has_no_inline_script_or_style(admin_client, listed):
    html = admin_client.get(REPORT).content.decode()
    assert "<script>" not in html and "style=" not in html and "onclick" not in html


@pytest.fixture
def two_per_page(monkeypatch):
    monkeypatch.setattr("optouts.views_report.PER_PAGE", 2)


def _numbers(response) -> list[str]:
    return [row["number"] for row in response.context["rows"]]


def test_pages_follow_a_cursor_older_and_back_newer_without_count(admin_client, two_per_page):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import OptOutFactory

    # Five rows, three of them at the same instant: the cursor breaks ties by id.
    now = timezone.now()
    for n in range(5):
        at = now if n < 3 else now - timedelta(minutes=n)
        OptOutFactory(phone_number=f"+1415555020{n}", opted_out_at=at)
    newest_first = list(
        OptOut.objects.order_by("-opted_out_at", "-id").values_list("phone_number", flat=True)
    )

    first = admin_client.get(REPORT)
    assert _numbers(first) == newest_first[:2] and first.context["has_next"]
    assert b"older=" in first.content and b'class="first-page"' not in first.content
    second = admin_client.get(REPORT, {"older": first.context["older"]})
    assert _numbers(second) == newest_first[2:4] and second.context["has_next"]
    last = admin_client.get(REPORT, {"older": second.context["older"]})
    assert _numbers(last) == newest_first[4:] and not last.context["has_next"]
    back = admin_client.get(REPORT, {"newer": last.context["newer"]})
    assert _numbers(back) == newest_first[2:4] and back.context["has_previous"]
    top = admin_client.get(REPORT, {"newer": back.context["newer"]})
    assert _numbers(top) == newest_first[:2] and not top.context["has_previous"]


def test_page_links_keep_the_filters_and_drop_the_old_cursor(admin_client, two_per_page):
    for n in range(5):
        given_opt_out(number=f"+1415555020{n}", source=Source.AGENT, channel=Channel.UI)
    first = admin_client.get(REPORT, {"source": "agent", "period": "all"})
    second = admin_client.get(
        REPORT, {"source": "agent", "period": "all", "older": first.context["older"]}
    )
    html = second.content.decode()
    paginator = html[html.index('<p class="paginator">') :]
    paginator = paginator[: paginator.index("</p>")]

    assert "source=agent&amp;period=all&amp;older=" in paginator
    assert "source=agent&amp;period=all&amp;newer=" in paginator
    assert paginator.count("older=") == 1  # the next link's own cursor only


def test_bad_filter_is_a_form_error_not_a_crash(admin_client, listed):
    response = admin_client.get(REPORT, {"phone_prefix": "41"})
    assert response.status_code == 200
    assert b"Enter at least the first 3 digits" in response.content
    assert response.context["rows"] == []


def test_page_opens_on_the_last_30_days_and_all_time_is_one_click(admin_client, listed):
    from datetime import timedelta

    from django.utils import timezone

    OptOut.objects.filter(phone_number=SYSTEM_NUMBER).update(
        opted_out_at=timezone.now() - timedelta(days=90)
    )
    default = admin_client.get(REPORT)
    assert default.context["filter_form"]["period"].value() == "last_30_days"
    assert SYSTEM_NUMBER not in {row["number"] for row in default.context["rows"]}
    everything = admin_client.get(REPORT, {"period": "all"})
    assert SYSTEM_NUMBER in {row["number"] for row in everything.context["rows"]}
    assert "period=all" in everything.context["query"]


def test_prefix_filter_keeps_the_newest_first_order(admin_client, agent_user):
    from datetime import timedelta

    from django.utils import timezone

    for n in range(3):
        given_opt_out(number=f"+1415555030{n}", source=Source.AGENT, channel=Channel.UI)
        OptOut.objects.filter(phone_number=f"+1415555030{n}").update(
            opted_out_at=timezone.now() - timedelta(hours=n)
        )
    rows = admin_client.get(REPORT, {"phone_prefix": "415 555 03"}).context["rows"]
    assert [row["number"] for row in rows] == ["+14155550300", "+14155550301", "+14155550302"]


def test_report_opt_in_without_a_reason_asks_again_and_changes_nothing(admin_client, listed):
    response = admin_client.post(opt_in_url(AGENT_NUMBER), {"next": REPORT, "note": ""})
    assert response.status_code == 400
    assert b"needs a reason" in response.content
    assert OptOut.objects.filter(phone_number=AGENT_NUMBER).exists()


def test_report_opt_in_keeps_the_reason(admin_client, listed):
    admin_client.post(opt_in_url(AGENT_NUMBER), {"next": REPORT, "note": NOTE})
    assert ConsentEvent.objects.get(action=ConsentEvent.Action.OPT_IN).details["note"] == NOTE


# --- wording -------------------------------------------------------------------------
def test_bulk_opt_in_of_one_number_asks_about_this_number_not_these_1_numbers(admin_client, listed):
    confirm = admin_client.post(REPORT + "opt-in/", {"number": [AGENT_NUMBER]})

    html = confirm.content.decode()
    assert "Opt this number back in to SMS?" in html
    assert 'value="Yes, opt it in"' in html
    assert "these 1" not in html


def test_bulk_opt_in_of_two_numbers_asks_about_these_2_numbers(admin_client, listed):
    confirm = admin_client.post(REPORT + "opt-in/", {"number": [AGENT_NUMBER, CONTACT_NUMBER]})

    html = confirm.content.decode()
    assert "Opt these 2 numbers back in to SMS?" in html
    assert 'value="Yes, opt them in"' in html


def test_an_opt_out_with_no_recorded_user_is_not_blamed_on_an_agent(admin_client):
    # An import from the shell without --user records no actor: it is not "an agent".
    given_opt_out(number=AGENT_NUMBER, source=Source.AGENT, channel=Channel.IMPORT)
    OptOut.objects.filter(phone_number=AGENT_NUMBER).update(actor_id=None, actor_label="")

    html = admin_client.get(REPORT).content.decode()

    assert "a user not recorded" in html
    assert "an agent" not in html


def test_a_phone_search_looks_across_all_time_unless_a_time_frame_is_chosen(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    given_opt_out(number="+14155550199", source=Source.CONTACT, channel=Channel.KEYWORD)
    OptOut.objects.filter(phone_number="+14155550199").update(
        opted_out_at=timezone.now() - timedelta(days=90)
    )

    found = admin_client.get(REPORT, {"phone_prefix": "415555"}).content.decode()
    assert 'data-number="+14155550199"' in found

    hidden = admin_client.get(
        REPORT, {"phone_prefix": "415555", "period": "last_30_days"}
    ).content.decode()
    assert 'data-number="+14155550199"' not in hidden
    assert "a number opted out earlier is not shown" in hidden


def test_a_number_typed_into_the_default_page_form_is_searched_across_all_time(admin_client):
    """The form sends the select's default "Last 30 days" back with the number: the page's hidden
    marker says nobody chose it, so the search still looks across all time."""
    from datetime import timedelta

    from django.utils import timezone

    given_opt_out(number="+14155550199", source=Source.CONTACT, channel=Channel.KEYWORD)
    OptOut.objects.filter(phone_number="+14155550199").update(
        opted_out_at=timezone.now() - timedelta(days=90)
    )
    opening = admin_client.get(REPORT).content.decode()
    assert '<input type="hidden" name="period_default" value="1">' in opening

    submitted = admin_client.get(
        REPORT, {"phone_prefix": "415555", "period": "last_30_days", "period_default": "1"}
    )
    assert 'data-number="+14155550199"' in submitted.content.decode()
    assert submitted.context["filter_form"]["period"].value() == "all"

    chosen = admin_client.get(REPORT, {"period": "last_7_days", "period_default": "1"})
    assert chosen.context["filter_form"]["period"].value() == "last_7_days"
    assert 'name="period_default"' not in chosen.content.decode()


def test_row_links_are_the_urls_reverse_gives(admin_client):
    lead = LeadPhoneFactory(number="+14155550199").lead
    given_opt_out(number="+14155550199", source=Source.AGENT, channel=Channel.UI)
    html = admin_client.get(REPORT).content.decode()

    history = reverse("admin:optouts_report_history", args=["+14155550199"])
    opt_in = reverse("admin:optouts_report_opt_in", args=["+14155550199"])
    assert f'<a href="{history}" title="Consent history">' in html
    assert f'data-action="{opt_in}"' in html and f'href="{opt_in}?next=' in html
    assert f'<a href="{reverse("admin:leads_lead_change", args=[lead.pk])}">' in html


def test_the_report_points_to_pending_and_unreachable_numbers_apart(admin_client):
    page = admin_client.get("/admin/optouts/report/", {"period": "all"}).content.decode()
    assert 'href="/admin/optouts/unreachablehold/">Unreachable numbers</a>' in page
    assert 'href="/admin/optouts/possibleoptout/">Possible opt-outs</a>' in page


def test_the_report_finds_a_number_by_its_last_digits_and_says_how_it_searched(admin_client):
    from tests.factories import given_opt_out

    given_opt_out(number="+13035551651", source="agent")
    given_opt_out(number="+13035559999", source="agent")
    for typed in ["1651", "555-1651"]:
        page = admin_client.get(REPORT, {"phone_prefix": typed}).content.decode()
        assert "(303) 555-1651" in page, typed
        assert "(303) 555-9999" not in page, typed
        assert "ending in" in page, typed
    whole = admin_client.get(REPORT, {"phone_prefix": "(303) 555-1651"}).content.decode()
    assert "Searched the number (303) 555-1651." in whole


def test_the_api_keeps_phone_prefix_a_prefix(admin_api):
    from tests.factories import given_opt_out

    given_opt_out(number="+13035551651", source="agent")
    results = admin_api.get("/api/v1/sms/opt-outs/", {"phone_prefix": "1651"}).json()["results"]
    assert results == []  # 1651 is the start of +1651..., not the end of a number here
