"""The domain catalogue: versioned reference data, each entry with its source note."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.core.fields import TranslatedCharField, TranslatedTextField


class CatalogueEntry(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = TranslatedCharField(_("name"), max_length=150)
    description = TranslatedTextField(_("description"), blank=True)
    # {"fr": {"name": …, "description": …}}: loaded from data/catalogue.<language>.json.
    translations = models.JSONField(default=dict, blank=True)
    source = models.TextField(_("source"))
    release = models.CharField(_("catalogue release"), max_length=20)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BodyArea(CatalogueEntry):
    class Region(models.TextChoices):
        FACE = "face", _("Face and neck")
        HEAD = "head", _("Scalp")
        UPPER_BODY = "upper_body", _("Upper body")
        LOWER_BODY = "lower_body", _("Lower body")
        JOINTS = "joints", _("Joints and muscles")

    region = models.CharField(_("region"), max_length=20, choices=Region.choices)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("body area")
        verbose_name_plural = _("body areas")


class OutcomeScale(CatalogueEntry):
    class RatedBy(models.TextChoices):
        PRACTITIONER = "practitioner", _("Practitioner")
        PATIENT = "patient", _("Patient")
        EITHER = "either", _("Practitioner or patient")
        MEASURED = "measured", _("Measurement")

    unit = models.CharField(_("unit"), max_length=30, blank=True)
    min_value = models.FloatField(_("lowest value"))
    max_value = models.FloatField(_("highest value"))
    higher_is_better = models.BooleanField(_("higher is better"))
    rated_by = models.CharField(_("rated by"), max_length=20, choices=RatedBy.choices)
    # A responder: "change" — improved by at least the threshold from baseline, in the good
    # direction; "level" — a value at least as good as the threshold (GAIS ≤ 3).
    responder_kind = models.CharField(max_length=10, default="change")
    responder_threshold = models.FloatField(default=1)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("outcome scale")
        verbose_name_plural = _("outcome scales")


class Indication(CatalogueEntry):
    class Group(models.TextChoices):
        AESTHETIC = "aesthetic", _("Aesthetic")
        HAIR = "hair", _("Hair")
        MEDICAL = "medical", _("Medical")

    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    body_areas = models.ManyToManyField(BodyArea, related_name="indications", blank=True)
    outcome_scales = models.ManyToManyField(
        OutcomeScale, related_name="indications", blank=True
    )

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("indication")
        verbose_name_plural = _("indications")


class SubstanceClass(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        verbose_name = _("substance class")
        verbose_name_plural = _("substance classes")


class Substance(CatalogueEntry):
    substance_class = models.ForeignKey(
        SubstanceClass, on_delete=models.PROTECT, related_name="substances"
    )
    # An NSAID in a cocktail matters to the bleeding-risk rules; so does a known allergen.
    is_nsaid = models.BooleanField(default=False)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("substance")
        verbose_name_plural = _("substances")


class Technique(CatalogueEntry):
    class Delivery(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    needleless = models.BooleanField(_("needleless"), default=False)
    depth_min_mm = models.FloatField(_("shallowest depth (mm)"), null=True, blank=True)
    depth_max_mm = models.FloatField(_("deepest depth (mm)"), null=True, blank=True)
    needle_length_min_mm = models.FloatField(null=True, blank=True)
    needle_length_max_mm = models.FloatField(null=True, blank=True)
    needle_count_min = models.PositiveSmallIntegerField(null=True, blank=True)
    needle_count_max = models.PositiveSmallIntegerField(null=True, blank=True)
    relative_dermal_delivery = models.CharField(
        _("relative dermal delivery"), max_length=10, choices=Delivery.choices
    )

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("technique")
        verbose_name_plural = _("techniques")


class SideEffect(CatalogueEntry):
    class Seriousness(models.TextChoices):
        EXPECTED = "expected", _("Expected, self-limiting")
        MONITOR = "monitor", _("Monitor")
        SERIOUS = "serious", _("Serious: escalate at once")

    expected_min_hours = models.FloatField(_("expected shortest course (hours)"), null=True)
    expected_max_hours = models.FloatField(_("expected longest course (hours)"), null=True)
    seriousness = models.CharField(_("seriousness"), max_length=10, choices=Seriousness.choices)

    class Meta(CatalogueEntry.Meta):
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")


class CatalogueRelease(models.Model):
    version = models.CharField(max_length=20, unique=True)
    loaded_at = models.DateTimeField(default=timezone.now)
    entries = models.PositiveIntegerField()

    class Meta:
        ordering = ["-loaded_at"]


class ProtocolTemplate(models.Model):
    """The catalogue's starting protocol for an indication; a plan begins as a copy."""

    indication = models.OneToOneField(Indication, on_delete=models.CASCADE,
                                      related_name="template")
    technique = models.ForeignKey(Technique, on_delete=models.PROTECT, related_name="+")
    depth_min_mm = models.FloatField(null=True)
    depth_max_mm = models.FloatField(null=True)
    needle_length_mm = models.FloatField(null=True)
    sessions = models.PositiveSmallIntegerField()
    initial_interval_days = models.PositiveSmallIntegerField(default=7)
    substances = models.ManyToManyField(Substance, related_name="+", blank=True)
    source = models.TextField()
    release = models.CharField(max_length=20)

    def __str__(self) -> str:
        return f"template for {self.indication}"


class AftercareAdvice(models.Model):
    """Default aftercare instructions: general (no indication, no technique), or for one
    indication, or for one technique. A clinic may replace any of them."""

    key = models.SlugField(max_length=80, unique=True)
    indication = models.ForeignKey(Indication, on_delete=models.CASCADE, null=True,
                                   related_name="+")
    technique = models.ForeignKey(Technique, on_delete=models.CASCADE, null=True,
                                  related_name="+")
    title = TranslatedCharField(max_length=150)
    body = TranslatedTextField()
    translations = models.JSONField(default=dict, blank=True)
    source = models.TextField()
    release = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.title
