"""`manage.py create_api_token USERNAME [--rotate]`: print the user's API token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the API token of USERNAME, creating it if needed. The token acts with that user's "
        "permissions (agent or admin). Revoke it in the admin (Auth Token > Tokens)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Replace an existing token with a new one (the old one stops working).",
        )

    def handle(self, *args, username: str, rotate: bool, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive: a token would not authenticate.")
        with transaction.atomic():
            if rotate:
                Token.objects.filter(user=user).delete()
            token, created = Token.objects.get_or_create(user=user)
        if created:
            self.stderr.write(f"Created a token for {username}.")
        self.stdout.write(token.key)
