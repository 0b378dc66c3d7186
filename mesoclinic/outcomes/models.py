"""Outcomes: scale measurements over a course, and photo comparisons."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import OutcomeScale
from mesoclinic.consultation.models import Photo
from mesoclinic.core.models import Clinic
from mesoclinic.courses.models import Session, TreatmentPlan
from mesoclinic.patients.models import Patient


class RatedBy(models.TextChoices):
    PRACTITIONER = "practitioner", _("Practitioner")
    PATIENT = "patient", _("Patient")
    MEASURED = "measured", _("Measurement")


class OutcomeMeasurement(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, null=True,
                             related_name="measurements")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, null=True, related_name="+")
    scale = models.ForeignKey(OutcomeScale, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=7, decimal_places=2)
    rated_by = models.CharField(max_length=12, choices=RatedBy.choices)
    measured_on = models.DateField()
    notes = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["measured_on", "id"]
        indexes = [
            models.Index(fields=["plan", "scale", "measured_on"], name="measure_plan_scale"),
            models.Index(fields=["clinic", "scale"], name="measure_clinic_scale"),
        ]


class ComparisonStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PhotoComparison(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="comparisons")
    before = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    after = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    # The region to measure, in the before photo's pixels: {"x":, "y":, "w":, "h":}.
    region = models.JSONField()
    status = models.CharField(max_length=10, choices=ComparisonStatus.choices,
                              default=ComparisonStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    aligned_name = models.CharField(max_length=200, blank=True)
    homography = models.JSONField(null=True)
    matches = models.PositiveIntegerField(null=True)
    metrics = models.JSONField(null=True)  # {"before": {...}, "after": {...}, "change": {...}}
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
