"""Creating and revoking API tokens. A key leaves these functions once, to the caller."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction

from apitokens.models import ApiToken

PREFIX_LENGTH = 8


def api_key_digest(key: str) -> str:
    """The stored form of a key: hex SHA-256 (enough for a 256-bit random key)."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_save_new(*, token: ApiToken) -> str:
    """Give an unsaved token a fresh key, save only its digest and start; return the key.

    The caller shows the key once (the admin's success page, the command's output); after
    that nobody can read it again, only revoke the token.
    """
    key = secrets.token_urlsafe(32)  # 256 bits, 43 URL-safe characters
    token.prefix = key[:PREFIX_LENGTH]
    token.digest = api_key_digest(key)
    token.save()
    return key


def api_token_create(
    *, user, name: str = "", replace_existing: bool = False
) -> tuple[ApiToken, str]:
    """A new token for `user` and its key; `replace_existing` revokes the user's other tokens."""
    with transaction.atomic():
        token = ApiToken(user=user, name=name)
        key = api_token_save_new(token=token)
        if replace_existing:
            ApiToken.objects.filter(user=user).exclude(pk=token.pk).delete()
    return token, key
