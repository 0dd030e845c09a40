"""`Authorization: Token <key>` against the hashed tokens of apitokens.models.

A token's user, with its permissions, is kept in the shared cache for API_AUTH_CACHE_SECONDS,
so a client's requests after the first cost one cache read instead of three queries (token and
user, the user's permissions, its groups' permissions). Every change that could alter what a
token may do (a token, user, group or permission saved or deleted, group or permission
membership changed) bumps a generation number that every cached entry carries, so the next
request looks again. The number is bumped at once and again after the change commits: a request
that read the old rows before the commit stores them under the old number, which no longer
counts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from rest_framework import authentication, exceptions

from apitokens.models import ApiToken
from apitokens.services import api_key_digest

GENERATION_KEY = "api-auth:generation"


def _entry_key(digest: str) -> str:
    return f"api-auth:token:{digest}"


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not counted yet, or evicted: any new number invalidates
        cache.add(GENERATION_KEY, 1, timeout=None)
        cache.incr(GENERATION_KEY)


def api_auth_cache_invalidate(**kwargs) -> None:
    """Signal receiver (apitokens.apps): every cached token entry stops counting."""
    _bump()
    transaction.on_commit(_bump)


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token header and answers (401, `WWW-Authenticate: Token`), hashed storage.

    One indexed query on a cache miss: the key's SHA-256 is unique in the table. Comparing
    digests in the database leaks nothing useful through timing: a caller cannot steer the
    digest. Only the digest names the cache entry, never the key.
    """

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        digest = api_key_digest(key)
        seconds = settings.API_AUTH_CACHE_SECONDS
        if seconds:
            found = cache.get_many([GENERATION_KEY, _entry_key(digest)])
            generation = found.get(GENERATION_KEY, 0)
            entry = found.get(_entry_key(digest))
            if entry is not None and entry[0] == generation:
                return entry[1].user, entry[1]
        try:
            # Without the password hash: the user may be stored in the cache, and the API
            # never reads it (an access would load it from the database).
            token = (
                ApiToken.objects.select_related("user").defer("user__password").get(digest=digest)
            )
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if seconds:
            # Loads the permissions onto the user object (ModelBackend's per-object cache),
            # so they travel with it in the cache entry.
            token.user.get_all_permissions()
            cache.set(_entry_key(digest), (generation, token), timeout=seconds)
        return token.user, token
