"""A course lives in the calendar: booking a plan's proposal makes real appointments, the
patient hears of it once with an .ics per session, and moves keep everything in step."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from mesoclinic.booking.course_booking import plan_book, session_reschedule
from mesoclinic.booking.models import Appointment, AppointmentStatus
from mesoclinic.booking.selectors import calendar
from mesoclinic.booking.services import appointment_move
from mesoclinic.core import moments
from mesoclinic.courses.models import Session, SessionStatus
from tests.factories import actor_for, open_clinic_for_booking, ready_patient
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture
def course(personas, catalogue, clock):
    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                practitioner=personas.practitioner)
    patient.email = "camille@example.com"
    patient.save()
    return {"patient": patient, "plan": plan, "lot": lot}


def booked_appointments(plan):
    return list(Appointment.objects.filter(session__plan=plan, status=AppointmentStatus.BOOKED)
                .order_by("starts_at"))


def test_booking_the_proposal_gives_each_session_an_appointment_in_working_hours(
        personas, course):
    actor = actor_for(personas.practitioner)
    booking = plan_book(actor=actor, plan=course["plan"])
    appointments = booked_appointments(course["plan"])
    sessions = list(Session.objects.filter(plan=course["plan"], status=SessionStatus.PLANNED)
                    .order_by("scheduled_on"))
    assert len(appointments) == len(sessions) == 6 == len(booking.booked)
    for session, appointment in zip(sessions, appointments, strict=True):
        local = moments.in_zone(appointment.starts_at, personas.clinic)
        assert appointment.session_id == session.pk
        assert local.date() == session.scheduled_on
        assert 8 <= local.hour < 20
        assert appointment.practitioner_id == personas.practitioner.user_id
        assert appointment.claims.count() > 0
    first = sessions[0].scheduled_on
    in_calendar = calendar(actor=actor, first=first, days=60)
    assert {a.pk for a in appointments} <= {a.pk for a in in_calendar}


def test_booking_twice_changes_nothing_and_tells_the_patient_once(personas, course):
    actor = actor_for(personas.practitioner)
    plan_book(actor=actor, plan=course["plan"])
    before = [(a.pk, a.starts_at) for a in booked_appointments(course["plan"])]
    messages_before = DBTaskResult.objects.filter(
        task_path__endswith="send_course_schedule").count()
    again = plan_book(actor=actor, plan=course["plan"])
    assert not again.changed
    assert [(a.pk, a.starts_at) for a in booked_appointments(course["plan"])] == before
    assert DBTaskResult.objects.filter(
        task_path__endswith="send_course_schedule").count() == messages_before == 1


def test_the_patient_gets_one_email_with_an_ics_per_session_at_the_local_hour(
        personas, course, run_worker):
    plan_book(actor=actor_for(personas.practitioner), plan=course["plan"])
    mail.outbox.clear()
    run_worker()
    course_mails = [m for m in mail.outbox if "treatment sessions" in m.subject]
    assert len(course_mails) == 1
    message = course_mails[0]
    appointments = booked_appointments(course["plan"])
    calendars = [Calendar.from_ical(content) for name, content, _kind in message.attachments
                 if name.startswith("session-")]
    assert len(calendars) == 6
    for appointment, ics in zip(appointments, calendars, strict=True):
        event = next(iter(ics.walk("VEVENT")))
        assert event.decoded("dtstart") == appointment.starts_at
        assert moments.moment_text(appointment.starts_at, personas.clinic, "long",
                                   name_zone=True) in message.body
    nsaid = DBTaskResult.objects.filter(task_path__endswith="send_reminder",
                                        args_kwargs__args__1="nsaid")
    assert nsaid.count() == sum(
        1 for a in appointments if a.starts_at - timedelta(days=7) > course["plan"].created_at)


def test_moving_a_session_moves_its_appointment_and_the_rest_and_tells_once(
        personas, course):
    actor = actor_for(personas.practitioner)
    plan_book(actor=actor, plan=course["plan"])
    sessions = list(Session.objects.filter(plan=course["plan"], status=SessionStatus.PLANNED)
                    .order_by("scheduled_on"))
    to = sessions[0].scheduled_on + timedelta(days=3)
    messages_before = DBTaskResult.objects.filter(
        task_path__endswith="send_course_schedule").count()
    session_reschedule(actor=actor, session=sessions[0], to=to)
    appointments = booked_appointments(course["plan"])
    planned = list(Session.objects.filter(plan=course["plan"], status=SessionStatus.PLANNED)
                   .order_by("scheduled_on"))
    assert planned[0].scheduled_on == to
    assert [moments.local_day(a.starts_at, personas.clinic) for a in appointments] == \
        [s.scheduled_on for s in planned]
    assert all(a.session_id == s.pk for a, s in zip(appointments, planned, strict=True))
    assert DBTaskResult.objects.filter(
        task_path__endswith="send_course_schedule").count() == messages_before + 1


def test_moving_the_appointment_in_the_calendar_moves_its_session(personas, course):
    actor = actor_for(personas.practitioner)
    plan_book(actor=actor, plan=course["plan"])
    appointment = booked_appointments(course["plan"])[0]
    new_start = appointment.starts_at + timedelta(days=1, hours=1)
    moved = appointment_move(appointment=appointment, starts_at=new_start, actor=actor,
                             ip=None)
    assert moved.session_id == appointment.session_id
    session = Session.objects.get(pk=appointment.session_id)
    assert session.scheduled_on == moments.local_day(new_start, personas.clinic)


def test_the_plan_page_books_the_proposal_and_says_when(personas, course, client_as):
    client = client_as(personas.practitioner)
    response = client.post(reverse("plan_book", args=[course["plan"].pk]), follow=True)
    body = response.content.decode()
    assert "6 sessions booked" in body
    first = booked_appointments(course["plan"])[0]
    assert moments.moment_text(first.starts_at, personas.clinic, "short") in body
    again = client.post(reverse("plan_book", args=[course["plan"].pk]), follow=True)
    assert "Nothing to change" in again.content.decode()


@pytest.mark.parametrize("role,status", [("practitioner", 200), ("nurse", 200),
                                         ("reception", 403), ("outsider", 404)])
def test_the_api_books_a_plan_for_clinicians_of_its_clinic(personas, course, client,
                                                           api_headers, role, status):
    response = client.post(f"/api/v1/plans/{course['plan'].pk}/book", "{}",
                           content_type="application/json",
                           **api_headers(personas.of(role)))
    assert response.status_code == status
    if status == 200:
        assert_matches_schema(response, "/api/v1/plans/{plan_id}/book", "post")
        assert len(response.json()["sessions"]) == 6
        assert all(s["appointment"] for s in response.json()["sessions"])


def test_the_api_moves_a_session_with_its_appointment(personas, course, client, api_headers):
    plan_book(actor=actor_for(personas.practitioner), plan=course["plan"])
    first = Session.objects.filter(plan=course["plan"], status=SessionStatus.PLANNED) \
        .order_by("scheduled_on").first()
    to = first.scheduled_on + timedelta(days=2)
    response = client.post(f"/api/v1/sessions/{first.pk}/move",
                           f'{{"scheduled_on": "{to.isoformat()}"}}',
                           content_type="application/json",
                           **api_headers(personas.practitioner))
    assert response.status_code == 200
    assert_matches_schema(response, "/api/v1/sessions/{session_id}/move", "post")
    moved = next(s for s in response.json()["sessions"] if s["session"] == first.pk)
    assert moved["scheduled_on"] == to.isoformat()
    assert moments.local_day(Appointment.objects.get(pk=moved["appointment"]).starts_at,
                             personas.clinic) == to


def test_the_timeline_and_the_plan_page_show_each_session_at_its_booked_time(
        personas, course, client_as):
    plan_book(actor=actor_for(personas.practitioner), plan=course["plan"])
    client = client_as(personas.practitioner)
    timeline = client.get(reverse("timeline", args=[course["patient"].pk])).content.decode()
    plan_page = client.get(reverse("plan_detail", args=[course["plan"].pk])).content.decode()
    for appointment in booked_appointments(course["plan"]):
        when = moments.moment_text(appointment.starts_at, personas.clinic)
        assert when in timeline
        assert f"{moments.moment_text(appointment.starts_at, personas.clinic, 'time')} · " \
            f"{personas.practitioner.user.full_name}" in plan_page
    assert "Appointment: Treatment session" in timeline


def test_booking_a_course_costs_a_fixed_number_of_queries(
        personas, course, client, api_headers, django_assert_num_queries):
    actor = actor_for(personas.practitioner)
    # Six sessions: the practitioner's free times read once for the whole course, then per
    # session the appointment, its slot claims, its audit event and its two reminders.
    with django_assert_num_queries(77):
        plan_book(actor=actor, plan=course["plan"])
    with django_assert_num_queries(12):  # nothing to change
        plan_book(actor=actor, plan=course["plan"])
    headers = api_headers(personas.practitioner)
    with django_assert_num_queries(16):
        client.get(f"/api/v1/patients/{course['patient'].pk}/checklist",
                   {"practitioner": personas.practitioner.user_id, "plan": course["plan"].pk},
                   **headers)


def test_a_treatment_booked_on_its_own_takes_its_place_in_the_course(personas, course):
    from mesoclinic.booking.selectors import appointment_types, free_times
    from mesoclinic.booking.services import appointment_book
    from mesoclinic.courses.services import plan_book_proposed

    actor = actor_for(personas.practitioner)
    first = plan_book_proposed(actor=actor, plan=course["plan"])[0]  # planned, not booked
    treatment = next(t for t in appointment_types(clinic=personas.clinic)
                     if t.kind == "treatment")
    slot = free_times(members=[personas.practitioner], appointment_type=treatment,
                      first=first.scheduled_on, last=first.scheduled_on)[personas.clinic.pk][0]
    booked = appointment_book(clinic=personas.clinic, membership=personas.practitioner,
                              appointment_type=treatment, starts_at=slot.starts_at,
                              patient=course["patient"], channel="staff", actor=actor)
    assert booked.session_id == first.pk
    plan_page_session = Session.objects.get(pk=first.pk)
    assert plan_page_session.scheduled_on == moments.local_day(booked.starts_at,
                                                               personas.clinic)
