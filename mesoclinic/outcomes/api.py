"""API of outcomes: measurements, photo comparisons, practice analytics."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from mesoclinic.catalog.selectors import outcome_scale_by_code
from mesoclinic.consultation.selectors import patient_photos
from mesoclinic.core.api import ERRORS, api_actor
from mesoclinic.core.errors import InvalidInput, NotFound, RowId
from mesoclinic.outcomes.models import OutcomeMeasurement, PhotoComparison
from mesoclinic.outcomes.selectors import (
    DIMENSIONS,
    access_comparison,
    patient_measurements,
    practice_analytics,
)
from mesoclinic.outcomes.services import (
    MeasurementIn,
    RegionIn,
    comparison_request,
    measurement_record,
)
from mesoclinic.outcomes.stats import Estimate
from mesoclinic.patients.selectors import access_patient

router = Router(tags=["outcomes"])


class MeasurementOut(Schema):
    id: int
    plan: int | None = Field(alias="plan_id")
    scale: str
    value: Decimal
    rated_by: str
    measured_on: date

    @staticmethod
    def resolve_scale(obj: OutcomeMeasurement) -> str:
        return obj.scale.code


@router.get("/patients/{int:patient_id}/measurements",
            response={200: list[MeasurementOut], **ERRORS})
def list_measurements(request: HttpRequest, patient_id: int) -> list:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, medical=True)
    return patient_measurements(patient=patient)


@router.post("/patients/{int:patient_id}/measurements",
             response={201: MeasurementOut, **ERRORS},
             summary="Record a scale value; a response widens the plan's intervals")
def create_measurement(request: HttpRequest, patient_id: int, payload: MeasurementIn
                       ) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, measurement_record(actor=actor, patient=patient, data=payload))


class ComparisonIn(Schema):
    before: RowId
    after: RowId
    region: RegionIn


class ComparisonOut(Schema):
    id: int
    status: str
    progress: int
    error: str
    matches: int | None
    metrics: dict | None
    created_at: datetime


@router.post("/patients/{int:patient_id}/comparisons",
             response={202: ComparisonOut, **ERRORS},
             summary="Align two photos and measure a region (runs on the worker)")
def create_comparison(request: HttpRequest, patient_id: int, payload: ComparisonIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    photos = {p.pk: p for p in patient_photos(patient=patient,
                                              ids=[payload.before, payload.after])}
    if payload.before not in photos or payload.after not in photos:
        raise NotFound("No such photo for this patient.", field="after")
    return Status(202, comparison_request(actor=actor, patient=patient,
                                          before=photos[payload.before],
                                          after=photos[payload.after], region=payload.region))


@router.get("/comparisons/{int:comparison_id}", response={200: ComparisonOut, **ERRORS})
def read_comparison(request: HttpRequest, comparison_id: int) -> PhotoComparison:
    return access_comparison(actor=api_actor(request), comparison_id=comparison_id)


class EstimateOut(Schema):
    value: float
    low: float | None
    high: float | None


def _estimate(estimate: Estimate | None) -> EstimateOut | None:
    if estimate is None:
        return None
    return EstimateOut(value=estimate.value,
                       low=None if math.isnan(estimate.low) else estimate.low,
                       high=None if math.isnan(estimate.high) else estimate.high)


class AnalyticsRowOut(Schema):
    group: str
    patients: int
    plans: int
    sessions: int
    mean_change: EstimateOut | None
    change_n: int
    responder_rate: EstimateOut | None
    responders: int
    rated: int
    adverse_events: int
    adverse_events_per_100_sessions: EstimateOut | None


class AnalyticsQuery(Schema):
    scale: str = "gais"
    dimension: str = Field(default="protocol", description="protocol, practitioner or lot")
    indication: str | None = None


@router.get("/analytics", response={200: list[AnalyticsRowOut], **ERRORS},
            summary="Practice analytics with 95 % intervals")
def analytics(request: HttpRequest, params: Query[AnalyticsQuery]) -> list[AnalyticsRowOut]:
    actor = api_actor(request)
    scale = outcome_scale_by_code(params.scale)
    if scale is None:
        raise InvalidInput("Unknown scale.", field="scale")
    if params.dimension not in DIMENSIONS:
        raise InvalidInput("Group by protocol, practitioner or lot.", field="dimension")
    rows = practice_analytics(actor=actor, scale=scale, dimension=params.dimension,
                              indication=params.indication)
    return [AnalyticsRowOut(
        group=r.label, patients=r.patients, plans=r.plans, sessions=r.sessions,
        mean_change=_estimate(r.mean_change), change_n=r.change_n,
        responder_rate=_estimate(r.responder_rate), responders=r.responders, rated=r.rated,
        adverse_events=r.adverse_events,
        adverse_events_per_100_sessions=_estimate(r.adverse_rate)) for r in rows]
