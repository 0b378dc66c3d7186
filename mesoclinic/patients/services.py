"""Writes for patients: register and correct, each audited, nothing ever lost."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Conflict, Forbidden, InvalidInput
from mesoclinic.core.models import Clinic
from mesoclinic.core.roles import sees_medical_details
from mesoclinic.patients import search_keys
from mesoclinic.patients.models import Patient, PatientRevision
from mesoclinic.patients.schemas import MEDICAL_FIELDS, PatientChanges, PatientIn
from mesoclinic.patients.selectors import patient_possible_duplicates

RECORD_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "language",
    "fitzpatrick_type",
    "notes",
)


class PossibleDuplicate(Conflict):
    code = "possible-duplicate"

    def __init__(self, duplicates: list[Patient]):
        super().__init__(
            _("A patient with this name and date of birth is already registered. "
              "Check the existing record, or confirm that this is a different person.")
        )
        self.duplicates = duplicates


def _refresh_search_keys(patient: Patient) -> None:
    patient.first_key = search_keys.name_key(patient.first_name)
    patient.last_key = search_keys.name_key(patient.last_name)
    patient.phone_key = search_keys.phone_key(patient.phone)
    patient.email_key = patient.email.lower()


def _check_medical_fields_allowed(actor: Actor, given: dict[str, Any]) -> None:
    touched = {name for name in MEDICAL_FIELDS if given.get(name) not in (None, "")}
    if touched and not sees_medical_details(actor.role):
        raise Forbidden(_("Reception staff cannot record medical details."))


@transaction.atomic
def patient_create(*, actor: Actor, data: PatientIn) -> Patient:
    values = data.model_dump(exclude={"allow_duplicate"})
    _check_medical_fields_allowed(actor, values)
    if not data.allow_duplicate:
        duplicates = patient_possible_duplicates(
            actor=actor,
            first_name=data.first_name,
            last_name=data.last_name,
            date_of_birth=data.date_of_birth,
        )
        if duplicates:
            raise PossibleDuplicate(duplicates)
    patient = Patient(clinic_id=actor.clinic_id, created_by=actor.user, **values)
    _refresh_search_keys(patient)
    patient.save(force_insert=True)
    audit_record(
        actor=actor,
        action="patient.create",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"duplicate_confirmed": data.allow_duplicate},
    )
    return patient


def _snapshot(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in RECORD_FIELDS}


@transaction.atomic
def patient_update(*, actor: Actor, patient: Patient, changes: PatientChanges) -> Patient:
    given = {name: getattr(changes, name) for name in changes.model_fields_set}
    _check_medical_fields_allowed(actor, given)
    for required in ("first_name", "last_name", "date_of_birth", "sex"):
        if required in given and given[required] is None:
            raise InvalidInput(_("This field cannot be emptied."), field=required)
    # Locked so that two people correcting the record at once produce two versions, in
    # order, rather than one silently overwriting the other.
    locked = Patient.objects.select_for_update().get(pk=patient.pk, clinic_id=actor.clinic_id)
    before = _snapshot(locked)
    # A text field sent as null is emptied; only the skin type is truly nullable.
    wanted = {
        name: ("" if value is None and name != "fitzpatrick_type" else value)
        for name, value in given.items()
    }
    changed = sorted(name for name, value in wanted.items() if value != before[name])
    if not changed:
        return locked
    PatientRevision.objects.create(
        patient=locked,
        clinic_id=locked.clinic_id,
        version=locked.version,
        data={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in before.items()},
        replaced_by=actor.user,
    )
    for name in changed:
        setattr(locked, name, wanted[name])
    locked.version += 1
    locked.updated_at = clock.now()
    _refresh_search_keys(locked)
    locked.save()
    audit_record(
        actor=actor,
        action="patient.update",
        object_type="patient",
        object_id=locked.pk,
        patient_id=locked.pk,
        detail={"fields": changed, "version": locked.version},
    )
    return locked


@transaction.atomic
def patient_register_online(*, clinic: Clinic, data: dict[str, Any], ip: str | None) -> Patient:
    """A person booking their first consultation online becomes a patient of the clinic;
    they give identity and contact only."""
    values = {k: data[k] for k in ("first_name", "last_name", "date_of_birth", "sex",
                                   "phone", "email")}
    # They booked in the language the page spoke: what they will be written to in.
    patient = Patient(clinic=clinic, created_by=None, language=translation.get_language(),
                      **values)
    _refresh_search_keys(patient)
    patient.save(force_insert=True)
    audit_record(actor=None, clinic=clinic, ip=ip, action="patient.create",
                 object_type="patient", object_id=patient.pk, patient_id=patient.pk,
                 detail={"channel": "online"})
    return patient
