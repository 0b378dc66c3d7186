"""A patient's record, however long it grows, is read in the same number of statements: the
record page, the timeline, the summary, the plan and session pages, the search, the day's
calendar and every list of the patient's API. Counted with one round of care and with three
(more sessions, injections, photos, intakes, allergy tests, adverse events, measurements,
check-ins), so that a query per row would show, and pinned exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    actor_for,
    give_allergy_test,
    make_intake,
    open_clinic_for_booking,
    ready_patient,
    sign_photo_consent,
)
from tests.pictures import synthetic_skin

pytestmark = pytest.mark.usefixtures("catalogue", "database_tasks")


def _photo() -> bytes:
    import cv2

    return cv2.imencode(".jpg", synthetic_skin(320, 240))[1].tobytes()


class Record:
    """One patient whose care goes on, a session at a time."""

    def __init__(self, personas, clock) -> None:
        open_clinic_for_booking(personas.clinic, personas.practitioner)
        self.personas, self.clock = personas, clock
        self.patient, self.product, self.lot, self.plan = ready_patient(
            clinic=personas.clinic, clock=clock, practitioner=personas.practitioner)
        self.actor = actor_for(personas.practitioner)
        from mesoclinic.booking.course_booking import plan_book

        plan_book(actor=self.actor, plan=self.plan)
        self.session = None
        self.rounds = 0

    def one_more_round(self) -> None:
        from mesoclinic.aftercare.services import (
            AdverseEventIn,
            adverse_event_record,
            session_finish,
        )
        from mesoclinic.consultation.schemas import AllergyReadIn
        from mesoclinic.consultation.services import allergy_test_read, photo_add
        from mesoclinic.courses.models import Session, SessionStatus
        from mesoclinic.courses.schemas import InjectionIn, SessionCompleteIn
        from mesoclinic.courses.services import injection_add, session_start
        from mesoclinic.outcomes.services import MeasurementIn, measurement_record

        actor, patient = self.actor, self.patient
        session = Session.objects.filter(plan=self.plan, status=SessionStatus.PLANNED) \
            .order_by("scheduled_on").first()
        day = session.scheduled_on
        self.clock.current = max(self.clock.current, self.clock.current.replace(
            year=day.year, month=day.month, day=day.day, hour=10))
        session = session_start(actor=actor, session=session)
        for zone in ("forehead", "cheek-left"):
            injection_add(actor=actor, session=session, data=InjectionIn(
                lot=self.lot.pk, chart_map="face", zone=zone, volume_ml=Decimal("0.2"),
                depth_mm=Decimal("2")))
        session_finish(actor=actor, session=session, data=SessionCompleteIn())
        sign_photo_consent(patient=patient)
        photo_add(actor=actor, patient=patient, body_area_code="face", view="front",
                  raw=_photo())
        adverse_event_record(actor=actor, patient=patient, data=AdverseEventIn(
            side_effect="bruising", onset_at=self.clock.now(), severity="mild",
            outcome="resolved", resolved_at=self.clock.now() + timedelta(hours=1)))
        measurement_record(actor=actor, patient=patient, data=MeasurementIn(
            scale="gais", value="1", rated_by="practitioner",
            measured_on=self.clock.now().date()))
        make_intake(patient=patient)
        test = give_allergy_test(patient=patient, lots=[self.lot])
        self.clock.advance(hours=30)
        allergy_test_read(actor=actor, test=test, data=AllergyReadIn(result="negative"))
        self.session = session
        self.rounds += 1


PAGES = ["/patients/{patient}/", "/patients/{patient}/timeline/",
         "/patients/{patient}/summary.pdf", "/plans/{plan}/", "/sessions/{session}/",
         "/patients/?q={name}", "/calendar/?view=day&date={day}",
         "/patients/{patient}/checklist/"]
ENDPOINTS = ["/api/v1/patients/{patient}/intakes", "/api/v1/patients/{patient}/allergy-tests",
             "/api/v1/patients/{patient}/consents", "/api/v1/patients/{patient}/plans",
             "/api/v1/plans/{plan}/sessions", "/api/v1/sessions/{session}/injections",
             "/api/v1/patients/{patient}/checkins",
             "/api/v1/patients/{patient}/adverse-events",
             "/api/v1/patients/{patient}/measurements", "/api/v1/lots/{lot}/recipients",
             "/api/v1/sessions/{session}/aftercare"]


def _costs(record: Record, client, api_headers) -> dict[str, int]:
    headers = api_headers(record.personas.practitioner)  # a token of the moment
    ids = {"patient": record.patient.pk, "plan": record.plan.pk, "session": record.session.pk,
           "lot": record.lot.pk, "name": record.patient.last_name[:4],
           "day": record.clock.now().date().isoformat()}
    client.get("/")  # a session's first page also looks up the user's second factor
    costs = {}
    for template in PAGES + ENDPOINTS:
        path = template.format(**ids)
        extra = headers if path.startswith("/api/") else {}
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **extra)
        assert response.status_code == 200, (path, response.status_code)
        costs[template] = len(queries)
    return costs


# Pages: the session, the user and the membership (3), the page's reads, the audit event,
# and the session's idle stamp; the API: the token, the reads and the audit event. The
# record and the plan read their package credits in one statement more.
EXPECTED = {
    "/patients/{patient}/": 22, "/patients/{patient}/timeline/": 20,
    "/patients/{patient}/summary.pdf": 19, "/plans/{plan}/": 16, "/sessions/{session}/": 13,
    "/patients/?q={name}": 8, "/calendar/?view=day&date={day}": 11,
    "/patients/{patient}/checklist/": 24,
    "/api/v1/patients/{patient}/intakes": 4, "/api/v1/patients/{patient}/allergy-tests": 5,
    "/api/v1/patients/{patient}/consents": 4, "/api/v1/patients/{patient}/plans": 8,
    "/api/v1/plans/{plan}/sessions": 7, "/api/v1/sessions/{session}/injections": 4,
    "/api/v1/patients/{patient}/checkins": 4, "/api/v1/patients/{patient}/adverse-events": 5,
    "/api/v1/patients/{patient}/measurements": 4, "/api/v1/lots/{lot}/recipients": 5,
    "/api/v1/sessions/{session}/aftercare": 5,
}


def test_a_record_is_read_in_the_same_statements_however_long_it_grows(
        personas, clock, client_as, api_headers):
    record = Record(personas, clock)
    client = client_as(personas.practitioner)
    record.one_more_round()
    short = _costs(record, client, api_headers)
    record.one_more_round()
    record.one_more_round()
    long = _costs(record, client, api_headers)
    assert long == short, {k: (short[k], long[k]) for k in short if short[k] != long[k]}
    assert short == EXPECTED
