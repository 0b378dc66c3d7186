"""Reads of booking: free times, the public search near a place, calendars and feeds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.booking import gazetteer, slots
from mesoclinic.booking.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AppointmentType,
    CalendarFeed,
    TimeOff,
    TreatmentOffer,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
    WorkingHours,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_listing, audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.links import key_hash, link_record_id, link_token
from mesoclinic.core.models import Clinic, Membership, User
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.rows import JoinedRows
from mesoclinic.core.selectors import clinic_row
from mesoclinic.core.timeline import TimelineEntry
from mesoclinic.courses.models import PlanStatus, Session, SessionStatus
from mesoclinic.patients.models import Patient

STEP = timedelta(minutes=15)
LEAD_TIME = timedelta(hours=2)  # online bookings start at least this far ahead

DEFAULT_TYPES = (
    (AppointmentKind.CONSULTATION, gettext_lazy("Consultation"), 30, 10),
    (AppointmentKind.ALLERGY_READ, gettext_lazy("Allergy-test reading"), 15, 5),
    (AppointmentKind.TREATMENT, gettext_lazy("Treatment session"), 30, 10),
    (AppointmentKind.FOLLOW_UP, gettext_lazy("Follow-up"), 15, 5),
)


def appointment_types(*, clinic: Clinic) -> list[AppointmentType]:
    """The clinic's appointment types, in the journey's order (a clinic gets the usual
    four when it opens: booking.services.appointment_types_open)."""
    order = [kind for kind, *_rest in DEFAULT_TYPES]
    return sorted(AppointmentType.objects.filter(clinic=clinic),
                  key=lambda t: order.index(t.kind) if t.kind in order else len(order))


# Every booking reads its type: written out, see core.rows.
_TYPE_ROWS = JoinedRows((AppointmentType, "t"))


def appointment_type_of(*, clinic: Clinic, kind: str) -> AppointmentType:
    found = _TYPE_ROWS.fetch("FROM booking_appointmenttype t WHERE t.clinic_id = %s "
                             "AND t.kind = %s", [clinic.pk, kind])
    if found:
        return found[0][0]
    raise NotFound(_("This clinic does not offer that appointment."), field="type")


def bookable_members(*, clinic_ids: list[int]) -> QuerySet[Membership]:
    return Membership.objects.filter(clinic_id__in=clinic_ids, is_active=True,
                                     role__in=CLINICAL_ROLES,
                                     working_hours__isnull=False).distinct() \
        .select_related("user", "clinic").order_by("user__full_name")


@dataclass(frozen=True)
class FreeTime:
    starts_at: datetime
    membership: Membership


def free_times(*, members: list[Membership],
               appointment_type: AppointmentType | dict[int, AppointmentType], first: date,
               last: date, limit_per_clinic: int | None = None,
               not_before: datetime | None = None) -> dict[int, list[FreeTime]]:
    """Free start times per clinic, earliest first, for the given practitioners; three
    queries whatever their number (hours, time off, appointments). ``appointment_type`` is
    one type, or each clinic's type by clinic id (several clinics at once)."""
    if not members:
        return {}
    types = appointment_type if isinstance(appointment_type, dict) else \
        {m.clinic_id: appointment_type for m in members}
    ids = [m.pk for m in members]
    clinic_ids = {m.clinic_id for m in members}
    hours: dict[int, list[slots.WeeklyHours]] = defaultdict(list)
    for h in WorkingHours.objects.filter(membership_id__in=ids):
        hours[h.membership_id].append(slots.WeeklyHours(h.weekday, h.start, h.end))
    off: dict[int | None, set[date]] = defaultdict(set)
    off_clinic: dict[int, set[date]] = defaultdict(set)
    for t in TimeOff.objects.filter(clinic_id__in=clinic_ids, last_day__gte=first,
                                    first_day__lte=last):
        day = max(t.first_day, first)
        while day <= min(t.last_day, last):
            (off[t.membership_id] if t.membership_id else off_clinic[t.clinic_id]).add(day)
            day += timedelta(days=1)
    # The window is widened by a day each side: time zones differ from UTC.
    busy: dict[int, list[slots.Interval]] = defaultdict(list)
    user_ids = {m.user_id for m in members}
    appointments = Appointment.objects.filter(
        practitioner_id__in=user_ids, status__in=HOLDING_STATUSES,
        starts_at__lt=datetime.combine(last + timedelta(days=2), datetime.min.time(),
                                       ZoneInfo("UTC")),
        ends_at__gt=datetime.combine(first - timedelta(days=1), datetime.min.time(),
                                     ZoneInfo("UTC"))).select_related("type")
    for a in appointments:
        busy[a.practitioner_id].append(slots.Interval(
            a.starts_at, a.ends_at + timedelta(minutes=a.type.buffer_minutes)))
    floor = not_before or (clock.now() + LEAD_TIME)
    per_clinic: dict[int, list[FreeTime]] = defaultdict(list)
    for member in members:
        tz = member.clinic.zoneinfo
        kind = types[member.clinic_id]
        working = slots.windows(first=first, last=last, hours=hours[member.pk],
                                days_off=off[member.pk] | off_clinic[member.clinic_id], tz=tz)
        starts = slots.free_starts(
            working=working, busy=busy[member.user_id],
            duration=timedelta(minutes=kind.duration_minutes),
            buffer=timedelta(minutes=kind.buffer_minutes), step=STEP,
            not_before=floor, limit=limit_per_clinic)
        per_clinic[member.clinic_id].extend(FreeTime(s, member) for s in starts)
    for clinic_id, found in per_clinic.items():
        found.sort(key=lambda f: (f.starts_at, f.membership.user.full_name))
        if limit_per_clinic is not None:
            per_clinic[clinic_id] = found[:limit_per_clinic]
    return per_clinic


@dataclass(frozen=True)
class DayHours:
    """A practitioner's weekly hours falling on one day, and whether it is a day off."""

    day: date
    hours: tuple[slots.WeeklyHours, ...]
    off: bool


# A booking's one read of its practitioner: written out, see core.rows.
_PRACTITIONER_DAY = JoinedRows((Membership, "m"), (User, "u"), (WorkingHours, "h"))
_DAY_OFF = ("EXISTS (SELECT 1 FROM booking_timeoff o WHERE o.clinic_id = m.clinic_id "
            "AND (o.membership_id = m.id OR o.membership_id IS NULL) "
            "AND o.first_day <= %s AND o.last_day >= %s)")


def practitioner_for_booking(*, clinic: Clinic, user_id: int, starts_at: datetime
                             ) -> Membership | None:
    """The clinic's active member with this user id, carrying in ``booking_day`` their
    hours of the booked day (in the clinic's zone) and whether it is a day off: one
    query for all that a booking needs to know of its practitioner."""
    day = starts_at.astimezone(clinic.zoneinfo).date()
    on_day = connection.ops.adapt_datefield_value(day)
    rows = _PRACTITIONER_DAY.fetch(
        f", {_DAY_OFF} FROM core_membership m JOIN core_user u ON u.id = m.user_id "
        "LEFT JOIN booking_workinghours h ON h.membership_id = m.id AND h.weekday = %s "
        "WHERE m.clinic_id = %s AND m.user_id = %s AND m.is_active = %s",
        [on_day, on_day, day.weekday(), clinic.pk, user_id, True])
    if not rows:
        return None
    membership, user, _hours, off = rows[0]
    membership.user, membership.clinic = user, clinic
    membership.booking_day = DayHours(  # type: ignore[attr-defined]
        day=day, off=bool(off),
        hours=tuple(slots.WeeklyHours(h.weekday, h.start, h.end)
                    for _m, _u, h, _off in rows if h is not None))
    return membership


def _day_hours(membership: Membership, day: date) -> DayHours:
    days_off = TimeOff.objects.filter(Q(membership=membership) | Q(membership__isnull=True),
                                      clinic_id=membership.clinic_id, first_day__lte=day,
                                      last_day__gte=day)
    return DayHours(day=day, off=days_off.exists(), hours=tuple(
        slots.WeeklyHours(h.weekday, h.start, h.end)
        for h in WorkingHours.objects.filter(membership=membership, weekday=day.weekday())))


def time_refusal(*, membership: Membership, appointment_type: AppointmentType,
                 starts_at: datetime, not_before: datetime) -> str | None:
    """Why the practitioner's hours do not offer this start, in words — a day off, a day
    they do not work, a time outside their hours or too short for the appointment, too
    soon — or None when they do. Reads the hours the practitioner was loaded with for that
    day, else asks: whether someone holds the time is for the slot claims to say."""
    tz = membership.clinic.zoneinfo
    local = starts_at.astimezone(tz)
    day = local.date()
    known: DayHours | None = getattr(membership, "booking_day", None)
    day_hours = known if known is not None and known.day == day else \
        _day_hours(membership, day)
    who = membership.user.full_name
    if day_hours.off:
        return _("%(who)s is away on %(day)s.") % {"who": who,
                                                   "day": moments.day_text(day, "weekday")}
    if not day_hours.hours:
        return _("%(who)s does not work on %(weekday)s.") % {
            "who": who, "weekday": moments.day_text(day, "weekday")}
    if starts_at < not_before:
        return _("This time is too soon to book online: choose a later one, or call the "
                 "clinic.")
    working = slots.windows(first=day, last=day, hours=list(day_hours.hours), days_off=set(),
                            tz=tz)
    minutes = appointment_type.duration_minutes
    if slots.offers(start=starts_at, working=working, step=STEP, not_before=not_before,
                    duration=timedelta(minutes=minutes)):
        return None
    hours = ", ".join(f"{h.start:%H:%M}–{h.end:%H:%M}" for h in sorted(
        day_hours.hours, key=lambda h: h.start))
    return _("%(who)s works %(hours)s on %(day)s: %(minutes)d minutes from %(time)s do not "
             "fit.") % {"who": who, "hours": hours, "day": moments.day_text(day, "weekday"),
                        "minutes": minutes, "time": f"{local:%H:%M}"}


def time_offered(*, membership: Membership, appointment_type: AppointmentType,
                 starts_at: datetime, not_before: datetime) -> bool:
    return time_refusal(membership=membership, appointment_type=appointment_type,
                        starts_at=starts_at, not_before=not_before) is None


# A treatment booked on its own reads this in its write: written out, see core.rows.
_WAITING_SESSIONS = JoinedRows((Session, "s"))


def sessions_waiting_for_a_time(*, patient: Patient) -> list[Session]:
    """The planned sessions of the patient's active plans that no booked appointment
    holds yet, in course order."""
    found = _WAITING_SESSIONS.fetch(
        "FROM courses_session s JOIN courses_treatmentplan p ON p.id = s.plan_id "
        "WHERE s.patient_id = %s AND p.status = %s AND s.status = %s AND NOT EXISTS "
        "(SELECT 1 FROM booking_appointment a WHERE a.session_id = s.id AND a.status = %s) "
        "ORDER BY s.scheduled_on, s.id",
        [patient.pk, PlanStatus.ACTIVE, SessionStatus.PLANNED, AppointmentStatus.BOOKED])
    return [session for (session,) in found]


# The public search ------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    clinic: Clinic
    distance_km: float
    next_free: list[FreeTime]


def search_clinics(*, latitude: float, longitude: float, radius_km: float,
                   indication: str | None, first: date, last: date, limit: int = 20,
                   slots_per_clinic: int = 3) -> list[SearchResult]:
    """Listed clinics within the radius, nearest first, each with its next free
    consultation times (a new patient books a consultation first)."""
    south, north, west, east = gazetteer.bounding_box(latitude, longitude, radius_km)
    clinics = Clinic.objects.filter(listed=True, latitude__gte=south, latitude__lte=north,
                                    longitude__gte=west, longitude__lte=east)
    if indication:
        clinics = clinics.filter(offers__indication__code=indication)
    near = []
    for clinic in clinics.only("id", "name", "slug", "city", "address", "latitude",
                               "longitude", "timezone", "country", "phone"):
        distance = gazetteer.distance_km(latitude, longitude, clinic.latitude,
                                         clinic.longitude)
        if distance <= radius_km:
            near.append((distance, clinic))
    near.sort(key=lambda pair: (pair[0], pair[1].name))
    near = near[:limit]
    members = list(bookable_members(clinic_ids=[c.pk for _d, c in near]))
    consultation = {t.clinic_id: t for t in AppointmentType.objects.filter(
        clinic_id__in=[c.pk for _d, c in near], kind=AppointmentKind.CONSULTATION)}
    members = [m for m in members if m.clinic_id in consultation]
    free: dict[int, list[FreeTime]] = {}
    # All clinics are asked at once, a week at a time, until each has its next times.
    week_first = first
    while members and week_first <= last:
        week_last = min(week_first + timedelta(days=6), last)
        found = free_times(members=members, appointment_type=consultation, first=week_first,
                           last=week_last, limit_per_clinic=slots_per_clinic)
        free.update({clinic_id: times for clinic_id, times in found.items() if times})
        members = [m for m in members if m.clinic_id not in free]
        week_first = week_last + timedelta(days=1)
    return [SearchResult(clinic, round(distance, 1), free.get(clinic.pk, []))
            for distance, clinic in near]


def working_hours_of(*, members: list[Membership]) -> list[WorkingHours]:
    return list(WorkingHours.objects.filter(membership__in=members).order_by("start"))


def upcoming_time_off(*, clinic: Clinic, since: date | None = None) -> list[TimeOff]:
    """The clinic's time off that has not ended by ``since`` (the clinic's today unless
    given), by first day."""
    return list(TimeOff.objects.filter(clinic=clinic,
                                       last_day__gte=since or moments.today(clinic))
                .select_related("membership__user").order_by("first_day"))


def public_clinic(*, slug: str) -> Clinic:
    clinic = Clinic.objects.filter(slug=slug, listed=True).first()
    if clinic is None:
        raise NotFound(_("No such clinic."))
    return clinic


def clinic_offers(*, clinic: Clinic) -> list[TreatmentOffer]:
    return list(TreatmentOffer.objects.filter(clinic=clinic).select_related("indication")
                .order_by("indication__name"))


# Staff calendars --------------------------------------------------------------------


def session_appointments(*, session_ids: list[int]) -> dict[int, list[Appointment]]:
    """The booked appointments of course sessions, by session: one query."""
    found: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in Appointment.objects.select_related("practitioner").filter(
            session_id__in=session_ids, status=AppointmentStatus.BOOKED).order_by("starts_at"):
        found[appointment.session_id].append(appointment)
    return found


def appointment_timeline(*, patient: Patient) -> list[TimelineEntry]:
    """The patient's appointments as timeline entries, at their times."""
    from django.urls import reverse

    return [TimelineEntry(a.starts_at, "appointment",
                          _("Appointment: %(what)s with %(who)s") % {
                              "what": a.type.name, "who": a.practitioner.full_name},
                          a.get_status_display(),
                          reverse("staff_appointment", args=[a.pk]))
            for a in Appointment.objects.filter(patient=patient).exclude(
                status=AppointmentStatus.CANCELLED).select_related("type", "practitioner")]


def access_appointment(*, actor: Actor, appointment_id: int, audit: bool = True
                       ) -> Appointment:
    return clinic_row(Appointment.objects.select_related("patient", "type", "practitioner",
                                                        "clinic"),
                      actor=actor, pk=appointment_id, missing=_("No such appointment."),
                      audit_action="appointment.view" if audit else None,
                      object_type="appointment")


def calendar(*, actor: Actor, first: date, days: int) -> list[Appointment]:
    """The clinic's appointments of those days; the read names every patient shown."""
    tz = actor.clinic.zoneinfo
    start = datetime.combine(first, datetime.min.time(), tz)
    end = start + timedelta(days=days)
    found = list(Appointment.objects.filter(clinic_id=actor.clinic_id, starts_at__gte=start,
                                            starts_at__lt=end)
                 .exclude(status=AppointmentStatus.CANCELLED)
                 .select_related("patient", "type", "practitioner").order_by("starts_at"))
    audit_listing(actor=actor, action="calendar.view",
                  patient_ids=[a.patient_id for a in found])
    return found


def feed_membership(*, key: str) -> Membership | None:
    feed = CalendarFeed.objects.select_related("membership__user", "membership__clinic") \
        .filter(key_hash=key_hash(key)).first()
    if feed is None or not feed.membership.is_active:
        return None
    return feed.membership


def feed_appointments(*, membership: Membership) -> list[Appointment]:
    """The practitioner's appointments for their calendar app; the read is audited as
    theirs (initials only leave, but they are still patients' appointments)."""
    since = clock.now() - timedelta(days=30)
    found = list(Appointment.objects.filter(
        Q(status__in=HOLDING_STATUSES) | Q(status=AppointmentStatus.COMPLETED),
        practitioner_id=membership.user_id, clinic_id=membership.clinic_id,
        starts_at__gte=since).select_related("type", "clinic", "patient")
        .order_by("starts_at"))
    if found:
        audit_listing(actor=None, clinic=membership.clinic, user=membership.user,
                      action="calendar_feed.read", patient_ids=[a.patient_id for a in found])
    return found


# Links to manage a booking --------------------------------------------------------------

MANAGE_SALT = "mesoclinic.appointment"


def manage_token(appointment: Appointment) -> str:
    return link_token(salt=MANAGE_SALT, field="a", record_id=appointment.pk)


def appointment_from_token(token: str, *, opened_from: str | None = None) -> Appointment:
    """The appointment a link names, while it has not passed; with ``opened_from`` (an
    address), its holder reads the appointment: audited."""
    appointment = Appointment.objects.select_related("clinic", "patient", "type",
                                                     "practitioner").filter(
        pk=link_record_id(token, salt=MANAGE_SALT, field="a")).first()
    if appointment is None:
        raise NotFound(_("This link is not valid."))
    if appointment.ends_at < clock.now():
        raise NotFound(_("This appointment has passed: the link no longer opens. Call the "
                         "clinic for anything about it."))
    if opened_from is not None:
        audit_record(actor=None, clinic=appointment.clinic, ip=opened_from,
                     action="appointment.open", object_type="appointment",
                     object_id=appointment.pk, patient_id=appointment.patient_id)
    return appointment


# The waiting list ----------------------------------------------------------------------


def waitlist_offer_from_key(key: str, *, opened_from: str | None = None) -> WaitlistOffer:
    """The offer an emailed link names; opened by its holder (``opened_from``): audited."""
    offer = WaitlistOffer.objects.select_related(
        "entry__patient", "entry__appointment__clinic", "entry__appointment__type",
        "practitioner").filter(key_hash=key_hash(key)).first()
    if offer is None:
        raise NotFound(_("This link is not valid."))
    if opened_from is not None:
        entry = offer.entry
        audit_record(actor=None, clinic=entry.appointment.clinic, ip=opened_from,
                     action="waitlist.offer_open", object_type="waitlist",
                     object_id=entry.pk, patient_id=entry.patient_id)
    return offer


def clinic_waitlist(*, actor: Actor) -> list[WaitlistEntry]:
    """Who waits for an earlier time, in the order they asked, with the offers made;
    shown to the desk (a listing of those patients, audited)."""
    entries = list(WaitlistEntry.objects.filter(clinic_id=actor.clinic_id,
                                                status=WaitlistStatus.WAITING)
                   .select_related("patient", "appointment__type",
                                   "appointment__practitioner")
                   .prefetch_related("offers").order_by("created_at", "id"))
    audit_listing(actor=actor, action="waitlist.list", patient_ids=[e.patient_id
                                                                    for e in entries])
    return entries


def access_waitlist_entry(*, actor: Actor, entry_id: int) -> WaitlistEntry:
    return clinic_row(WaitlistEntry.objects.select_related("patient"), actor=actor,
                      pk=entry_id, missing=_("No such waiting-list entry."))


def patient_waitlist(*, patient: Patient) -> dict[int, WaitlistEntry]:
    """The patient's waiting entries, by the appointment they would bring forward."""
    return {e.appointment_id: e for e in WaitlistEntry.objects.filter(
        patient=patient, status=WaitlistStatus.WAITING)}
