"""`Authorization: Token <key>` against the hashed tokens of apitokens.models."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from apitokens.models import ApiToken
from apitokens.services import api_key_digest


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token header and answers (401, `WWW-Authenticate: Token`), hashed storage.

    One indexed query per request: the key's SHA-256 is unique in the table. Comparing digests
    in the database leaks nothing useful through timing: a caller cannot steer the digest.
    """

    keyword = "Token"

    def authenticate_credentials(self, key: str):
        try:
            token = ApiToken.objects.select_related("user").get(digest=api_key_digest(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
