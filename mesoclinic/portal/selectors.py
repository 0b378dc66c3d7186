"""What a patient reads in their own space: each clinic's record of them, found by the
address they signed in with, and nothing of anyone else's. Every opening is audited as
staff openings are, with the patient as the one who looked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from mesoclinic.aftercare.models import CheckIn
from mesoclinic.aftercare.selectors import Advice, aftercare_for, checkin_token
from mesoclinic.billing.selectors import Statement, patient_statement
from mesoclinic.booking.models import HOLDING_STATUSES, Appointment
from mesoclinic.booking.selectors import manage_token, patient_waitlist
from mesoclinic.chart.selectors import progress_charts
from mesoclinic.consultation.models import Consent, ConsentKind
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.errors import NotFound
from mesoclinic.courses.models import Session, SessionStatus, TreatmentPlan
from mesoclinic.patients.models import Patient
from mesoclinic.patients.selectors import patient_data_requests
from mesoclinic.portal.services import SELF_SERVICE_CONSENTS, normalised_email
from mesoclinic.safety.rules import NSAID_WASHOUT_DAYS


def own_patients(*, email: str) -> list[Patient]:
    """Each clinic's record of the person with this address, clinic by clinic."""
    return list(Patient.objects.filter(email_key=normalised_email(email))
                .select_related("clinic").order_by("clinic__name", "id"))


def own_patients_shown(*, patients: list[Patient], ip: str | None) -> list[Patient]:
    """The records listed to the patient: each clinic's trail notes it."""
    for patient in patients:
        audit_record(actor=None, clinic=patient.clinic, ip=ip, action="portal.list",
                     object_type="patient", object_id=patient.pk, patient_id=patient.pk,
                     detail={"by": "patient"})
    return patients


def access_own_patient(*, email: str, patient_id: int, audit_action: str | None =
                       "portal.view", ip: str | None = None) -> Patient:
    """One of the signed-in person's records, or not found: another person's record is
    never shown, whatever the address asks for."""
    patient = Patient.objects.filter(pk=patient_id, email_key=normalised_email(email)) \
        .select_related("clinic").first()
    if patient is None:
        raise NotFound(_("No such record."))
    if audit_action:
        audit_record(actor=None, clinic=patient.clinic, ip=ip, action=audit_action,
                     object_type="patient", object_id=patient.pk, patient_id=patient.pk,
                     detail={"by": "patient"})
    return patient


@dataclass(frozen=True)
class OwnAppointment:
    appointment: Appointment
    manage_token: str
    upcoming: bool
    waiting_since: datetime | None = None


@dataclass(frozen=True)
class CourseView:
    plan: TreatmentPlan
    done: int
    left: int
    next_session: Session | None
    stop_nsaids_from: date | None
    stop_nsaids_now: bool
    last_session: Session | None
    aftercare: list[Advice]


@dataclass(frozen=True)
class OwnSpace:
    patient: Patient
    upcoming: list[OwnAppointment]
    past: list[OwnAppointment]
    courses: list[CourseView]
    checkins: list[tuple[CheckIn, str]]
    charts: list[tuple[Any, str]]
    consents: list[Consent]
    consent_choices: list[tuple[str, str, bool]] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)
    account: Statement | None = None


def own_space(*, patient: Patient) -> OwnSpace:
    """Everything the patient's space shows for one clinic."""
    now = clock.now()
    today = moments.today(patient.clinic)
    appointments = list(Appointment.objects.filter(patient=patient)
                        .select_related("type", "practitioner").order_by("starts_at"))
    waiting = patient_waitlist(patient=patient)
    upcoming = [OwnAppointment(a, manage_token(a), True,
                               waiting[a.pk].created_at if a.pk in waiting else None)
                for a in appointments if a.status in HOLDING_STATUSES and a.ends_at >= now]
    past = [OwnAppointment(a, "", False) for a in reversed(appointments)
            if not (a.status in HOLDING_STATUSES and a.ends_at >= now)][:10]
    plans = list(TreatmentPlan.objects.filter(patient=patient, status="active")
                 .select_related("indication", "technique")
                 .annotate(done=Count("sessions", filter=Q(
                     sessions__status=SessionStatus.COMPLETED)))
                 .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by(
                     "scheduled_on", "id"))))
    courses = []
    for plan in plans:
        sessions = list(plan.sessions.all())
        waiting = [s for s in sessions if s.status == SessionStatus.PLANNED]
        finished = [s for s in sessions if s.status == SessionStatus.COMPLETED]
        next_session = waiting[0] if waiting else None
        last = finished[-1] if finished else None
        stop_from = next_session.scheduled_on - timedelta(days=NSAID_WASHOUT_DAYS) \
            if next_session else None
        courses.append(CourseView(
            plan=plan, done=plan.done, left=max(plan.planned_sessions - plan.done, 0),
            next_session=next_session, stop_nsaids_from=stop_from,
            # The clinic's today: the washout is counted in its calendar days.
            stop_nsaids_now=stop_from is not None and stop_from <= today,
            last_session=last, aftercare=aftercare_for(session=last) if last else []))
    checkins = [(c, checkin_token(c)) for c in CheckIn.objects.filter(
        patient=patient, answered_at__isnull=True, due_at__lte=now,
        due_at__gte=now - timedelta(days=14)).order_by("due_at")]
    consents = list(Consent.objects.filter(patient=patient).select_related("text")
                    .order_by("-signed_at"))
    given = {c.kind for c in consents if c.withdrawn_at is None}
    choices = [(kind, ConsentKind(kind).label, kind in given)
               for kind in SELF_SERVICE_CONSENTS]
    return OwnSpace(patient=patient, upcoming=upcoming, past=past, courses=courses,
                    checkins=checkins, charts=progress_charts(patient), consents=consents,
                    consent_choices=choices, requests=patient_data_requests(patient=patient),
                    account=patient_statement(patient=patient))


def own_consent(*, patient: Patient, consent_id: int, ip: str | None) -> Consent:
    """One of the patient's signed consents, taken away as a PDF (audited)."""
    consent = Consent.objects.filter(pk=consent_id, patient=patient) \
        .select_related("text", "patient", "clinic").first()
    if consent is None:
        raise NotFound(_("No such consent."))
    audit_record(actor=None, clinic=patient.clinic, ip=ip, action="consent.export",
                 object_type="consent", object_id=consent.pk, patient_id=patient.pk,
                 detail={"by": "patient"})
    return consent


def own_appointment(*, patient: Patient, appointment_id: int) -> Appointment:
    appointment = Appointment.objects.filter(pk=appointment_id, patient=patient) \
        .select_related("clinic", "patient", "practitioner", "type").first()
    if appointment is None:
        raise NotFound(_("No such appointment."))
    return appointment
