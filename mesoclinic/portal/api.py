"""The patients' requests about their data, for staff, in /api/v1/: the same rules, audit
and errors as the requests page."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.core.api import ERRORS, api_actor
from mesoclinic.core.roles import require_clinician
from mesoclinic.patients.models import DataRequest
from mesoclinic.patients.selectors import (
    access_data_request,
    access_patient,
    clinic_data_requests,
)
from mesoclinic.portal.services import data_access_request, data_request_close

router = Router(tags=["data requests"])


class DataRequestOut(Schema):
    id: int
    patient: int = Field(alias="patient_id")
    kind: str
    asked_by_patient: bool
    detail: str
    created_at: datetime
    due_on: date
    status: str
    progress: int
    decision: str


class DecisionIn(Schema):
    done: bool = Field(description="For a correction: made (true) or refused (false); for "
                                   "an erasure: erase (true) or refuse (false)")
    reason: str = Field(default="", max_length=2000,
                        description="Required when refusing; the patient reads it")


@router.get("/data-requests", response={200: list[DataRequestOut], **ERRORS},
            summary="The patients' requests: open ones with their due dates, then recent")
def list_requests(request: HttpRequest) -> list[DataRequest]:
    return clinic_data_requests(actor=api_actor(request))


@router.post("/patients/{int:patient_id}/data-export", response={201: DataRequestOut,
                                                                  **ERRORS},
             summary="Prepare a copy of all the patient's data (built by the worker)")
def export_for_patient(request: HttpRequest, patient_id: int) -> Status:
    actor = api_actor(request)
    require_clinician(actor.role)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return Status(201, data_access_request(patient=patient, ip=actor.ip, actor=actor))


@router.post("/data-requests/{int:request_id}/decide", response={200: DataRequestOut,
                                                                  **ERRORS},
             summary="Close a correction or an erasure request (erasure: owners only)")
def decide(request: HttpRequest, request_id: int, payload: DecisionIn) -> DataRequest:
    actor = api_actor(request)
    found = access_data_request(actor=actor, request_id=request_id)
    return data_request_close(actor=actor, request=found, done=payload.done,
                              reason=payload.reason)
