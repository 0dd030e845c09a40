"""API tokens in the admin: superusers create them and see the key once; admins list and revoke."""

from __future__ import annotations

import logging

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from apitokens.models import ApiToken
from apitokens.services import api_token_create

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/apitokens/apitoken/"
ADD = f"{CHANGELIST}add/"
ME = "/api/v1/me/"


def test_a_superuser_creates_a_token_and_sees_its_key_once(client, superuser, agent_user, caplog):
    client.force_login(superuser)
    caplog.set_level(logging.DEBUG)

    response = client.post(ADD, {"user": agent_user.pk, "name": "web form"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["key"]
    assert key in response.content.decode()
    assert "will not be shown again" in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (agent_user, "web form", key[:8])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(ME).json()["username"] == "bob"
    # Never again: not on the list, the token's pages, its history entry, nor in the logs.
    url = f"{CHANGELIST}{token.pk}/"
    for page in (CHANGELIST, f"{url}change/", f"{url}delete/", f"{url}history/"):
        assert key not in client.get(page).content.decode(), page
    assert key not in LogEntry.objects.get().object_repr
    assert key not in caplog.text
    assert key not in str(token) and key not in repr(token)


def test_only_superusers_may_create_tokens(admin_client, superuser):
    assert admin_client.get(ADD).status_code == 403
    assert admin_client.post(ADD, {"user": superuser.pk}).status_code == 403
    assert not ApiToken.objects.exists()


def test_admin_lists_tokens_by_key_start_and_user(admin_client, agent_user):
    token, key = api_token_create(user=agent_user, name="dialer")

    html = admin_client.get(CHANGELIST).content.decode()

    assert f"{key[:8]}…" in html
    assert key not in html
    assert "bob" in html and "dialer" in html


def test_admin_revokes_a_token(admin_client, agent_user):
    token, key = api_token_create(user=agent_user)

    response = admin_client.post(f"{CHANGELIST}{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(ME).status_code == 401


def test_a_token_cannot_be_edited(admin_client, superuser, agent_user):
    token, _ = api_token_create(user=agent_user)
    admin_client.force_login(superuser)

    admin_client.post(f"{CHANGELIST}{token.pk}/change/", {"user": superuser.pk, "name": "x"})

    token.refresh_from_db()
    assert (token.user, token.name) == (agent_user, "")


def test_agents_cannot_see_tokens(agent_client, admin_user):
    api_token_create(user=admin_user)

    assert agent_client.get(CHANGELIST).status_code == 403


def test_an_inactive_user_is_not_offered_a_token(client, superuser, agent_user):
    agent_user.is_active = False
    agent_user.save()
    client.force_login(superuser)

    response = client.post(ADD, {"user": agent_user.pk})

    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()
