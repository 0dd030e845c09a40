"""The keywords and replies pages: admins add and remove words and edit the replies, every change
shows in the history with who and when; the defaults are listed and cannot be removed; agents
see none of it; the forms need the CSRF token as every admin form."""

from __future__ import annotations

import pytest
from django.test import Client

from optouts.messaging.keyword_lists import keyword_word_add
from optouts.messaging.models import SmsKeyword, SmsKeywordChange, SmsKeywordReply

pytestmark = pytest.mark.django_db

WORDS = "/admin/optouts/smskeyword/"
REPLIES = "/admin/optouts/smskeywordreply/"
CHANGES = "/admin/optouts/smskeywordchange/"


def test_an_admin_finds_the_keyword_pages_on_the_admin_index(admin_client):
    index = admin_client.get("/admin/").content.decode()
    for url in (WORDS, REPLIES, CHANGES):
        assert f'href="{url}"' in index


def test_an_admin_adds_a_word_and_sees_it_with_the_defaults_and_in_the_history(admin_client):
    response = admin_client.post(f"{WORDS}add/", {"word": " Scram! ", "kind": "stop"})
    assert response.status_code == 302
    assert SmsKeyword.objects.get().word == "SCRAM"
    page = admin_client.get(WORDS).content.decode()
    assert "SCRAM" in page
    assert "cannot be removed or turned off" in page
    for default in ("STOPALL", "UNSUBSCRIBE", "REVOKE", "UNSTOP", "INFO"):
        assert default in page
    history = admin_client.get(CHANGES).content.decode()
    assert "Word added" in history and "alice" in history and "SCRAM" in history


def test_a_word_of_another_kind_is_refused_with_the_reason(admin_client):
    response = admin_client.post(f"{WORDS}add/", {"word": "unstop", "kind": "stop"})
    assert response.status_code == 200
    assert "UNSTOP is a start word (a default): a word cannot also be a stop word." in (
        response.content.decode()
    )
    assert not SmsKeyword.objects.exists()


def test_an_admin_removes_an_added_word_and_it_is_recorded(admin_client, admin_user):
    keyword = keyword_word_add(word="scram", kind="stop", user=admin_user)
    response = admin_client.post(f"{WORDS}{keyword.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not SmsKeyword.objects.exists()
    assert list(SmsKeywordChange.objects.values_list("action", flat=True)) == [
        "word_removed",
        "word_added",
    ]


def test_an_admin_edits_the_stop_reply_and_the_history_keeps_before_and_after(
    admin_client, settings
):
    page = admin_client.get(REPLIES).content.decode()
    assert "(the default)" in page
    reply = SmsKeywordReply.objects.get(kind="stop")
    form = admin_client.get(f"{REPLIES}{reply.pk}/change/").content.decode()
    assert "You are unsubscribed" in form or settings.SMS_STOP_REPLY.split(":")[-1][:20] in form
    response = admin_client.post(
        f"{REPLIES}{reply.pk}/change/", {"text": "{brand}: Done. Text START to come back."}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.text == "{brand}: Done. Text START to come back."
    assert reply.updated_by.username == "alice"
    change = SmsKeywordChange.objects.get()
    assert change.before == settings.SMS_STOP_REPLY
    assert change.after == "{brand}: Done. Text START to come back."
    assert "Reply changed" in admin_client.get(CHANGES).content.decode()


def test_the_history_cannot_be_edited_or_deleted_in_the_admin(admin_client, admin_user):
    keyword_word_add(word="scram", kind="stop", user=admin_user)
    change = SmsKeywordChange.objects.get()
    assert admin_client.post(f"{CHANGES}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"{CHANGES}{change.pk}/change/", {"word": "X"})
    assert SmsKeywordChange.objects.get().word == "SCRAM"


@pytest.mark.parametrize("url", [WORDS, f"{WORDS}add/", REPLIES, CHANGES])
def test_agents_cannot_see_or_edit_keywords(client, agent_user, url):
    client.force_login(agent_user)
    assert client.get(url).status_code == 403
    assert client.post(f"{WORDS}add/", {"word": "scram", "kind": "stop"}).status_code == 403
    assert not SmsKeyword.objects.exists()
    index = client.get("/admin/").content.decode()
    assert "smskeyword" not in index


def test_adding_a_word_needs_the_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(f"{WORDS}add/", {"word": "scram", "kind": "stop"})
    assert response.status_code == 403
    assert not SmsKeyword.objects.exists()
