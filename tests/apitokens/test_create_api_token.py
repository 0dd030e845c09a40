"""`manage.py create_api_token`: prints a new key once; --rotate revokes the older ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apitokens.models import ApiToken
from apitokens.services import api_key_digest

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def _works(key) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(ME).status_code == 200


def test_it_prints_a_working_key_and_stores_only_its_digest(agent_user):
    key, notes = _run("bob", "--name", "dialer")

    token = ApiToken.objects.get(user=agent_user)
    assert (token.digest, token.prefix, token.name) == (api_key_digest(key), key[:8], "dialer")
    assert key not in notes and "cannot be shown again" in notes
    assert _works(key)


def test_running_it_again_adds_a_token_and_rotate_revokes_the_others(agent_user):
    first, _ = _run("bob")
    second, _ = _run("bob")
    assert first != second and _works(first) and _works(second)

    rotated, notes = _run("bob", "--rotate")

    assert "Revoked 2 older token(s)" in notes
    assert ApiToken.objects.filter(user=agent_user).count() == 1
    assert _works(rotated)
    assert not _works(first) and not _works(second)


def test_an_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        _run("ghost")


def test_an_inactive_user_gets_no_token(agent_user):
    agent_user.is_active = False
    agent_user.save()
    with pytest.raises(CommandError, match="inactive"):
        _run("bob")
