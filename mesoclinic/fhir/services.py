"""Writes through FHIR: booking an Appointment, by the same booking service as the desk,
the online booking and /api/v1/, with the same safety rules and slot claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from pydantic import ValidationError

from mesoclinic.booking.models import AppointmentKind
from mesoclinic.booking.selectors import appointment_type_of, practitioner_for_booking
from mesoclinic.booking.services import appointment_book
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.fhir.codes import ours
from mesoclinic.fhir.selectors import KINDS, reference_id
from mesoclinic.patients.selectors import access_patient

BOOKABLE_STATUSES = ("proposed", "booked")


def _validated(body: dict[str, Any]) -> Any:
    from fhir.resources.R4B.appointment import Appointment as FhirAppointment

    if body.get("resourceType") != "Appointment":
        raise InvalidInput(_("Send an Appointment resource."), field="resourceType")
    try:
        return FhirAppointment.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(_("The Appointment is not valid FHIR at %(where)s: %(why)s")
                           % {"where": where, "why": first["msg"]}, field=where) from error


def _kind(appointment: Any) -> str:
    for concept in appointment.serviceType or []:
        for coding in concept.coding or []:
            if coding.system == ours("appointment-kind"):
                if coding.code not in AppointmentKind.values:
                    raise InvalidInput(_("Unknown appointment kind: %(code)s.")
                                       % {"code": coding.code}, field="serviceType")
                return str(coding.code)
    return AppointmentKind.CONSULTATION


def fhir_appointment_book(*, actor: Actor, body: dict[str, Any]) -> Any:
    """A proposed (or booked) Appointment for a patient and a practitioner of the clinic,
    booked as the desk books it. Refusals are the booking service's own."""
    appointment = _validated(body)
    if appointment.status not in BOOKABLE_STATUSES:
        raise InvalidInput(_("Send the Appointment as proposed or booked."), field="status")
    if appointment.start is None:
        raise InvalidInput(_("Give the Appointment its start."), field="start")
    patient_ref = practitioner_ref = None
    for participant in appointment.participant:
        reference = participant.actor.reference if participant.actor else None
        if reference and reference.startswith("Patient/"):
            patient_ref = reference
        elif reference and reference.startswith(("Practitioner/", "PractitionerRole/")):
            practitioner_ref = reference.replace("PractitionerRole/", "Practitioner/")
    if patient_ref is None or practitioner_ref is None:
        raise InvalidInput(_("Name the patient and the practitioner among the participants."),
                           field="participant")
    patient = access_patient(actor=actor, patient_id=reference_id(patient_ref, "Patient"),
                             audit_action=None)
    member_id = reference_id(practitioner_ref, "Practitioner")
    starts_at: datetime = moments.given_in_clinic_time(appointment.start, actor.clinic)
    member = KINDS["Practitioner"].rows(actor).filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("No such Practitioner."), field="participant")
    membership = practitioner_for_booking(clinic=actor.clinic, user_id=member.user_id,
                                          starts_at=starts_at)
    if membership is None:
        raise InvalidInput(_("Choose a practitioner of this clinic who sees patients."),
                           field="participant")
    return appointment_book(
        clinic=actor.clinic, membership=membership,
        appointment_type=appointment_type_of(clinic=actor.clinic, kind=_kind(appointment)),
        starts_at=starts_at, patient=patient, channel="api", actor=actor, ip=actor.ip)
