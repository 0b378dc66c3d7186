"""What a practitioner does on the pages, the API does too: same rules, audit and errors."""

import json
from decimal import Decimal

import pytest

from mesoclinic.consultation.models import Consent
from mesoclinic.core.models import AuditEvent
from mesoclinic.courses.models import Injection
from mesoclinic.courses.schemas import InjectionIn
from mesoclinic.courses.services import injection_add, plan_book_proposed, session_start
from mesoclinic.inventory.models import Lot
from tests.factories import actor_for, make_patient, ready_patient, sign_treatment_consent
from tests.openapi import assert_matches_schema


def post(client, path, payload, headers):
    return client.post(path, json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def charted(personas, catalogue, clock):
    patient, _product, lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                 practitioner=personas.practitioner)
    actor = actor_for(personas.practitioner)
    session = session_start(actor=actor, session=plan_book_proposed(actor=actor, plan=plan)[0])
    injection = injection_add(actor=actor, session=session, data=InjectionIn(
        lot=lot.pk, chart_map="face", zone="forehead", volume_ml="0.5", depth_mm="2")).injection
    return {"patient": patient, "lot": lot, "injection": injection}


@pytest.mark.parametrize("role,status", [("practitioner", 201), ("reception", 201),
                                         ("outsider", 404)])
def test_staff_record_a_consent_signed_in_person_with_a_typed_name(
        personas, client, api_headers, role, status):
    patient = make_patient(clinic=personas.clinic)
    response = post(client, f"/api/v1/patients/{patient.pk}/consents",
                    {"also": ["photos"], "typed_name": patient.full_name, "agreed": True,
                     "patient_present": True}, api_headers(personas.of(role)))
    assert response.status_code == status
    if status == 201:
        assert_matches_schema(response, "/api/v1/patients/{patient_id}/consents", "post")
        assert sorted(c["kind"] for c in response.json()) == ["photos", "treatment"]
        assert Consent.objects.filter(patient=patient, method="typed").count() == 2
        assert AuditEvent.objects.filter(action="consent.sign", patient_id=patient.pk).count() \
            == 2


def test_a_consent_is_not_signed_without_the_patient_or_their_agreement(
        personas, client, api_headers):
    patient = make_patient(clinic=personas.clinic)
    headers = api_headers(personas.practitioner)
    absent = post(client, f"/api/v1/patients/{patient.pk}/consents",
                  {"typed_name": patient.full_name, "agreed": True, "patient_present": False},
                  headers)
    unticked = post(client, f"/api/v1/patients/{patient.pk}/consents",
                    {"typed_name": patient.full_name, "agreed": False,
                     "patient_present": True}, headers)
    assert (absent.status_code, absent.json()["field"]) == (400, "patient_present")
    assert (unticked.status_code, unticked.json()["field"]) == (400, "agreed")
    assert not Consent.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("role,status", [("nurse", 200), ("outsider", 404)])
def test_staff_withdraw_a_consent_through_the_api(personas, client, api_headers, role, status):
    patient = make_patient(clinic=personas.clinic)
    consent = sign_treatment_consent(patient=patient)
    response = post(client, f"/api/v1/patients/{patient.pk}/consents/{consent.pk}/withdraw",
                    {"reason": "changed her mind"}, api_headers(personas.of(role)))
    assert response.status_code == status
    consent.refresh_from_db()
    assert (consent.withdrawn_at is not None) == (status == 200)
    if status == 200:
        assert_matches_schema(response,
                              "/api/v1/patients/{patient_id}/consents/{consent_id}/withdraw",
                              "post")
        again = post(client, f"/api/v1/patients/{patient.pk}/consents/{consent.pk}/withdraw",
                     {"reason": "twice"}, api_headers(personas.of(role)))
        assert again.status_code == 400


@pytest.mark.parametrize("role,status", [("practitioner", 200), ("reception", 403),
                                         ("outsider", 404)])
def test_a_lot_is_recalled_with_its_reason_and_its_recipients_are_listed(
        personas, client, api_headers, charted, role, status):
    lot = charted["lot"]
    headers = api_headers(personas.of(role))
    response = post(client, f"/api/v1/lots/{lot.pk}/recall", {"reason": "sterility"}, headers)
    assert response.status_code == status
    lot.refresh_from_db()
    assert lot.recalled == (status == 200)
    if status == 200:
        assert_matches_schema(response, "/api/v1/lots/{lot_id}/recall", "post")
        assert lot.recall_reason == "sterility"
        recipients = client.get(f"/api/v1/lots/{lot.pk}/recipients", **headers)
        assert [r["patient"] for r in recipients.json()] == [charted["patient"].pk]


@pytest.mark.parametrize("role,status", [("practitioner", 200), ("reception", 403),
                                         ("outsider", 404)])
def test_a_charted_injection_is_removed_kept_in_the_record_and_its_volume_given_back(
        personas, client, api_headers, charted, role, status):
    injection, lot = charted["injection"], charted["lot"]
    stock = Lot.objects.get(pk=lot.pk).quantity
    response = post(client, f"/api/v1/injections/{injection.pk}/remove",
                    {"reason": "charted on the wrong patient"}, api_headers(personas.of(role)))
    assert response.status_code == status
    kept = Injection.objects.get(pk=injection.pk)
    if status == 200:
        assert_matches_schema(response, "/api/v1/injections/{injection_id}/remove", "post")
        assert kept.removed_at is not None and kept.removal_reason.startswith("charted on")
        assert Lot.objects.get(pk=lot.pk).quantity == stock + Decimal("0.5")
        assert AuditEvent.objects.filter(action="injection.remove",
                                         object_id=str(injection.pk)).exists()
        recipients = client.get(f"/api/v1/lots/{lot.pk}/recipients",
                                **api_headers(personas.practitioner))
        # Still exposed through the allergy test of that lot, but no longer injected with it.
        [exposure] = recipients.json()
        assert (Decimal(exposure["volume_ml"]), exposure["allergy_test"]) == (0, True)
    else:
        assert kept.removed_at is None
        assert Lot.objects.get(pk=lot.pk).quantity == stock


def test_the_session_page_removes_an_injection_with_a_reason(personas, client_as, charted):
    from django.urls import reverse

    client = client_as(personas.practitioner)
    injection = charted["injection"]
    page = client.post(reverse("injection_remove", args=[injection.pk]),
                       {"reason": "duplicate entry"}, follow=True)
    body = page.content.decode()
    assert "volume is back in the lot" in body
    assert "duplicate entry" in body
    assert Injection.objects.get(pk=injection.pk).removed_at is not None
