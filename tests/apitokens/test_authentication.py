"""`Authorization: Token <key>` against hashed tokens: one indexed query, DRF's 401 answers."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apitokens.models import ApiToken
from apitokens.services import api_token_create

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_authenticates_as_its_user_with_one_query(agent_user):
    _, key = api_token_create(user=agent_user)

    with CaptureQueriesContext(connection) as queries:
        response = _client(key).get(ME)

    assert response.status_code == 200 and response.json()["username"] == "bob"
    token_queries = [q["sql"] for q in queries if "apitokens_apitoken" in q["sql"]]
    assert len(token_queries) == 1
    assert "digest" in token_queries[0]


def test_the_table_holds_the_keys_digest_and_start_never_the_key(agent_user):
    _, key = api_token_create(user=agent_user)

    row = ApiToken.objects.values().get()

    assert row["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:8]
    assert key not in str(row)


@pytest.mark.parametrize("key", ["not-a-real-token", "", "a b"])
def test_a_bad_key_gets_401_with_the_token_challenge(agent_user, key):
    api_token_create(user=agent_user)

    response = _client(key).get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_of_an_inactive_user_gets_401(agent_user):
    _, key = api_token_create(user=agent_user)
    agent_user.is_active = False
    agent_user.save()

    assert _client(key).get(ME).status_code == 401


# --- the cache of a token's user and permissions (API_AUTH_CACHE_SECONDS) ----------------------
@pytest.fixture
def cached(settings):
    settings.API_AUTH_CACHE_SECONDS = 60


def _auth_queries(client: APIClient) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ME).status_code == 200
    return [
        q["sql"]
        for q in queries
        if any(t in q["sql"] for t in ("apitokens_apitoken", "auth_permission", "auth_user"))
    ]


def test_a_cached_token_is_answered_without_looking_up_token_user_or_permissions(
    agent_user, cached
):
    _, key = api_token_create(user=agent_user)
    client = _client(key)

    first, second = _auth_queries(client), _auth_queries(client)

    assert len(first) == 3  # token and user, user's permissions, groups' permissions
    assert second == []
    assert client.get(ME).json()["can_opt_out"] is True


def test_a_revoked_token_is_refused_at_once_even_when_cached(agent_user, cached):
    token, key = api_token_create(user=agent_user)
    client = _client(key)
    assert client.get(ME).status_code == 200

    token.delete()

    assert client.get(ME).status_code == 401


def test_a_deactivated_user_is_refused_at_once_even_when_cached(agent_user, cached):
    _, key = api_token_create(user=agent_user)
    client = _client(key)
    assert client.get(ME).status_code == 200

    agent_user.is_active = False
    agent_user.save()

    assert client.get(ME).status_code == 401


def test_a_permission_taken_away_applies_at_once_even_when_cached(agent_user, cached):
    from django.contrib.auth.models import Group

    _, key = api_token_create(user=agent_user)
    client = _client(key)
    assert client.get(ME).json()["can_opt_out"] is True

    Group.objects.get(name="Agents").permissions.clear()

    assert client.get(ME).json()["can_opt_out"] is False


def test_an_entry_stored_under_an_older_generation_is_looked_up_again(agent_user, cached):
    """A request that read the rows before a change committed stored them under the number it
    read first; the change's bump after commit makes that entry count for nothing."""
    from apitokens.authentication import api_auth_cache_invalidate

    _, key = api_token_create(user=agent_user)
    client = _client(key)
    _auth_queries(client)

    api_auth_cache_invalidate()

    assert len(_auth_queries(client)) == 3


def test_without_a_shared_cache_every_request_looks_the_token_up(agent_user, settings):
    settings.API_AUTH_CACHE_SECONDS = 0
    _, key = api_token_create(user=agent_user)
    client = _client(key)
    _auth_queries(client)

    assert len(_auth_queries(client)) == 3


def test_the_cached_entry_holds_no_password_hash(agent_user, cached):
    import pickle

    from django.core.cache import cache

    from apitokens.authentication import _entry_key

    _, key = api_token_create(user=agent_user)
    _client(key).get(ME)

    entry = cache.get(_entry_key(hashlib.sha256(key.encode()).hexdigest()))
    assert entry is not None
    assert agent_user.password.encode() not in pickle.dumps(entry)
