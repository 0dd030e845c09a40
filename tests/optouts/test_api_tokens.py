"""API tokens: the command prints one, admins list and revoke them, the admin hides whole keys."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/authtoken/tokenproxy/"


def _run(*args) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_create_api_token_prints_a_working_token(agent_user):
    key = _run("bob")

    assert Token.objects.get(user=agent_user).key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/sms/phone-numbers/+14155552671/").status_code == 200


def test_running_it_again_prints_the_same_token_and_rotate_replaces_it(agent_user):
    first = _run("bob")

    assert _run("bob") == first
    rotated = _run("bob", "--rotate")
    assert rotated != first
    assert list(Token.objects.values_list("key", flat=True)) == [rotated]


def test_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        _run("ghost")


def test_admin_lists_tokens_without_showing_whole_keys(admin_client, agent_user):
    key = Token.objects.create(user=agent_user).key

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert key[:6] in html
    assert key not in html
    assert "bob" in html


def test_admin_revokes_a_token(admin_client, agent_user):
    key = Token.objects.create(user=agent_user).key

    response = admin_client.post(f"{CHANGELIST}{agent_user.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Token.objects.filter(key=key).exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/sms/phone-numbers/+14155552671/").status_code == 401


def test_agents_cannot_see_tokens(agent_client, admin_user):
    Token.objects.create(user=admin_user)

    assert agent_client.get(CHANGELIST).status_code == 403
