"""A course in the calendar: each planned session of a plan holds a real appointment (a
practitioner, a time inside working hours, slot claims), and the two move together.

The course's writes (``courses.services``) decide the days; this module gives each day its
appointment, in the same transaction, and queues one message to the patient for the whole
change, with an .ics per session, and each session's reminders.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from mesoclinic.booking.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    SlotClaim,
)
from mesoclinic.booking.selectors import FreeTime, appointment_type_of, free_times
from mesoclinic.booking.services import (
    SlotTaken,
    appointment_cancel,
    appointment_claim,
    queue_reminders,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput
from mesoclinic.core.models import Membership
from mesoclinic.core.roles import may_be_qualified
from mesoclinic.core.selectors import clinic_member
from mesoclinic.courses.models import Session, SessionStatus, TreatmentPlan
from mesoclinic.courses.services import (
    ScheduleChanges,
    plan_schedule_align,
    session_mark_missed,
    session_move,
)

# How far past its proposed day a session may shift when that day has no free time; the
# sessions after it shift as much, so the course's intervals are kept.
SHIFT_DAYS = 14


@dataclass
class CourseBooking:
    """What booking (or re-planning) a course did, as the page and the API report it."""

    booked: list[Appointment] = field(default_factory=list)    # new or moved appointments
    kept: list[Appointment] = field(default_factory=list)
    cancelled: list[Appointment] = field(default_factory=list)
    shifts: list[str] = field(default_factory=list)            # why a day moved
    unbooked: list[Session] = field(default_factory=list)      # no free time found
    sessions: list[Session] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.booked or self.cancelled or self.unbooked)


def course_practitioner(*, actor: Actor, plan: TreatmentPlan,
                        chosen: Membership | None = None) -> Membership:
    """Who sees the patient: the one chosen, else the acting clinician, else the plan's
    author, if they may treat."""
    if chosen is not None:
        if chosen.clinic_id != actor.clinic_id or not chosen.is_active:
            raise InvalidInput(_("Choose a practitioner of this clinic."), field="practitioner")
        return chosen
    if may_be_qualified(actor.role):
        return actor.membership
    author = clinic_member(clinic_id=plan.clinic_id, user_id=plan.created_by_id)
    if author is None:
        raise InvalidInput(_("Choose the practitioner who will see the patient."),
                           field="practitioner")
    return author


def _booked(session_ids: list[int]) -> dict[int, Appointment]:
    return {a.session_id: a for a in Appointment.objects.select_related(
        "clinic", "patient", "type").filter(session_id__in=session_ids,
                                            status=AppointmentStatus.BOOKED)}


def _claim_day(*, actor: Actor, membership: Membership, session: Session,
               treatment: AppointmentType, free: list[FreeTime]) -> Appointment | None:
    """The first of the day's free times that can still be claimed for the session."""
    for option in free:
        try:
            appointment = appointment_claim(
                clinic=actor.clinic, membership=membership, appointment_type=treatment,
                starts_at=option.starts_at, patient=session.patient, channel="staff",
                actor=actor, ip=actor.ip, session=session, notify=False)
        except SlotTaken:
            continue  # taken between the read and the claim: the next free time
        return appointment
    return None


def _free_by_day(*, actor: Actor, membership: Membership, treatment: AppointmentType,
                 days: list[date], now: datetime) -> dict[date, list[FreeTime]]:
    """The practitioner's free times over the whole course at once (three queries), by
    clinic day; the window reaches past the last day by as far as sessions may shift."""
    if not days:
        return {}
    free = free_times(members=[membership], appointment_type=treatment, first=min(days),
                      last=max(days) + timedelta(days=2 * SHIFT_DAYS), not_before=now)
    by_day: dict[date, list[FreeTime]] = defaultdict(list)
    for option in free.get(actor.clinic_id, []):
        by_day[moments.local_day(option.starts_at, actor.clinic)].append(option)
    return by_day


def _sync(*, actor: Actor, membership: Membership, changes: ScheduleChanges) -> CourseBooking:
    """Give every planned session an appointment on its day, cancel those of cancelled
    sessions, and queue the patient's message and reminders."""
    result = CourseBooking()
    now = clock.now()
    sessions = changes.sessions
    existing = _booked([s.pk for s in [*sessions, *changes.cancelled]])
    treatment = appointment_type_of(clinic=actor.clinic, kind=AppointmentKind.TREATMENT)
    free = _free_by_day(actor=actor, membership=membership, treatment=treatment,
                        days=[s.scheduled_on for s in sessions
                              if s.pk not in existing
                              or moments.local_day(existing[s.pk].starts_at, actor.clinic)
                              != s.scheduled_on],
                        now=now)
    for session in changes.cancelled:
        if (appointment := existing.get(session.pk)) is not None:
            result.cancelled.append(appointment_cancel(
                appointment=appointment, reason=_("course re-planned"), actor=actor,
                ip=actor.ip, notify=False, by=CancelledBy.CLINIC))
    shift = timedelta()
    for session in sessions:
        appointment = existing.get(session.pk)
        held = moments.local_day(appointment.starts_at, actor.clinic) if appointment else None
        wanted = session.scheduled_on + shift
        booked_day, claimed = None, None
        # The first day from the wanted one that has a time: the one already held, else a
        # free one. Its old appointment is cancelled only once the new time is claimed.
        for extra in range(SHIFT_DAYS + 1):
            day = wanted + timedelta(days=extra)
            if day == held:
                booked_day = day
                break
            claimed = _claim_day(actor=actor, membership=membership, session=session,
                                 treatment=treatment, free=free.get(day, []))
            if claimed is not None:
                booked_day = day
                break
        if booked_day is None:
            result.unbooked.append(session)
            continue
        if claimed is None:
            result.kept.append(appointment)
        else:
            if appointment is not None:
                result.cancelled.append(appointment_cancel(
                    appointment=appointment, reason=_("moved"), actor=actor, ip=actor.ip,
                    notify=False, by=CancelledBy.CLINIC))
            queue_reminders(claimed)
            result.booked.append(claimed)
        if booked_day != wanted:
            result.shifts.append(
                _("%(from)s has no free time for %(who)s: the session is on %(to)s, and the "
                  "sessions after it move as much.") % {
                    "from": moments.day_text(wanted, "longdate"),
                    "who": membership.user.full_name,
                    "to": moments.day_text(booked_day, "longdate")})
            shift += booked_day - wanted
        if booked_day != session.scheduled_on:
            Session.objects.filter(pk=session.pk, status=SessionStatus.PLANNED).update(
                scheduled_on=booked_day)
            session.scheduled_on = booked_day
    result.sessions = sessions
    if result.booked or result.cancelled:
        _queue_course_message(actor=actor, sessions=sessions, result=result)
    return result


def _queue_course_message(*, actor: Actor, sessions: list[Session],
                          result: CourseBooking) -> None:
    """One message for the whole change, queued in the write's own transaction."""
    from mesoclinic.booking.tasks import send_course_schedule

    current = [a.pk for a in sorted([*result.kept, *result.booked],
                                    key=lambda a: a.starts_at)]
    send_course_schedule.enqueue(current, [a.pk for a in result.cancelled],
                                 bool(result.cancelled))
    audit_record(actor=actor, action="course.notify", object_type="plan",
                 object_id=sessions[0].plan_id if sessions else None,
                 patient_id=sessions[0].patient_id if sessions else None,
                 detail={"appointments": current,
                         "cancelled": [a.pk for a in result.cancelled]})


@transaction.atomic
def plan_book(*, actor: Actor, plan: TreatmentPlan,
              practitioner: Membership | None = None) -> CourseBooking:
    """Book the plan's proposal into the calendar. Doing it twice changes nothing; after a
    missed or moved session it moves or cancels what the re-plan changed."""
    membership = course_practitioner(actor=actor, plan=plan, chosen=practitioner)
    changes = plan_schedule_align(actor=actor, plan=plan)
    return _sync(actor=actor, membership=membership, changes=changes)


@transaction.atomic
def session_reschedule(*, actor: Actor, session: Session, to: date,
                       practitioner: Membership | None = None) -> CourseBooking:
    """Move a planned session to another day with its appointment; the following sessions
    are re-planned from it, their appointments with them, and the patient is told once."""
    membership = course_practitioner(actor=actor, plan=session.plan, chosen=practitioner)
    changes = session_move(actor=actor, session=session, to=to)
    return _sync(actor=actor, membership=membership, changes=changes)


@transaction.atomic
def session_missed(*, actor: Actor, session: Session) -> Session:
    """A missed session: its appointment becomes a no-show and frees its time."""
    missed = session_mark_missed(actor=actor, session=session)  # locks plan, then session
    # Then its appointments (the journey's lock order): each becomes a no-show once.
    for appointment in Appointment.objects.select_for_update().filter(
            session_id=session.pk, status=AppointmentStatus.BOOKED):
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.NO_SHOW)
        SlotClaim.objects.filter(appointment=appointment).delete()
        audit_record(actor=actor, action="appointment.no_show", object_type="appointment",
                     object_id=appointment.pk, patient_id=appointment.patient_id)
    return missed
