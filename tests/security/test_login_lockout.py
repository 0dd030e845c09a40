"""Issue 13 item 5: the login lockout holds for the user, whatever spelling or address is used."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import get_script_prefix, set_script_prefix

from velocify_sms.middleware import _login_path

PASSWORD = "pass-for-tests"


def _login(client, username, password, ip):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def lockout(settings):
    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_IP_LIMIT = 50
    settings.LOGIN_LOCKOUT_SECONDS = 600
    yield
    cache.clear()


def test_a_full_width_spelling_of_a_locked_username_is_locked_too(client, admin_user, lockout):
    for _ in range(3):
        assert _login(client, "alice", "wrong", ip="10.0.0.1").status_code == 200

    # "ａｌｉｃｅ" is NFKC-normalised to "alice" by the login form: the same account.
    assert _login(client, "ａｌｉｃｅ", PASSWORD, ip="10.0.0.1").status_code == 429


def test_a_locked_user_stays_locked_from_another_address_but_the_address_lock_does_not_follow(
    client, admin_user, agent_user, settings, lockout
):
    for _ in range(3):
        _login(client, "alice", "wrong", ip="10.0.0.1")

    assert _login(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 429
    assert _login(client, "bob", PASSWORD, ip="10.0.0.2").status_code == 302


def test_an_unknown_name_is_counted_under_its_normalised_spelling(client, admin_user, lockout):
    for _ in range(3):
        _login(client, "ｇｈｏｓｔ", "wrong", ip="10.0.0.1")

    assert _login(client, "ghost", "wrong", ip="10.0.0.3").status_code == 429
    assert _login(client, "alice", PASSWORD, ip="10.0.0.3").status_code == 302


def test_the_address_limit_holds_for_every_name_from_that_address(client, admin_user, settings):
    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = 50
    settings.LOGIN_FAILURE_IP_LIMIT = 3
    for name in ["a", "b", "c"]:
        _login(client, name, "wrong", ip="10.0.0.1")

    assert _login(client, "alice", PASSWORD, ip="10.0.0.1").status_code == 429
    assert _login(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302


def test_a_name_with_a_nul_character_is_a_form_error_not_a_500(client, admin_user, lockout):
    assert _login(client, "ali\x00ce", "wrong", ip="10.0.0.1").status_code == 200


def test_the_lockout_logs_the_account_id_not_the_typed_name(client, admin_user, lockout, caplog):
    for _ in range(3):
        _login(client, "alice", "wrong", ip="10.0.0.1")

    _login(client, "ａｌｉｃｅ", PASSWORD, ip="10.0.0.1")

    assert f"login throttled for user id {admin_user.pk} from 10.0.0.1" in caplog.text


def test_the_login_page_the_lockout_counts_follows_the_script_prefix():
    """The login page's path is worked out once per URLconf and script prefix (every POST asks):
    a site mounted under a prefix by its proxy (SCRIPT_NAME) still has its logins counted."""
    previous = get_script_prefix()
    try:
        set_script_prefix("/crm/")
        assert _login_path() == "/crm/admin/login/"
        set_script_prefix("/")
        assert _login_path() == "/admin/login/"
    finally:
        set_script_prefix(previous)
