"""Writes of outcomes: measurements (feeding the schedule's improvement signal) and photo
comparisons run by the worker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field

from mesoclinic.catalog.models import OutcomeScale
from mesoclinic.catalog.selectors import catalogue_entry
from mesoclinic.consultation.models import Photo
from mesoclinic.consultation.selectors import photo_consent_refusal
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput, NotFound, RowId
from mesoclinic.core.roles import require_clinician
from mesoclinic.courses.models import TreatmentPlan
from mesoclinic.courses.services import plan_record_improvement
from mesoclinic.outcomes import stats
from mesoclinic.outcomes.models import ComparisonStatus, OutcomeMeasurement, PhotoComparison
from mesoclinic.patients.models import Patient


class MeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scale: str = Field(max_length=60)
    value: Decimal = Field(ge=-1000, le=10000, decimal_places=2)
    rated_by: str = Field(pattern=r"^(practitioner|patient|measured)$")
    measured_on: date
    plan: RowId | None = None
    notes: str = Field(default="", max_length=500)


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    x: int = Field(ge=0, le=20000)
    y: int = Field(ge=0, le=20000)
    w: int = Field(ge=4, le=20000)
    h: int = Field(ge=4, le=20000)


def _baseline(plan: TreatmentPlan, scale: OutcomeScale) -> OutcomeMeasurement | None:
    return OutcomeMeasurement.objects.filter(plan=plan, scale=scale).order_by(
        "measured_on", "id").first()


@transaction.atomic
def measurement_record(*, actor: Actor, patient: Patient, data: MeasurementIn
                       ) -> OutcomeMeasurement:
    """Record a value; when it shows a response, the plan's intervals widen."""
    require_clinician(actor.role)
    scale = catalogue_entry(OutcomeScale, data.scale)
    if scale is None:
        raise InvalidInput(_("Choose a scale from the catalogue."), field="scale")
    if not scale.min_value <= float(data.value) <= scale.max_value:
        raise InvalidInput(_("%(scale)s goes from %(low)g to %(high)g.")
                           % {"scale": scale.name, "low": scale.min_value,
                              "high": scale.max_value}, field="value")
    if data.measured_on > moments.today(actor.clinic):
        raise InvalidInput(_("The date is in the future."), field="measured_on")
    plan = None
    if data.plan is not None:
        plan = TreatmentPlan.objects.filter(pk=data.plan, patient=patient).first()
        if plan is None:
            raise NotFound(_("No such plan for this patient."), field="plan")
    baseline = _baseline(plan, scale) if plan else None
    measurement = OutcomeMeasurement.objects.create(
        clinic_id=actor.clinic_id, patient=patient, plan=plan, scale=scale, value=data.value,
        rated_by=data.rated_by, measured_on=data.measured_on, notes=data.notes,
        recorded_by=actor.user, created_at=clock.now())
    audit_record(actor=actor, action="measurement.create", object_type="measurement",
                 object_id=measurement.pk, patient_id=patient.pk,
                 detail={"scale": scale.code, "value": str(data.value)})
    if plan is not None and plan.improvement_recorded_on is None and stats.is_responder(
            kind=scale.responder_kind, threshold=scale.responder_threshold,
            higher_is_better=scale.higher_is_better,
            baseline=float(baseline.value) if baseline else None, value=float(data.value)):
        plan_record_improvement(actor=actor, plan=plan, on=data.measured_on)
    return measurement


@transaction.atomic
def comparison_request(*, actor: Actor, patient: Patient, before: Photo, after: Photo,
                       region: RegionIn) -> PhotoComparison:
    from mesoclinic.outcomes.tasks import analyse_comparison

    require_clinician(actor.role)
    refusal = photo_consent_refusal(patient=patient)
    if refusal:
        raise InvalidInput(refusal, field="before", code="photo-consent")
    if before.pk == after.pk:
        raise InvalidInput(_("Choose two different photos."), field="after")
    if before.body_area_id != after.body_area_id:
        raise InvalidInput(_("Compare two photos of the same area."), field="after")
    if region.x + region.w > before.width or region.y + region.h > before.height:
        raise InvalidInput(_("The marked region is outside the photo."), field="region")
    comparison = PhotoComparison.objects.create(
        clinic_id=actor.clinic_id, patient=patient, before=before, after=after,
        region=region.model_dump(), created_by=actor.user, created_at=clock.now())
    audit_record(actor=actor, action="comparison.create", object_type="comparison",
                 object_id=comparison.pk, patient_id=patient.pk)
    # In the same transaction as the comparison (the queue is a table of this database).
    analyse_comparison.enqueue(comparison.pk)
    return comparison


def _set_progress(comparison_id: int, percent: int, **fields: object) -> None:
    PhotoComparison.objects.filter(pk=comparison_id).update(progress=percent, **fields)


def comparison_run(*, comparison_id: int) -> str:
    """The worker's part: align, measure, store the aligned picture; progress on the row."""
    from django.core.files.base import ContentFile

    from mesoclinic.outcomes import photo_analysis  # OpenCV: loaded by the worker only

    comparison = PhotoComparison.objects.select_related("before", "after").get(
        pk=comparison_id)
    if comparison.status == ComparisonStatus.DONE:
        return comparison.status
    _set_progress(comparison_id, 5, status=ComparisonStatus.RUNNING)
    storage = photo_storage()
    try:
        with storage.open(comparison.before.stored_name) as f:
            before = f.read()
        with storage.open(comparison.after.stored_name) as f:
            after = f.read()
        result = photo_analysis.compare(
            before, after, photo_analysis.Region(**comparison.region),
            progress=lambda p: _set_progress(comparison_id, p))
    except (photo_analysis.AlignmentError, OSError) as error:
        _set_progress(comparison_id, 100, status=ComparisonStatus.FAILED,
                      error=str(error)[:300], finished_at=clock.now())
        return ComparisonStatus.FAILED
    name = storage.save(
        f"{comparison.clinic_id}/{comparison.patient_id}/comparison-{comparison.pk}.jpg",
        ContentFile(result.aligned_jpeg))
    _set_progress(comparison_id, 100, status=ComparisonStatus.DONE, aligned_name=name,
                  homography=result.homography, matches=result.matches,
                  metrics={"before": result.before, "after": result.after,
                           "change": result.change},
                  finished_at=clock.now())
    return ComparisonStatus.DONE
