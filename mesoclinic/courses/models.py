"""Treatment courses: plans (protocol and interval policy), sessions, charted injections."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import BodyArea, Indication, Technique
from mesoclinic.consultation.models import Photo
from mesoclinic.core.models import Clinic
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.patients.models import Patient


class IntervalPolicy(models.Model):
    """Fields shared by plans and templates: how many sessions, and how far apart."""

    planned_sessions = models.PositiveSmallIntegerField(
        _("planned sessions"), validators=[MinValueValidator(3), MaxValueValidator(15)])
    initial_interval_days = models.PositiveSmallIntegerField(
        _("initial interval (days)"), default=7,
        validators=[MinValueValidator(7), MaxValueValidator(10)])
    improved_interval_days = models.PositiveSmallIntegerField(
        _("interval once improved (days)"), default=14)
    monthly_interval_days = models.PositiveSmallIntegerField(
        _("interval after that (days)"), default=30)
    maintenance_interval_days = models.PositiveSmallIntegerField(
        _("maintenance top-up every (days)"), default=90)

    class Meta:
        abstract = True


class Protocol(IntervalPolicy):
    technique = models.ForeignKey(Technique, on_delete=models.PROTECT, related_name="+")
    depth_min_mm = models.DecimalField(_("shallowest depth (mm)"), max_digits=4,
                                       decimal_places=1, null=True, blank=True)
    depth_max_mm = models.DecimalField(_("deepest depth (mm)"), max_digits=4,
                                       decimal_places=1, null=True, blank=True)
    needle_length_mm = models.DecimalField(_("needle length (mm)"), max_digits=3,
                                           decimal_places=1, null=True, blank=True)
    device = models.CharField(_("device"), max_length=100, blank=True)
    # What the charting form offers for each point; the practitioner may change it.
    volume_per_point_ml = models.DecimalField(_("volume per point (ml)"), max_digits=4,
                                              decimal_places=2, null=True, blank=True)

    class Meta:
        abstract = True


class PlanTemplate(Protocol):
    """A clinic's own protocol for an indication, offered when a plan is created."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=150)
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="+")
    cocktail = models.JSONField(default=list)  # [{"product": id, "dose_ml": "0.5"}]

    class Meta:
        ordering = ["name"]


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class TreatmentPlan(Protocol):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="+")
    body_areas = models.ManyToManyField(BodyArea, related_name="+")
    improvement_recorded_on = models.DateField(_("improvement recorded on"), null=True,
                                               blank=True)
    status = models.CharField(max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.ACTIVE)
    # The cocktail's products, named in order ("A + B"); set once, as the cocktail is fixed
    # when the plan is created. Practice analytics group plans by it.
    protocol_label = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.indication.name} ({self.patient})"


class PlanProduct(models.Model):
    """One ingredient of the plan's cocktail, with its dose per session."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="cocktail")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    dose_ml = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "product"], name="plan_product_once")
        ]


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Session(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="sessions")
    scheduled_on = models.DateField(_("scheduled on"))
    status = models.CharField(max_length=12, choices=SessionStatus.choices,
                              default=SessionStatus.PLANNED)
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, related_name="+")
    started_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True)
    technique = models.ForeignKey(Technique, on_delete=models.PROTECT, null=True,
                                  related_name="+")
    device = models.CharField(max_length=100, blank=True)
    anaesthetic_cream = models.BooleanField(default=False)
    reactions = models.JSONField(default=list)  # codes: burning, bleeding, pain, ...
    notes = models.TextField(blank=True, max_length=2000)
    checklist = models.JSONField(default=list)  # findings at start, as shown then

    class Meta:
        ordering = ["scheduled_on", "id"]
        indexes = [models.Index(fields=["plan", "status"], name="session_plan_status")]


class ChartMap(models.TextChoices):
    FACE = "face", _("Face, front")
    FACE_RIGHT = "face-right", _("Face, right profile")
    FACE_LEFT = "face-left", _("Face, left profile")
    SCALP = "scalp", _("Scalp")
    BODY_FRONT = "body-front", _("Body, front")
    BODY_BACK = "body-back", _("Body, back")


class Injection(models.Model):
    """One charted point (x, y on a map, in % of its size) or a whole zone of the map."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="injections")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="injections")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    chart_map = models.CharField(max_length=12, choices=ChartMap.choices)
    zone = models.CharField(max_length=40)
    whole_zone = models.BooleanField(default=False)
    x = models.DecimalField(max_digits=5, decimal_places=2)
    y = models.DecimalField(max_digits=5, decimal_places=2)
    volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    depth_mm = models.DecimalField(max_digits=4, decimal_places=1)
    passes = models.PositiveSmallIntegerField(default=1)
    # Charted on the patient's own photo of the area: where on it, in % of its width and
    # height. The zone (and so x, y on the map) is still named, for the map and the PDF.
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    photo_x = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    photo_y = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A charted point is never deleted: a removal is dated, signed and explained, and the
    # lot's stock is given back.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    removal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
