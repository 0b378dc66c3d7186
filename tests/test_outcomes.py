"""Outcomes: measurements feeding the schedule, progress charts, photo comparison on the
worker, practice analytics checked by hand, and the consent-filtered registry export."""

import csv
import io
import json
from datetime import date, timedelta

import cv2
import pytest
from django.urls import reverse

from mesoclinic.aftercare.models import AdverseEvent
from mesoclinic.catalog.models import OutcomeScale, SideEffect
from mesoclinic.consultation.services import consent_sign, consent_withdraw, photo_add
from mesoclinic.courses.models import Session, SessionStatus
from mesoclinic.outcomes.models import PhotoComparison
from mesoclinic.outcomes.selectors import practice_analytics, registry_rows
from mesoclinic.outcomes.services import MeasurementIn, measurement_record
from tests.factories import (
    actor_for,
    make_patient,
    make_plan,
    make_product_with_lot,
    sign_photo_consent,
)
from tests.openapi import assert_matches_schema
from tests.pictures import synthetic_skin, warp_like_a_second_visit


@pytest.fixture(autouse=True)
def photos_and_tasks(settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def measure(personas, patient, plan, scale, value, on):
    return measurement_record(actor=actor_for(personas.practitioner), patient=patient,
                              data=MeasurementIn(scale=scale, value=str(value),
                                                 rated_by="patient", measured_on=on,
                                                 plan=plan.pk if plan else None))


def test_a_recorded_response_widens_the_schedule(personas, catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic)
    patient = make_patient(clinic=personas.clinic)
    plan = make_plan(patient=patient, products=[product], indication="pain-osteoarthritis")
    measure(personas, patient, plan, "vas-pain", 7, date(2026, 10, 1))
    measure(personas, patient, plan, "vas-pain", 6, date(2026, 10, 8))
    plan.refresh_from_db()
    assert plan.improvement_recorded_on is None  # one point is not a response on VAS
    measure(personas, patient, plan, "vas-pain", 4, date(2026, 10, 15))
    plan.refresh_from_db()
    assert plan.improvement_recorded_on == date(2026, 10, 15)


def test_a_value_outside_the_scale_is_refused(client_as, personas, catalogue):
    patient = make_patient(clinic=personas.clinic)
    client = client_as(personas.nurse)
    response = client.post(reverse("measurement_new", args=[patient.pk]),
                           {"scale": "vas-pain", "value": "11", "rated_by": "patient",
                            "measured_on": "2026-11-01"}, follow=True)
    assert "goes from 0 to 10" in response.content.decode()
    assert client_as(personas.reception).post(
        reverse("measurement_new", args=[patient.pk]), {}).status_code == 403


def test_the_patient_page_draws_the_progress(client_as, personas, catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic)
    patient = make_patient(clinic=personas.clinic)
    plan = make_plan(patient=patient, products=[product])
    for day, value in [(1, 4), (8, 3), (15, 2)]:
        measure(personas, patient, plan, "gais", value, date(2026, 10, day))
    body = client_as(personas.nurse).get(reverse("patient_detail", args=[patient.pk])) \
        .content.decode()
    assert "<polyline" in body and "Global Aesthetic Improvement Scale" in body


def _plan_with(personas, product, *, baseline, last, sessions, events=0, label="A"):
    patient = make_patient(clinic=personas.clinic, last_name=f"Analytic{label}")
    plan = make_plan(patient=patient, products=[product], indication="pain-osteoarthritis")
    measure(personas, patient, plan, "vas-pain", baseline, date(2026, 9, 1))
    measure(personas, patient, plan, "vas-pain", last, date(2026, 10, 1))
    done = Session.objects.bulk_create([
        Session(clinic=personas.clinic, patient=patient, plan=plan,
                scheduled_on=date(2026, 9, 1) + timedelta(days=7 * i),
                status=SessionStatus.COMPLETED) for i in range(sessions)])
    effect = SideEffect.objects.get(code="bruising")
    for _ in range(events):
        AdverseEvent.objects.create(clinic=personas.clinic, patient=patient, session=done[0],
                                    side_effect=effect, onset_at="2026-09-02T10:00Z",
                                    severity="mild")
    return plan


def test_practice_analytics_match_hand_computed_figures(personas, catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic, name="Piroxicam mix")
    # changes -3, -2, -4, 0: mean -2.25, sd 1.7078, se 0.8539, t(0.975,3) = 3.1824
    for label, (baseline, last) in zip("ABCD", [(7, 4), (6, 4), (8, 4), (5, 5)], strict=True):
        _plan_with(personas, product, baseline=baseline, last=last, sessions=5,
                   events=1 if label == "A" else 0, label=label)
    scale = OutcomeScale.objects.get(code="vas-pain")
    [row] = practice_analytics(actor=actor_for(personas.nurse), scale=scale)
    assert row.label == "Osteoarthritis pain × Piroxicam mix × Single needle"
    assert (row.patients, row.plans, row.sessions) == (4, 4, 20)
    assert row.mean_change.value == pytest.approx(-2.25)
    assert row.mean_change.low == pytest.approx(-2.25 - 3.1824 * 0.8539, abs=1e-3)
    assert row.mean_change.high == pytest.approx(-2.25 + 3.1824 * 0.8539, abs=1e-3)
    # responders (VAS down by 2 or more): A, B, C → 3/4; Wilson 95 %: 0.3006 to 0.9544
    assert (row.responders, row.rated) == (3, 4)
    assert row.responder_rate.low == pytest.approx(0.3006, abs=1e-3)
    assert row.responder_rate.high == pytest.approx(0.9544, abs=1e-3)
    # 1 event in 20 sessions: 5 per 100, exact 95 %: 0.127 to 27.86
    assert row.adverse_rate.value == pytest.approx(5.0)
    assert row.adverse_rate.low == pytest.approx(0.1266, abs=1e-3)
    assert row.adverse_rate.high == pytest.approx(27.858, abs=1e-2)


def test_the_analytics_page_and_api(client, client_as, personas, api_headers, catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic)
    _plan_with(personas, product, baseline=7, last=4, sessions=3)
    page = client_as(personas.nurse).get(reverse("analytics"), {"scale": "vas-pain"})
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert client_as(personas.reception).get(reverse("analytics")).status_code == 403
    response = client.get("/api/v1/analytics", {"scale": "vas-pain"},
                          **api_headers(personas.practitioner))
    assert_matches_schema(response, "/api/v1/analytics", "get")
    assert response.json()[0]["sessions"] == 3
    theirs = client.get("/api/v1/analytics", {"scale": "vas-pain"},
                        **api_headers(personas.outsider))
    assert theirs.json() == []


def test_the_registry_export_holds_only_consenting_patients_and_no_identity(
        client_as, personas, catalogue):
    product, _lot = make_product_with_lot(clinic=personas.clinic)
    consenting = _plan_with(personas, product, baseline=7, last=4, sessions=2, label="Yes")
    withdrawn = _plan_with(personas, product, baseline=6, last=5, sessions=2, label="Gone")
    _plan_with(personas, product, baseline=6, last=5, sessions=2, label="Never")
    for plan in (consenting, withdrawn):
        consent_sign(patient=plan.patient, kind="registry", method="typed",
                     typed_name=plan.patient.full_name, agreed=True, ip=None)
    gone = withdrawn.patient.consents.get(kind="registry")
    consent_withdraw(actor=actor_for(personas.owner), consent=gone, reason="asked")

    scale = OutcomeScale.objects.get(code="vas-pain")
    rows = registry_rows(actor=actor_for(personas.nurse), scale=scale)
    assert len(rows) == 1 and rows[0]["change"] == -3.0

    response = client_as(personas.nurse).get(reverse("registry_export"),
                                             {"scale": "vas-pain"})
    text = response.content.decode()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == 1
    for secret in (consenting.patient.last_name, consenting.patient.first_name,
                   consenting.patient.phone, consenting.patient.date_of_birth.isoformat()):
        assert secret not in text


def _upload(personas, patient, image) -> object:
    _ok, data = cv2.imencode(".jpg", image)
    sign_photo_consent(patient=patient)
    return photo_add(actor=actor_for(personas.practitioner), patient=patient,
                     body_area_code="face", view="front", raw=data.tobytes())


def test_a_photo_comparison_runs_on_the_worker_and_shows_the_change(
        client_as, personas, catalogue, django_capture_on_commit_callbacks, run_worker):
    patient = make_patient(clinic=personas.clinic)
    before_image = synthetic_skin(1200, 900)
    before = _upload(personas, patient, before_image)
    after = _upload(personas, patient, warp_like_a_second_visit(before_image, redden=20))
    client = client_as(personas.practitioner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("comparison_new", args=[patient.pk]), {
            "before": before.pk, "after": after.pk, "x": 400, "y": 300, "w": 300, "h": 200})
    comparison = PhotoComparison.objects.get()
    assert response.url == reverse("comparison_detail", args=[comparison.pk])
    waiting = client.get(response.url).content.decode()
    assert "Aligning and measuring" in waiting and 'hx-trigger="every 1s"' in waiting

    run_worker()
    comparison.refresh_from_db()
    assert comparison.status == "done" and comparison.progress == 100
    assert comparison.matches >= 12
    assert comparison.metrics["change"]["a"] > 3  # redder
    assert comparison.metrics["change"]["erythema_index"] > 0
    done = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "Erythema index" in done and "hx-trigger" not in done
    aligned = client.get(reverse("comparison_aligned", args=[comparison.pk]))
    assert b"".join(aligned.streaming_content)[:2] == b"\xff\xd8"
    assert client_as(personas.outsider).get(response.url).status_code == 404


def test_photos_that_cannot_be_aligned_fail_with_a_reason(personas, catalogue):
    from mesoclinic.outcomes.services import RegionIn, comparison_request, comparison_run

    patient = make_patient(clinic=personas.clinic)
    before = _upload(personas, patient, synthetic_skin(600, 400, seed=1))
    import numpy as np

    after = _upload(personas, patient, np.full((400, 600, 3), 128, np.uint8))
    comparison = comparison_request(actor=actor_for(personas.nurse), patient=patient,
                                    before=before, after=after,
                                    region=RegionIn(x=10, y=10, w=50, h=50))
    assert comparison_run(comparison_id=comparison.pk) == "failed"
    comparison.refresh_from_db()
    assert comparison.error


def test_comparing_photos_of_different_areas_is_refused(client_as, personas, catalogue):
    patient = make_patient(clinic=personas.clinic)
    image = synthetic_skin(400, 300)
    first = _upload(personas, patient, image)
    _ok, data = cv2.imencode(".jpg", image)
    second = photo_add(actor=actor_for(personas.practitioner), patient=patient,
                       body_area_code="neck", view="front", raw=data.tobytes())
    response = client_as(personas.nurse).post(reverse("comparison_new", args=[patient.pk]), {
        "before": first.pk, "after": second.pk, "x": 1, "y": 1, "w": 20, "h": 20})
    assert response.status_code == 400
    assert "same area" in response.content.decode()


def test_measurements_through_the_api(client, personas, api_headers, catalogue):
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.nurse)
    created = client.post(f"/api/v1/patients/{patient.pk}/measurements", json.dumps({
        "scale": "satisfaction", "value": "8", "rated_by": "patient",
        "measured_on": "2026-11-01"}), content_type="application/json", **headers)
    assert created.status_code == 201
    assert_matches_schema(created, "/api/v1/patients/{patient_id}/measurements", "post")
    assert client.get(f"/api/v1/patients/{patient.pk}/measurements",
                      **api_headers(personas.outsider)).status_code == 404
