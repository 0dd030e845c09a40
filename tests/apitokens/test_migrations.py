"""0001_initial carries DRF's plain-text tokens over as digests and deletes the plain text."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from apitokens.models import ApiToken

pytestmark = pytest.mark.django_db

OLD_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


@pytest.fixture
def drf_token_table(agent_user):
    """The table rest_framework.authtoken left behind, holding one token of Bob."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created datetime NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [OLD_KEY, "2025-03-04 05:06:07", agent_user.pk],
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")


def test_old_keys_keep_working_and_their_plain_text_is_gone(agent_user, drf_token_table):
    migration = importlib.import_module("apitokens.migrations.0001_initial")

    # The function only reads the editor's connection (a real editor cannot open inside the
    # test's transaction on SQLite).
    migration.drf_tokens_to_hashed(apps, SimpleNamespace(connection=connection))

    token = ApiToken.objects.get()
    assert (token.user, token.prefix, token.created.year) == (agent_user, OLD_KEY[:8], 2025)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {OLD_KEY}")
    assert client.get("/api/v1/me/").status_code == 200


def test_a_database_that_never_had_drf_tokens_is_left_alone(db):
    migration = importlib.import_module("apitokens.migrations.0001_initial")

    # The function only reads the editor's connection (a real editor cannot open inside the
    # test's transaction on SQLite).
    migration.drf_tokens_to_hashed(apps, SimpleNamespace(connection=connection))

    assert not ApiToken.objects.exists()
