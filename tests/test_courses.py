"""Treatment courses: plans, the schedule, sessions gated by the checklist, charting,
stock, recall, timeline and summary."""

import json
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.urls import reverse

from mesoclinic.core.models import AuditEvent
from mesoclinic.courses.models import Injection, Session, SessionStatus, TreatmentPlan
from mesoclinic.courses.schemas import InjectionIn, SessionCompleteIn
from mesoclinic.courses.services import (
    SafetyBlocked,
    injection_add,
    lot_recall,
    plan_book_proposed,
    session_complete,
    session_mark_missed,
    session_start,
)
from tests.factories import (
    actor_for,
    make_patient,
    make_plan,
    make_product_with_lot,
    ready_patient,
)
from tests.openapi import assert_matches_schema


@pytest.fixture
def course(personas, clock):
    patient, product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                practitioner=personas.practitioner)
    return {"patient": patient, "product": product, "lot": lot, "plan": plan}


def booked_first_session(personas, plan) -> Session:
    actor = actor_for(personas.practitioner)
    return plan_book_proposed(actor=actor, plan=plan)[0]


def chart(personas, session, lot, **changes):
    values = {"lot": lot.pk, "chart_map": "face", "zone": "cheek-left", "x": None, "y": None,
              "volume_ml": "0.20", "depth_mm": "2", "passes": 1, **changes}
    return injection_add(actor=actor_for(personas.practitioner), session=session,
                         data=InjectionIn(**values))


# Plans and schedule -------------------------------------------------------------------


def test_a_practitioner_creates_a_plan_from_the_indications_template(client_as, personas,
                                                                     catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic, name="Mesolift HA")
    patient = make_patient(clinic=personas.clinic)
    client = client_as(personas.practitioner)
    form = client.get(reverse("plan_new", args=[patient.pk]),
                      {"indication": "alopecia-androgenetic"}).content.decode()
    assert "Catalogue template" in form
    response = client.post(reverse("plan_new", args=[patient.pk]), {
        "indication": "alopecia-androgenetic", "body_areas": ["scalp"],
        "technique": "single-needle", "depth_min_mm": "1", "depth_max_mm": "2",
        "needle_length_mm": "4", "product_0": product.pk, "dose_0": "2",
        "planned_sessions": "8", "initial_interval_days": "7"})
    plan = TreatmentPlan.objects.get(patient=patient)
    assert response.status_code == 302
    assert plan.indication.code == "alopecia-androgenetic" and plan.planned_sessions == 8
    assert [c.dose_ml for c in plan.cocktail.all()] == [Decimal("2.00")]


@pytest.mark.parametrize(("field", "value"), [("planned_sessions", "2"),
                                              ("planned_sessions", "16"),
                                              ("needle_length_mm", "9"),
                                              ("initial_interval_days", "5")])
def test_a_plan_outside_the_rules_is_refused(client_as, personas, catalogue, field, value):
    product, _lot = make_product_with_lot(clinic=personas.clinic)
    patient = make_patient(clinic=personas.clinic)
    form = {"indication": "cellulite", "body_areas": ["thighs"], "technique": "single-needle",
            "product_0": product.pk, "dose_0": "1", "planned_sessions": "10",
            "initial_interval_days": "7", field: value}
    response = client_as(personas.practitioner).post(reverse("plan_new", args=[patient.pk]),
                                                     form)
    assert response.status_code == 400
    assert field in response.content.decode()
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize("role", ["nurse", "reception"])
def test_only_practitioners_and_owners_create_plans(client_as, personas, role):
    patient = make_patient(clinic=personas.clinic)
    assert client_as(personas.of(role)).get(
        reverse("plan_new", args=[patient.pk])).status_code == 403


def test_the_plan_page_proposes_and_books_the_schedule(client_as, personas, course):
    plan = course["plan"]
    client = client_as(personas.nurse)
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "Proposed schedule" in page
    client.post(reverse("plan_book", args=[plan.pk]))
    sessions = list(Session.objects.filter(plan=plan).order_by("scheduled_on"))
    assert len(sessions) == 6
    gaps = [(b.scheduled_on - a.scheduled_on).days for a, b in pairwise(sessions)]
    assert all(gap >= 7 for gap in gaps)
    assert all(s.scheduled_on.weekday() != 6 for s in sessions)  # closed on Sundays


def test_a_missed_session_is_re_planned(personas, course, clock):
    plan = course["plan"]
    first = booked_first_session(personas, plan)
    clock.advance(days=9)
    session_mark_missed(actor=actor_for(personas.nurse), session=first)
    rebooked = plan_book_proposed(actor=actor_for(personas.nurse), plan=plan)
    assert len(rebooked) == 6
    today = clock.now().astimezone(personas.clinic.zoneinfo).date()
    assert rebooked[0].scheduled_on >= today > first.scheduled_on
    # The planned sessions move to the new dates: none is cancelled and made again.
    statuses = set(Session.objects.filter(plan=plan).values_list("status", flat=True))
    assert statuses == {"missed", "planned"}


# Sessions -----------------------------------------------------------------------------


def test_a_session_starts_only_when_the_checklist_passes(personas, course, clock):
    plan = course["plan"]
    session = booked_first_session(personas, plan)
    actor = actor_for(personas.practitioner)
    started = session_start(actor=actor, session=session)
    assert started.status == SessionStatus.IN_PROGRESS
    assert started.practitioner == personas.practitioner.user
    complete = SessionCompleteIn()
    session_complete(actor=actor, session=started, data=complete)

    second = Session.objects.filter(plan=plan, status="planned").order_by("scheduled_on")[0]
    with pytest.raises(SafetyBlocked) as blocked:
        session_start(actor=actor, session=second)  # the same day: interval too short
    assert "interval-too-short" in {f.finding.code for f in blocked.value.findings}
    clock.advance(days=7)
    assert session_start(actor=actor, session=second).status == SessionStatus.IN_PROGRESS


def test_an_unqualified_nurse_cannot_start_a_session(personas, course):
    session = booked_first_session(personas, course["plan"])
    with pytest.raises(SafetyBlocked) as blocked:
        session_start(actor=actor_for(personas.nurse), session=session)
    assert "practitioner-not-qualified" in {f.finding.code for f in blocked.value.findings}


def test_the_course_cannot_exceed_its_planned_count(personas, course, clock):
    plan = course["plan"]
    actor = actor_for(personas.practitioner)
    for session in plan_book_proposed(actor=actor, plan=plan):
        session_start(actor=actor, session=session)
        session_complete(actor=actor, session=session, data=SessionCompleteIn())
        clock.advance(days=8)
    plan.refresh_from_db()
    assert plan.status == "completed"
    extra = Session.objects.create(clinic=plan.clinic, patient=plan.patient, plan=plan,
                                   scheduled_on=clock.now().date())
    with pytest.raises(SafetyBlocked) as blocked:
        session_start(actor=actor, session=extra)
    assert "course-max-sessions" in {f.finding.code for f in blocked.value.findings}


def test_charting_takes_the_volume_from_the_lot(personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    lot = course["lot"]
    before = lot.quantity
    charted = chart(personas, session, lot, x="140", y="140", zone="")
    lot.refresh_from_db()
    assert lot.quantity == before - Decimal("0.20")
    assert charted.injection.zone == "cheek-left"  # found from the click
    assert charted.warnings == []


def test_a_depth_outside_the_technique_range_is_charted_with_a_warning(personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    charted = chart(personas, session, course["lot"], depth_mm="6")
    assert [w.code for w in charted.warnings] == ["depth-out-of-range"]


@pytest.mark.parametrize("problem", ["expired", "recalled"])
def test_an_expired_or_recalled_lot_cannot_be_charted(personas, course, problem):
    from mesoclinic.core.errors import InvalidInput

    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    lot = course["lot"]
    if problem == "expired":
        lot.expiry = session.started_at.date() - timedelta(days=1)
        lot.save()
    else:
        lot_recall(actor=actor_for(personas.nurse), lot=lot, reason="Sterility issue")
    with pytest.raises(InvalidInput) as refused:
        chart(personas, session, lot)
    assert refused.value.code == f"lot-{problem}"
    assert not Injection.objects.exists()


def test_charting_more_than_the_lot_holds_is_refused(personas, course):
    from mesoclinic.core.errors import InvalidInput

    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    chart(personas, session, course["lot"], volume_ml="15")
    with pytest.raises(InvalidInput) as refused:
        chart(personas, session, course["lot"], volume_ml="5.01")
    assert refused.value.field == "volume_ml"


def test_the_session_page_charts_and_shows_totals(client_as, personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    client = client_as(personas.practitioner)
    url = reverse("session_chart", args=[session.pk])
    for x, y in [("60", "145"), ("140", "145"), ("100", "55")]:
        response = client.post(url, {"lot": course["lot"].pk, "chart_map": "face", "x": x,
                                     "y": y, "volume_ml": "0.1", "depth_mm": "2",
                                     "passes": "1"})
        assert response.status_code == 302
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "0.3 ml" in page and "3 injections" in page
    assert "Cheek, right" in page and "Forehead" in page


def test_bad_charting_input_is_a_clear_error(client_as, personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    response = client_as(personas.practitioner).post(
        reverse("session_chart", args=[session.pk]),
        {"lot": course["lot"].pk, "chart_map": "face", "zone": "", "volume_ml": "lots",
         "depth_mm": "2"})
    assert response.status_code == 400
    assert not Injection.objects.exists()


def test_the_session_pages_are_for_clinicians_of_the_clinic(client_as, personas, course):
    session = booked_first_session(personas, course["plan"])
    url = reverse("session_detail", args=[session.pk])
    assert client_as(personas.nurse).get(url).status_code == 200
    assert client_as(personas.reception).get(url).status_code == 403
    assert client_as(personas.outsider).get(url).status_code == 404
    plan_url = reverse("plan_detail", args=[course["plan"].pk])
    assert client_as(personas.outsider).get(plan_url).status_code == 404


# Recall, timeline, summary ------------------------------------------------------------


def test_the_recall_view_lists_who_received_a_lot_and_exports_csv(client_as, personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    chart(personas, session, course["lot"])
    other = make_patient(clinic=personas.clinic, last_name="Untouched")
    client = client_as(personas.nurse)
    page = client.get(reverse("lot_detail", args=[course["lot"].pk])).content.decode()
    assert course["patient"].last_name.upper() in page
    assert other.last_name.upper() not in page
    csv_text = client.get(reverse("lot_detail", args=[course["lot"].pk]),
                          {"format": "csv"}).content.decode()
    assert course["patient"].phone in csv_text and "allergy_test" in csv_text.splitlines()[0]
    assert AuditEvent.objects.filter(action="patient.recall_list",
                                     patient=course["patient"]).exists()
    assert client_as(personas.outsider).get(
        reverse("lot_detail", args=[course["lot"].pk])).status_code == 404


def test_the_timeline_and_the_summary_pdf(client_as, personas, course):
    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    chart(personas, session, course["lot"])
    client = client_as(personas.practitioner)
    page = client.get(reverse("timeline", args=[course["patient"].pk])).content.decode()
    for title in ["Intake questionnaire", "Allergy test given", "Consent signed",
                  "Plan created", "Session"]:
        assert title in page
    pdf = client.get(reverse("summary_pdf", args=[course["patient"].pk]))
    assert pdf["Content-Type"] == "application/pdf"
    from tests.test_consultation_pages import pdf_text

    text = pdf_text(pdf.content)
    assert "Treatment summary" in text and "Cheek, left" in text
    assert AuditEvent.objects.filter(action="patient.export",
                                     patient=course["patient"]).exists()


# API ----------------------------------------------------------------------------------


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_the_api_runs_a_course(client, personas, api_headers, course):
    headers = api_headers(personas.practitioner)
    plan = course["plan"]
    schedule = client.get(f"/api/v1/plans/{plan.pk}/schedule", **headers)
    assert schedule.status_code == 200
    assert_matches_schema(schedule, "/api/v1/plans/{plan_id}/schedule", "get")
    assert len(schedule.json()["dates"]) == 6
    booked = post(client, f"/api/v1/plans/{plan.pk}/book", {}, headers)
    assert booked.status_code == 200
    assert_matches_schema(booked, "/api/v1/plans/{plan_id}/book", "post")
    session_id = booked.json()["sessions"][0]["session"]
    started = post(client, f"/api/v1/sessions/{session_id}/start", {}, headers)
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    charted = post(client, f"/api/v1/sessions/{session_id}/injections",
                   {"lot": course["lot"].pk, "chart_map": "face", "zone": "forehead",
                    "volume_ml": "0.5", "depth_mm": "5"}, headers)
    assert charted.status_code == 201
    assert_matches_schema(charted, "/api/v1/sessions/{session_id}/injections", "post")
    assert [w["code"] for w in charted.json()["warnings"]] == ["depth-out-of-range"]
    done = post(client, f"/api/v1/sessions/{session_id}/complete",
                {"reactions": ["burning"], "anaesthetic_cream": True}, headers)
    assert done.json()["status"] == "completed"
    recipients = client.get(f"/api/v1/lots/{course['lot'].pk}/recipients", **headers)
    assert [r["patient"] for r in recipients.json()] == [course["patient"].pk]


def test_the_api_answers_409_with_the_findings_when_the_checklist_blocks(
        client, personas, api_headers, course):
    session = booked_first_session(personas, course["plan"])
    response = post(client, f"/api/v1/sessions/{session.pk}/start", {},
                    api_headers(personas.nurse))
    assert response.status_code == 409
    assert_matches_schema(response, "/api/v1/sessions/{session_id}/start", "post")
    assert "practitioner-not-qualified" in {f["code"] for f in response.json()["findings"]}


def test_the_api_keeps_courses_to_their_clinic_and_roles(client, personas, api_headers,
                                                         course):
    plan = course["plan"]
    assert client.get(f"/api/v1/plans/{plan.pk}", **api_headers(personas.outsider)) \
        .status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}", **api_headers(personas.reception)) \
        .status_code == 403
    refused = post(client, f"/api/v1/patients/{course['patient'].pk}/plans", {
        "indication": "cellulite", "body_areas": ["thighs"], "technique": "single-needle",
        "cocktail": [{"product": course["product"].pk, "dose_ml": "1"}],
        "planned_sessions": 6}, api_headers(personas.nurse))
    assert refused.status_code == 403


def test_products_and_lots_through_the_api(client, personas, api_headers, catalogue):
    headers = api_headers(personas.nurse)
    product = post(client, "/api/v1/products", {"name": "Biotin complex",
                                                 "substances": ["biotin"]}, headers)
    assert product.status_code == 201
    lot = post(client, "/api/v1/lots", {"product": product.json()["id"], "number": "B-1",
                                         "expiry": "2030-01-01", "quantity": "25"}, headers)
    assert lot.status_code == 201
    assert_matches_schema(lot, "/api/v1/lots", "post")
    duplicate = post(client, "/api/v1/lots", {"product": product.json()["id"],
                                              "number": "B-1", "expiry": "2030-01-01",
                                              "quantity": "25"}, headers)
    assert duplicate.status_code == 409
    theirs = post(client, "/api/v1/lots", {"product": product.json()["id"], "number": "X",
                                           "expiry": "2030-01-01", "quantity": "1"},
                  api_headers(personas.outsider))
    assert theirs.status_code == 404


def test_moving_a_session_re_plans_the_ones_after_it(client_as, personas, course, clock):
    plan = course["plan"]
    first = booked_first_session(personas, plan)
    later_day = first.scheduled_on + timedelta(days=12)
    client_as(personas.nurse).post(reverse("session_move", args=[first.pk]),
                                   {"scheduled_on": later_day.isoformat()})
    planned = list(Session.objects.filter(plan=plan, status="planned").order_by("scheduled_on"))
    assert planned[0].pk == first.pk and planned[0].scheduled_on == later_day
    assert len(planned) == 6
    assert all((b.scheduled_on - a.scheduled_on).days >= 7 for a, b in pairwise(planned))


def test_a_session_cannot_move_into_the_past(client_as, personas, course, clock):
    first = booked_first_session(personas, course["plan"])
    yesterday = clock.now().date() - timedelta(days=1)
    client_as(personas.nurse).post(reverse("session_move", args=[first.pk]),
                                   {"scheduled_on": yesterday.isoformat()})
    first.refresh_from_db()
    assert first.scheduled_on != yesterday


def test_a_clinic_template_is_offered_for_the_next_plan(client_as, personas, course,
                                                        catalogue):
    plan = course["plan"]
    client = client_as(personas.practitioner)
    client.post(reverse("plan_save_template", args=[plan.pk]), {"name": "Bellecour mesolift"})
    patient = make_patient(clinic=personas.clinic)
    form = client.get(reverse("plan_new", args=[patient.pk]),
                      {"indication": plan.indication.code}).content.decode()
    assert "Bellecour mesolift" in form
    assert client_as(personas.nurse).post(reverse("plan_save_template", args=[plan.pk]),
                                          {"name": "x"}).status_code == 403


def test_the_patient_page_stays_within_20_queries_with_15_sessions_and_60_photos(
        client_as, personas, clock, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mesoclinic.catalog.models import BodyArea
    from mesoclinic.consultation.models import Photo

    patient, _product, _lot, _plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                   practitioner=personas.practitioner)
    client = client_as(personas.practitioner)
    url = reverse("patient_detail", args=[patient.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        # The test runs inside a transaction, so the audit write adds SAVEPOINT statements
        # that a request served in production does not run.
        return sum(1 for q in captured.captured_queries if "SAVEPOINT" not in q["sql"])

    client.get(url)  # the first request of a session also looks up the authenticator
    small = queries()
    plan = make_plan(patient=patient, products=[_product], sessions=15)
    Session.objects.bulk_create([Session(clinic=personas.clinic, patient=patient, plan=plan,
                                         scheduled_on=clock.now().date() + timedelta(days=7 * i))
                                 for i in range(15)])
    area = BodyArea.objects.get(code="face")
    Photo.objects.bulk_create([Photo(clinic=personas.clinic, patient=patient, body_area=area,
                                     view="front", stored_name=f"x{i}.jpg",
                                     thumbnail_name=f"x{i}.thumb.jpg",
                                     content_type="image/jpeg", width=10, height=10,
                                     size_bytes=1, sha256="0" * 64,
                                     uploaded_by=personas.practitioner.user)
                               for i in range(60)])
    large = queries()
    assert large == small
    assert large <= 20


def test_the_chart_starts_from_the_last_point_and_repeats_it(client_as, personas, course):
    import re

    from mesoclinic.courses.models import Injection

    session = session_start(actor=actor_for(personas.practitioner),
                            session=booked_first_session(personas, course["plan"]))
    client = client_as(personas.practitioner)
    url = reverse("session_chart", args=[session.pk])
    client.post(url, {"lot": course["lot"].pk, "chart_map": "face", "x": "60", "y": "145",
                      "volume_ml": "0.25", "depth_mm": "3", "passes": "2"})
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert re.search(rf'<option value="{course["lot"].pk}" selected', page)
    assert 'name="volume_ml" inputmode="decimal" required value="0.25"' in page
    assert 'id="id_passes" name="passes" inputmode="numeric" value="2"' in page
    form = re.search(r'<form method="post" action="[^"]+" class="repeat">(.*?)</form>', page,
                     re.S).group(1)
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    client.post(url, values)
    points = list(Injection.objects.filter(session=session).order_by("id"))
    assert len(points) == 2
    first, repeated = ((p.x, p.y, p.volume_ml, p.depth_mm, p.passes, p.lot_id) for p in points)
    assert first == repeated
