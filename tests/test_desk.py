"""The appointment's day at the desk: arrived, in treatment, completed or a no-show; who
cancelled and whether late; the desk page, for every role, and the same through the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from mesoclinic.booking.models import Appointment, SlotClaim
from mesoclinic.booking.services import appointment_cancel, appointment_status_set
from mesoclinic.core.errors import InvalidInput
from tests.factories import actor_for, book_consultation, open_clinic_for_booking
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.usefixtures("catalogue", "database_tasks")


@pytest.fixture
def today(personas, clock):
    """A consultation later today (clinic time), with the clock an hour before it."""
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                                    days_ahead=1)
    clock.current = appointment.starts_at - timedelta(hours=1)
    return appointment


def test_an_appointment_goes_arrived_in_treatment_completed_and_keeps_its_time(
        personas, today):
    actor = actor_for(personas.reception)
    for status in ("arrived", "in_treatment", "completed"):
        appointment_status_set(actor=actor, appointment=today, status=status)
    today.refresh_from_db()
    assert today.status == "completed" and today.arrived_at is not None
    assert SlotClaim.objects.filter(appointment=today).exists()


def test_a_no_show_is_marked_once_its_time_has_come_and_frees_it(personas, today, clock):
    actor = actor_for(personas.reception)
    with pytest.raises(InvalidInput, match="once the appointment's time has come"):
        appointment_status_set(actor=actor, appointment=today, status="no_show")
    clock.advance(hours=1, minutes=10)
    appointment_status_set(actor=actor, appointment=today, status="no_show")
    assert not SlotClaim.objects.filter(appointment=today).exists()
    with pytest.raises(InvalidInput, match="cannot become arrived"):
        appointment_status_set(actor=actor, appointment=today, status="arrived")


def test_a_cancellation_keeps_who_cancelled_and_whether_it_was_late(personas, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    early = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                              days_ahead=3)
    late = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                             days_ahead=1)
    clock.current = late.starts_at - timedelta(hours=5)  # inside the 24-hour notice
    appointment_cancel(appointment=late)
    appointment_cancel(appointment=early, by="clinic", actor=actor_for(personas.owner))
    late.refresh_from_db()
    early.refresh_from_db()
    assert (late.cancelled_by, late.cancelled_late) == ("patient", True)
    assert (early.cancelled_by, early.cancelled_late) == ("clinic", False)


@pytest.mark.parametrize("role", ["reception", "nurse", "practitioner", "owner"])
def test_every_role_marks_an_arrival_at_the_desk(client_as, personas, today, role):
    client = client_as(personas.of(role))
    page = client.get("/desk/").content.decode()
    assert today.patient.full_name in page and "Arrived" in page
    client.post(f"/appointments/{today.pk}/status/", {"status": "arrived"})
    today.refresh_from_db()
    assert today.status == "arrived"


def test_another_clinic_cannot_see_or_mark_the_appointment(client_as, personas, today):
    client = client_as(personas.outsider)
    assert today.patient.full_name not in client.get("/desk/").content.decode()
    assert client.post(f"/appointments/{today.pk}/status/",
                       {"status": "arrived"}).status_code == 404
    today.refresh_from_db()
    assert today.status == "booked"


def test_reception_lands_on_the_desk(client_as, personas):
    assert client_as(personas.reception).get("/").url == "/desk/"


def test_the_api_moves_an_appointment_along_with_the_same_rules(
        client, personas, today, api_headers):
    headers = api_headers(personas.reception)
    url = f"/api/v1/appointments/{today.pk}/status"
    arrived = client.post(url, json.dumps({"status": "arrived"}),
                          content_type="application/json", **headers)
    assert arrived.status_code == 200 and arrived.json()["status"] == "arrived"
    assert_matches_schema(arrived, "/api/v1/appointments/{appointment_id}/status", "post")
    refused = client.post(url, json.dumps({"status": "booked"}),
                          content_type="application/json", **headers)
    assert refused.status_code == 400 and refused.json()["field"] == "status"
    other = client.post(url, json.dumps({"status": "completed"}),
                        content_type="application/json", **api_headers(personas.outsider))
    assert other.status_code == 404
    assert Appointment.objects.get(pk=today.pk).status == "arrived"


def test_a_refused_move_says_why_in_words(personas, clock):
    from datetime import time as clock_time

    from mesoclinic.booking.services import (
        HoursIn,
        appointment_move,
        time_off_add,
        working_hours_set,
    )
    from mesoclinic.core import moments
    from mesoclinic.core.errors import MesoclinicError

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    owner = actor_for(personas.owner)
    # Mondays to Fridays, 9:00–17:00 only.
    working_hours_set(actor=owner, membership=personas.practitioner,
                      hours=[HoursIn(d, clock_time(9), clock_time(17)) for d in range(5)])
    appointment = next(a for a in [book_consultation(
        clinic=personas.clinic, member=personas.practitioner, days_ahead=n) for n in (1, 2, 3)]
        if moments.local_day(a.starts_at, personas.clinic).weekday() < 5)
    today = moments.today(personas.clinic)
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
    tz = personas.clinic.zoneinfo

    def refusal(day, hour, minute=0):
        from datetime import datetime

        with pytest.raises(MesoclinicError) as refused:
            appointment_move(appointment=appointment, actor=owner,
                             starts_at=datetime(day.year, day.month, day.day, hour, minute,
                                                tzinfo=tz))
        return refused.value.message

    name = personas.practitioner.user.full_name
    assert refusal(sunday, 10) == f"{name} does not work on {moments.day_text(sunday, 'weekday')}."
    monday = sunday + timedelta(days=1)
    assert refusal(monday, 16, 45).startswith(f"{name} works 09:00–17:00 on ")
    time_off_add(actor=owner, membership=personas.practitioner, first_day=monday,
                 last_day=monday, reason="Congress")
    assert refusal(monday, 10) == f"{name} is away on {moments.day_text(monday, 'weekday')}."


def _statements(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def test_the_desk_the_status_step_and_the_public_clinic_page_cost_the_same_whatever_the_day(
        client, client_as, personas, clock, api_headers):
    """Exact statements, the same with one appointment today and with three (no query per
    row); the public page the same with one practitioner and with two."""
    import json

    from mesoclinic.core import moments

    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    booked = [book_consultation(clinic=personas.clinic, member=member, days_ahead=1)
              for member in (personas.practitioner, personas.nurse, personas.practitioner)]
    clock.current = min(a.starts_at for a in booked) - timedelta(hours=1)
    assert moments.local_day(booked[0].starts_at, personas.clinic) == \
        moments.today(personas.clinic)
    desk = client_as(personas.reception)
    desk.get("/")  # a session's first page also reads the user's second factor
    costs = {"desk": _statements(lambda: desk.get("/desk/"))}
    from mesoclinic.booking.services import appointment_cancel

    appointment_cancel(appointment=booked[2])
    appointment_cancel(appointment=booked[1])
    costs["desk, one left"] = _statements(lambda: desk.get("/desk/"))
    costs["arrived"] = _statements(lambda: desk.post(
        f"/appointments/{booked[0].pk}/status/", {"status": "arrived"}))
    headers = api_headers(personas.reception)
    costs["api in treatment"] = _statements(lambda: client.post(
        f"/api/v1/appointments/{booked[0].pk}/status",
        json.dumps({"status": "in_treatment"}), content_type="application/json", **headers))
    public = client.get  # the public page, anonymous
    costs["clinic page"] = _statements(lambda: public(f"/clinics/{personas.clinic.slug}/"))
    costs["clinic page, one practitioner"] = _statements(lambda: public(
        f"/clinics/{personas.clinic.slug}/", {"practitioner": personas.nurse.user_id}))
    open_clinic_for_booking(personas.clinic, personas.owner)  # a third practitioner
    costs["clinic page, three practitioners"] = _statements(
        lambda: public(f"/clinics/{personas.clinic.slug}/"))
    assert costs["desk"] == costs["desk, one left"]
    assert costs["clinic page"] == costs["clinic page, three practitioners"]
    # The desk reads the day's deposits still due in one statement of its own.
    assert costs == {"desk": 10, "desk, one left": 10, "arrived": 12, "api in treatment": 7,
                     "clinic page": 14, "clinic page, one practitioner": 15,
                     "clinic page, three practitioners": 14}, costs


def test_who_cancelled_and_whether_late_is_on_the_page_and_in_the_api(
        client, client_as, personas, clock, api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                                    days_ahead=1)
    clock.current = appointment.starts_at - timedelta(hours=3)
    reception = client_as(personas.reception)
    reception.post(f"/appointments/{appointment.pk}/", {"action": "cancel", "by": "clinic",
                                                       "reason": "Practitioner ill"})
    page = reception.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Cancelled by the clinic on" in page and "late: inside the cancellation notice" in page
    appointment.refresh_from_db()
    # The API answers the same facts for a cancellation made through it (by the patient,
    # who rang the desk, and early).
    other = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                              days_ahead=3)
    answer = client.post(f"/api/v1/appointments/{other.pk}/cancel",
                         **api_headers(personas.reception))
    assert_matches_schema(answer, "/api/v1/appointments/{appointment_id}/cancel", "post")
    assert (answer.json()["cancelled_by"], answer.json()["cancelled_late"]) == ("patient",
                                                                                False)
    assert (appointment.cancelled_by, appointment.cancelled_late) == ("clinic", True)
