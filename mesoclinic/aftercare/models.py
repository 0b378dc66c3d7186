"""Aftercare: instructions, check-ins after each session, adverse events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from mesoclinic.catalog.models import Indication, SideEffect, Technique
from mesoclinic.core.fields import DefaultTextField
from mesoclinic.core.models import Clinic
from mesoclinic.courses.models import Session
from mesoclinic.inventory.models import Lot
from mesoclinic.patients.models import Patient


class ClinicAftercare(models.Model):
    """A clinic's own wording, replacing the catalogue's advice with the same key."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    key = models.SlugField(max_length=80)
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, null=True,
                                   related_name="+")
    technique = models.ForeignKey(Technique, on_delete=models.PROTECT, null=True,
                                  related_name="+")
    title = models.CharField(max_length=150)
    body = models.TextField(max_length=10000)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"],
                                               name="clinic_aftercare_key")]


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


# The check-ins' labels (aftercare.escalation.CHECKIN_SCHEDULE, which imports nothing of
# Django), named here so that the message catalogue has them.
CHECKIN_LABELS = (gettext_noop("day 1"), gettext_noop("day 3"), gettext_noop("day 7"),
                  gettext_noop("week 2"), gettext_noop("week 6"), gettext_noop("week 12"))


class CheckIn(models.Model):
    """A question sent to the patient after a session (day 1, 3, 7; weeks 2, 6, 12)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="checkins")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="checkins")
    label = DefaultTextField(max_length=20)  # "day 1"…: read in the reader's language
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    answered_at = models.DateTimeField(null=True)
    feeling = models.CharField(max_length=10, blank=True)  # fine | symptoms
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    symptoms = models.JSONField(default=list)  # side-effect codes
    notes = models.TextField(blank=True, max_length=2000)
    photo = models.ForeignKey("consultation.Photo", on_delete=models.PROTECT, null=True,
                              related_name="+")
    # The answer needed the clinic now (a serious symptom, or one outlasting its course):
    # the patient was told to call, and the practitioner and the owners were emailed.
    urgent = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["clinic", "due_at"], name="checkin_clinic_due")]


class Outcome(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    RESOLVED = "resolved", _("Resolved")
    SEQUELAE = "sequelae", _("Resolved with sequelae")
    UNKNOWN = "unknown", _("Unknown")


class AdverseEvent(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="adverse_events")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True,
                                related_name="adverse_events")
    side_effect = models.ForeignKey(SideEffect, on_delete=models.PROTECT, related_name="+")
    onset_at = models.DateTimeField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices,
                               default=Outcome.ONGOING)
    resolved_at = models.DateTimeField(null=True)
    lots = models.ManyToManyField(Lot, related_name="adverse_events", blank=True)
    description = models.TextField(blank=True, max_length=2000)
    checkin = models.ForeignKey(CheckIn, on_delete=models.PROTECT, null=True,
                                related_name="adverse_events")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True)
    review_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-onset_at"]
        indexes = [models.Index(fields=["clinic", "reviewed_at"], name="ae_clinic_review")]
