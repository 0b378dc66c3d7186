"""Patient pages: register, search, open, correct — for each persona."""

import pytest
from django.urls import reverse

from mesoclinic.core.models import AuditEvent
from mesoclinic.patients.models import Patient, PatientRevision
from tests.factories import make_patient

STAFF = ["owner", "practitioner", "nurse", "reception"]

VALID = {
    "first_name": "Inès",
    "last_name": "Lefèvre",
    "date_of_birth": "1990-05-17",
    "sex": "female",
    "phone": "+33 6 11 22 33 44",
    "email": "ines@example.com",
    "address": "3 rue Mercière, Lyon",
}


@pytest.mark.parametrize("url_name", ["patient_list", "patient_new"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_visitors_cannot_open_a_patient(client, personas):
    patient = make_patient(clinic=personas.clinic)
    response = client.get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_can_register_a_patient(client_as, personas, role):
    client = client_as(personas.of(role))
    response = client.post(reverse("patient_new"), VALID)
    patient = Patient.objects.get(last_name="Lefèvre")
    assert response.status_code == 302
    assert response.url == reverse("patient_detail", args=[patient.pk])
    assert patient.clinic == personas.clinic
    assert AuditEvent.objects.filter(action="patient.create", patient=patient,
                                     role=role).exists()


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_finds_a_patient_by_name(client_as, personas, role):
    make_patient(clinic=personas.clinic, first_name="Camille", last_name="Fontaine")
    response = client_as(personas.of(role)).get(reverse("patient_list"), {"q": "font"})
    assert response.status_code == 200
    assert "FONTAINE, Camille" in response.content.decode()


def test_search_never_shows_another_clinics_patients(client_as, personas):
    make_patient(clinic=personas.other_clinic, first_name="Hidden", last_name="Fontaine")
    make_patient(clinic=personas.clinic, first_name="Ours", last_name="Fontaine")
    page = client_as(personas.owner).get(reverse("patient_list"), {"q": "fontaine"})
    # The search finds the name (so the page is not empty for another reason)…
    assert "FONTAINE, Ours" in page.content.decode()
    # …and only in this clinic.
    assert "Hidden" not in page.content.decode()


def test_search_by_phone_date_of_birth_and_email(client_as, personas):
    make_patient(clinic=personas.clinic, last_name="Garnier", phone="+33 6 98 76 54 32",
                 date_of_birth="1979-11-03", email="m.garnier@example.org")
    client = client_as(personas.reception)
    for query in ["06 98 76 54 32", "03/11/1979", "1979-11-03", "M.Garnier@example.org"]:
        response = client.get(reverse("patient_list"), {"q": query})
        assert "GARNIER" in response.content.decode(), query


def test_a_live_search_answers_only_the_results_fragment(client_as, personas):
    make_patient(clinic=personas.clinic, last_name="Perrin")
    response = client_as(personas.nurse).get(
        reverse("patient_list"), {"q": "perr"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "PERRIN" in body
    assert "<html" not in body


@pytest.mark.parametrize("role", ["owner", "practitioner", "nurse"])
def test_clinicians_see_the_medical_details(client_as, personas, role):
    patient = make_patient(clinic=personas.clinic, notes="Keloid on the left shoulder.")
    response = client_as(personas.of(role)).get(reverse("patient_detail", args=[patient.pk]))
    assert response.status_code == 200
    assert "Keloid on the left shoulder." in response.content.decode()
    assert "Fitzpatrick" in response.content.decode()


def test_reception_sees_identity_and_contact_but_never_medical_details(client_as, personas):
    patient = make_patient(clinic=personas.clinic, notes="Keloid on the left shoulder.",
                           phone="+33 6 55 44 33 22")
    response = client_as(personas.reception).get(reverse("patient_detail", args=[patient.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "+33 6 55 44 33 22" in body
    assert "Keloid" not in body
    assert "Fitzpatrick" not in body


def test_reception_cannot_slip_medical_details_into_a_registration(client_as, personas):
    client_as(personas.reception).post(reverse("patient_new"),
                                       {**VALID, "notes": "sneaky", "fitzpatrick_type": "2"})
    patient = Patient.objects.get(last_name="Lefèvre")
    assert patient.notes == ""
    assert patient.fitzpatrick_type is None


def test_another_clinics_patient_is_not_found_and_not_revealed(client_as, personas):
    patient = make_patient(clinic=personas.clinic, last_name="Secret")
    client = client_as(personas.outsider)
    for url in [reverse("patient_detail", args=[patient.pk]),
                reverse("patient_edit", args=[patient.pk])]:
        response = client.get(url)
        assert response.status_code == 404
        assert "Secret" not in response.content.decode()
    theirs = client.get(reverse("patient_detail", args=[patient.pk]))
    missing = client.get(reverse("patient_detail", args=[999999]))
    assert missing.status_code == 404
    assert "No such patient." in theirs.content.decode()
    assert "No such patient." in missing.content.decode()


def test_opening_a_record_writes_an_audit_event_with_who_role_clinic_and_ip(
        client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    client_as(personas.nurse).get(reverse("patient_detail", args=[patient.pk]),
                                  REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(action="patient.view").get()
    assert event.actor == personas.nurse.user
    assert event.role == "nurse"
    assert event.clinic == personas.clinic
    assert event.patient == patient
    assert event.object_type == "patient" and event.object_id == str(patient.pk)
    assert event.ip == "10.1.2.3"


def test_a_second_patient_with_the_same_name_and_birth_date_is_held_for_confirmation(
        client_as, personas):
    existing = make_patient(clinic=personas.clinic, first_name="Inès", last_name="Lefevre",
                            date_of_birth="1990-05-17")
    client = client_as(personas.reception)
    response = client.post(reverse("patient_new"), VALID)
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert reverse("patient_detail", args=[existing.pk]) in response.content.decode()
    assert Patient.objects.filter(first_key="ines", last_key="lefevre").count() == 1

    confirmed = client.post(reverse("patient_new"), {**VALID, "allow_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.filter(first_key="ines", last_key="lefevre").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "1990-02-30", "Enter a valid date"),
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "", "This field is required"),
        ("first_name", "x" * 101, "At most 100 characters."),
        ("last_name", "   ", "This field is required"),
        ("email", "not-an-email", "valid email"),
        ("phone", "call me maybe", "phone number"),
        ("sex", "robot", "Choose one of the options"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(
        client_as, personas, field, value, message):
    response = client_as(personas.practitioner).post(
        reverse("patient_new"), {**VALID, field: value})
    body = response.content.decode()
    assert response.status_code == 400
    assert f'id="err_{field}"' in body
    assert message in body
    assert not Patient.objects.filter(last_name__startswith="Lef").exists()


def test_a_correction_keeps_the_previous_version(client_as, personas):
    patient = make_patient(clinic=personas.clinic, phone="+33 6 00 00 00 01")
    response = client_as(personas.practitioner).post(
        reverse("patient_edit", args=[patient.pk]),
        {"first_name": patient.first_name, "last_name": patient.last_name,
         "date_of_birth": "1985-02-14", "sex": "female", "phone": "+33 6 00 00 00 02",
         "email": "", "address": "", "fitzpatrick_type": "3", "notes": "Sensitive skin."})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+33 6 00 00 00 02"
    assert patient.version == 2
    revision = PatientRevision.objects.get(patient=patient)
    assert revision.data["phone"] == "+33 6 00 00 00 01"
    assert AuditEvent.objects.filter(action="patient.update", patient=patient).exists()


def test_reception_corrects_contact_details_without_touching_medical_ones(
        client_as, personas):
    patient = make_patient(clinic=personas.clinic, notes="Keep me.")
    client_as(personas.reception).post(
        reverse("patient_edit", args=[patient.pk]),
        {"first_name": patient.first_name, "last_name": patient.last_name,
         "date_of_birth": "1985-02-14", "sex": "female", "phone": "+33 6 99 99 99 99",
         "email": "", "address": "", "notes": "overwritten?"})
    patient.refresh_from_db()
    assert patient.phone == "+33 6 99 99 99 99"
    assert patient.notes == "Keep me."


def test_free_text_is_escaped_where_it_is_shown(client_as, personas):
    patient = make_patient(clinic=personas.clinic, notes="<script>alert(1)</script>",
                           address="<b>bold</b>")
    body = client_as(personas.owner).get(
        reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>bold</b>" not in body
