"""A patient's rights over their data: a copy of everything (built by the worker, with its
progress, as an archive whose patient.json follows a published schema), corrections that
staff make or refuse with a reason, each request due a month later on the staff's pages."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, time, timedelta

import jsonschema
import pytest
from django.core import mail
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.core.models import AuditEvent
from mesoclinic.patients.models import DataRequest
from mesoclinic.portal.export import SCHEMA_PATH
from mesoclinic.portal.services import _month_later, data_access_request
from tests.test_fhir import treated_patient
from tests.test_portal import signed_in

pytestmark = pytest.mark.usefixtures("database_tasks")

EMAIL = "camille.durand@example.org"


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"
    settings.EXPORT_ROOT = tmp_path / "exports"


def patient_with_record(personas, clock):
    patient = treated_patient(personas, clock)
    patient.email, patient.email_key = EMAIL, EMAIL
    patient.save(update_fields=["email", "email_key"])
    return patient


def test_the_patient_takes_away_everything_as_one_archive(client, personas, clock,
                                                         run_worker):
    patient = patient_with_record(personas, clock)
    _package_paid_in_part(personas, patient)
    signed_in(client, run_worker)
    mail.outbox.clear()
    client.post(reverse("portal_data_copy", args=[patient.pk]))
    client.post(reverse("portal_data_copy", args=[patient.pk]))  # one at a time
    request = DataRequest.objects.get(patient=patient)
    page = client.get(reverse("portal_patient", args=[patient.pk])).content.decode()
    assert 'progress max="100" value="0"' in page  # queued, not built yet
    run_worker()
    request.refresh_from_db()
    assert (request.status, request.progress) == ("done", 100)
    assert [m.subject for m in mail.outbox] == [
        f"Your data from {personas.clinic.name} is ready"]
    response = client.get(reverse("portal_data_archive", args=[patient.pk, request.pk]))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    document = json.loads(archive.read("patient.json"))
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
    assert document["patient"]["last_name"] == patient.last_name
    assert set(document["files"]) <= names and "patient.fhir.json" in names
    assert sum(len(s["injections"]) for p in document["plans"] for s in p["sessions"]) == 3
    assert document["photos"][0]["file"] in names
    assert archive.read(document["photos"][0]["file"]).startswith(b"\xff\xd8")
    assert all(archive.read(c["file"]).startswith(b"%PDF") for c in document["consents"])
    Bundle.model_validate_json(archive.read("patient.fhir.json"))
    billing = document["billing"]
    assert (billing["balance"], billing["packages"][0]["sessions"]) == ("400.00", 6)
    assert [p["amount"] for p in billing["payments"]] == ["200.00"]
    assert archive.read(billing["invoices"][0]["file"]).startswith(b"%PDF")
    actions = set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert {"data_request.create", "patient.export", "patient.export_download"} <= actions


def _package_paid_in_part(personas, patient) -> None:
    from mesoclinic.billing.models import Invoice
    from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn
    from mesoclinic.billing.services import package_sell, payment_record
    from tests.factories import actor_for, make_price

    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    package = package_sell(actor=desk, patient=patient, data=PackageSaleIn(price=item.pk))
    payment_record(actor=desk, patient=patient, data=PaymentIn(
        amount="200", method="card", invoice=Invoice.objects.get(package=package).pk))


def test_the_published_schema_is_served(client):
    response = client.get(reverse("export_schema"))
    assert response.status_code == 200
    assert json.loads(response.content)["title"].startswith("mesoclinic patient export")


def test_another_patient_s_archive_is_not_found(client, personas, clock, run_worker):
    from tests.factories import make_patient

    mine = make_patient(clinic=personas.clinic, email=EMAIL)
    other = patient_with_record(personas, clock)
    other.email, other.email_key = "other@example.org", "other@example.org"
    other.save(update_fields=["email", "email_key"])
    request = data_access_request(patient=other, ip=None)
    run_worker()
    signed_in(client, run_worker)
    assert client.get(reverse("portal_data_archive", args=[other.pk, request.pk])) \
        .status_code == 404
    assert client.get(reverse("portal_data_archive", args=[mine.pk, request.pk])) \
        .status_code == 404


def test_staff_prepare_a_copy_for_the_patient(client_as, personas, clock, run_worker):
    patient = patient_with_record(personas, clock)
    assert client_as(personas.reception).post(
        reverse("data_export_for_patient", args=[patient.pk])).status_code == 403
    assert client_as(personas.outsider).post(
        reverse("data_export_for_patient", args=[patient.pk])).status_code == 404
    nurse = client_as(personas.nurse)  # the same test client, now the nurse's
    nurse.post(reverse("data_export_for_patient", args=[patient.pk]))
    run_worker()
    request = DataRequest.objects.get(patient=patient)
    assert not request.asked_by_patient and request.asked_by_id == personas.nurse.user_id
    listing = nurse.get(reverse("data_requests")).content.decode()
    archive_url = reverse("data_request_archive", args=[request.pk])
    assert archive_url in listing
    assert nurse.get(archive_url)["Content-Type"] == "application/zip"
    assert client_as(personas.reception).get(archive_url).status_code == 403
    assert client_as(personas.outsider).get(archive_url).status_code == 404


def test_a_correction_is_made_or_refused_with_a_reason(client, client_as, personas,
                                                       run_worker):
    from tests.factories import make_patient

    patient = make_patient(clinic=personas.clinic, email=EMAIL)
    signed_in(client, run_worker)
    url = reverse("portal_data_correction", args=[patient.pk])
    client.post(url, {"detail": ""})
    assert not DataRequest.objects.exists()
    client.post(url, {"detail": "My phone number is 06 12 34 56 78, not 06 12 34 56 87."})
    request = DataRequest.objects.get()
    assert request.kind == "rectification" and request.due_on == _month_later(
        request.created_at.astimezone(personas.clinic.zoneinfo).date())
    desk = client_as(personas.reception)
    assert "Patients' requests" in desk.get(reverse("desk")).content.decode()
    listing = desk.get(reverse("data_requests")).content.decode()
    assert "06 12 34 56 78" in listing
    decide = reverse("data_request_decide", args=[request.pk])
    desk.post(decide, {"done": "no", "reason": ""})
    assert DataRequest.objects.get().status == "open"
    desk.post(decide, {"done": "no", "reason": "The number on record is the one you gave "
                                              "us on 3 March; please call to confirm."})
    assert DataRequest.objects.get().status == "refused"
    page = client.get(reverse("portal_patient", args=[patient.pk])).content.decode()
    assert "please call to confirm" in page
    assert client_as(personas.outsider).post(decide, {"done": "yes"}).status_code == 404


def test_a_request_made_just_after_midnight_far_from_utc_is_due_a_month_on_that_day(
        personas, clock):
    from tests.factories import make_patient

    clinic = personas.clinic
    clinic.timezone = "Pacific/Auckland"
    clinic.save()
    local = datetime.combine(date(2027, 1, 31), time(0, 10), clinic.zoneinfo)
    clock.current = local
    patient = make_patient(clinic=clinic)
    request = data_access_request(patient=patient, ip=None)
    assert request.due_on == date(2027, 2, 28)  # the clinic's 31 January, a month on


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_month_later_is_the_same_day_or_the_month_s_last(day):
    later = _month_later(day)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == 1
    assert later.day == day.day or (later.day < day.day and
                                    (later + timedelta(days=1)).day == 1)


# Erasure ----------------------------------------------------------------------------------


def test_a_patient_without_a_medical_record_is_erased_and_no_search_finds_them(
        client, client_as, personas, run_worker, api_headers):
    from mesoclinic.patients.models import Patient
    from tests.factories import make_patient

    patient = make_patient(clinic=personas.clinic, email=EMAIL, first_name="Eulalie",
                           last_name="Vasseur", phone="06 11 22 33 44")
    before = client_as(personas.owner).get(reverse("patient_list"), {"q": "Vasseur"})
    assert f'href="/patients/{patient.pk}/"' in before.content.decode()  # found, for now
    signed_in(client, run_worker)
    client.post(reverse("portal_erasure", args=[patient.pk]))
    request = DataRequest.objects.get(kind="erasure")
    owner = client_as(personas.owner)
    listing = owner.get(reverse("data_requests")).content.decode()
    assert "No medical record must be kept" in listing
    decide = reverse("data_request_decide", args=[request.pk])
    assert client_as(personas.reception).post(decide, {"done": "yes"}).status_code == 403
    from tests.factories import owner_membership

    elsewhere = owner_membership(personas.other_clinic)
    assert client_as(elsewhere).post(decide, {"done": "yes"}).status_code == 404
    owner = client_as(personas.owner)
    owner.post(decide, {"done": "yes"})
    erased = Patient.objects.get(pk=patient.pk)
    assert (erased.first_name, erased.email, erased.phone, erased.email_key) == \
        ("—", "", "", "")
    for query in ("Vasseur", "Eulalie", EMAIL, "0611223344", "06 11 22 33 44"):
        found = owner.get(reverse("patient_list"), {"q": query}).content.decode()
        assert f'href="/patients/{patient.pk}/"' not in found, query  # the query is echoed
        api = client.get("/api/v1/patients", {"q": query}, **api_headers(personas.owner))
        assert api.json() == [] or all(p["id"] != patient.pk for p in api.json()), query
    event = AuditEvent.objects.get(action="patient.erase")
    assert "Vasseur" not in json.dumps(event.detail) and event.detail["kept_medical_record"] \
        is False
    # The person's sign-in no longer opens anything.
    assert client.get(reverse("portal_patient", args=[patient.pk])).status_code in (302, 404)


def test_a_treated_patient_keeps_the_medical_record_and_is_told_until_when(
        client, client_as, personas, clock, run_worker):
    from mesoclinic.consultation.models import Photo
    from mesoclinic.patients.models import Patient

    personas.clinic.country = "FR"
    personas.clinic.save(update_fields=["country"])
    patient = patient_with_record(personas, clock)
    photo_files = [p.stored_name for p in Photo.objects.filter(patient=patient)]
    assert photo_files
    signed_in(client, run_worker)
    client.post(reverse("portal_erasure", args=[patient.pk]))
    request = DataRequest.objects.get(kind="erasure")
    owner = client_as(personas.owner)
    assert "must be kept until" in owner.get(reverse("data_requests")).content.decode()
    owner.post(reverse("data_request_decide", args=[request.pk]), {"done": "yes"})
    kept = Patient.objects.get(pk=patient.pk)
    assert kept.last_name == patient.last_name  # the law keeps the record, with its name
    assert not Photo.objects.filter(patient=patient).exists()
    from mesoclinic.consultation.services import photo_storage

    assert not any(photo_storage().exists(name) for name in photo_files)
    request.refresh_from_db()
    assert request.status == "done" and "kept until" in request.decision
    assert "20 years" in request.decision  # France
    signed_in(client, run_worker)
    assert "kept until" in client.get(reverse("portal_patient", args=[patient.pk])) \
        .content.decode()


def test_an_erasure_refused_needs_a_reason_and_the_retention_cannot_go_below_the_law(
        client_as, personas):
    from mesoclinic.portal.services import data_erasure_request
    from tests.factories import make_patient

    personas.clinic.country = "FR"
    personas.clinic.save(update_fields=["country"])
    request = data_erasure_request(patient=make_patient(clinic=personas.clinic), ip=None)
    owner = client_as(personas.owner)
    owner.post(reverse("data_request_decide", args=[request.pk]), {"done": "no", "reason": ""})
    assert DataRequest.objects.get(pk=request.pk).status == "open"
    owner.post(reverse("data_request_decide", args=[request.pk]),
               {"done": "no", "reason": "An invoice dispute is open."})
    assert DataRequest.objects.get(pk=request.pk).status == "refused"
    owner.post(reverse("retention_set"), {"years": "5"})
    personas.clinic.refresh_from_db()
    assert personas.clinic.record_retention_years is None  # below France's 20: refused
    owner.post(reverse("retention_set"), {"years": "25"})
    personas.clinic.refresh_from_db()
    assert personas.clinic.record_retention_years == 25
    assert client_as(personas.practitioner).post(reverse("retention_set"),
                                                 {"years": "30"}).status_code == 403


def test_the_api_lists_requests_prepares_copies_and_closes_requests(
        client, personas, run_worker, api_headers):
    from mesoclinic.portal.services import data_erasure_request, data_rectification_request
    from tests.factories import make_patient
    from tests.openapi import assert_matches_schema

    patient = make_patient(clinic=personas.clinic)
    correction = data_rectification_request(patient=patient, detail="Wrong birth date.",
                                            ip=None)
    erasure = data_erasure_request(patient=patient, ip=None)
    made = client.post(f"/api/v1/patients/{patient.pk}/data-export",
                       **api_headers(personas.nurse))
    assert made.status_code == 201
    assert_matches_schema(made, "/api/v1/patients/{patient_id}/data-export", "post")
    assert client.post(f"/api/v1/patients/{patient.pk}/data-export",
                       **api_headers(personas.reception)).status_code == 403
    listing = client.get("/api/v1/data-requests", **api_headers(personas.reception))
    assert_matches_schema(listing, "/api/v1/data-requests", "get")
    assert {r["kind"] for r in listing.json()} == {"access", "rectification", "erasure"}
    assert client.get("/api/v1/data-requests", **api_headers(personas.outsider)).json() == []
    refused = client.post(f"/api/v1/data-requests/{correction.pk}/decide",
                          {"done": False}, content_type="application/json",
                          **api_headers(personas.reception))
    assert refused.status_code == 400  # a refusal needs its reason
    closed = client.post(f"/api/v1/data-requests/{correction.pk}/decide",
                         {"done": True}, content_type="application/json",
                         **api_headers(personas.reception))
    assert closed.status_code == 200 and closed.json()["status"] == "done"
    assert_matches_schema(closed, "/api/v1/data-requests/{request_id}/decide", "post")
    assert client.post(f"/api/v1/data-requests/{erasure.pk}/decide", {"done": True},
                       content_type="application/json",
                       **api_headers(personas.reception)).status_code == 403
    erased = client.post(f"/api/v1/data-requests/{erasure.pk}/decide", {"done": True},
                         content_type="application/json", **api_headers(personas.owner))
    assert erased.status_code == 200 and erased.json()["status"] == "done"
