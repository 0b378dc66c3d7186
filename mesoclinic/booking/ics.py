"""iCalendar (RFC 5545) for a confirmation and for a practitioner's feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from mesoclinic.booking.models import Appointment, AppointmentStatus


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//mesoclinic//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(appointment: Appointment, *, for_patient: bool) -> Event:
    event = Event()
    clinic = appointment.clinic
    event.add("uid", calendar_uid(appointment))
    event.add("sequence", appointment.calendar_sequence)
    event.add("dtstamp", appointment.cancelled_at or appointment.created_at)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    if for_patient:
        event.add("summary", f"{appointment.type.name} — {clinic.name}")
    else:
        # A practitioner's feed may end up on a phone: initials only, no medical detail.
        patient = appointment.patient
        event.add("summary", f"{appointment.type.name} — {patient.first_name[:1]}. "
                             f"{patient.last_name[:1]}.")
    event.add("location", f"{clinic.name}, {clinic.address}".strip(", "))
    event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED
              else "CONFIRMED")
    if for_patient:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", appointment.type.name)
        alarm.add("trigger", timedelta(hours=-2))
        event.add_component(alarm)
    return event


def calendar_uid(appointment: Appointment) -> str:
    return appointment.calendar_uid or f"appointment-{appointment.pk}@mesoclinic"


def appointment_ics(appointment: Appointment) -> bytes:
    """The patient's invitation: REQUEST for a booked (or moved) time, CANCEL for one given
    up; a calendar matches it to the event it has by UID and keeps the higher SEQUENCE."""
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    calendar = _calendar(appointment.clinic.name)
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = _event(appointment, for_patient=True)
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(appointment.clinic.name)
    event.add("organizer", organizer)
    if appointment.patient.email:
        attendee = vCalAddress(f"mailto:{appointment.patient.email}")
        attendee.params["cn"] = vText(appointment.patient.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()


def feed_ics(name: str, appointments: Iterable[Appointment]) -> bytes:
    calendar = _calendar(name)
    for appointment in appointments:
        calendar.add_component(_event(appointment, for_patient=False))
    return calendar.to_ical()
