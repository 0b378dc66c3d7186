"""The patient's own space: the one-time links that open it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SignInLink(models.Model):
    """A one-time sign-in link, asked for with an email address. Asked for an address no
    clinic knows, the row only counts towards the rate limit: its address is kept as a
    hash, and nothing is sent."""

    email_hash = models.CharField(max_length=64, db_index=True)
    email = models.EmailField(max_length=254, blank=True)  # only when a clinic knows it
    nonce = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "created_at"], name="signin_ip_time")]

