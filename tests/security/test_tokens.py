"""Issue 13 item 2: an admin must never read another user's API key on any admin page."""

from __future__ import annotations

import pytest

from apitokens.services import api_token_create

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/apitokens/apitoken/"


def _token_for(user) -> tuple[str, str]:
    """(key, admin url of the token)."""
    token, key = api_token_create(user=user)
    return key, f"{CHANGELIST}{token.pk}/"


def test_an_admin_reads_no_part_of_the_superusers_key_past_its_start(admin_client, superuser):
    key, url = _token_for(superuser)

    for page in (CHANGELIST, url, f"{url}change/", f"{url}delete/", f"{url}history/"):
        response = admin_client.get(page, follow=True)
        assert response.status_code == 200, page
        assert key not in response.content.decode(), page
        assert key[:8] in response.content.decode(), page  # the start tells tokens apart
