from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mesoclinic.core.api import ErrorOut, api_actor
from mesoclinic.core.roles import sees_medical_details
from mesoclinic.patients.models import Patient
from mesoclinic.patients.schemas import PatientChanges, PatientIn
from mesoclinic.patients.selectors import SEARCH_LIMIT, access_patient, patient_search
from mesoclinic.patients.services import patient_create, patient_update

router = Router(tags=["patients"])


class PatientSummaryOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    phone: str
    email: str
    language: str = Field(description="en or fr; blank: the clinic's language")


class MedicalOut(Schema):
    fitzpatrick_type: int | None
    notes: str


class PatientOut(PatientSummaryOut):
    address: str
    version: int
    created_at: datetime
    updated_at: datetime
    medical: MedicalOut | None = Field(
        description="Medical details; null for roles that may not see them (reception)."
    )


class DuplicateOut(ErrorOut):
    duplicates: list[PatientSummaryOut]


class SearchParams(Schema):
    q: str = Field(default="", max_length=200, description="Name, date of birth, phone or email")
    limit: int = Field(default=SEARCH_LIMIT, ge=1, le=SEARCH_LIMIT)


def _out(patient: Patient, role: str) -> PatientOut:
    medical = None
    if sees_medical_details(role):
        medical = MedicalOut(fitzpatrick_type=patient.fitzpatrick_type, notes=patient.notes)
    return PatientOut(
        id=patient.pk,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=patient.phone,
        email=patient.email,
        address=patient.address,
        language=patient.language,
        version=patient.version,
        created_at=patient.created_at,
        updated_at=patient.updated_at,
        medical=medical,
    )


@router.get("", response=list[PatientSummaryOut], summary="Search patients")
def search_patients(request: HttpRequest, params: Query[SearchParams]) -> list[Patient]:
    return patient_search(actor=api_actor(request), query=params.q, limit=params.limit)


@router.post(
    "",
    response={201: PatientOut, 403: ErrorOut, 409: DuplicateOut},
    summary="Register a patient",
)
def create_patient(request: HttpRequest, payload: PatientIn) -> Status:
    actor = api_actor(request)
    patient = patient_create(actor=actor, data=payload)
    return Status(201, _out(patient, actor.role))


@router.get("/{int:patient_id}", response={200: PatientOut, 404: ErrorOut},
            summary="Read a patient's record")
def read_patient(request: HttpRequest, patient_id: int) -> PatientOut:
    actor = api_actor(request)
    return _out(access_patient(actor=actor, patient_id=patient_id), actor.role)


@router.patch(
    "/{int:patient_id}",
    response={200: PatientOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Correct a patient's record (the previous version is kept)",
)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientChanges) -> PatientOut:
    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    return _out(patient_update(actor=actor, patient=patient, changes=payload), actor.role)
