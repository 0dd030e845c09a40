"""API tokens, stored as the SHA-256 digest of their key: the key itself is never stored.

A key is 256 random bits, so a plain SHA-256 of it cannot be reversed or guessed, and looking a
token up stays one indexed query per request (no slow password hasher). Only the key's first
characters are kept in clear, so people can tell tokens apart.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The token acts with this user's permissions.",
    )
    name = models.CharField(
        max_length=100, blank=True, help_text="What uses it, e.g. “web form integration”."
    )
    prefix = models.CharField("key start", max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self) -> str:
        # Never the key: this text lands in admin titles, breadcrumbs, history and logs.
        return f"{self.prefix}… ({self.user})"
