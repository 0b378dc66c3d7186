"""Consultation: intake questionnaire versions, consents, baseline photos, allergy tests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import BodyArea
from mesoclinic.core.models import Clinic
from mesoclinic.inventory.models import Lot, Product
from mesoclinic.patients.models import Patient


class Condition(models.TextChoices):
    """Medical history asked in the intake; codes are used by the safety rules."""

    PREGNANCY = "pregnancy", _("Pregnant, or may be pregnant")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    BLEEDING = "bleeding-disorder", _("Takes anticoagulants or has a bleeding disorder")
    DIABETES = "diabetes", _("Diabetes")
    AUTOIMMUNE = "autoimmune", _("Autoimmune disease")
    CANCER = "cancer", _("Cancer (current or under treatment)")
    RENAL = "renal-failure", _("Renal failure")
    GALLSTONES = "gallstones", _("Gallstones")
    CARDIOVASCULAR = "cardiovascular", _("Severe cardiovascular disease")
    INFECTION = "infection-at-site", _("Active infection or skin disease where treated")
    HERPES = "herpes-simplex", _("Herpes simplex (cold sores)")
    KELOID = "keloid", _("Keloid scarring")
    ISOTRETINOIN = "isotretinoin", _("Isotretinoin in the last 12 months")
    PEEL_LASER = "recent-peel-or-laser", _("A peel or laser treatment in the last 6 weeks")
    LIDOCAINE = "lidocaine-allergy", _("Allergy to lidocaine or other local anaesthetics")
    COMPONENT = "component-allergy", _("Allergy to any component of the products")


class MedicationClass(models.TextChoices):
    ASPIRIN = "aspirin", _("Aspirin")
    NSAID = "nsaid", _("Other NSAID (ibuprofen, naproxen, diclofenac…)")
    ANTICOAGULANT = "anticoagulant", _("Anticoagulant")
    ISOTRETINOIN = "isotretinoin", _("Isotretinoin")
    STEROID = "steroid", _("Steroid")
    OTHER = "other", _("Other")


class IntakeChannel(models.TextChoices):
    LINK = "link", _("Patient, through a link")
    DESK = "desk", _("Patient, on the clinic's tablet")
    STAFF = "staff", _("Staff")


class IntakeSubmission(models.Model):
    """One filled questionnaire. Each submission is a new version; none is changed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    version = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=IntakeChannel.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, related_name="+")
    conditions = models.JSONField(default=list)  # codes of Condition answered "yes"
    condition_details = models.TextField(blank=True, max_length=2000)
    medications = models.JSONField(default=list)  # [{name, drug_class, last_dose}]
    allergies = models.TextField(blank=True, max_length=2000)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="intake_version")
        ]


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    PHOTOS = "photos", _("Photographs")
    REGISTRY = "registry", _("Anonymised registry use")


class ConsentText(models.Model):
    """A clinic's wording of one consent, versioned: a new wording is a new version."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, related_name="+")

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind", "version"],
                                    name="consent_text_version")
        ]


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", _("Drawn signature")
    TYPED = "typed", _("Typed name and tick")


class Consent(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    signed_at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=SignatureMethod.choices)
    typed_name = models.CharField(max_length=200, blank=True)
    signature_png = models.BinaryField(null=True, editable=False)
    ip = models.GenericIPAddressField(null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")
    withdrawn_at = models.DateTimeField(null=True)
    withdrawal_reason = models.CharField(max_length=500, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, related_name="+")

    class Meta:
        ordering = ["-signed_at"]


class PhotoView(models.TextChoices):
    FRONT = "front", _("Front")
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BACK = "back", _("Back")
    CLOSEUP = "closeup", _("Close-up")


class Photo(models.Model):
    """A clinical photograph, stored outside the web root with its EXIF removed."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="photos")
    body_area = models.ForeignKey(BodyArea, on_delete=models.PROTECT, related_name="+")
    view = models.CharField(max_length=10, choices=PhotoView.choices)
    kind = models.CharField(max_length=20, default="baseline")
    stored_name = models.CharField(max_length=200)
    thumbnail_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(default=timezone.now)
    # None when the patient sent it (a check-in photo).
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, related_name="+")

    class Meta:
        ordering = ["-taken_at"]


class AllergyResult(models.TextChoices):
    PENDING = "pending", _("Not read yet")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class AllergyTest(models.Model):
    """Two small test injections of the planned products, read no sooner than 24 h later."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="allergy_tests")
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    result = models.CharField(max_length=15, choices=AllergyResult.choices,
                              default=AllergyResult.PENDING)
    reaction = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField(null=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                null=True, related_name="+")

    class Meta:
        ordering = ["-given_at"]


class AllergyTestInjection(models.Model):
    test = models.ForeignKey(AllergyTest, on_delete=models.PROTECT, related_name="injections")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    site = models.CharField(max_length=100)

    class Meta:
        ordering = ["id"]


class PatientLink(models.Model):
    """A link sent to a patient for the intake questionnaire and the consent. Only the
    hash of its key is kept. Each part is answered once through it; staff may revoke it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="links")
    key_hash = models.CharField(max_length=64, unique=True)
    # The key is derived from this and the site's secret (core.links.derived_key), so that
    # the worker can email the link without the key ever being stored.
    nonce = models.CharField(max_length=32, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()  # it lasts INTAKE_LINK_MAX_AGE from then
    intake_at = models.DateTimeField(null=True, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
