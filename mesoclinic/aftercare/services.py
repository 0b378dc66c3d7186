"""Writes of aftercare: finishing a session (instructions, check-ins), answering a check-in,
recording, updating and reviewing adverse events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mesoclinic.aftercare.escalation import CHECKIN_SCHEDULE, escalation_reasons
from mesoclinic.aftercare.models import AdverseEvent, CheckIn, ClinicAftercare, Outcome, Severity
from mesoclinic.aftercare.selectors import aftercare_for, checkin_token, event_facts
from mesoclinic.catalog.models import AftercareAdvice, SideEffect
from mesoclinic.catalog.selectors import catalogue_entry
from mesoclinic.consultation.models import PhotoView
from mesoclinic.consultation.services import photo_add_for_patient
from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import Forbidden, InvalidInput, NotFound, RowId
from mesoclinic.core.languages import patient_language, staff_language
from mesoclinic.core.models import Membership, Role
from mesoclinic.core.roles import require_clinician, require_owner
from mesoclinic.courses.models import Session
from mesoclinic.courses.schemas import SessionCompleteIn
from mesoclinic.courses.services import session_complete
from mesoclinic.inventory.models import Lot
from mesoclinic.patients.models import Patient

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class CheckInAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeling: str = Field(pattern=r"^(fine|symptoms)$")
    symptoms: list[str] = Field(default_factory=list, max_length=20)
    severity: Severity | None = None
    notes: Text = ""


class AdverseEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    side_effect: str = Field(max_length=60)
    session: RowId | None = None
    onset_at: datetime
    severity: Severity
    serious: bool = False
    outcome: Outcome = Outcome.ONGOING
    resolved_at: datetime | None = None
    description: Text = ""


class AdverseEventUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: Severity | None = None
    outcome: Outcome | None = None
    resolved_at: datetime | None = None


# Finishing a session ----------------------------------------------------------------


def session_finish(*, actor: Actor, session: Session, data: SessionCompleteIn) -> Session:
    """Complete the session, then give the aftercare instructions and schedule the
    check-ins (day 1, 3, 7; weeks 2, 6, 12) on the task worker."""
    from mesoclinic.aftercare.tasks import send_aftercare_email, send_checkin

    with transaction.atomic():
        session = session_complete(actor=actor, session=session, data=data)
        checkins = CheckIn.objects.bulk_create([
            CheckIn(clinic_id=session.clinic_id, patient_id=session.patient_id,
                    session=session, label=label,
                    due_at=session.ended_at + timedelta(hours=hours))
            for label, hours in CHECKIN_SCHEDULE])

        # Queued in the session's own transaction (the task queue is a table of the same
        # database): a completed session always has its messages, a rolled-back one none.
        send_aftercare_email.enqueue(session.pk)
        for checkin in checkins:
            send_checkin.using(run_after=checkin.due_at).enqueue(checkin.pk)
    return session


def aftercare_pdf(*, session: Session) -> bytes:
    from weasyprint import HTML

    # The patient's instructions: in the patient's language, whoever prints them.
    with translation.override(patient_language(session.patient, session.clinic)):
        html = render_to_string("aftercare/aftercare_pdf.html", {
            "session": session, "patient": session.patient, "clinic": session.clinic,
            "advice": aftercare_for(session=session)})
    return HTML(string=html).write_pdf()


def aftercare_email_send(*, session_id: int) -> bool:
    session = Session.objects.select_related("patient", "clinic", "plan").get(pk=session_id)
    patient = session.patient
    if not patient.email:
        return False
    with translation.override(patient_language(patient, session.clinic)):
        body = render_to_string("aftercare/aftercare_email.txt", {
            "patient": patient, "clinic": session.clinic,
            "advice": aftercare_for(session=session)})
        message = EmailMessage(
            subject=_("Your aftercare — %(clinic)s") % {"clinic": session.clinic.name},
            body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[patient.email])
        message.attach(f"aftercare-{session.pk}.pdf", aftercare_pdf(session=session),
                       "application/pdf")
    message.send()
    audit_record(actor=None, clinic=session.clinic, action="aftercare.email",
                 object_type="session", object_id=session.pk, patient_id=patient.pk)
    return True


@transaction.atomic
def clinic_aftercare_save(*, actor: Actor, key: str, title: str, body: str) -> ClinicAftercare:
    require_owner(actor.role)
    advice = AftercareAdvice.objects.filter(key=key).first()
    if advice is None:
        raise NotFound(_("No such advice."), field="key")
    title, body = title.strip(), body.strip()
    if not title or len(title) > 150 or not body or len(body) > 10000:
        raise InvalidInput(_("Give a title and a text."), field="body")
    own, _created = ClinicAftercare.objects.update_or_create(
        clinic_id=actor.clinic_id, key=key,
        defaults={"indication": advice.indication, "technique": advice.technique,
                  "title": title, "body": body, "updated_at": clock.now(),
                  "updated_by": actor.user})
    audit_record(actor=actor, action="aftercare.edit", object_type="aftercare",
                 object_id=own.pk, detail={"key": key})
    return own


# Check-ins --------------------------------------------------------------------------


def checkin_send(*, checkin_id: int) -> bool:
    """Email the check-in's link, once. Run by the worker when the check-in is due."""
    with transaction.atomic():
        # Locked: a retried task sends the check-in's email once.
        checkin = CheckIn.objects.select_for_update().select_related(
            "patient", "clinic").filter(pk=checkin_id).first()
        if checkin is None or checkin.sent_at is not None or checkin.answered_at is not None:
            return False
        patient = checkin.patient
        if not patient.email:
            return False
        link = settings.SITE_URL.rstrip("/") + reverse("public_checkin",
                                                       args=[checkin_token(checkin)])
        with translation.override(patient_language(patient, checkin.clinic)):
            body = render_to_string("aftercare/checkin_email.txt", {
                "patient": patient, "clinic": checkin.clinic, "checkin": checkin,
                "link": link})
            subject = _("How are you after your session? — %(clinic)s") % {
                "clinic": checkin.clinic.name}
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=[patient.email]).send()
        checkin.sent_at = clock.now()
        checkin.save(update_fields=["sent_at"])
    return True


def _session_lots(session: Session | None) -> list[Lot]:
    if session is None:
        return []
    return list(Lot.objects.filter(injections__session=session).distinct())


@transaction.atomic
def checkin_answer(*, checkin: CheckIn, data: CheckInAnswerIn, photo: bytes | None,
                   ip: str | None) -> CheckIn:
    """The patient's answer. Each symptom becomes an adverse event linked to the session and
    the lots injected, unless one of the same kind is already open for that session."""
    # Locked: a check-in is answered once, whoever submits twice at the same time.
    locked = CheckIn.objects.select_for_update().select_related(
        "session__plan", "patient", "clinic").get(pk=checkin.pk)
    if locked.answered_at is not None:
        raise InvalidInput(_("This check-in has already been answered. Thank you."),
                           field="feeling")
    effects = {e.code: e for e in SideEffect.objects.filter(code__in=data.symptoms)}
    if data.feeling == "symptoms":
        if not data.symptoms:
            raise InvalidInput(_("Tick the symptoms you have."), field="symptoms")
        if len(effects) != len(set(data.symptoms)):
            raise InvalidInput(_("Choose symptoms from the list."), field="symptoms")
        if data.severity is None:
            raise InvalidInput(_("Say how bad it is."), field="severity")
    now = clock.now()
    session = locked.session
    if photo:
        area = session.plan.body_areas.first()
        locked.photo = photo_add_for_patient(
            patient=locked.patient, body_area_code=area.code if area else "face",
            view=PhotoView.CLOSEUP, raw=photo, kind="checkin", uploaded_by=None)
    locked.answered_at = now
    locked.feeling = data.feeling
    locked.severity = data.severity or ""
    locked.symptoms = sorted(effects)
    locked.notes = data.notes
    locked.save()
    lots = _session_lots(session)
    onset = session.ended_at or session.started_at or now
    reported = []
    for code, effect in effects.items():
        already = AdverseEvent.objects.select_related("side_effect").filter(
            session=session, side_effect=effect, resolved_at__isnull=True).first()
        if already is not None:
            reported.append(already)
            continue
        event = AdverseEvent.objects.create(
            clinic_id=locked.clinic_id, patient_id=locked.patient_id, session=session,
            side_effect=effect, onset_at=onset, severity=data.severity,
            serious=effect.seriousness == "serious", checkin=locked,
            description=data.notes, created_at=now)
        event.lots.set(lots)
        reported.append(event)
        audit_record(actor=None, clinic=locked.clinic, ip=ip, action="adverse_event.create",
                     object_type="adverse_event", object_id=event.pk,
                     patient_id=locked.patient_id, detail={"side_effect": code,
                                                           "source": "checkin"})
    from mesoclinic.aftercare.tasks import send_checkin_alert

    if any(escalation_reasons(event_facts(event), now) for event in reported):
        locked.urgent = True
        locked.save(update_fields=["urgent"])
        # Queued with the answer itself: an urgent answer always reaches the clinic.
        send_checkin_alert.enqueue(locked.pk)
    audit_record(actor=None, clinic=locked.clinic, ip=ip, action="checkin.answer",
                 object_type="checkin", object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"feeling": data.feeling, "symptoms": locked.symptoms,
                         "urgent": locked.urgent})
    return locked


def checkin_alert_send(*, checkin_id: int) -> int:
    """Email an urgent check-in answer to the session's practitioner and the clinic's
    owners, each in their language; answers how many were emailed. Run by the worker."""
    checkin = CheckIn.objects.select_related("patient", "clinic", "session__practitioner") \
        .get(pk=checkin_id)
    clinic = checkin.clinic
    people = {m.user.email: m.user for m in Membership.objects.select_related("user").filter(
        clinic=clinic, is_active=True, role=Role.OWNER)}
    practitioner = checkin.session.practitioner
    if practitioner is not None:
        people[practitioner.email] = practitioner
    record = settings.SITE_URL.rstrip("/") + reverse("patient_detail",
                                                     args=[checkin.patient_id])
    events = list(AdverseEvent.objects.select_related("side_effect").filter(checkin=checkin))
    for email, user in people.items():
        with translation.override(staff_language(user, clinic)):
            subject = _("Urgent check-in answer: %(patient)s") % {
                "patient": checkin.patient.full_name}
            body = render_to_string("aftercare/checkin_alert_email.txt", {
                "checkin": checkin, "patient": checkin.patient, "clinic": clinic,
                "events": events, "record": record})
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=[email]).send()
    audit_record(actor=None, clinic=clinic, action="checkin.alert", object_type="checkin",
                 object_id=checkin.pk, patient_id=checkin.patient_id,
                 detail={"emailed": len(people)})
    return len(people)


# Adverse events ---------------------------------------------------------------------


@transaction.atomic
def adverse_event_record(*, actor: Actor, patient: Patient, data: AdverseEventIn
                         ) -> AdverseEvent:
    require_clinician(actor.role)
    effect = catalogue_entry(SideEffect, data.side_effect)
    if effect is None:
        raise InvalidInput(_("Choose a side effect from the catalogue."), field="side_effect")
    session = None
    if data.session is not None:
        session = Session.objects.filter(pk=data.session, patient=patient).first()
        if session is None:
            raise NotFound(_("No such session for this patient."), field="session")
    if data.onset_at > clock.now():
        raise InvalidInput(_("The onset cannot be in the future."), field="onset_at")
    if data.resolved_at is not None and data.resolved_at < data.onset_at:
        raise InvalidInput(_("It cannot resolve before it began."), field="resolved_at")
    event = AdverseEvent.objects.create(
        clinic_id=actor.clinic_id, patient=patient, session=session, side_effect=effect,
        onset_at=data.onset_at, severity=data.severity,
        serious=data.serious or effect.seriousness == "serious", outcome=data.outcome,
        resolved_at=data.resolved_at, description=data.description, recorded_by=actor.user,
        created_at=clock.now())
    event.lots.set(_session_lots(session))
    audit_record(actor=actor, action="adverse_event.create", object_type="adverse_event",
                 object_id=event.pk, patient_id=patient.pk,
                 detail={"side_effect": effect.code, "severity": data.severity})
    return event


@transaction.atomic
def adverse_event_update(*, actor: Actor, event: AdverseEvent, data: AdverseEventUpdateIn
                         ) -> AdverseEvent:
    require_clinician(actor.role)
    # Locked: two clinicians updating one event write one after the other.
    locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if data.severity is not None:
        locked.severity = data.severity
    if data.outcome is not None:
        locked.outcome = data.outcome
    if data.resolved_at is not None:
        if data.resolved_at < locked.onset_at:
            raise InvalidInput(_("It cannot resolve before it began."), field="resolved_at")
        locked.resolved_at = data.resolved_at
    if locked.outcome in (Outcome.RESOLVED, Outcome.SEQUELAE) and locked.resolved_at is None:
        locked.resolved_at = clock.now()
    locked.save()
    audit_record(actor=actor, action="adverse_event.update", object_type="adverse_event",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"outcome": locked.outcome, "severity": locked.severity})
    return locked


@transaction.atomic
def adverse_event_review(*, actor: Actor, event: AdverseEvent, note: str) -> AdverseEvent:
    """A practitioner's review lifts the block on the next session."""
    if actor.role != Role.PRACTITIONER:
        raise Forbidden(_("Only a practitioner reviews an adverse event."))
    note = note.strip()
    if len(note) < 10:
        raise InvalidInput(_("Write what you decided (at least 10 characters)."),
                           field="note")
    # Locked: an event is reviewed once.
    locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    locked.reviewed_by = actor.user
    locked.reviewed_at = clock.now()
    locked.review_note = note[:2000]
    locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(actor=actor, action="adverse_event.review", object_type="adverse_event",
                 object_id=locked.pk, patient_id=locked.patient_id)
    return locked

