"""API of aftercare: check-ins, adverse events and their review, session instructions."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.aftercare.escalation import escalation_reasons, is_open
from mesoclinic.aftercare.models import AdverseEvent
from mesoclinic.aftercare.selectors import (
    access_adverse_event,
    aftercare_for,
    event_facts,
    patient_adverse_events,
    patient_checkins,
)
from mesoclinic.aftercare.services import (
    AdverseEventIn,
    AdverseEventUpdateIn,
    adverse_event_record,
    adverse_event_review,
    adverse_event_update,
)
from mesoclinic.core import clock
from mesoclinic.core.api import ERRORS, api_actor
from mesoclinic.courses.selectors import access_session
from mesoclinic.patients.selectors import access_patient

router = Router(tags=["aftercare"])


class CheckInOut(Schema):
    id: int
    session: int = Field(alias="session_id")
    label: str
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    feeling: str
    severity: str
    symptoms: list[str]


@router.get("/patients/{int:patient_id}/checkins", response={200: list[CheckInOut], **ERRORS})
def list_checkins(request: HttpRequest, patient_id: int) -> list:
    patient = access_patient(actor=api_actor(request), patient_id=patient_id,
                             medical=True)
    return patient_checkins(patient=patient)


class AdverseEventOut(Schema):
    id: int
    patient: int = Field(alias="patient_id")
    session: int | None = Field(alias="session_id")
    side_effect: str
    onset_at: datetime
    severity: str
    serious: bool
    outcome: str
    resolved_at: datetime | None
    lots: list[int]
    escalation: list[str]
    blocks_treatment: bool
    reviewed_at: datetime | None

    @staticmethod
    def resolve_side_effect(obj: AdverseEvent) -> str:
        return obj.side_effect.code

    @staticmethod
    def resolve_lots(obj: AdverseEvent) -> list[int]:
        return [lot.pk for lot in obj.lots.all()]

    @staticmethod
    def resolve_escalation(obj: AdverseEvent) -> list[str]:
        return escalation_reasons(event_facts(obj), clock.now())

    @staticmethod
    def resolve_blocks_treatment(obj: AdverseEvent) -> bool:
        return is_open(event_facts(obj), clock.now())


@router.get("/patients/{int:patient_id}/adverse-events",
            response={200: list[AdverseEventOut], **ERRORS})
def list_adverse_events(request: HttpRequest, patient_id: int) -> list:
    patient = access_patient(actor=api_actor(request), patient_id=patient_id,
                             medical=True)
    return patient_adverse_events(patient=patient)


@router.post("/patients/{int:patient_id}/adverse-events",
             response={201: AdverseEventOut, **ERRORS})
def create_adverse_event(request: HttpRequest, patient_id: int,
                         payload: AdverseEventIn) -> Status:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, adverse_event_record(actor=actor, patient=patient, data=payload))


@router.patch("/adverse-events/{int:event_id}", response={200: AdverseEventOut, **ERRORS})
def update_adverse_event(request: HttpRequest, event_id: int,
                         payload: AdverseEventUpdateIn) -> AdverseEvent:
    actor = api_actor(request)
    return adverse_event_update(actor=actor, event=access_adverse_event(actor=actor,
                                                                        event_id=event_id),
                                data=payload)


class ReviewIn(Schema):
    note: str = Field(max_length=2000)


@router.post("/adverse-events/{int:event_id}/review",
             response={200: AdverseEventOut, **ERRORS},
             summary="A practitioner's review: lifts the block on the next session")
def review_adverse_event(request: HttpRequest, event_id: int, payload: ReviewIn
                         ) -> AdverseEvent:
    actor = api_actor(request)
    return adverse_event_review(actor=actor, event=access_adverse_event(actor=actor,
                                                                        event_id=event_id),
                                note=payload.note)


class AdviceOut(Schema):
    key: str
    title: str
    body: str


@router.get("/sessions/{int:session_id}/aftercare", response={200: list[AdviceOut], **ERRORS})
def session_aftercare(request: HttpRequest, session_id: int) -> list:
    session = access_session(actor=api_actor(request), session_id=session_id)
    return aftercare_for(session=session)
