"""Writes of booking: appointments (online, by staff, through the API), cancellation and
moves, confirmation emails with an .ics, reminders, calendar feeds, availability."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from mesoclinic.booking import slots
from mesoclinic.booking.ics import appointment_ics, calendar_uid
from mesoclinic.booking.models import (
    HOLDING_STATUSES,
    NEXT_STATUSES,
    SLOT_MINUTES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AppointmentType,
    CalendarFeed,
    CancelledBy,
    SlotClaim,
    TimeOff,
    TreatmentOffer,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
    WorkingHours,
)
from mesoclinic.booking.selectors import (
    LEAD_TIME,
    manage_token,
    practitioner_for_booking,
    sessions_waiting_for_a_time,
    time_refusal,
)
from mesoclinic.booking.signals import appointment_missed, booked_online
from mesoclinic.catalog.models import Indication
from mesoclinic.consultation.models import IntakeSubmission
from mesoclinic.core import clock, moments, rows
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.countries import currency_of
from mesoclinic.core.errors import Conflict, InvalidInput, MesoclinicError, RowId
from mesoclinic.core.languages import patient_language
from mesoclinic.core.links import derived_key, key_hash
from mesoclinic.core.models import Clinic, Membership
from mesoclinic.core.roles import require_owner
from mesoclinic.core.selectors import clinic_member
from mesoclinic.courses.models import Session
from mesoclinic.courses.selectors import active_course
from mesoclinic.courses.services import plan_lock, session_day_set
from mesoclinic.patients.models import Patient, Sex
from mesoclinic.patients.schemas import BirthDate, Email, Name, Phone
from mesoclinic.patients.search_keys import name_key
from mesoclinic.patients.services import patient_register_online
from mesoclinic.safety import rules
from mesoclinic.safety.selectors import course_checklist


class SlotTaken(Conflict):
    code = "slot-taken"


class BookingRefused(MesoclinicError):
    """The safety rules or the booking rules say no; ``earliest`` says from when."""

    code = "booking-refused"
    status = 409

    def __init__(self, message: str, *, reasons: list[str], earliest: date | None = None):
        super().__init__(message)
        self.reasons = reasons
        self.earliest = earliest


def _aligned(moment: datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % SLOT_MINUTES == 0


def _consulted(patient: Patient) -> bool:
    """Seen before: a consultation that has taken place, or an intake on record."""
    return Appointment.objects.filter(
        patient=patient, kind=AppointmentKind.CONSULTATION, starts_at__lt=clock.now(),
        status__in=[*HOLDING_STATUSES, AppointmentStatus.COMPLETED]).exists() or \
        IntakeSubmission.objects.filter(patient=patient).exists()


def treatment_allowed(*, patient: Patient, membership: Membership, starts_at: datetime
                      ) -> list[rules.Finding]:
    """The same safety rules as at session start, checked for the booked time, course rules
    included. Refuses with the blocks; answers the warnings."""
    plan = active_course(patient=patient)
    if plan is None:
        raise BookingRefused(_("There is no treatment plan yet: book a consultation first."),
                             reasons=["no-plan"])
    checklist = course_checklist(patient=patient, practitioner=membership, at=starts_at,
                                 plan=plan)
    blocking = [f.finding for f in checklist.findings if f.blocking]
    if not blocking:
        return [f.finding for f in checklist.findings
                if f.finding.severity == rules.Severity.WARN]
    dates: list[date] = []
    undated = False
    for finding in blocking:
        if "earliest" in finding.params:
            dates.append(date.fromisoformat(finding.params["earliest"]))
        elif "readable_from" in finding.params:
            # Read the test first, then wait 24 hours before the first session.
            dates.append(datetime.fromisoformat(finding.params["readable_from"]).date()
                         + timedelta(days=2))
        else:
            undated = True
    earliest = max(dates) if dates and not undated else None
    reasons = [f.code for f in blocking]
    if earliest is not None:
        message = _("A treatment session is possible from %(day)s: %(why)s") % {
            "day": moments.day_text(earliest, "longdate"),
            "why": " ".join(f.message for f in blocking)}
    else:
        message = _("A treatment session cannot be booked yet: %(why)s") % {
            "why": " ".join(f.message for f in blocking)}
    raise BookingRefused(message, reasons=reasons, earliest=earliest)


def appointment_check(*, clinic: Clinic, membership: Membership,
                      appointment_type: AppointmentType, starts_at: datetime,
                      patient: Patient | None, channel: str, check_hours: bool = True
                      ) -> list[rules.Finding]:
    """The reads before a booking: the time, the hours, the safety rules. Outside the write
    transaction, so a busy clinic's writers are not held up by them; the slot claims decide
    in the end whatever happened in between. Answers the safety warnings, if any."""
    if membership.clinic_id != clinic.pk or appointment_type.clinic_id != clinic.pk or (
            patient is not None and patient.clinic_id != clinic.pk):
        raise InvalidInput(_("The practitioner, patient and appointment must belong to the "
                             "same clinic."), field="practitioner")
    if not _aligned(starts_at):
        raise InvalidInput(_("Appointments start on the 5-minute grid."), field="starts_at")
    now = clock.now()
    if starts_at < now:
        raise InvalidInput(_("This time has passed."), field="starts_at")
    refusal = time_refusal(
        membership=membership, appointment_type=appointment_type, starts_at=starts_at,
        not_before=now if channel != "online" else now + LEAD_TIME) if check_hours else None
    if refusal is not None:
        raise SlotTaken(refusal, field="starts_at")
    if appointment_type.kind == AppointmentKind.TREATMENT and patient is not None:
        return treatment_allowed(patient=patient, membership=membership, starts_at=starts_at)
    return []


def _course_session_for(*, patient: Patient, day: date) -> Session | None:
    """A treatment booked on its own takes its place in the patient's course: the planned
    session of that day, else the first planned one not yet in the calendar, which moves
    to that day. So the course, the calendar and the timeline tell the same story."""
    waiting = sessions_waiting_for_a_time(patient=patient)
    session = next((s for s in waiting if s.scheduled_on == day), None) or \
        (waiting[0] if waiting else None)
    if session is not None and session.scheduled_on != day:
        session_day_set(session_id=session.pk, day=day)
    return session


@transaction.atomic
def appointment_claim(*, clinic: Clinic, membership: Membership,
                      appointment_type: AppointmentType, starts_at: datetime,
                      patient: Patient, channel: str, actor: Actor | None = None,
                      ip: str | None = None, session: Session | None = None,
                      notify: bool = True, replacing: Appointment | None = None
                      ) -> Appointment:
    """The write: the appointment and its slot claims. A concurrent booking of the same time
    fails in the database, and the whole booking is rolled back. With ``notify``, its
    confirmation and reminders are queued in the same transaction (a course's sessions are
    announced together instead). ``replacing``: the appointment it moves, whose calendar
    event it carries on."""
    if session is None and appointment_type.kind == AppointmentKind.TREATMENT:
        session = _course_session_for(patient=patient,
                                      day=moments.local_day(starts_at, clinic))
    duration = timedelta(minutes=appointment_type.duration_minutes)
    # Every booking writes these rows: inserted without the ORM's compiling (core.rows).
    appointment = rows.insert(Appointment(
        clinic=clinic, practitioner_id=membership.user_id, patient=patient,
        type=appointment_type, kind=appointment_type.kind, starts_at=starts_at,
        ends_at=starts_at + duration, channel=channel, created_at=clock.now(),
        session=session, moved_from=replacing,
        calendar_uid=calendar_uid(replacing) if replacing else "",
        calendar_sequence=replacing.calendar_sequence + 1 if replacing else 0))
    claimed = slots.slots_of(slots.Interval(
        starts_at, starts_at + duration + timedelta(minutes=appointment_type.buffer_minutes)))
    try:
        # Inside a caller's transaction that goes on after a refusal (a course books its
        # other sessions), a savepoint keeps it usable; alone, the booking rolls back whole.
        with transaction.atomic(savepoint=len(connection.atomic_blocks) > 1):
            rows.insert_many([SlotClaim(practitioner_id=membership.user_id, slot=s,
                                        appointment=appointment) for s in claimed])
    except IntegrityError as error:
        raise SlotTaken(_("Someone has just booked this time. Choose another one."),
                        field="starts_at") from error
    audit_record(actor=actor, clinic=clinic, ip=ip, action="appointment.book",
                 object_type="appointment", object_id=appointment.pk, patient_id=patient.pk,
                 detail={"kind": appointment.kind, "starts_at": starts_at.isoformat(),
                         "channel": channel})
    if notify:
        _queue_booking_messages(appointment)
    return appointment


def appointment_book(*, clinic: Clinic, membership: Membership,
                     appointment_type: AppointmentType, starts_at: datetime, patient: Patient,
                     channel: str, actor: Actor | None = None, ip: str | None = None,
                     check_hours: bool = True, replacing: Appointment | None = None
                     ) -> Appointment:
    """Check, then claim. The appointment carries the safety warnings of its time in
    ``safety_warnings`` (not stored: the checklist is run again at the session's start)."""
    warnings = appointment_check(clinic=clinic, membership=membership,
                                 appointment_type=appointment_type, starts_at=starts_at,
                                 patient=patient, channel=channel, check_hours=check_hours)
    appointment = appointment_claim(clinic=clinic, membership=membership,
                                    appointment_type=appointment_type, starts_at=starts_at,
                                    patient=patient, channel=channel, actor=actor, ip=ip,
                                    replacing=replacing)
    appointment.safety_warnings = warnings  # type: ignore[attr-defined]
    return appointment


def _queue_booking_messages(appointment: Appointment) -> None:
    """Queued by the database task backend inside the booking's transaction: a booking
    that commits has its messages, and one rolled back has none."""
    from mesoclinic.booking.tasks import send_confirmation

    send_confirmation.enqueue(appointment.pk)
    queue_reminders(appointment)


def queue_reminders(appointment: Appointment) -> None:
    """The 24-hour reminder, and for a treatment the 7-day one about NSAIDs."""
    from mesoclinic.booking.tasks import send_reminder

    now = clock.now()
    # On the clinic's wall clock: "tomorrow" and "in 7 days" at the same hour, even across
    # a change of clocks.
    local = moments.in_zone(appointment.starts_at, appointment.clinic)
    reminders = [("day-before", local - timedelta(days=1))]
    if appointment.kind == AppointmentKind.TREATMENT:
        reminders.append(("nsaid", local - timedelta(days=7)))
    for kind, when in reminders:
        if when > now:
            send_reminder.using(run_after=when).enqueue(
                appointment.pk, kind, appointment.starts_at.isoformat())


def appointment_types_open(*, clinic: Clinic) -> None:
    """A new clinic's usual four appointment types, in its currency (run when a clinic is
    created: booking.apps)."""
    from mesoclinic.booking.selectors import DEFAULT_TYPES

    AppointmentType.objects.bulk_create(
        [AppointmentType(clinic=clinic, kind=kind, name=str(name), duration_minutes=duration,
                         buffer_minutes=buffer,
                         currency=currency_of(clinic.country))
         for kind, name, duration, buffer in DEFAULT_TYPES], ignore_conflicts=True)


# Online booking ---------------------------------------------------------------------


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Name
    last_name: Name
    date_of_birth: BirthDate
    sex: Sex = Sex.UNKNOWN
    email: Annotated[Email, AfterValidator(lambda v: v or _required_email())]
    phone: Phone = ""


def _required_email() -> str:
    raise ValueError(_("An email address is needed to confirm the booking."))


class OnlineBookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AppointmentKind
    practitioner: RowId = Field(description="The practitioner's user id")
    starts_at: datetime
    person: PersonIn


def _find_patient(clinic: Clinic, person: PersonIn) -> Patient | None:
    return Patient.objects.filter(clinic=clinic, email_key=person.email.lower(),
                                  date_of_birth=person.date_of_birth,
                                  last_key=name_key(person.last_name)).first()


def online_booking(*, clinic: Clinic, data: OnlineBookingIn, ip: str | None) -> Appointment:
    """A patient books from the public pages: a new patient books a consultation first;
    a treatment session is booked only when the safety rules allow it at that time."""
    from mesoclinic.booking.selectors import appointment_type_of

    appointment_type = appointment_type_of(clinic=clinic, kind=data.kind)
    if not appointment_type.bookable_online:
        raise BookingRefused(_("This appointment is booked by phone."), reasons=["offline"])
    starts_at = moments.given_in_clinic_time(data.starts_at, clinic)
    membership = practitioner_for_booking(clinic=clinic, user_id=data.practitioner,
                                          starts_at=starts_at)
    if membership is None:
        raise InvalidInput(_("Choose a practitioner of this clinic."), field="practitioner")
    patient = _find_patient(clinic, data.person)
    new_patient = patient is None or not _consulted(patient)
    if new_patient and data.kind != AppointmentKind.CONSULTATION:
        raise BookingRefused(_("A first visit is a consultation: book one first."),
                             reasons=["consultation-first"])
    appointment_check(clinic=clinic, membership=membership, appointment_type=appointment_type,
                      starts_at=starts_at, patient=patient, channel="online")
    with transaction.atomic():
        if patient is None:
            patient = patient_register_online(clinic=clinic,
                                              data=data.person.model_dump(), ip=ip)
        appointment = appointment_claim(clinic=clinic, membership=membership,
                                        appointment_type=appointment_type,
                                        starts_at=starts_at, patient=patient,
                                        channel="online", ip=ip)
        booked_online.send(sender=Appointment, appointment=appointment)
        return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str = "",
                       actor: Actor | None = None, ip: str | None = None,
                       notify: bool = True, by: str = CancelledBy.PATIENT) -> Appointment:
    """Cancel, free the time, and with ``notify`` queue the patient's email whose .ics
    cancels the event in their calendar (a move or a course sends its own message). Who
    cancelled, and whether inside the clinic's notice period, is kept."""
    # Locked: an appointment is cancelled once, and its slot claims freed once.
    locked = Appointment.objects.select_for_update().select_related("clinic").get(
        pk=appointment.pk)
    if locked.status != AppointmentStatus.BOOKED:
        raise InvalidInput(_("This appointment is not booked any more."), field="status")
    now = clock.now()
    locked.status = AppointmentStatus.CANCELLED
    locked.cancelled_at = now
    locked.cancel_reason = reason.strip()[:300]
    locked.cancelled_by = by
    locked.cancelled_late = locked.starts_at - now < timedelta(
        hours=locked.clinic.cancellation_notice_hours)
    locked.calendar_sequence += 1
    locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "cancelled_by",
                               "cancelled_late", "calendar_sequence"])
    if notify:
        from mesoclinic.booking.tasks import send_cancellation

        send_cancellation.enqueue(locked.pk)
    SlotClaim.objects.filter(appointment=locked).delete()  # the time is free again
    from mesoclinic.booking.tasks import offer_freed_time

    # Queued with the cancellation: the freed time goes to the waiting list.
    offer_freed_time.enqueue(locked.pk)
    audit_record(actor=actor, clinic=locked.clinic, ip=ip, action="appointment.cancel",
                 object_type="appointment", object_id=locked.pk,
                 patient_id=locked.patient_id, detail={
                     "reason": locked.cancel_reason, "by": by, "late": locked.cancelled_late})
    if locked.cancelled_late and by == CancelledBy.PATIENT:
        appointment_missed.send(sender=Appointment, appointment=locked, kind="late_cancel",
                                actor=actor)
    return locked


@transaction.atomic
def appointment_status_set(*, actor: Actor, appointment: Appointment, status: str
                           ) -> Appointment:
    """Move an appointment along its day at the desk: arrived, in treatment, completed, or
    a no-show (which frees its time). Only the next steps of its status are allowed."""
    # Locked: two people at the desk marking one appointment write one after the other.
    locked = Appointment.objects.select_for_update().select_related("clinic").get(
        pk=appointment.pk)
    if status not in NEXT_STATUSES.get(locked.status, ()):
        raise InvalidInput(_("An appointment that is %(now)s cannot become %(next)s.") % {
            "now": locked.get_status_display().lower(),
            "next": str(AppointmentStatus(status).label).lower()
            if status in AppointmentStatus.values else status}, field="status")
    now = clock.now()
    if status == AppointmentStatus.NO_SHOW and now < locked.starts_at:
        raise InvalidInput(_("A no-show is marked once the appointment's time has come."),
                           field="status")
    if status == AppointmentStatus.ARRIVED and \
            moments.local_day(locked.starts_at, locked.clinic) != moments.today(locked.clinic):
        raise InvalidInput(_("A patient arrives on the appointment's day."), field="status")
    before = locked.status
    locked.status = status
    if status == AppointmentStatus.ARRIVED:
        locked.arrived_at = now
    locked.save(update_fields=["status", "arrived_at"])
    if status == AppointmentStatus.NO_SHOW:
        # The time is free again; it has come, so there is no one to offer it to.
        SlotClaim.objects.filter(appointment=locked).delete()
    audit_record(actor=actor, action="appointment.status", object_type="appointment",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"from": before, "to": status})
    if status == AppointmentStatus.NO_SHOW:
        appointment_missed.send(sender=Appointment, appointment=locked, kind="no_show",
                                actor=actor)
    return locked


@transaction.atomic
def appointment_move(*, appointment: Appointment, starts_at: datetime,
                     membership: Membership | None = None, actor: Actor | None = None,
                     ip: str | None = None, channel: str = "staff") -> Appointment:
    """Move (or reschedule) an appointment: a new booking replaces the old one, in one
    transaction, so the old time is kept if the new one is taken."""
    # The journey's lock order: a course session's plan before its appointment.
    plan_id = Appointment.objects.filter(pk=appointment.pk).values_list(
        "session__plan_id", flat=True).first()
    if plan_id is not None:
        plan_lock(plan_id)
    # Locked: one move (or cancellation) of an appointment at a time.
    locked = Appointment.objects.select_for_update().select_related(
        "clinic", "patient", "type").get(pk=appointment.pk)
    if locked.status != AppointmentStatus.BOOKED:
        raise InvalidInput(_("This appointment is not booked any more."), field="status")
    target = membership or clinic_member(clinic_id=locked.clinic_id,
                                         user_id=locked.practitioner_id)
    if target is None:
        raise InvalidInput(_("Choose a practitioner of this clinic."), field="practitioner")
    cancelled = appointment_cancel(appointment=locked, reason=_("moved"), actor=actor, ip=ip,
                                   notify=False, by=CancelledBy.CLINIC)
    if locked.session_id is None:
        return appointment_book(clinic=locked.clinic, membership=target,
                                appointment_type=locked.type, starts_at=starts_at,
                                patient=locked.patient, channel=channel, actor=actor, ip=ip,
                                replacing=cancelled)
    # A course session's appointment: the session moves with it (the checklist runs at its
    # start; the course rules judge the new day there).
    appointment_check(clinic=locked.clinic, membership=target, appointment_type=locked.type,
                      starts_at=starts_at, patient=None, channel=channel)
    moved = appointment_claim(clinic=locked.clinic, membership=target,
                              appointment_type=locked.type, starts_at=starts_at,
                              patient=locked.patient, channel=channel, actor=actor, ip=ip,
                              session=locked.session, replacing=cancelled)
    session_day_set(session_id=locked.session_id,
                    day=moments.local_day(starts_at, locked.clinic))
    return moved


# Emails ------------------------------------------------------------------------------


def _manage_url(appointment: Appointment) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("manage_booking",
                                                   args=[manage_token(appointment)])


def _appointment_email(*, appointment_id: int, status: str, template: str,
                       subject: Callable[[Appointment], str], attachment: str,
                       **context: Callable[[Appointment], Any]) -> bool:
    """One email about one appointment, in the patient's language, with the .ics of its
    calendar event; sent only while the appointment is still in ``status``."""
    appointment = Appointment.objects.select_related(
        "clinic", "patient", "type", "practitioner", "moved_from").get(pk=appointment_id)
    if appointment.status != status or not appointment.patient.email:
        return False
    clinic = appointment.clinic
    with translation.override(patient_language(appointment.patient, clinic)):
        body = render_to_string(template, {
            "appointment": appointment, "clinic": clinic,
            "local": appointment.starts_at.astimezone(clinic.zoneinfo),
            **{name: value(appointment) for name, value in context.items()}})
        message = EmailMessage(subject=subject(appointment), body=body,
                               from_email=settings.DEFAULT_FROM_EMAIL,
                               to=[appointment.patient.email])
        message.attach(attachment, appointment_ics(appointment), "text/calendar")
    message.send()
    return True


def confirmation_send(*, appointment_id: int) -> bool:
    """The booking's confirmation, or for a move the news of the new time; its .ics is the
    same calendar event as before, updated."""
    return _appointment_email(
        appointment_id=appointment_id, status=AppointmentStatus.BOOKED,
        template="booking/confirmation_email.txt", attachment="appointment.ics",
        subject=lambda a: (_("Your appointment at %(clinic)s has moved") if a.moved_from
                           else _("Your appointment at %(clinic)s")) % {
                               "clinic": a.clinic.name},
        before=lambda a: a.moved_from.starts_at.astimezone(a.clinic.zoneinfo)
        if a.moved_from else None,
        manage_url=_manage_url)


def cancellation_send(*, appointment_id: int) -> bool:
    """The patient's word that the appointment is cancelled, with the .ics that removes it
    from their calendar."""
    return _appointment_email(
        appointment_id=appointment_id, status=AppointmentStatus.CANCELLED,
        template="booking/cancellation_email.txt", attachment="cancelled.ics",
        subject=lambda a: _("Your appointment at %(clinic)s is cancelled") % {
            "clinic": a.clinic.name},
        book_url=lambda a: settings.SITE_URL.rstrip("/") + reverse("clinic_page",
                                                                    args=[a.clinic.slug]))


def course_schedule_send(*, appointment_ids: list[int], cancelled_ids: list[int],
                         changed: bool) -> bool:
    """One message for a course's sessions: every date, with an .ics per session (and one
    marked cancelled for each time given up)."""
    wanted = Appointment.objects.select_related("clinic", "patient", "type", "practitioner")
    current = [a for a in wanted.filter(pk__in=appointment_ids).order_by("starts_at")
               if a.status == AppointmentStatus.BOOKED]
    cancelled = list(wanted.filter(pk__in=cancelled_ids).order_by("starts_at"))
    first = (current or cancelled or [None])[0]
    if first is None or not first.patient.email:
        return False
    with translation.override(patient_language(first.patient, first.clinic)):
        body = render_to_string("booking/course_email.txt", {
            "clinic": first.clinic, "patient": first.patient, "appointments": current,
            "cancelled": cancelled, "changed": changed, "manage_url": _manage_url(first)})
        subject = (_("Your treatment sessions at %(clinic)s have changed") if changed else
                   _("Your treatment sessions at %(clinic)s")) % {"clinic": first.clinic.name}
        message = EmailMessage(subject=subject, body=body,
                               from_email=settings.DEFAULT_FROM_EMAIL, to=[first.patient.email])
        for number, appointment in enumerate(current, start=1):
            message.attach(f"session-{number}.ics", appointment_ics(appointment),
                           "text/calendar")
        for number, appointment in enumerate(cancelled, start=1):
            message.attach(f"cancelled-{number}.ics", appointment_ics(appointment),
                           "text/calendar")
    message.send()
    return True


def reminder_send(*, appointment_id: int, kind: str, expected_start: str) -> bool:
    """Sent by the worker; skipped if the appointment was cancelled or moved since."""
    appointment = Appointment.objects.select_related("clinic", "patient", "type").filter(
        pk=appointment_id).first()
    if appointment is None or appointment.status != AppointmentStatus.BOOKED \
            or appointment.starts_at != datetime.fromisoformat(expected_start) \
            or not appointment.patient.email:
        return False
    with translation.override(patient_language(appointment.patient, appointment.clinic)):
        body = render_to_string("booking/reminder_email.txt", {
            "appointment": appointment, "clinic": appointment.clinic, "kind": kind,
            "local": appointment.starts_at.astimezone(appointment.clinic.zoneinfo),
            "manage_url": _manage_url(appointment)})
        subject = _("Stop aspirin and other NSAIDs from today") if kind == "nsaid" else \
            _("Your appointment tomorrow at %(clinic)s") % {"clinic": appointment.clinic.name}
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                 to=[appointment.patient.email]).send()
    return True


# Calendar feeds and availability ------------------------------------------------------


def calendar_feed_issue(*, actor: Actor) -> str:
    """A new secret feed URL key for the actor's own calendar (the old one stops)."""
    key = secrets.token_urlsafe(24)
    CalendarFeed.objects.update_or_create(
        membership=actor.membership,
        defaults={"key_hash": key_hash(key),
                  "created_at": clock.now()})
    audit_record(actor=actor, action="calendar_feed.issue", object_type="membership",
                 object_id=actor.membership.pk)
    return key


@dataclass(frozen=True)
class HoursIn:
    weekday: int
    start: time
    end: time


@transaction.atomic
def working_hours_set(*, actor: Actor, membership: Membership, hours: list[HoursIn]
                      ) -> None:
    require_owner(actor.role)
    if membership.clinic_id != actor.clinic_id:
        raise InvalidInput(_("No such member."), field="membership")
    for h in hours:
        if not 0 <= h.weekday <= 6 or h.start >= h.end:
            raise InvalidInput(_("Each period starts before it ends."), field="hours")
    WorkingHours.objects.filter(membership=membership).delete()
    WorkingHours.objects.bulk_create([WorkingHours(membership=membership, weekday=h.weekday,
                                                   start=h.start, end=h.end) for h in hours])
    audit_record(actor=actor, action="working_hours.set", object_type="membership",
                 object_id=membership.pk, detail={"periods": len(hours)})


@transaction.atomic
def time_off_add(*, actor: Actor, membership: Membership | None, first_day: date,
                 last_day: date, reason: str) -> TimeOff:
    require_owner(actor.role)
    if last_day < first_day:
        raise InvalidInput(_("The last day is before the first."), field="last_day")
    if membership is not None and membership.clinic_id != actor.clinic_id:
        raise InvalidInput(_("No such member."), field="membership")
    time_off = TimeOff.objects.create(clinic_id=actor.clinic_id, membership=membership,
                                      first_day=first_day, last_day=last_day,
                                      reason=reason.strip()[:100])
    audit_record(actor=actor, action="time_off.add", object_type="time_off",
                 object_id=time_off.pk)
    return time_off


@dataclass(frozen=True)
class TypeChange:
    type_id: int
    duration: int
    buffer: int
    price: Decimal | None
    bookable_online: bool


@transaction.atomic
def appointment_types_update(*, actor: Actor, changes: list[TypeChange],
                             offers: dict[int, Decimal | None]) -> None:
    """Durations, buffers and prices of the clinic's appointments, and the treatments it
    offers (with their prices), as the public pages show them."""
    require_owner(actor.role)
    types = {t.pk: t for t in AppointmentType.objects.filter(clinic_id=actor.clinic_id)}
    for change in changes:
        if not (5 <= change.duration <= 240 and 0 <= change.buffer <= 60
                and change.duration % 5 == 0 and change.buffer % 5 == 0):
            raise InvalidInput(_("Durations and buffers are multiples of 5 minutes."),
                               field="duration")
        if change.price is not None and not 0 <= change.price < 100000:
            raise InvalidInput(_("Enter a price."), field="price")
        appointment_type = types.get(change.type_id)
        if appointment_type is None:
            raise InvalidInput(_("No such appointment type."), field="type")
        appointment_type.duration_minutes = change.duration
        appointment_type.buffer_minutes = change.buffer
        appointment_type.price = change.price
        appointment_type.bookable_online = change.bookable_online
        appointment_type.save()
    TreatmentOffer.objects.filter(clinic_id=actor.clinic_id).exclude(
        indication_id__in=list(offers)).delete()
    for indication_id, price in offers.items():
        if not Indication.objects.filter(pk=indication_id).exists():
            raise InvalidInput(_("Choose treatments from the catalogue."), field="offers")
        TreatmentOffer.objects.update_or_create(clinic_id=actor.clinic_id,
                                                indication_id=indication_id,
                                                defaults={"price_from": price})
    audit_record(actor=actor, action="clinic.appointment_types", object_type="clinic",
                 object_id=actor.clinic_id)


@transaction.atomic
def clinic_profile_update(*, actor: Actor, address: str, phone: str, description: str,
                          listed: bool, city: str,
                          position: tuple[float, float] | None = None) -> Clinic:
    """The clinic's public profile; its position comes from the city (offline gazetteer)
    unless given."""
    from mesoclinic.booking.gazetteer import resolve

    require_owner(actor.role)
    # Locked: two owners saving the profile at once write one after the other.
    clinic = Clinic.objects.select_for_update().get(pk=actor.clinic_id)
    clinic.description = description.strip()[:2000]
    clinic.address = address.strip()[:250]
    clinic.phone = phone.strip()[:40]
    clinic.listed = listed
    if position is not None:
        latitude, longitude = position
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise InvalidInput(_("The position is not on Earth."), field="latitude")
        clinic.latitude, clinic.longitude = latitude, longitude
    elif (place := resolve(city.strip()[:100])) is not None:
        clinic.city, clinic.latitude, clinic.longitude = (place.name, place.latitude,
                                                          place.longitude)
    clinic.save()
    audit_record(actor=actor, action="clinic.profile", object_type="clinic",
                 object_id=clinic.pk)
    return clinic


# The waiting list ----------------------------------------------------------------------

WAITLIST_PURPOSE = "waitlist-offer"


def waitlist_offer_key(offer: WaitlistOffer) -> str:
    return derived_key(purpose=WAITLIST_PURPOSE, nonce=offer.nonce)


@transaction.atomic
def waitlist_join(*, appointment: Appointment, ip: str | None, actor: Actor | None = None
                  ) -> WaitlistEntry:
    """The patient would take an earlier time than this appointment, if one frees up."""
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= clock.now():
        raise InvalidInput(_("Only an appointment still to come can be brought forward."),
                           field="appointment")
    entry = WaitlistEntry.objects.filter(appointment=appointment,
                                         status=WaitlistStatus.WAITING).first()
    if entry is not None:
        return entry
    entry = WaitlistEntry.objects.create(clinic_id=appointment.clinic_id,
                                         patient_id=appointment.patient_id,
                                         appointment=appointment, created_at=clock.now())
    audit_record(actor=actor, clinic=appointment.clinic, ip=ip, action="waitlist.join",
                 object_type="waitlist", object_id=entry.pk, patient_id=entry.patient_id)
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, ip: str | None, actor: Actor | None = None
                   ) -> None:
    # Locked: leaving and taking an offered time do not cross.
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.status != WaitlistStatus.WAITING:
        return
    locked.status, locked.closed_at = WaitlistStatus.LEFT, clock.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, clinic=locked.clinic, ip=ip, action="waitlist.leave",
                 object_type="waitlist", object_id=locked.pk, patient_id=locked.patient_id)


def _safety_allows(entry: WaitlistEntry, membership: Membership, starts_at: datetime) -> bool:
    """Whether the rules let this patient have this appointment at that time: the same
    rules as a booking (interval, allergy test, washout, adverse events)."""
    if entry.appointment.kind != AppointmentKind.TREATMENT:
        return True
    try:
        treatment_allowed(patient=entry.patient, membership=membership, starts_at=starts_at)
    except BookingRefused:
        return False
    return True


@transaction.atomic
def waitlist_offer_freed(*, appointment_id: int) -> int:
    """A time has freed (this appointment was cancelled or moved): offer it to the waiting
    patients with a later appointment of the same kind with the same practitioner, in the
    order they asked, when the safety rules allow them that time; each is emailed, and the
    offer is held for them WAITLIST_HOLD. Run by the worker. Answers how many were
    offered it."""
    from mesoclinic.booking.tasks import send_waitlist_offer

    freed = Appointment.objects.select_related("clinic", "type").get(pk=appointment_id)
    now = clock.now()
    if freed.starts_at < now + LEAD_TIME:
        return 0
    membership = clinic_member(clinic_id=freed.clinic_id, user_id=freed.practitioner_id)
    if membership is None or time_refusal(membership=membership,
                                          appointment_type=freed.type,
                                          starts_at=freed.starts_at, not_before=now):
        return 0
    duration = timedelta(minutes=freed.type.duration_minutes + freed.type.buffer_minutes)
    if SlotClaim.objects.filter(practitioner_id=freed.practitioner_id, slot__in=slots.slots_of(
            slots.Interval(freed.starts_at, freed.starts_at + duration))).exists():
        return 0  # taken again already
    waiting = WaitlistEntry.objects.filter(
        clinic_id=freed.clinic_id, status=WaitlistStatus.WAITING,
        appointment__status=AppointmentStatus.BOOKED,
        appointment__practitioner_id=freed.practitioner_id,
        appointment__type_id=freed.type_id, appointment__starts_at__gt=freed.starts_at,
    ).exclude(patient_id=freed.patient_id).select_related("patient", "appointment")
    offered = 0
    for entry in waiting:
        if offered >= settings.WAITLIST_OFFERS_PER_TIME:
            break
        if not _safety_allows(entry, membership, freed.starts_at):
            continue
        nonce = secrets.token_urlsafe(18)
        offer = WaitlistOffer.objects.create(
            entry=entry, practitioner_id=freed.practitioner_id, starts_at=freed.starts_at,
            nonce=nonce, key_hash=key_hash(derived_key(purpose=WAITLIST_PURPOSE,
                                                       nonce=nonce)),
            created_at=now, expires_at=now + settings.WAITLIST_HOLD)
        send_waitlist_offer.enqueue(offer.pk)
        audit_record(actor=None, clinic=freed.clinic, action="waitlist.offer",
                     object_type="waitlist", object_id=entry.pk, patient_id=entry.patient_id,
                     detail={"starts_at": freed.starts_at.isoformat()})
        offered += 1
    return offered


def waitlist_offer_send(*, offer_id: int) -> bool:
    """The offer's email, in the patient's language. Run by the worker."""
    offer = WaitlistOffer.objects.select_related(
        "entry__patient", "entry__appointment__clinic", "practitioner").get(pk=offer_id)
    patient, clinic = offer.entry.patient, offer.entry.appointment.clinic
    if not patient.email or offer.answered_at is not None:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("waitlist_offer",
                                                  args=[waitlist_offer_key(offer)])
    with translation.override(patient_language(patient, clinic)):
        body = render_to_string("booking/waitlist_offer_email.txt", {
            "offer": offer, "clinic": clinic, "url": url, "patient": patient,
            "current": offer.entry.appointment})
        subject = _("An earlier time at %(clinic)s") % {"clinic": clinic.name}
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                 to=[patient.email]).send()
    return True


class OfferGone(MesoclinicError):
    code = "offer-gone"
    status = 410


@transaction.atomic
def waitlist_accept(*, offer: WaitlistOffer, ip: str | None) -> Appointment | None:
    """The patient takes the offered time: their appointment moves to it by the booking
    service itself, so the slot claims decide between two patients who accept at once, and
    the safety rules are judged again as they stand now. None: someone else was first (the
    patient keeps their appointment and their place on the list)."""
    # Locked: one answer per offer.
    locked = WaitlistOffer.objects.select_for_update().select_related(
        "entry__appointment").get(pk=offer.pk)
    now = clock.now()
    entry = locked.entry
    if locked.answered_at is not None or locked.expires_at < now or \
            entry.status != WaitlistStatus.WAITING:
        raise OfferGone(_("This offer has ended: the time was given to someone else, or "
                          "its hold ran out. You are still on the waiting list if you "
                          "were."))
    membership = clinic_member(clinic_id=entry.clinic_id, user_id=locked.practitioner_id)
    if membership is None or not _safety_allows(entry, membership, locked.starts_at):
        raise BookingRefused(_("The treatment rules no longer allow a session at that time; "
                               "your appointment stays as it was."), reasons=["safety"])
    try:
        moved = appointment_move(appointment=entry.appointment, starts_at=locked.starts_at,
                                 membership=membership, ip=ip, channel="online")
    except SlotTaken:
        # The move rolled back to its savepoint: the appointment is as it was.
        locked.answered_at, locked.outcome = now, "taken"
        locked.save(update_fields=["answered_at", "outcome"])
        return None
    locked.answered_at, locked.outcome = now, "booked"
    locked.save(update_fields=["answered_at", "outcome"])
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.BOOKED,
                                                     closed_at=now)
    audit_record(actor=None, clinic=moved.clinic, ip=ip, action="waitlist.accept",
                 object_type="waitlist", object_id=entry.pk, patient_id=entry.patient_id,
                 detail={"starts_at": locked.starts_at.isoformat()})
    return moved
