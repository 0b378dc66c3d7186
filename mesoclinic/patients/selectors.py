"""Reads for patients. ``access_patient`` is the only way a page or the API loads one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_listing, audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.models import User
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.rows import JoinedRows
from mesoclinic.core.selectors import clinic_row
from mesoclinic.patients import search_keys
from mesoclinic.patients.models import (
    DataRequest,
    Patient,
    PatientRevision,
    RequestStatus,
)

SEARCH_LIMIT = 50


# Nearly every request about a patient runs this query: written out, see core.rows.
_PATIENT_ROWS = JoinedRows((Patient, "p"), (User, "u"))


def access_patient(
    *, actor: Actor, patient_id: int, audit_action: str | None = "patient.view",
    medical: bool = False,
) -> Patient:
    """Load a patient of the actor's clinic and record the access; with ``medical``, for
    clinical staff only (what is read next is the patient's medical record).

    A patient of another clinic is answered exactly like a missing one, so that its
    existence is not revealed. Pass ``audit_action=None`` only when the caller writes its
    own audit event for the same access (an update, say).
    """
    if medical:
        require_clinician(actor.role)
    found = _PATIENT_ROWS.fetch(
        "FROM patients_patient p LEFT JOIN core_user u ON u.id = p.created_by_id "
        "WHERE p.id = %s AND p.clinic_id = %s", [patient_id, actor.clinic_id])
    if not found:
        raise NotFound(_("No such patient."))
    patient, patient.created_by = found[0]
    patient.clinic = actor.clinic  # the same row: the filter above says so
    if audit_action:
        audit_record(
            actor=actor,
            action=audit_action,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
        )
    return patient


def _prefix(field: str, prefix: str) -> Q:
    upper = search_keys.prefix_upper_bound(prefix)
    condition = Q(**{f"{field}__gte": prefix})
    if upper is not None:
        condition &= Q(**{f"{field}__lt": upper})
    return condition


def patient_search(*, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[Patient]:
    """Patients of the actor's clinic matching every term typed: name prefixes (first or
    last name), a date of birth, the end of a phone number, an email. An empty query
    lists the most recently changed records."""
    terms = search_keys.parse_query(query)
    patients: QuerySet[Patient] = Patient.objects.filter(clinic_id=actor.clinic_id)
    if terms.empty:
        patients = patients.order_by("-updated_at", "-id")
    else:
        for name in terms.names:
            patients = patients.filter(_prefix("last_key", name) | _prefix("first_key", name))
        for born in terms.dates:
            patients = patients.filter(date_of_birth=born)
        for phone in terms.phones:
            patients = patients.filter(_prefix("phone_key", phone))
        for email in terms.emails:
            patients = patients.filter(email_key=email)
        patients = patients.order_by("last_key", "first_key", "id")
    found = list(patients[:limit])
    audit_record(
        actor=actor,
        action="patient.search",
        object_type="patient",
        detail={"query": query[:200], "results": len(found),
                "patients": [p.pk for p in found]},
    )
    return found


def patient_possible_duplicates(
    *, actor: Actor, first_name: str, last_name: str, date_of_birth: date
) -> list[Patient]:
    """Records that may be the same person; shown to the one registering, so audited."""
    found = list(
        Patient.objects.filter(
            clinic_id=actor.clinic_id,
            first_key=search_keys.name_key(first_name),
            last_key=search_keys.name_key(last_name),
            date_of_birth=date_of_birth,
        ).order_by("id")
    )
    if found:
        audit_listing(actor=actor, action="patient.duplicates",
                      patient_ids=[p.pk for p in found])
    return found


def patient_revisions(*, patient: Patient) -> QuerySet[PatientRevision]:
    return patient.revisions.select_related("replaced_by").order_by("-version")


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Correction:
    """One correction of the record: who, when, and what each field was and became."""

    revision: PatientRevision
    changes: list[FieldChange]


def _shown(patient_field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if patient_field.choices:
        return str(dict(patient_field.flatchoices).get(value, value))
    return str(value)


def patient_corrections(*, patient: Patient, medical: bool, limit: int = 20
                        ) -> list[Correction]:
    """The record's corrections, newest first, each with its changed fields (medical
    fields only for those who may see them): a version's "after" is the next version's
    "before", or the record as it is now."""
    from mesoclinic.patients.schemas import MEDICAL_FIELDS

    revisions = list(patient_revisions(patient=patient)[:limit + 1])
    corrections = []
    for index, revision in enumerate(revisions[:limit]):
        after = revisions[index - 1].data if index > 0 else None
        changes = []
        for name, before in revision.data.items():
            if name in MEDICAL_FIELDS and not medical:
                continue
            field = Patient._meta.get_field(name)
            now = after[name] if after is not None else getattr(patient, name)
            if hasattr(now, "isoformat"):
                now = now.isoformat()
            if before != now:
                changes.append(FieldChange(str(field.verbose_name).capitalize(),
                                           _shown(field, before), _shown(field, now)))
        corrections.append(Correction(revision, changes))
    return corrections


# Requests about a patient's data ------------------------------------------------------


def open_data_requests(*, actor: Actor) -> list[DataRequest]:
    """The clinic's patients' requests still to answer, the nearest due first (each is due
    a month after it was made)."""
    return list(DataRequest.objects.filter(
        clinic_id=actor.clinic_id, status__in=[RequestStatus.OPEN, RequestStatus.WORKING])
        .order_by("due_on", "id"))


def clinic_data_requests(*, actor: Actor) -> list[DataRequest]:
    """Open requests, then those closed in the last 90 days; a listing of patients,
    audited."""
    since = clock.now() - timedelta(days=90)
    requests = list(DataRequest.objects.filter(clinic_id=actor.clinic_id).filter(
        Q(status__in=[RequestStatus.OPEN, RequestStatus.WORKING]) | Q(created_at__gte=since))
        .select_related("patient", "decided_by").order_by("status", "due_on", "id"))
    audit_listing(actor=actor, action="data_request.list",
                  patient_ids=[r.patient_id for r in requests])
    return requests


def access_data_request(*, actor: Actor, request_id: int) -> DataRequest:
    return clinic_row(DataRequest.objects.select_related("patient"), actor=actor,
                      pk=request_id, missing=_("No such request."),
                      audit_action="data_request.view", object_type="data_request")


def patient_data_requests(*, patient: Patient) -> list[DataRequest]:
    return list(DataRequest.objects.filter(patient=patient).order_by("-created_at")[:10])
