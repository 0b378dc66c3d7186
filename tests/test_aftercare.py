"""Aftercare: instructions and check-ins after a session (on the real task worker),
answering a check-in through its link, adverse events, escalation and review."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from mesoclinic.aftercare.models import AdverseEvent, CheckIn, ClinicAftercare
from mesoclinic.aftercare.selectors import checkin_token
from mesoclinic.aftercare.services import adverse_event_review, checkin_send, session_finish
from mesoclinic.core.errors import Forbidden
from mesoclinic.courses.schemas import InjectionIn, SessionCompleteIn
from mesoclinic.courses.services import (
    SafetyBlocked,
    injection_add,
    plan_book_proposed,
    session_start,
)
from tests.factories import actor_for, ready_patient


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def treated(personas, clock, django_capture_on_commit_callbacks):
    """A patient after a completed session with one charted injection."""
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                 practitioner=personas.practitioner)
    patient.email = "sarah@example.com"
    patient.save()
    actor = actor_for(personas.practitioner)
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor, plan=plan)[0])
    injection_add(actor=actor, session=session, data=InjectionIn(
        lot=lot.pk, chart_map="face", zone="forehead", volume_ml="0.5", depth_mm="2"))
    clock.advance(minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        session_finish(actor=actor, session=session, data=SessionCompleteIn())
    return {"patient": patient, "session": session, "lot": lot, "plan": plan}


def test_finishing_a_session_schedules_six_check_ins_on_the_worker(treated):
    session = treated["session"]
    session.refresh_from_db()
    checkins = list(CheckIn.objects.filter(session=session).order_by("due_at"))
    offsets = [(c.due_at - session.ended_at) for c in checkins]
    assert [c.label for c in checkins] == ["day 1", "day 3", "day 7", "week 2", "week 6",
                                           "week 12"]
    assert offsets == [timedelta(days=d) for d in (1, 3, 7, 14, 42, 84)]
    deferred = DBTaskResult.objects.filter(task_path__endswith="send_checkin")
    assert sorted(t.run_after for t in deferred) == [c.due_at for c in checkins]


def test_the_worker_emails_the_aftercare_with_its_pdf(treated, run_worker):
    run_worker()  # the check-ins wait for their day; the aftercare email goes now
    message = next(m for m in mail.outbox if "aftercare" in m.subject.lower())
    assert message.to == ["sarah@example.com"]
    assert "burning or warm feeling" in message.body
    assert message.attachments[0][2] == "application/pdf"
    assert not CheckIn.objects.filter(sent_at__isnull=False).exists()


def test_a_due_check_in_is_emailed_once_with_its_link(treated, settings):
    checkin = CheckIn.objects.filter(session=treated["session"]).order_by("due_at").first()
    assert checkin_send(checkin_id=checkin.pk) is True
    assert checkin_send(checkin_id=checkin.pk) is False
    link = re.search(r"http://\S+/c/\S+/", mail.outbox[-1].body)[0]
    assert link.startswith(settings.SITE_URL)


def test_the_patient_answers_symptoms_and_an_adverse_event_is_linked_to_the_lot(
        client, treated):
    checkin = CheckIn.objects.filter(session=treated["session"]).order_by("due_at").first()
    url = reverse("public_checkin", args=[checkin_token(checkin)])
    assert client.get(url).status_code == 200
    response = client.post(url, {"feeling": "symptoms", "symptoms": ["swelling", "itching"],
                                 "severity": "moderate", "notes": "Left side"})
    assert response.status_code == 200
    events = AdverseEvent.objects.filter(patient=treated["patient"])
    assert {e.side_effect.code for e in events} == {"swelling", "itching"}
    assert all(list(e.lots.all()) == [treated["lot"]] for e in events)
    assert client.post(url, {"feeling": "fine"}).status_code == 200
    checkin.refresh_from_db()
    assert checkin.symptoms == ["itching", "swelling"]


def test_an_all_fine_answer_records_no_event(client, treated):
    checkin = CheckIn.objects.filter(session=treated["session"]).first()
    client.post(reverse("public_checkin", args=[checkin_token(checkin)]), {"feeling": "fine"})
    checkin.refresh_from_db()
    assert checkin.answered_at is not None
    assert not AdverseEvent.objects.exists()


def test_a_bad_check_in_link_or_answer_is_refused_clearly(client, treated):
    assert client.get("/c/not-a-token/").status_code == 404
    checkin = CheckIn.objects.filter(session=treated["session"]).first()
    url = reverse("public_checkin", args=[checkin_token(checkin)])
    response = client.post(url, {"feeling": "symptoms", "symptoms": []})
    assert response.status_code == 400
    assert "Tick the symptoms" in response.content.decode()


def test_an_escalated_event_flags_the_patient_and_blocks_until_a_practitioner_reviews(
        client, client_as, personas, treated, clock):
    checkin = CheckIn.objects.filter(session=treated["session"]).first()
    client.post(reverse("public_checkin", args=[checkin_token(checkin)]),
                {"feeling": "symptoms", "symptoms": ["swelling"], "severity": "mild"})
    clock.advance(days=8)  # swelling is expected for at most 5 days
    dashboard = client_as(personas.nurse).get(reverse("dashboard")).content.decode()
    assert treated["patient"].full_name in dashboard and "longer than expected" in dashboard

    actor = actor_for(personas.practitioner)
    next_session = plan_book_proposed(actor=actor, plan=treated["plan"])[0]
    with pytest.raises(SafetyBlocked) as blocked:
        session_start(actor=actor, session=next_session)
    assert "adverse-event-open" in {f.finding.code for f in blocked.value.findings}

    event = AdverseEvent.objects.get()
    with pytest.raises(Forbidden):
        adverse_event_review(actor=actor_for(personas.nurse), event=event,
                             note="Seen, resolving well.")
    adverse_event_review(actor=actor, event=event, note="Seen today: settling, go ahead.")
    assert session_start(actor=actor, session=next_session).status == "in_progress"


def test_staff_record_an_adverse_event_and_its_pages_are_kept_in_the_clinic(
        client_as, personas, treated):
    patient = treated["patient"]
    response = client_as(personas.nurse).post(
        reverse("adverse_event_new", args=[patient.pk]),
        {"side_effect": "infection", "session": treated["session"].pk,
         "onset_at": "2026-11-20T10:00", "severity": "moderate", "description": "Pustule"})
    assert response.status_code == 302
    event = AdverseEvent.objects.get()
    assert event.serious and list(event.lots.all()) == [treated["lot"]]
    url = reverse("adverse_event_detail", args=[event.pk])
    assert "Blocks the next session" in client_as(personas.nurse).get(url).content.decode()
    assert client_as(personas.reception).get(url).status_code == 403
    assert client_as(personas.outsider).get(url).status_code == 404


def test_a_clinics_own_aftercare_wording_replaces_the_catalogues(client_as, personas,
                                                                 treated):
    client_as(personas.owner).post(reverse("clinic_aftercare"), {
        "key": "general", "title": "Our advice", "body": "Call Dr Moreau on 04 78 00 12 34."})
    assert ClinicAftercare.objects.filter(clinic=personas.clinic, key="general").exists()
    page = client_as(personas.nurse).get(reverse("session_aftercare",
                                                 args=[treated["session"].pk]))
    assert "Call Dr Moreau" in page.content.decode()
    assert client_as(personas.nurse).post(reverse("clinic_aftercare"), {
        "key": "general", "title": "x", "body": "y"}).status_code == 403


def test_the_api_lists_check_ins_and_adverse_events(client, personas, api_headers, treated):
    from tests.openapi import assert_matches_schema

    headers = api_headers(personas.practitioner)
    patient = treated["patient"]
    checkins = client.get(f"/api/v1/patients/{patient.pk}/checkins", **headers)
    assert checkins.status_code == 200 and len(checkins.json()) == 6
    import json

    created = client.post(f"/api/v1/patients/{patient.pk}/adverse-events", json.dumps({
        "side_effect": "bruising", "onset_at": "2026-11-20T10:00:00+01:00",
        "severity": "severe"}), content_type="application/json", **headers)
    assert created.status_code == 201
    assert_matches_schema(created, "/api/v1/patients/{patient_id}/adverse-events", "post")
    assert created.json()["blocks_treatment"] is True
    reviewed = client.post(f"/api/v1/adverse-events/{created.json()['id']}/review",
                           json.dumps({"note": "Large bruise, no haematoma; proceed."}),
                           content_type="application/json", **headers)
    assert reviewed.json()["blocks_treatment"] is False
    assert client.get(f"/api/v1/patients/{patient.pk}/checkins",
                      **api_headers(personas.reception)).status_code == 403


def test_nerve_symptoms_tell_the_patient_to_call_now_and_email_the_clinic_at_once(
        client, treated, personas, run_worker):
    personas.clinic.phone = "+33 4 78 00 00 00"
    personas.clinic.save()
    checkin = CheckIn.objects.filter(session=treated["session"]).order_by("due_at").first()
    url = reverse("public_checkin", args=[checkin_token(checkin)])
    page = client.post(url, {"feeling": "symptoms", "symptoms": ["nerve-symptoms"],
                             "severity": "mild", "notes": "Numb lip"}).content.decode()
    assert "Call the clinic now" in page and 'href="tel:+33478000000"' in page
    assert "112" in page
    run_worker()
    alerts = [m for m in mail.outbox if m.subject.startswith("Urgent check-in answer")]
    assert sorted(m.to[0] for m in alerts) == sorted(
        {personas.practitioner.user.email, personas.owner.user.email})
    assert "Nerve symptoms" in alerts[0].body and "Numb lip" in alerts[0].body
    assert f"/patients/{treated['patient'].pk}/" in alerts[0].body
    # The page says the same when the link is opened again.
    assert "Call the clinic now" in client.get(url).content.decode()


def test_expected_bruising_on_day_one_alerts_no_one(client, treated, run_worker):
    checkin = CheckIn.objects.filter(session=treated["session"]).order_by("due_at").first()
    page = client.post(reverse("public_checkin", args=[checkin_token(checkin)]),
                       {"feeling": "symptoms", "symptoms": ["bruising"],
                        "severity": "mild"}).content.decode()
    assert "Call the clinic now" not in page and "Thank you" in page
    run_worker()
    assert not [m for m in mail.outbox if m.subject.startswith("Urgent")]
    checkin.refresh_from_db()
    assert checkin.urgent is False


def test_swelling_reported_at_week_two_outlasts_its_course_and_is_urgent(
        client, treated, clock):
    checkin = CheckIn.objects.filter(session=treated["session"], label="week 2").get()
    clock.advance(days=14)
    page = client.post(reverse("public_checkin", args=[checkin_token(checkin)]),
                       {"feeling": "symptoms", "symptoms": ["swelling"],
                        "severity": "mild"}).content.decode()
    assert "Call the clinic now" in page


def test_a_check_in_sent_with_a_mistake_comes_back_with_what_was_ticked(client, treated):
    checkin = CheckIn.objects.filter(session=treated["session"]).order_by("due_at").first()
    page = client.post(reverse("public_checkin", args=[checkin_token(checkin)]), {
        "feeling": "symptoms", "symptoms": ["swelling", "itching"], "notes": "Left cheek"})
    text = page.content.decode()
    assert page.status_code == 400 and "Say how bad it is." in text
    assert 'value="swelling" checked' in text and 'value="itching" checked' in text
    assert 'value="bruising" checked' not in text
    assert "Left cheek" in text and 'id="f_sym" name="feeling" value="symptoms" checked' in text
