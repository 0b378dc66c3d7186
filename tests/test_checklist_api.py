"""A scenario through the API for every code of the checklist, and the override."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from mesoclinic.consultation.schemas import AllergyReadIn
from mesoclinic.consultation.services import (
    allergy_test_read,
    consent_text_publish,
    consent_withdraw,
)
from mesoclinic.core import moments
from mesoclinic.core.models import AuditEvent
from tests.factories import (
    actor_for,
    give_allergy_test,
    make_intake,
    make_patient,
    make_product_with_lot,
    sign_treatment_consent,
)
from tests.openapi import assert_matches_schema

CHECKLIST = "/api/v1/patients/{patient_id}/checklist"


@pytest.fixture
def consulted(personas, clock):
    """Build a patient with an intake, the current consent and an allergy test read with
    the given result, 30 hours after it was given."""
    def build(result: str):
        product, lot = make_product_with_lot(clinic=personas.clinic)
        patient = make_patient(clinic=personas.clinic)
        make_intake(patient=patient)
        sign_treatment_consent(patient=patient)
        test = give_allergy_test(patient=patient, lots=[lot])
        clock.advance(hours=30)
        allergy_test_read(actor=actor_for(personas.practitioner), test=test,
                          data=AllergyReadIn(result=result, reaction="wheal 12 mm"))
        return patient, product

    return build


@pytest.fixture
def ready(consulted, clock):
    """A patient with everything in order, two days after the negative reading."""
    patient, product = consulted("negative")
    clock.advance(days=2)
    return patient, product


def check(client, personas, api_headers, patient, product, *, practitioner=None,
          as_member=None, **params):
    query = {"practitioner": (practitioner or personas.practitioner).user_id,
             "products": [product.pk], **params}
    return client.get(f"/api/v1/patients/{patient.pk}/checklist", query,
                      **api_headers(as_member or personas.practitioner))


def codes(response) -> set[str]:
    return {f["code"] for f in response.json()["findings"]}


def test_a_patient_with_everything_in_order_passes(client, personas, api_headers, ready):
    patient, product = ready
    response = check(client, personas, api_headers, patient, product)
    assert response.status_code == 200
    assert_matches_schema(response, CHECKLIST, "get")
    assert response.json()["passes"] is True
    assert response.json()["findings"] == []


def test_allergy_test_missing(client, personas, api_headers, ready):
    patient, _product = ready
    other_product, _lot = make_product_with_lot(clinic=personas.clinic)
    response = check(client, personas, api_headers, patient, other_product)
    assert "allergy-test-missing" in codes(response)
    assert response.json()["passes"] is False


def test_allergy_test_unread_says_when_it_can_be_read(client, personas, api_headers, ready,
                                                      clock):
    patient, _tested = ready
    untested, lot = make_product_with_lot(clinic=personas.clinic)
    test = give_allergy_test(patient=patient, lots=[lot])
    response = check(client, personas, api_headers, patient, untested)
    finding = next(f for f in response.json()["findings"] if f["code"] == "allergy-test-unread")
    readable = moments.moment_text(test.given_at + timedelta(hours=24), personas.clinic,
                                   name_zone=True)
    assert finding["severity"] == "block"
    assert readable in finding["message"]


def test_allergy_test_positive(client, personas, api_headers, consulted):
    patient, product = consulted("positive")
    assert "allergy-test-positive" in codes(check(client, personas, api_headers, patient,
                                                  product))


def test_nsaid_washout_gives_the_earliest_date(client, personas, api_headers, ready):
    patient, product = ready
    two_days_ago = timezone.localdate() - timedelta(days=2)
    make_intake(patient=patient, medications=[
        {"name": "Ibuprofen", "drug_class": "nsaid", "last_dose": two_days_ago}])
    response = check(client, personas, api_headers, patient, product)
    finding = next(f for f in response.json()["findings"] if f["code"] == "nsaid-washout")
    earliest = two_days_ago + timedelta(days=8)  # from the end of that day, 7 full days
    assert f"no session before {earliest.day} {earliest:%b %Y}, 00:00 (Europe/Paris)" in \
        finding["message"]
    later = timezone.localtime() + timedelta(days=6)
    response = check(client, personas, api_headers, patient, product,
                     at=later.isoformat())
    assert "nsaid-washout" not in codes(response)


def test_consent_missing_when_none_withdrawn_or_of_an_old_version(
        client, personas, api_headers, ready):
    patient, product = ready
    assert "consent-missing" not in codes(check(client, personas, api_headers, patient,
                                                product))
    consent_text_publish(actor=actor_for(personas.owner), kind="treatment",
                         title="Consent v2", body="New wording.")
    assert "consent-missing" in codes(check(client, personas, api_headers, patient, product))
    fresh = sign_treatment_consent(patient=patient)
    assert "consent-missing" not in codes(check(client, personas, api_headers, patient,
                                                product))
    consent_withdraw(actor=actor_for(personas.owner), consent=fresh, reason="changed mind")
    assert "consent-missing" in codes(check(client, personas, api_headers, patient, product))


def test_practitioner_not_qualified(client, personas, api_headers, ready):
    patient, product = ready
    response = check(client, personas, api_headers, patient, product,
                     practitioner=personas.nurse)
    assert "practitioner-not-qualified" in codes(response)


@pytest.mark.parametrize(("condition", "severity"),
                         [("pregnancy", "block"), ("breastfeeding", "block"),
                          ("infection-at-site", "block"), ("component-allergy", "block"),
                          ("diabetes", "warn"), ("keloid", "warn")])
def test_contraindications_from_the_intake(client, personas, api_headers, ready, condition,
                                           severity):
    patient, product = ready
    make_intake(patient=patient, conditions=[condition])
    response = check(client, personas, api_headers, patient, product)
    finding = next(f for f in response.json()["findings"]
                   if f["code"] == f"contraindication:{condition}")
    assert finding["severity"] == severity
    assert response.json()["passes"] is (severity == "warn")


def test_an_anticoagulant_blocks(client, personas, api_headers, ready):
    patient, product = ready
    make_intake(patient=patient, medications=[
        {"name": "Apixaban", "drug_class": "anticoagulant", "last_dose": None}])
    assert "contraindication:anticoagulants" in codes(
        check(client, personas, api_headers, patient, product))


def test_a_patient_under_18_is_blocked(client, personas, api_headers, ready):
    patient, product = ready
    patient.date_of_birth = timezone.localdate() - timedelta(days=17 * 365)
    patient.save()
    assert "contraindication:under-18" in codes(
        check(client, personas, api_headers, patient, product))


def test_a_practitioner_overrides_a_block_with_a_reason(client, personas, api_headers, ready):
    patient, product = ready
    make_intake(patient=patient, conditions=["cardiovascular"])
    url = f"/api/v1/patients/{patient.pk}/overrides"
    body = {"code": "contraindication:cardiovascular",
            "reason": "Cleared in writing by her cardiologist, letter of 3 Nov scanned."}
    too_short = client.post(url, json.dumps({**body, "reason": "ok"}),
                            content_type="application/json",
                            **api_headers(personas.practitioner))
    assert too_short.status_code == 400 and too_short.json()["field"] == "reason"
    for member in (personas.nurse, personas.owner, personas.reception):
        refused = client.post(url, json.dumps(body), content_type="application/json",
                              **api_headers(member))
        assert refused.status_code == 403
    created = client.post(url, json.dumps(body), content_type="application/json",
                          **api_headers(personas.practitioner))
    assert created.status_code == 201
    assert_matches_schema(created, "/api/v1/patients/{patient_id}/overrides", "post")
    response = check(client, personas, api_headers, patient, product)
    finding = next(f for f in response.json()["findings"]
                   if f["code"] == "contraindication:cardiovascular")
    assert finding["overridden"] is True
    assert "cardiologist" in finding["override_reason"]
    assert response.json()["passes"] is True
    assert AuditEvent.objects.filter(action="safety.override", patient=patient).exists()


def test_reception_cannot_read_the_checklist(client, personas, api_headers, ready):
    patient, product = ready
    response = check(client, personas, api_headers, patient, product,
                     as_member=personas.reception)
    assert response.status_code == 403


def test_another_clinic_cannot_read_the_checklist(client, personas, api_headers, ready):
    patient, product = ready
    response = check(client, personas, api_headers, patient, product,
                     as_member=personas.outsider, practitioner=personas.outsider)
    assert response.status_code == 404


def test_another_clinics_products_and_bad_times_are_refused(client, personas, api_headers,
                                                            ready):
    patient, _product = ready
    theirs, _lot = make_product_with_lot(clinic=personas.other_clinic)
    assert check(client, personas, api_headers, patient, theirs).status_code == 404
    bad_time = check(client, personas, api_headers, patient, _product, at="yesterday-ish")
    assert bad_time.status_code == 422
