from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.core.models import Clinic


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Not stated")


class FitzpatrickType(models.IntegerChoices):
    I = 1, _("I — always burns, never tans")  # noqa: E741
    II = 2, _("II — usually burns, tans minimally")
    III = 3, _("III — sometimes burns, tans uniformly")
    IV = 4, _("IV — burns minimally, always tans well")
    V = 5, _("V — very rarely burns, tans very easily")
    VI = 6, _("VI — never burns")


class Patient(models.Model):
    """A person treated at one clinic. Never deleted; each change keeps a revision."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    # Medical details: never shown to reception.
    fitzpatrick_type = models.PositiveSmallIntegerField(
        _("Fitzpatrick skin type"), choices=FitzpatrickType.choices, null=True, blank=True
    )
    notes = models.TextField(_("clinical notes"), max_length=5000, blank=True)
    # Everything sent to or shown to the patient is in it; blank: the clinic's language.
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    # None when the patient registered themselves, booking online.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    # Search keys (see search_keys.py), kept in step by the services.
    first_key = models.CharField(max_length=100, editable=False)
    last_key = models.CharField(max_length=100, editable=False)
    phone_key = models.CharField(max_length=40, editable=False, blank=True)
    email_key = models.CharField(max_length=254, editable=False, blank=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            models.Index(fields=["clinic", "last_key", "first_key"], name="patient_last"),
            models.Index(fields=["clinic", "first_key"], name="patient_first"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob"),
            models.Index(fields=["clinic", "phone_key"], name="patient_phone"),
            models.Index(fields=["clinic", "email_key"], name="patient_email"),
            models.Index(fields=["clinic", "-updated_at"], name="patient_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PatientRevision(models.Model):
    """The record as it was before a change: corrections are new versions, never loss."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="revisions")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="revision_version")
        ]
        ordering = ["-version"]


class RequestKind(models.TextChoices):
    ACCESS = "access", _("A copy of my data")
    RECTIFICATION = "rectification", _("A correction")
    ERASURE = "erasure", _("Erasure")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WORKING = "working", _("Being prepared")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class DataRequest(models.Model):
    """A patient's request about their data (GDPR articles 15, 16 and 20), due within a
    month; made by the patient in their space, or by staff on their behalf."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="data_requests")
    kind = models.CharField(max_length=15, choices=RequestKind.choices)
    asked_by_patient = models.BooleanField(default=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    detail = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=RequestStatus.choices,
                              default=RequestStatus.OPEN)
    progress = models.PositiveSmallIntegerField(default=0)  # % of an export built
    archive_name = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decision = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["due_on", "id"]
