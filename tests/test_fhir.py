"""/fhir/r4/: the record as FHIR R4 resources, with the same tokens, tenancy, roles and audit
as /api/v1/; every resource validated by fhir.resources; booking through FHIR by the same
rules as the desk."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from PIL import Image

from mesoclinic.aftercare.services import AdverseEventIn, adverse_event_record, session_finish
from mesoclinic.booking.models import Appointment
from mesoclinic.consultation.services import photo_add
from mesoclinic.core.models import AuditEvent
from mesoclinic.courses.schemas import InjectionIn, SessionCompleteIn
from mesoclinic.courses.services import (
    injection_add,
    injection_remove,
    plan_book_proposed,
    session_start,
)
from mesoclinic.fhir.resources import build
from mesoclinic.fhir.selectors import KINDS
from mesoclinic.outcomes.services import MeasurementIn, measurement_record
from tests.factories import (
    actor_for,
    book_consultation,
    book_for,
    make_patient,
    open_clinic_for_booking,
    ready_patient,
    sign_photo_consent,
)

BASE = "/fhir/r4/"
FHIR_JSON = "application/fhir+json; charset=utf-8"


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (214, 170, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def treated_patient(personas, clock, *, sessions: int = 1, points: int = 3):
    """A patient with everything mesoclinic records: a plan, sessions charted (one point
    removed), a photo, a measurement, an adverse event, consent and an allergy test."""
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                 practitioner=personas.practitioner)
    actor = actor_for(personas.practitioner)
    sign_photo_consent(patient=patient)
    photo = photo_add(actor=actor, patient=patient, body_area_code="face", view="front",
                      raw=jpeg())
    booked = plan_book_proposed(actor=actor, plan=plan)
    for session in booked[:sessions]:
        session = session_start(actor=actor, session=session)
        for n in range(points):
            injection_add(actor=actor, session=session, data=InjectionIn(
                lot=lot.pk, chart_map="face", zone="cheek-right" if n % 2 else "forehead",
                volume_ml="0.05", depth_mm="2",
                **({"photo": photo.pk, "photo_x": 30, "photo_y": 40} if n == 1 else {})))
        first = session.injections.order_by("id").first()
        injection_remove(actor=actor, injection=first, reason="Charted twice")
        session_finish(actor=actor, session=session, data=SessionCompleteIn())
        clock.advance(days=8)
    measurement_record(actor=actor, patient=patient, data=MeasurementIn(
        scale="vas-pain", value="3", rated_by="patient", measured_on=clock.now().date(),
        plan=plan.pk))
    adverse_event_record(actor=actor, patient=patient, data=AdverseEventIn(
        side_effect="swelling", session=booked[0].pk, onset_at=clock.now(),
        severity="mild"))
    book_review(personas, patient)
    return patient


def book_review(personas, patient) -> Appointment:
    """A consultation for this patient at the practitioner's first free time tomorrow."""
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    return book_for(patient=patient, member=personas.practitioner)


def get(client, path, headers, **params):
    return client.get(BASE + path, params, **headers)


def resources_of(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle.get("entry", [])]


# The endpoint -------------------------------------------------------------------------


def test_the_capability_statement_lists_exactly_what_is_served(client):
    response = client.get(BASE + "metadata")
    assert response.status_code == 200 and response["Content-Type"] == FHIR_JSON
    statement = build(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(served) == set(KINDS) | {"Observation", "Slot", "CodeSystem", "Binary"}
    assert {"code": "create"} in served["Appointment"]["interaction"]
    assert served["Patient"]["operation"][0]["name"] == "everything"
    assert {p["name"] for p in served["Appointment"]["searchParam"]} >= {
        "patient", "date", "status", "practitioner", "_count"}
    assert "Appointment:patient" in served["Appointment"]["searchInclude"]
    assert "http://snomed.info/sct" in statement["rest"][0]["documentation"]


def test_without_a_token_the_answer_is_an_operation_outcome(client, personas, api_headers):
    assert client.get(BASE + "Patient?_format=json", **api_headers(personas.reception)) \
        .status_code == 200
    response = client.get(BASE + "Patient")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "login"


@pytest.mark.parametrize(("path", "status", "code"), [
    ("Basic", 404, "not-found"), ("Patient/999999", 404, "not-found"),
    ("Patient?colour=blue", 400, "invalid"), ("Patient?_count=many", 400, "invalid"),
    ("Appointment?date=yesterday", 400, "invalid"), ("Patient/1/$nothing", 404, "not-found"),
    ("Patient?_format=xml", 406, "not-supported"),
])
def test_mistakes_are_operation_outcomes_in_words(client, personas, api_headers, path,
                                                 status, code):
    response = client.get(BASE + path, **api_headers(personas.practitioner))
    assert response.status_code == status and response["Content-Type"] == FHIR_JSON
    issue = build(response.json())["issue"][0]
    assert issue["code"] == code and issue["diagnostics"]


# Each resource type -------------------------------------------------------------------


def test_every_resource_of_a_treated_patient_reads_and_validates(client, personas, clock,
                                                                 api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.owner)
    seen = {}
    for kind in [*KINDS, "Observation"]:
        response = get(client, kind, headers, _count=200)
        assert response.status_code == 200, (kind, response.content[:300])
        bundle = response.json()
        Bundle.model_validate(bundle)
        for resource in resources_of(bundle):
            build(resource)  # each one, on its own, as another system would read it
            read = get(client, f"{kind}/{resource['id']}", headers)
            assert read.status_code == 200 and read.json() == resource
        seen[kind] = resources_of(bundle)
    assert all(seen[k] for k in seen), [k for k in seen if not seen[k]]
    assert seen["Patient"][0]["name"][0]["family"] == patient.last_name


def test_a_charted_injection_is_a_medication_administration(client, personas, clock,
                                                            api_headers):
    treated_patient(personas, clock)
    headers = api_headers(personas.practitioner)
    given = resources_of(get(client, "MedicationAdministration", headers,
                             status="completed").json())
    assert len(given) == 2
    on_cheek = next(r for r in given if "Cheek" in r["dosage"]["site"]["text"])
    assert on_cheek["dosage"]["route"]["coding"][0]["code"] == "372464004"
    assert on_cheek["dosage"]["dose"] == {"value": 0.05, "unit": "mL",
                                          "system": "http://unitsofmeasure.org", "code": "mL"}
    assert {"system": "http://snomed.info/sct", "code": "60819002",
            "display": "Buccal region of face"} in on_cheek["dosage"]["site"]["coding"]
    assert on_cheek["partOf"][0]["reference"].startswith("Procedure/")
    depth = next(e for e in on_cheek["extension"] if e["url"].endswith("injection-depth"))
    assert depth["valueQuantity"]["value"] == 2.0
    removed = resources_of(get(client, "MedicationAdministration", headers,
                               status="entered-in-error").json())
    assert [r["statusReason"][0]["text"] for r in removed] == ["Charted twice"]
    lot_ref = on_cheek["medicationReference"]["reference"]
    medication = get(client, lot_ref, headers).json()
    assert medication["batch"]["lotNumber"] and medication["batch"]["expirationDate"]
    included = get(client, "MedicationAdministration", headers,
                   _include="MedicationAdministration:medication").json()
    assert [e["search"]["mode"] for e in included["entry"]].count("include") == 1


def test_an_adverse_event_points_at_the_injections_and_the_lot(client, personas, clock,
                                                               api_headers):
    treated_patient(personas, clock)
    headers = api_headers(personas.practitioner)
    event = resources_of(get(client, "AdverseEvent", headers).json())[0]
    suspects = [s["instance"]["reference"] for s in event["suspectEntity"]]
    assert sum(s.startswith("MedicationAdministration/") for s in suspects) == 2
    assert sum(s.startswith("Medication/") for s in suspects) == 1
    assert event["severity"]["coding"][0]["code"] == "mild"


def test_procedures_care_plans_consents_photos_and_observations(client, personas, clock,
                                                                api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.practitioner)
    procedure = resources_of(get(client, "Procedure", headers, status="completed").json())[0]
    assert procedure["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == \
        "single-needle"
    assert procedure["reasonCode"][0]["coding"][0]["code"] == "facial-rejuvenation"
    assert procedure["bodySite"][0]["coding"][0]["code"] == "89545001"
    plan = resources_of(get(client, "CarePlan", headers, patient=patient.pk).json())[0]
    assert len(plan["activity"]) == 6
    assert plan["activity"][0]["outcomeReference"][0]["reference"] == \
        f"Procedure/{procedure['id']}"
    consent = resources_of(get(client, "Consent", headers).json())[0]
    document = get(client, consent["sourceReference"]["reference"], headers).json()
    pdf = client.get(document["content"][0]["attachment"]["url"], **headers)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    media = resources_of(get(client, "Media", headers).json())[0]
    picture = client.get(media["content"]["url"], **headers)
    assert picture.status_code == 200 and picture.content.startswith(b"\xff\xd8")
    observations = resources_of(get(client, "Observation", headers,
                                    patient=f"Patient/{patient.pk}").json())
    codes = {c["code"] for o in observations for c in o["code"].get("coding", [])}
    assert {"72514-3", "vas-pain", "reading"} <= codes
    allergy = resources_of(get(client, "AllergyIntolerance", headers).json())[0]
    assert allergy["verificationStatus"]["coding"][0]["code"] == "refuted"


# Search ---------------------------------------------------------------------------------


def test_search_by_patient_status_and_paging(client, personas, clock, api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    booked = [book_consultation(clinic=personas.clinic, member=personas.practitioner,
                                days_ahead=d) for d in (1, 2, 3)]
    headers = api_headers(personas.reception)
    page = get(client, "Appointment", headers, _count=2).json()
    assert page["total"] == 3 and len(page["entry"]) == 2
    next_url = next(link["url"] for link in page["link"] if link["relation"] == "next")
    rest = client.get(next_url, **headers).json()
    assert [r["id"] for r in resources_of(rest)] == [str(booked[2].pk)]
    mine = get(client, "Appointment", headers, patient=f"Patient/{booked[1].patient_id}",
               _include="Appointment:patient").json()
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in mine["entry"]] == \
        [("Appointment", "match"), ("Patient", "include")]
    assert get(client, "Appointment", headers, status="cancelled").json()["total"] == 0
    assert get(client, "Appointment", headers, status="booked").json()["total"] == 3


def test_a_date_is_the_clinic_s_day_just_after_its_midnight(client, personas, clock,
                                                            api_headers):
    clinic = personas.clinic
    clinic.timezone = "Pacific/Auckland"
    clinic.save()
    open_clinic_for_booking(clinic, personas.practitioner)
    appointment = book_consultation(clinic=clinic, member=personas.practitioner)
    day = (appointment.starts_at.astimezone(clinic.zoneinfo) + timedelta(days=3)).date()
    just_after_midnight = datetime.combine(day, time(0, 10), clinic.zoneinfo)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=just_after_midnight, ends_at=just_after_midnight + timedelta(minutes=30))
    headers = api_headers(personas.reception)
    assert get(client, "Appointment", headers, date=day.isoformat()).json()["total"] == 1
    before = (day - timedelta(days=1)).isoformat()
    assert get(client, "Appointment", headers, date=before).json()["total"] == 0
    found = resources_of(get(client, "Appointment", headers, date=f"ge{day}").json())
    assert found[0]["start"] == f"{day}T00:10:00+13:00"


def test_free_slots_come_from_the_booking_engine(client, personas, api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    headers = api_headers(personas.reception)
    slots = get(client, "Slot", headers, _count=5).json()
    assert slots["total"] > 5 and len(slots["entry"]) == 5
    first = resources_of(slots)[0]
    assert first["status"] == "free" and first["schedule"]["reference"] == \
        f"Schedule/{personas.practitioner.pk}"


# Tenancy, roles, audit ----------------------------------------------------------------


def test_another_clinic_s_resources_are_not_found(client, personas, clock, api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.outsider)
    assert get(client, f"Patient/{patient.pk}", headers).status_code == 404
    assert get(client, f"Patient/{patient.pk}/$everything", headers).status_code == 404
    for kind in ("Procedure", "MedicationAdministration", "Media", "Consent", "Appointment"):
        assert get(client, kind, headers).json()["total"] == 0, kind
    media = resources_of(get(client, "Media", api_headers(personas.practitioner)).json())[0]
    assert get(client, f"Binary/photo-{media['id']}", headers).status_code == 404


@pytest.mark.parametrize(("role", "path", "status"), [
    ("reception", "Patient", 200), ("reception", "Appointment", 200),
    ("reception", "Practitioner", 200), ("reception", "Slot", 200),
    ("reception", "Procedure", 403), ("reception", "Observation", 403),
    ("reception", "MedicationAdministration", 403), ("reception", "Media", 403),
    ("reception", "AuditEvent", 403), ("nurse", "Procedure", 200),
    ("nurse", "AuditEvent", 403), ("practitioner", "AuditEvent", 403),
    ("owner", "AuditEvent", 200),
])
def test_reception_reads_people_and_times_and_owners_the_trail(client, personas, api_headers,
                                                               role, path, status):
    response = get(client, path, api_headers(personas.of(role)))
    assert response.status_code == status, response.content[:200]
    if status == 403:
        assert response.json()["issue"][0]["code"] == "forbidden"


def test_reception_cannot_take_everything_or_a_photo(client, personas, clock, api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.reception)
    assert get(client, f"Patient/{patient.pk}/$everything", headers).status_code == 403
    media = resources_of(get(client, "Media", api_headers(personas.nurse)).json())[0]
    assert get(client, f"Binary/photo-{media['id']}", headers).status_code == 403


def test_each_read_and_search_is_audited_against_its_patient(client, personas, clock,
                                                             api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.nurse)
    get(client, f"Patient/{patient.pk}", headers)
    get(client, "Procedure", headers, patient=patient.pk)
    get(client, f"Patient/{patient.pk}/$everything", headers)
    events = list(AuditEvent.objects.filter(action__startswith="fhir.").order_by("id")
                  .values_list("action", "object_type", "patient_id", "actor_id"))
    user = personas.nurse.user_id
    assert events == [("fhir.read", "Patient", patient.pk, user),
                      ("fhir.search", "Procedure", patient.pk, user),
                      ("fhir.everything", "Patient", patient.pk, user)]
    trail = resources_of(get(client, "AuditEvent", api_headers(personas.owner),
                             patient=patient.pk, _count=3).json())
    assert trail[0]["subtype"][0]["code"] == "fhir.everything"
    assert trail[0]["entity"][0]["what"]["reference"] == f"Patient/{patient.pk}"


# $everything -------------------------------------------------------------------------------


def test_everything_gathers_the_whole_record_in_constant_statements(client, personas, clock,
                                                                    api_headers):
    short = treated_patient(personas, clock, sessions=1, points=2)
    long = treated_patient(personas, clock, sessions=3, points=5)
    headers = api_headers(personas.practitioner)
    counts, kinds = [], []
    for patient in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = get(client, f"Patient/{patient.pk}/$everything", headers)
        assert response.status_code == 200
        bundle = response.json()
        Bundle.model_validate(bundle)
        counts.append(len(queries))
        kinds.append({r["resourceType"] for r in resources_of(bundle)})
    assert counts[0] == counts[1] == 19
    assert kinds[1] == {
        "Patient", "Appointment", "CarePlan", "Procedure", "Medication",
        "MedicationAdministration", "AllergyIntolerance", "Observation", "AdverseEvent",
        "Consent", "DocumentReference", "Media", "Practitioner", "Organization", "Location"}
    references = {f"{r['resourceType']}/{r['id']}" for r in resources_of(bundle)}
    pointed = {ref for r in resources_of(bundle) for ref in _references(r)}
    assert pointed <= references  # the bundle is whole: nothing it refers to is missing


def _references(data):
    if isinstance(data, dict):
        if isinstance(data.get("reference"), str):
            yield data["reference"]
        for value in data.values():
            yield from _references(value)
    elif isinstance(data, list):
        for value in data:
            yield from _references(value)


# Booking through FHIR -------------------------------------------------------------------


def proposed(patient_id: int, member_id: int, start: datetime, kind: str = "consultation"):
    return {"resourceType": "Appointment", "status": "proposed",
            "start": start.isoformat(),
            "serviceType": [{"coding": [{
                "system": "https://mesoclinic.org/fhir/CodeSystem/appointment-kind",
                "code": kind}]}],
            "participant": [
                {"actor": {"reference": f"Patient/{patient_id}"}, "status": "needs-action"},
                {"actor": {"reference": f"Practitioner/{member_id}"},
                 "status": "needs-action"}]}


def _free_start(client, headers, kind="consultation"):
    slot = resources_of(get(client, "Slot", headers, _count=1,
                            **{"service-type": kind}).json())[0]
    return datetime.fromisoformat(slot["start"])


def test_a_proposed_appointment_is_booked_by_the_desk_s_rules(client, personas, api_headers):
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.reception)
    start = _free_start(client, headers)
    body = proposed(patient.pk, personas.practitioner.pk, start)
    response = client.post(BASE + "Appointment", body, content_type="application/json",
                           **headers)
    assert response.status_code == 201, response.content
    created = build(response.json())
    assert created["status"] == "booked"
    assert response["Location"].endswith(f"/fhir/r4/Appointment/{created['id']}")
    stored = Appointment.objects.get(pk=created["id"])
    assert (stored.patient_id, stored.starts_at, stored.channel) == (patient.pk, start, "api")
    assert AuditEvent.objects.filter(action="appointment.book", object_id=created["id"]) \
        .exists()
    # The same time again: the slot claims refuse it, as for every booking.
    again = client.post(BASE + "Appointment", proposed(make_patient(
        clinic=personas.clinic).pk, personas.practitioner.pk, start),
        content_type="application/json", **headers)
    assert again.status_code == 409
    assert again.json()["issue"][0]["details"]["coding"][0]["code"] == "slot-taken"
    assert Appointment.objects.filter(starts_at=start).count() == 1


def test_a_treatment_refused_by_the_safety_rules_names_the_rule_and_the_earliest_day(
        client, personas, clock, api_headers):
    from tests.factories import (
        give_allergy_test,
        make_intake,
        make_plan,
        make_product_with_lot,
        sign_treatment_consent,
    )

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    product, lot = make_product_with_lot(clinic=personas.clinic)
    patient = make_patient(clinic=personas.clinic)
    make_intake(patient=patient)
    sign_treatment_consent(patient=patient)
    give_allergy_test(patient=patient, lots=[lot])  # given, not read yet
    make_plan(patient=patient, products=[product])
    headers = api_headers(personas.practitioner)
    start = _free_start(client, headers, "treatment")
    response = client.post(BASE + "Appointment",
                           proposed(patient.pk, personas.practitioner.pk, start, "treatment"),
                           content_type="application/json", **headers)
    assert response.status_code == 409
    issue = build(response.json())["issue"][0]
    assert issue["code"] == "conflict"
    assert "allergy-test-unread" in issue["details"]["coding"][0]["code"]
    earliest = issue["extension"][0]["valueDate"]
    assert earliest > start.date().isoformat()
    assert not Appointment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"status": "cancelled"}, "status"),
    ({"participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}]},
     "participant"),
    ({"start": "tomorrow"}, "start"),
])
def test_a_bad_appointment_gets_a_clear_400(client, personas, api_headers, change, field):
    patient = make_patient(clinic=personas.clinic)
    body = {**proposed(patient.pk, personas.practitioner.pk,
                       datetime(2030, 1, 7, 10, tzinfo=personas.clinic.zoneinfo)), **change}
    response = client.post(BASE + "Appointment", body, content_type="application/json",
                           **api_headers(personas.reception))
    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["code"] == "invalid" and field in issue["expression"][0]


def test_an_appointment_for_another_clinic_s_patient_is_not_found(client, personas,
                                                                  api_headers):
    stranger = make_patient(clinic=personas.other_clinic)
    body = proposed(stranger.pk, personas.practitioner.pk,
                    datetime(2030, 1, 7, 10, tzinfo=personas.clinic.zoneinfo))
    response = client.post(BASE + "Appointment", body, content_type="application/json",
                           **api_headers(personas.reception))
    assert response.status_code == 404
    assert not Appointment.objects.filter(patient=stranger).exists()


def test_volumes_are_exact_numbers():
    from mesoclinic.fhir.resources import quantity

    assert quantity(Decimal("0.05"), "mL", "mL")["value"] == 0.05


# The record page's download, declared code systems, exact statements ------------------


def test_the_record_page_downloads_the_whole_record_as_fhir(client_as, personas, clock):
    from django.urls import reverse

    patient = treated_patient(personas, clock)
    url = reverse("record_fhir", args=[patient.pk])
    page = client_as(personas.nurse).get(reverse("patient_detail", args=[patient.pk]))
    assert f'href="{url}"' in page.content.decode()
    response = client_as(personas.nurse).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == \
        f'attachment; filename="record-{patient.pk}.fhir.json"'
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.entry[0].resource.id == str(patient.pk)
    assert client_as(personas.reception).get(url).status_code == 403
    assert client_as(personas.outsider).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="fhir.everything", patient=patient).count() == 1


def test_every_code_system_used_is_declared(client, personas, clock, api_headers):
    patient = treated_patient(personas, clock)
    headers = api_headers(personas.owner)
    statement = client.get(BASE + "metadata").json()
    declared = statement["rest"][0]["documentation"]
    ours = {r["url"] for r in resources_of(get(client, "CodeSystem", headers).json())}
    bundle = get(client, f"Patient/{patient.pk}/$everything", headers).json()
    trail = get(client, "AuditEvent", headers, _count=50).json()
    used = {s for r in resources_of(bundle) + resources_of(trail) for s in _systems(r)}
    undeclared = {s for s in used if s not in ours and not any(
        s.startswith(prefix) for prefix in _declared_prefixes(declared))}
    assert not undeclared
    assert "https://mesoclinic.org/fhir/CodeSystem/chart-zone" in used


def _systems(data):
    if isinstance(data, dict):
        if isinstance(data.get("system"), str) and "code" in data:
            yield data["system"]
        for value in data.values():
            yield from _systems(value)
    elif isinstance(data, list):
        for value in data:
            yield from _systems(value)


def _declared_prefixes(documentation: str) -> list[str]:
    import re

    return re.findall(r"(https?://\S+|urn:\S+) \(", documentation)


SEARCH_STATEMENTS = {
    # token, members, count, page, audit; and the page's own related rows
    "Patient": 5, "Practitioner": 5, "PractitionerRole": 5, "Organization": 5,
    "Location": 5, "Schedule": 5, "Appointment": 5, "CarePlan": 6, "Procedure": 6,
    "MedicationAdministration": 5, "Medication": 5, "AllergyIntolerance": 6,
    "AdverseEvent": 7, "Consent": 5, "DocumentReference": 5, "Media": 5, "AuditEvent": 5,
    "Observation": 6,
}
READ_STATEMENTS = {
    "Patient": 4, "Practitioner": 4, "PractitionerRole": 4, "Organization": 4,
    "Location": 4, "Schedule": 4, "Appointment": 4, "CarePlan": 5, "Procedure": 5,
    "MedicationAdministration": 4, "Medication": 4, "AllergyIntolerance": 5,
    "AdverseEvent": 6, "Consent": 4, "DocumentReference": 4, "Media": 4, "AuditEvent": 4,
}


def test_each_read_and_search_costs_the_same_statements_however_many_rows(
        client, personas, clock, api_headers):
    treated_patient(personas, clock, sessions=1, points=2)

    def costs() -> tuple[dict, dict]:
        headers = api_headers(personas.owner)  # a fresh token: the clock has moved on
        get(client, "Patient", headers)  # the token's first use is stamped once
        searched, read = {}, {}
        for kind in SEARCH_STATEMENTS:
            with CaptureQueriesContext(connection) as queries:
                response = get(client, kind, headers, _count=200)
            searched[kind] = len(queries)
            if kind in READ_STATEMENTS:
                found = resources_of(response.json())
                assert found, (kind, response.json())
                first = found[0]["id"]
                with CaptureQueriesContext(connection) as queries:
                    get(client, f"{kind}/{first}", headers)
                read[kind] = len(queries)
        return searched, read

    short = costs()
    treated_patient(personas, clock, sessions=3, points=4)
    long = costs()
    assert short == long
    assert short == (SEARCH_STATEMENTS, READ_STATEMENTS)
