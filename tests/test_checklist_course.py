"""The checklist with the facts a real day brings: a last dose with its time, or none; the
course's own rules wherever the checklist is asked; the warnings of a booked treatment."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tasks_db.models import DBTaskResult

from mesoclinic.booking.selectors import appointment_types
from mesoclinic.booking.services import appointment_book
from mesoclinic.core import moments
from mesoclinic.courses.models import SessionStatus
from mesoclinic.courses.schemas import SessionCompleteIn
from mesoclinic.courses.services import plan_book_proposed, session_complete, session_start
from tests.factories import actor_for, make_patient, open_clinic_for_booking, ready_patient
from tests.openapi import assert_matches_schema

CHECKLIST = "/api/v1/patients/{patient_id}/checklist"


pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture
def course(personas, catalogue, clock):
    patient, product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                practitioner=personas.practitioner)
    return {"patient": patient, "product": product, "plan": plan}


def first_session_done(personas, plan, clock):
    """The course's first session, given on its day at 10:00 in the clinic."""
    actor = actor_for(personas.practitioner)
    first = plan_book_proposed(actor=actor, plan=plan)[0]
    clock.current = moments.local_midnight(first.scheduled_on, personas.clinic) + \
        timedelta(hours=10)
    session_complete(actor=actor, session=session_start(actor=actor, session=first),
                     data=SessionCompleteIn())
    return first


def record_intake(client, personas, api_headers, patient, medications):
    return client.post(f"/api/v1/patients/{patient.pk}/intakes",
                       json.dumps({"medications": medications}),
                       content_type="application/json", **api_headers(personas.practitioner))


def checklist(client, personas, api_headers, patient, **params):
    return client.get(f"/api/v1/patients/{patient.pk}/checklist",
                      {"practitioner": personas.practitioner.user_id, **params},
                      **api_headers(personas.practitioner))


def washout(response) -> dict:
    return next(f for f in response.json()["findings"] if f["code"] == "nsaid-washout")


def test_a_last_dose_with_its_time_blocks_until_exactly_7_days_later(
        client, personas, api_headers, course, clock):
    patient = course["patient"]
    zone = personas.clinic.zoneinfo
    dose = (moments.in_zone(clock.now(), zone) - timedelta(days=2)).replace(
        second=0, microsecond=0)
    recorded = record_intake(client, personas, api_headers, patient, [
        {"name": "Ibuprofen", "drug_class": "nsaid",
         "last_dose": dose.replace(tzinfo=None).isoformat(timespec="minutes")}])
    assert recorded.status_code == 201
    earliest = dose + timedelta(days=7)
    before = checklist(client, personas, api_headers, patient,
                       at=(earliest - timedelta(minutes=1)).isoformat())
    assert_matches_schema(before, CHECKLIST, "get")
    assert moments.moment_text(earliest, zone, name_zone=True) in washout(before)["message"]
    after = checklist(client, personas, api_headers, patient, at=earliest.isoformat())
    assert "nsaid-washout" not in {f["code"] for f in after.json()["findings"]}


def test_an_nsaid_without_a_date_blocks_as_current_use_and_asks_for_it(
        client, personas, api_headers, course):
    patient = course["patient"]
    record_intake(client, personas, api_headers, patient,
                  [{"name": "Aspirin 100 mg", "drug_class": "aspirin"}])
    response = checklist(client, personas, api_headers, patient)
    finding = washout(response)
    assert finding["severity"] == "block"
    assert "Aspirin 100 mg is recorded without a last dose" in finding["message"]
    assert response.json()["passes"] is False


def test_the_intake_refuses_a_last_dose_in_the_future(client, personas, api_headers, course,
                                                      clock):
    tomorrow = moments.in_zone(clock.now(), personas.clinic) + timedelta(days=1)
    response = record_intake(client, personas, api_headers, course["patient"], [
        {"name": "Ibuprofen", "drug_class": "nsaid",
         "last_dose": tomorrow.replace(tzinfo=None).isoformat(timespec="minutes")}])
    assert response.status_code == 422
    assert "in the future" in response.content.decode()


def test_the_checklist_of_a_plan_applies_the_course_rules(client, personas, api_headers,
                                                           course, clock):
    plan, patient = course["plan"], course["patient"]
    first_session_done(personas, plan, clock)
    three_days_on = clock.now() + timedelta(days=3)
    without = checklist(client, personas, api_headers, patient,
                        products=[course["product"].pk], at=three_days_on.isoformat())
    with_plan = checklist(client, personas, api_headers, patient, plan=plan.pk,
                          at=three_days_on.isoformat())
    assert "interval-too-short" not in {f["code"] for f in without.json()["findings"]}
    assert "interval-too-short" in {f["code"] for f in with_plan.json()["findings"]}
    later = plan.sessions.filter(status=SessionStatus.PLANNED).order_by("scheduled_on")[0]
    of_session = checklist(client, personas, api_headers, patient, session=later.pk,
                           at=(clock.now() + timedelta(days=12)).isoformat())
    assert "interval-long" in {f["code"] for f in of_session.json()["findings"]}
    other = make_patient(clinic=personas.clinic)
    wrong = checklist(client, personas, api_headers, other, plan=plan.pk)
    assert (wrong.status_code, wrong.json()["field"]) == (404, "plan")


def test_the_checklist_page_offers_the_patient_s_plans(personas, course, client_as):
    client = client_as(personas.practitioner)
    page = client.get(f"/patients/{course['patient'].pk}/checklist/",
                      {"plan": course["plan"].pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<option value="{course["plan"].pk}" selected>' in body


def test_booking_a_treatment_answers_the_warnings(personas, course, client, api_headers,
                                                  clock):
    plan, patient = course["plan"], course["patient"]
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    first = first_session_done(personas, plan, clock)
    fourteen_days_on = datetime.combine(first.scheduled_on + timedelta(days=14), time(11),
                                        tzinfo=personas.clinic.zoneinfo)
    response = client.post("/api/v1/appointments", json.dumps({
        "patient": patient.pk, "practitioner": personas.practitioner.user_id,
        "kind": "treatment", "starts_at": fourteen_days_on.isoformat()}),
        content_type="application/json", **api_headers(personas.practitioner))
    assert response.status_code == 201
    assert_matches_schema(response, "/api/v1/appointments", "post")
    assert [w["code"] for w in response.json()["warnings"]] == ["interval-long"]


def test_reminders_keep_the_hour_across_a_change_of_clocks(personas, catalogue, clock):
    la = ZoneInfo("America/Los_Angeles")
    personas.clinic.timezone = "America/Los_Angeles"
    personas.clinic.save()
    clock.current = datetime(2027, 10, 20, 12, tzinfo=la)
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    consultation = next(t for t in appointment_types(clinic=personas.clinic)
                        if t.kind == "consultation")
    # Clocks go back on Sunday 7 November 2027; the appointment is the Monday after.
    starts_at = datetime(2027, 11, 8, 9, tzinfo=la)
    appointment = appointment_book(
        clinic=personas.clinic, membership=personas.practitioner,
        appointment_type=consultation, starts_at=starts_at,
        patient=make_patient(clinic=personas.clinic), channel="staff")
    reminder = DBTaskResult.objects.get(task_path__endswith="send_reminder",
                                        args_kwargs__args__0=appointment.pk)
    assert moments.in_zone(reminder.run_after, la) == datetime(2027, 11, 7, 9, tzinfo=la)
