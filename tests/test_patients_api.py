"""The patients API: same access rules, auditing and validation as the pages."""

import json

import pytest

from mesoclinic.core.models import AuditEvent
from mesoclinic.patients.models import Patient, PatientRevision
from tests.factories import make_patient
from tests.openapi import assert_matches_schema

STAFF = ["owner", "practitioner", "nurse", "reception"]
LIST = "/api/v1/patients"
ONE = "/api/v1/patients/{patient_id}"

NEW = {"first_name": "Chloé", "last_name": "Girard", "date_of_birth": "1992-07-01",
       "sex": "female", "phone": "+33 6 10 20 30 40", "email": "chloe@example.com"}


def post_json(client, url, body, headers, method="post"):
    return getattr(client, method)(url, data=json.dumps(body) if not isinstance(body, str)
                                   else body, content_type="application/json", **headers)


def test_without_a_token_the_api_answers_401(client, personas):
    patient = make_patient(clinic=personas.clinic)
    for response in [client.get(LIST), client.get(f"{LIST}/{patient.pk}"),
                     post_json(client, LIST, NEW, {})]:
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"


def test_a_forged_token_is_refused(client, personas):
    response = client.get(LIST, HTTP_AUTHORIZATION="Bearer mc_not-a-real-token")
    assert response.status_code == 401


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_searches_patients(client, personas, api_headers, role):
    make_patient(clinic=personas.clinic, last_name="Chevalier")
    make_patient(clinic=personas.other_clinic, last_name="Chevalier-Elsewhere")
    response = client.get(LIST, {"q": "cheval"}, **api_headers(personas.of(role)))
    assert response.status_code == 200
    assert_matches_schema(response, LIST, "get")
    assert [p["last_name"] for p in response.json()] == ["Chevalier"]


@pytest.mark.parametrize("role", ["owner", "practitioner", "nurse"])
def test_clinicians_read_the_medical_details(client, personas, api_headers, role):
    patient = make_patient(clinic=personas.clinic, notes="Takes warfarin.")
    response = client.get(f"{LIST}/{patient.pk}", **api_headers(personas.of(role)))
    assert response.status_code == 200
    assert_matches_schema(response, ONE, "get")
    assert response.json()["medical"] == {"fitzpatrick_type": 3, "notes": "Takes warfarin."}


def test_reception_reads_contact_details_without_medical_ones(client, personas, api_headers):
    patient = make_patient(clinic=personas.clinic, notes="Takes warfarin.")
    response = client.get(f"{LIST}/{patient.pk}", **api_headers(personas.reception))
    assert response.status_code == 200
    assert_matches_schema(response, ONE, "get")
    assert response.json()["medical"] is None
    assert "warfarin" not in response.content.decode()
    assert response.json()["phone"] == patient.phone


def test_reception_cannot_record_medical_details(client, personas, api_headers):
    response = post_json(client, LIST, {**NEW, "notes": "x"}, api_headers(personas.reception))
    assert response.status_code == 403
    assert_matches_schema(response, LIST, "post")
    assert not Patient.objects.filter(last_name="Girard").exists()


def test_another_clinics_patient_answers_404_like_a_missing_one(client, personas, api_headers):
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.outsider)
    theirs = client.get(f"{LIST}/{patient.pk}", **headers)
    missing = client.get(f"{LIST}/999999", **headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert_matches_schema(theirs, ONE, "get")
    patched = post_json(client, f"{LIST}/{patient.pk}", {"phone": "+44 7700 900000"},
                        headers, method="patch")
    assert patched.status_code == 404
    patient.refresh_from_db()
    assert patient.phone != "+44 7700 900000"


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_registers_a_patient_and_it_is_audited(
        client, personas, api_headers, role):
    response = post_json(client, LIST, NEW, api_headers(personas.of(role)))
    assert response.status_code == 201
    assert_matches_schema(response, LIST, "post")
    patient = Patient.objects.get(pk=response.json()["id"])
    assert patient.clinic == personas.clinic
    assert AuditEvent.objects.filter(action="patient.create", patient=patient).count() == 1


def test_reading_a_patient_writes_one_audit_event(client, personas, api_headers):
    patient = make_patient(clinic=personas.clinic)
    client.get(f"{LIST}/{patient.pk}", REMOTE_ADDR="192.0.2.7", **api_headers(personas.nurse))
    event = AuditEvent.objects.get(action="patient.view", patient=patient)
    assert (event.actor, event.role, event.clinic, event.ip) == (
        personas.nurse.user, "nurse", personas.clinic, "192.0.2.7")


def test_a_possible_duplicate_answers_409_with_the_existing_record(
        client, personas, api_headers):
    existing = make_patient(clinic=personas.clinic, first_name="Chloé", last_name="Girard",
                            date_of_birth="1992-07-01")
    headers = api_headers(personas.practitioner)
    response = post_json(client, LIST, NEW, headers)
    assert response.status_code == 409
    assert_matches_schema(response, LIST, "post")
    assert [d["id"] for d in response.json()["duplicates"]] == [existing.pk]
    confirmed = post_json(client, LIST, {**NEW, "allow_duplicate": True}, headers)
    assert confirmed.status_code == 201


def test_malformed_json_is_a_400_naming_the_problem(client, personas, api_headers):
    response = post_json(client, LIST, "{not json", api_headers(personas.practitioner))
    assert response.status_code == 400
    assert "parse" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "1992-02-30"}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"first_name": 42}, "first_name"),
        ({"sex": "robot"}, "sex"),
        ({"email": "nope"}, "email"),
        ({"fitzpatrick_type": 9}, "fitzpatrick_type"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_fields_are_a_422_naming_the_field(client, personas, api_headers, change,
                                                   field):
    response = post_json(client, LIST, {**NEW, **change}, api_headers(personas.practitioner))
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]
    assert not Patient.objects.filter(last_name="Girard").exists()


def test_a_correction_through_the_api_keeps_the_previous_version(client, personas,
                                                                  api_headers):
    patient = make_patient(clinic=personas.clinic, email="old@example.com")
    response = post_json(client, f"{LIST}/{patient.pk}", {"email": "new@example.com"},
                         api_headers(personas.practitioner), method="patch")
    assert response.status_code == 200
    assert_matches_schema(response, ONE, "patch")
    assert response.json()["version"] == 2
    assert PatientRevision.objects.get(patient=patient).data["email"] == "old@example.com"


def test_a_required_field_cannot_be_emptied(client, personas, api_headers):
    patient = make_patient(clinic=personas.clinic)
    response = post_json(client, f"{LIST}/{patient.pk}", {"last_name": None},
                         api_headers(personas.practitioner), method="patch")
    assert response.status_code == 400
    assert response.json()["field"] == "last_name"


def test_search_limit_is_validated(client, personas, api_headers):
    response = client.get(LIST, {"limit": "5000"}, **api_headers(personas.owner))
    assert response.status_code == 422


def test_search_costs_the_same_queries_however_many_patients_match(
        client, personas, api_headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = api_headers(personas.nurse)
    make_patient(clinic=personas.clinic, last_name="Rare")
    for index in range(30):
        make_patient(clinic=personas.clinic, last_name=f"Blanc{index}")
    counts = []
    for query, expected in [("rare", 1), ("blanc", 30)]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"q": query}, **headers)
        assert len(response.json()) == expected
        counts.append(len(queries))
    # token, search, and the audit event (chain lock, insert, chain update)
    assert counts[0] == counts[1] <= 7
