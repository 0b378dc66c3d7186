"""What a person reads is written for a person: no library messages, no codes or slugs
where a name belongs, numbers as people write them."""

from __future__ import annotations

import pytest
from django.utils import translation

LIBRARY_WORDS = ("Input should", "String should", "Value error", "List should",
                 "Field required", "valid integer", "Extra inputs")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_form_with_every_kind_of_mistake_answers_in_words(language):
    from mesoclinic.core.web import parse_form
    from mesoclinic.courses.schemas import InjectionIn, PlanIn

    with translation.override(language):
        _spec, plan_errors = parse_form(PlanIn, {
            "indication": "", "body_areas": "face", "technique": "x" * 400,
            "depth_min_mm": "deep", "depth_max_mm": "-3", "needle_length_mm": "4",
            "planned_sessions": "ten", "cocktail": [], "surprise": "1"})
        _spec, injection_errors = parse_form(InjectionIn, {
            "lot": "first", "chart_map": "face", "volume_ml": "0.123456789",
            "depth_mm": "1e9"})
    messages = [m for errors in (plan_errors, injection_errors)
                for texts in errors.values() for m in texts]
    assert len(messages) >= 6
    assert not [m for m in messages if any(word in m for word in LIBRARY_WORDS)], messages
    if language == "fr":
        assert "Saisissez un nombre entier." in messages


@pytest.mark.usefixtures("catalogue")
def test_volumes_read_as_people_write_them_in_each_language(client_as, personas):
    from decimal import Decimal

    from django.utils import timezone

    from mesoclinic.inventory.services import lot_create
    from tests.factories import actor_for, make_product_with_lot

    product, _lot = make_product_with_lot(clinic=personas.clinic, name="Mesolift")
    lot_create(actor=actor_for(personas.owner), product=product, number="LOT-B",
               expiry=timezone.localdate().replace(year=timezone.localdate().year + 1),
               quantity=Decimal("28.8"))
    client = client_as(personas.practitioner)
    page = client.get("/clinic/products/").content.decode()
    assert "48.8 ml" in page and "48.80" not in page
    personas.clinic.language = "fr"
    personas.clinic.save()
    assert "48,8 ml" in client.get("/clinic/products/").content.decode()


def test_the_questionnaire_shows_conditions_and_medicines_by_name_not_by_code(
        client_as, personas):
    from tests.factories import make_intake, make_patient

    patient = make_patient(clinic=personas.clinic)
    make_intake(patient=patient, conditions=["herpes-simplex"],
                medications=[{"name": "Advil", "drug_class": "nsaid",
                              "last_dose": "2026-11-01"}])
    page = client_as(personas.practitioner).get(
        f"/patients/{patient.pk}/intake/").content.decode()
    assert "Herpes simplex (cold sores)" in page and ">herpes-simplex<" not in page
    assert "Other NSAID" in page and "(nsaid" not in page


@pytest.mark.usefixtures("catalogue")
def test_findings_and_sources_are_in_words_with_the_code_kept_small(client_as, personas):
    from tests.factories import make_patient

    patient = make_patient(clinic=personas.clinic)
    page = client_as(personas.practitioner).get(
        f"/patients/{patient.pk}/checklist/").content.decode()
    assert "Blocks treatment" in page
    assert "reference/" not in page
    assert "“The procedure and its risks”" in page or "“Booking and consultation guide”" in page
    catalogue = client_as(personas.practitioner).get("/catalogue/side-effects/").content
    assert b"reference/" not in catalogue and b".txt" not in catalogue


def test_the_record_history_says_what_each_correction_changed(client_as, personas):
    from mesoclinic.patients.schemas import PatientChanges
    from mesoclinic.patients.services import patient_update
    from tests.factories import actor_for, make_patient

    patient = make_patient(clinic=personas.clinic, phone="+33 6 00 00 00 01")
    patient_update(actor=actor_for(personas.practitioner), patient=patient,
                   changes=PatientChanges(phone="+33 6 99 99 99 99", notes="Prone to bruising",
                                          sex="male"))
    practitioner_page = client_as(personas.practitioner).get(
        f"/patients/{patient.pk}/").content.decode()
    assert "Version 1 corrected by" in practitioner_page
    assert "<del>+33 6 00 00 00 01</del> → <ins>+33 6 99 99 99 99</ins>" in practitioner_page
    assert "<del>Female</del> → <ins>Male</ins>" in practitioner_page
    assert "Prone to bruising</ins>" in practitioner_page
    reception_page = client_as(personas.reception).get(
        f"/patients/{patient.pk}/").content.decode()
    assert "+33 6 99 99 99 99</ins>" in reception_page
    assert "Prone to bruising" not in reception_page


@pytest.mark.usefixtures("catalogue", "database_tasks")
def test_the_timeline_and_the_summary_tell_the_whole_story(client_as, personas, clock):
    from mesoclinic.aftercare.models import CheckIn
    from mesoclinic.aftercare.selectors import checkin_token
    from mesoclinic.aftercare.services import AdverseEventIn, adverse_event_record
    from tests.test_consultation_pages import pdf_text
    from tests.test_record_costs import Record

    record = Record(personas, clock)
    record.one_more_round()  # a session charted on the face, a photo, a bruise, a measure
    checkin = CheckIn.objects.filter(patient=record.patient).order_by("due_at").first()
    clock.advance(days=1)
    from django.test import Client

    Client().post(f"/c/{checkin_token(checkin)}/", {
        "feeling": "symptoms", "symptoms": ["itching"], "severity": "mild"})
    adverse_event_record(actor=record.actor, patient=record.patient, data=AdverseEventIn(
        side_effect="swelling", onset_at=clock.now(), severity="moderate"))
    client = client_as(personas.practitioner)
    timeline = client.get(f"/patients/{record.patient.pk}/timeline/").content.decode()
    assert "Adverse event: Swelling" in timeline and "Adverse event: Bruising" in timeline
    assert "Check-in answered (day 1)" in timeline and "Itching" in timeline
    text = pdf_text(client.get(f"/patients/{record.patient.pk}/summary.pdf").content)
    assert "Adverse events" in text and "Swelling" in text and "Bruising" in text
    assert "Photos" in text and "Face, Front" in text
    assert "Face" in text and "Forehead" in text  # the map's title and the points' zones


def test_the_audit_trail_offers_each_action_once_in_words_and_finds_a_typed_name(
        client_as, personas):
    import re as regex

    from tests.factories import make_patient

    dubois = make_patient(clinic=personas.clinic, first_name="Lucie", last_name="Dubois")
    other = make_patient(clinic=personas.clinic, first_name="Marc", last_name="Petit")
    reader = client_as(personas.practitioner)
    for _ in range(3):
        reader.get(f"/patients/{dubois.pk}/")
        reader.get(f"/patients/{other.pk}/")
    owner = client_as(personas.owner)
    page = owner.get("/clinic/audit/").content.decode()
    options = regex.findall(r'<option value="([a-z_.]+)"[^>]*>([^<]+)</option>', page)
    assert len(options) == len({code for code, _label in options})  # each action once
    assert ("patient.view", "Opened a patient record") in options
    found = owner.get("/clinic/audit/", {"patient": "dubo", "action": "patient.view"})
    text = found.content.decode()
    assert "Dubois" in text.replace("DUBOIS", "Dubois") and "Petit" not in text
    assert 'value="dubo"' in text  # the filter keeps what was typed


@pytest.mark.usefixtures("catalogue")
def test_an_allergy_test_sent_with_a_mistake_comes_back_as_it_was_filled_in(
        client_as, personas):
    from tests.factories import make_patient, make_product_with_lot

    product, lot = make_product_with_lot(clinic=personas.clinic, name="Mesolift")
    patient = make_patient(clinic=personas.clinic)
    page = client_as(personas.practitioner).post(
        f"/patients/{patient.pk}/allergy-tests/new/", {
            "product_1": product.pk, "lot_1": lot.pk, "site_1": "left inner forearm",
            "product_2": product.pk, "lot_2": "", "site_2": "right inner forearm"})
    text = page.content.decode()
    assert page.status_code == 400
    assert f'<option value="{product.pk}" selected>' in text
    assert f'<option value="{lot.pk}" selected>' in text
    assert 'value="left inner forearm"' in text and 'value="right inner forearm"' in text
