"""`manage.py create_api_token USERNAME [--name NAME] [--rotate]`: print a new key once."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apitokens.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its key on standard output. This is the only "
        "time the key is shown: only its digest is stored. The token acts with that user's "
        "permissions (agent or admin). Revoke it in the admin (API tokens)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What will use the token (shown in admin).")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the user's other tokens once the new one exists.",
        )

    def handle(self, *args, username: str, name: str, rotate: bool, **options):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would not authenticate.")
        before = user.api_tokens.count()
        token, key = api_token_create(user=user, name=name, replace_existing=rotate)
        # Notes go to stderr so `$(manage.py create_api_token ...)` captures the key alone.
        self.stderr.write(
            f"Created token {token.prefix}… for {username}. Copy the key now: it is not stored "
            "and cannot be shown again."
        )
        if rotate and before:
            self.stderr.write(f"Revoked {before} older token(s) of {username}.")
        self.stdout.write(key)
