"""Personas, named once: Alice the admin, Bob the agent, Carol the REST client, and nobody."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from apitokens.services import api_token_create
from tests.factories import UserFactory

# Any 32 bytes are an Ed25519 private key; this one signs the tests' anchors.
TEST_SIGNING_KEY = "7e" * 32


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_append_only_triggers():
    """A transactional test ends with a flush of every table, consent events included, which
    the append-only triggers refuse: the test database is flushed with them off, in the flush's
    own transaction (tests/append_only.py)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from tests.append_only import triggers_off_sql

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        off, on = triggers_off_sql(self.connection)
        return flush(self, [*off, *sql_list, *on])

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = flush


@pytest.fixture(autouse=True)
def _evidence_anchors_in_a_temporary_folder(settings, tmp_path_factory):
    """Anchors go to a folder of the test's own, signed with a key of the test run's own."""
    settings.SMS_EVIDENCE_ANCHOR_DIR = tmp_path_factory.mktemp("anchors")
    settings.SMS_EVIDENCE_ANCHOR_STORAGE = ""
    settings.SMS_EVIDENCE_SIGNING_KEY = TEST_SIGNING_KEY
    settings.SMS_EVIDENCE_SIGNING_KEY_FILE = ""
    settings.SMS_EVIDENCE_TRUSTED_PUBLIC_KEYS = []


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Throttle and lockout counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _any_hour_unless_testing_the_send_window(request, monkeypatch):
    """Sends in tests run at whatever hour the suite runs, so quiet hours (the recipient's local
    time, optouts.messaging.policy) would hold or refuse them at night: only tests marked
    `send_window` (which freeze the clock) enforce them. Caps are enforced everywhere."""
    if request.node.get_closest_marker("send_window") is None:
        from optouts.messaging import policy

        monkeypatch.setattr(policy, "_QUIET_HOURS_ENFORCED", False)


@pytest.fixture
def groups(db):
    """The role groups; recreated because transactional tests flush what the migration made."""
    from optouts.roles import roles_ensure

    roles_ensure()


@pytest.fixture
def admin_user(groups):
    """Alice: in the Admins group (not a superuser, so group permissions are what is tested)."""
    user = UserFactory(username="alice", is_staff=True)
    user.groups.add(Group.objects.get(name="Admins"))
    return user


@pytest.fixture
def agent_user(groups):
    """Bob: in the Agents group."""
    user = UserFactory(username="bob", is_staff=True)
    user.groups.add(Group.objects.get(name="Agents"))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def agent_client(client, agent_user):
    client.force_login(agent_user)
    return client


@pytest.fixture
def api_client():
    """Nobody: an API client without credentials."""
    return APIClient()


def token_client(user) -> APIClient:
    """An API client sending a fresh token of `user` (`Authorization: Token <key>`)."""
    _, key = api_token_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def admin_api(admin_user):
    return token_client(admin_user)


@pytest.fixture
def agent_api(agent_user):
    """Carol's integration runs as an agent with a token."""
    return token_client(agent_user)
