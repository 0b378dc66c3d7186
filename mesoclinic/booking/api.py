"""API of booking: the public search, free times, booking and cancelling (no login), and
the clinic's appointments for staff."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from mesoclinic.booking import gazetteer
from mesoclinic.booking.models import Appointment, WaitlistEntry, WaitlistOffer
from mesoclinic.booking.selectors import (
    access_waitlist_entry,
    appointment_from_token,
    appointment_type_of,
    bookable_members,
    calendar,
    clinic_waitlist,
    free_times,
    manage_token,
    practitioner_for_booking,
    public_clinic,
    search_clinics,
)
from mesoclinic.booking.services import (
    BookingRefused,
    OnlineBookingIn,
    appointment_cancel,
    appointment_status_set,
    online_booking,
    waitlist_leave,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.api import ERRORS, ErrorOut, api_actor
from mesoclinic.core.context import client_ip
from mesoclinic.core.errors import InvalidInput, RowId
from mesoclinic.core.web import FIRST_DAY, LAST_DAY

router = Router(tags=["booking"])

# Dates a search can mean: beyond them the calendar's own arithmetic fails.
CalendarDay = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


class ClinicCardOut(Schema):
    slug: str
    name: str
    city: str
    address: str
    phone: str
    latitude: float | None
    longitude: float | None


class FreeTimeOut(Schema):
    starts_at: datetime
    practitioner: int
    practitioner_name: str


class ResultOut(Schema):
    clinic: ClinicCardOut
    distance_km: float
    next_free: list[FreeTimeOut]


class SearchOut(Schema):
    place: str
    results: list[ResultOut]


class SearchQuery(Schema):
    place: str | None = Field(default=None, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius: float = Field(default=25, gt=0, le=200)
    indication: str | None = None
    date_from: CalendarDay | None = None
    date_to: CalendarDay | None = None


def _free(items: list) -> list[FreeTimeOut]:
    return [FreeTimeOut(starts_at=f.starts_at, practitioner=f.membership.user_id,
                        practitioner_name=f.membership.user.full_name) for f in items]


# Public operations may also answer 429 (too many requests from one address).
LIMITED = {429: ErrorOut}


@router.get("/public/search", auth=None,
            response={200: SearchOut, 400: ErrorOut, **LIMITED},
            summary="Clinics near a place, nearest first, with their next free times")
def search(request: HttpRequest, params: Query[SearchQuery]) -> SearchOut:
    if params.lat is not None and params.lon is not None:
        lat, lon, label = params.lat, params.lon, f"{params.lat:.4f}, {params.lon:.4f}"
    elif params.place:
        place = gazetteer.resolve(params.place)
        if place is None:
            raise InvalidInput("Unknown place: give the nearest city.", field="place")
        lat, lon, label = place.latitude, place.longitude, place.label
    else:
        raise InvalidInput("Give a place or a position (lat, lon).", field="place")
    today = timezone.localdate(clock.now())
    first = max(params.date_from or today, today)
    last = min(params.date_to or first + timedelta(days=59), first + timedelta(days=59))
    results = search_clinics(latitude=lat, longitude=lon, radius_km=params.radius,
                             indication=params.indication, first=first, last=last)
    return SearchOut(place=label, results=[
        ResultOut(clinic=ClinicCardOut.model_validate(r.clinic, from_attributes=True),
                  distance_km=r.distance_km, next_free=_free(r.next_free))
        for r in results])


class SlotsQuery(Schema):
    kind: str = "consultation"
    date_from: CalendarDay | None = None
    days: int = Field(default=7, ge=1, le=31)


@router.get("/public/clinics/{slug}/slots", auth=None,
            response={200: list[FreeTimeOut], **ERRORS, **LIMITED})
def slots(request: HttpRequest, slug: str, params: Query[SlotsQuery]) -> list[FreeTimeOut]:
    clinic = public_clinic(slug=slug)
    appointment_type = appointment_type_of(clinic=clinic, kind=params.kind)
    today = moments.today(clinic)
    first = max(params.date_from or today, today)
    found = free_times(members=list(bookable_members(clinic_ids=[clinic.pk])),
                       appointment_type=appointment_type, first=first,
                       last=first + timedelta(days=params.days - 1)).get(clinic.pk, [])
    return _free(found)


class AppointmentOut(Schema):
    id: int
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    practitioner: int = Field(alias="practitioner_id")


class BookingOut(AppointmentOut):
    manage_token: str

    @staticmethod
    def resolve_manage_token(obj: Appointment) -> str:
        return manage_token(obj)


class RefusedOut(ErrorOut):
    reasons: list[str]
    earliest: date | None


@router.post("/public/clinics/{slug}/appointments", auth=None,
             response={201: BookingOut, 409: RefusedOut | ErrorOut, **ERRORS, **LIMITED},
             summary="Book online: a consultation first; treatment only when the rules allow")
def book(request: HttpRequest, slug: str, payload: OnlineBookingIn) -> Status:
    clinic = public_clinic(slug=slug)
    try:
        return Status(201, online_booking(clinic=clinic, data=payload, ip=client_ip(request)))
    except BookingRefused as refused:
        return Status(409, RefusedOut(detail=refused.message, code=refused.code, field=None,
                                      reasons=refused.reasons, earliest=refused.earliest))


@router.post("/public/appointments/{token}/cancel", auth=None,
             response={200: BookingOut, **ERRORS, **LIMITED})
def cancel(request: HttpRequest, token: str) -> Appointment:
    appointment = appointment_from_token(token)
    return appointment_cancel(appointment=appointment, reason="cancelled through the API",
                              ip=client_ip(request))


class StaffAppointmentOut(AppointmentOut):
    patient: int = Field(alias="patient_id")
    channel: str
    cancelled_by: str = Field(description="patient or clinic; blank unless cancelled")
    cancelled_late: bool = Field(description="cancelled inside the clinic's notice period")


class WarningOut(Schema):
    code: str
    message: str
    source: str


class StaffBookingOut(StaffAppointmentOut):
    warnings: list[WarningOut] = Field(
        default_factory=list, description="The safety rules' warnings at the booked time "
        "(a treatment: interval-long, relative contraindications); blocks answer 409")

    @staticmethod
    def resolve_warnings(obj: Appointment) -> list[dict[str, str]]:
        return [{"code": f.code, "message": f.message, "source": f.source}
                for f in getattr(obj, "safety_warnings", [])]


class CalendarQuery(Schema):
    date_from: CalendarDay | None = None
    days: int = Field(default=7, ge=1, le=62)


@router.get("/appointments", response={200: list[StaffAppointmentOut], **ERRORS},
            summary="The clinic's appointments")
def appointments(request: HttpRequest, params: Query[CalendarQuery]) -> list:
    actor = api_actor(request)
    return calendar(actor=actor, first=params.date_from or moments.today(actor.clinic),
                    days=params.days)


class StaffBookingIn(Schema):
    patient: RowId
    practitioner: RowId = Field(description="The practitioner's user id")
    kind: str = "consultation"
    starts_at: datetime


@router.post("/appointments",
             response={201: StaffBookingOut, 409: RefusedOut | ErrorOut, **ERRORS},
             summary="Book an appointment for a patient of the clinic")
def book_for_patient(request: HttpRequest, payload: StaffBookingIn) -> Status:
    from mesoclinic.booking.services import appointment_book
    from mesoclinic.patients.selectors import access_patient

    actor = api_actor(request)
    patient = access_patient(actor=actor, patient_id=payload.patient, audit_action=None)
    starts_at = moments.given_in_clinic_time(payload.starts_at, actor.clinic)
    membership = practitioner_for_booking(clinic=actor.clinic, user_id=payload.practitioner,
                                          starts_at=starts_at)
    if membership is None:
        raise InvalidInput("Choose a practitioner of this clinic.", field="practitioner")
    try:
        appointment = appointment_book(
            clinic=actor.clinic, membership=membership,
            appointment_type=appointment_type_of(clinic=actor.clinic, kind=payload.kind),
            starts_at=starts_at, patient=patient, channel="api", actor=actor, ip=actor.ip)
    except BookingRefused as refused:
        return Status(409, RefusedOut(detail=refused.message, code=refused.code, field=None,
                                      reasons=refused.reasons, earliest=refused.earliest))
    return Status(201, appointment)


@router.post("/appointments/{int:appointment_id}/cancel",
             response={200: StaffAppointmentOut, **ERRORS})
def cancel_for_patient(request: HttpRequest, appointment_id: int) -> Appointment:
    from mesoclinic.booking.selectors import access_appointment

    actor = api_actor(request)
    return appointment_cancel(appointment=access_appointment(actor=actor,
                                                             appointment_id=appointment_id,
                                                             audit=False),
                              reason="cancelled through the API", actor=actor, ip=actor.ip)


class StatusIn(Schema):
    status: str = Field(description="arrived, in_treatment, completed or no_show")


@router.post("/appointments/{int:appointment_id}/status",
             response={200: StaffAppointmentOut, **ERRORS},
             summary="Move an appointment along its day: arrived, in treatment, completed, "
                     "no-show")
def set_status(request: HttpRequest, appointment_id: int, payload: StatusIn) -> Appointment:
    from mesoclinic.booking.selectors import access_appointment

    actor = api_actor(request)
    return appointment_status_set(
        actor=actor, appointment=access_appointment(actor=actor, appointment_id=appointment_id,
                                                    audit=False), status=payload.status)


# The waiting list ----------------------------------------------------------------------


class WaitlistOfferOut(Schema):
    starts_at: datetime
    expires_at: datetime
    outcome: str


class WaitlistEntryOut(Schema):
    id: int
    patient: int = Field(alias="patient_id")
    appointment: int = Field(alias="appointment_id")
    appointment_starts_at: datetime
    created_at: datetime
    status: str
    offers: list[WaitlistOfferOut]

    @staticmethod
    def resolve_appointment_starts_at(obj: WaitlistEntry) -> datetime:
        return obj.appointment.starts_at

    @staticmethod
    def resolve_offers(obj: WaitlistEntry) -> list[WaitlistOffer]:
        return list(obj.offers.all())


@router.get("/waitlist", response={200: list[WaitlistEntryOut], **ERRORS},
            summary="Who waits for an earlier time, in the order they asked")
def list_waitlist(request: HttpRequest) -> list[WaitlistEntry]:
    return clinic_waitlist(actor=api_actor(request))


@router.post("/waitlist/{int:entry_id}/remove", response={200: WaitlistEntryOut, **ERRORS},
             summary="Take a patient off the waiting list")
def remove_from_waitlist(request: HttpRequest, entry_id: int) -> WaitlistEntry:
    actor = api_actor(request)
    entry = access_waitlist_entry(actor=actor, entry_id=entry_id)
    waitlist_leave(entry=entry, ip=actor.ip, actor=actor)
    entry.refresh_from_db()
    return entry
