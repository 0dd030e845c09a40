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
