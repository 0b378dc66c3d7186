"""A practitioner's overrides of blocking safety findings (the rules live in rules.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from mesoclinic.core.models import Clinic
from mesoclinic.patients.models import Patient


class SafetyOverride(models.Model):
    """A practitioner's written decision to proceed despite a blocking finding."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="overrides")
    code = models.CharField(max_length=80)
    applies_on = models.DateField()  # the session day, in the clinic's time zone
    reason = models.TextField(max_length=2000)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
