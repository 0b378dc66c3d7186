from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff of one or more clinics."""

    email = models.EmailField(_("email address"), unique=True, max_length=254)
    full_name = models.CharField(_("full name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("site administrator"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=now)
    # Blank: the language of the clinic the person works in.
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    PRACTITIONER = "practitioner", _("Practitioner")
    NURSE = "nurse", _("Nurse")
    RECEPTION = "reception", _("Reception")


class Clinic(models.Model):
    """A tenant: every clinical row carries its clinic."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="GB")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/London")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Weekdays the clinic treats patients, Monday = 0: "012345" is Monday to Saturday.
    opening_days = models.CharField(_("opening days"), max_length=7, default="012345")
    description = models.TextField(_("public description"), blank=True, max_length=2000)
    listed = models.BooleanField(_("listed in the public search"), default=True)
    # What its staff read unless they choose, and what its patients get unless they choose.
    language = models.CharField(_("language"), max_length=8, default="en",
                                choices=settings.LANGUAGES)
    # A cancellation closer to the appointment than this is late.
    # Years a medical record is kept after the last care; None: the country's law
    # (core.retention).
    record_retention_years = models.PositiveSmallIntegerField(
        _("medical records kept (years after the last care)"), null=True, blank=True)
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        _("cancellation notice (hours)"), default=24)
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="clinic_position")]

    def __str__(self) -> str:
        return self.name

    @property
    def zoneinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def open_weekdays(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.opening_days if d.isdigit() and int(d) < 7)


class Membership(models.Model):
    """A user's role in one clinic, and for clinicians their mesotherapy qualification."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=now)

    qualification_verified = models.BooleanField(
        _("mesotherapy qualification verified"), default=False
    )
    qualification_certificate = models.CharField(
        _("certificate reference"), max_length=200, blank=True
    )
    qualification_verified_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    qualification_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_user_clinic")
        ]
        ordering = ["clinic__name", "user__full_name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.clinic} ({self.role})"


class ApiToken(models.Model):
    """A bearer token for the JSON API, bound to one membership (so to one clinic)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    # Only the SHA-256 of the token is stored; the token itself is shown once.
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)  # None: not since created

    def __str__(self) -> str:
        return f"token for {self.membership}"


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")


class AuditChain(models.Model):
    """The head of one hash chain of audit events (one chain per clinic, one for the rest).

    Only the sealer locks this row: requests write their events freely, and the sealer
    gives them, in order, consecutive sequence numbers and the hash of the one before.
    """

    scope = models.CharField(max_length=40, unique=True)
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class AuditEvent(models.Model):
    """Who did what to which patient's data, when and from where. Append-only."""

    scope = models.CharField(max_length=40)
    sequence = models.BigIntegerField(null=True)  # None until the sealer chains it
    at = models.DateTimeField(default=now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=20, blank=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, blank=True)
    # Written: the HMAC of the content alone; sealed: the HMAC of the content, its sequence
    # and the previous event's hash (see core.audit).
    hash = models.CharField(max_length=64)
    # Events written before the chain was keyed carry a plain SHA-256; they may only open a
    # chain, never follow a keyed event.
    keyed = models.BooleanField(default=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "sequence"], name="audit_scope_sequence")
        ]
        indexes = [
            models.Index(fields=["clinic", "-at"], name="audit_clinic_at"),
            models.Index(fields=["patient", "-at"], name="audit_patient_at"),
            # The sealer's work list stays small however long the trail grows.
            models.Index(fields=["scope", "id"], condition=models.Q(sequence__isnull=True),
                         name="audit_unsealed"),
        ]
        ordering = ["-at", "-sequence"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit trail is append-only.")

    def canonical(self) -> str:
        """The fields the hash covers, in a stable text form."""
        return json.dumps(
            {
                "scope": self.scope,
                "sequence": self.sequence,
                "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
                "actor": self.actor_id,
                "actor_email": self.actor_email,
                "role": self.role,
                "clinic": self.clinic_id,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "patient": self.patient_id,
                "ip": self.ip,
                "detail": self.detail,
                "prev_hash": self.prev_hash,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        """HMAC-SHA256 under the audit key, which is kept outside the database."""
        if not self.keyed:
            return hashlib.sha256(self.canonical().encode()).hexdigest()
        return hmac.new(settings.AUDIT_KEY.encode(), self.canonical().encode(),
                        hashlib.sha256).hexdigest()
