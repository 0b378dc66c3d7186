"""Links a patient receives: answered once, withdrawn by staff, signed with their own name;
booking links end with the appointment; the signed consent stays with clinical staff."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from mesoclinic.booking.models import AppointmentStatus
from mesoclinic.consultation.models import Consent, IntakeSubmission
from mesoclinic.core.models import AuditEvent
from tests.factories import make_patient, sign_treatment_consent
from tests.test_consultation_pages import INTAKE, link_for

# The session, user and memberships, the patient, the link and its audit event, the email
# queued with its audit event, the links listed back, and the session's idle stamp.
EMAIL_LINK_STATEMENTS = 14


def test_a_link_takes_one_questionnaire_and_one_consent(client, client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    path = link_for(client_as, personas, patient)
    client.logout()
    assert client.post(path, INTAKE).status_code == 302
    # Replayed: the questionnaire is not taken again, the patient is sent on to the consent.
    replay = client.post(path, {**INTAKE, "conditions": ["pregnancy"]})
    assert replay.status_code == 302 and replay.url.endswith("/consent/")
    assert IntakeSubmission.objects.filter(patient=patient).count() == 1
    signed = client.post(path + "consent/", {"method": "typed", "agreed": "on",
                                             "typed_name": patient.full_name})
    assert signed.status_code == 200
    again = client.post(path + "consent/", {"method": "typed", "agreed": "on",
                                            "typed_name": patient.full_name})
    assert again.status_code == 200
    assert Consent.objects.filter(patient=patient).count() == 1
    done = client.get(path).content.decode()  # both answered: the link says so
    assert "Thank you" in done and "Pregnant" not in done


def test_staff_withdraw_a_link_and_it_stops_opening(client, client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    path = link_for(client_as, personas, patient)
    staff = client_as(personas.reception)
    page = staff.post(reverse("intake_link", args=[patient.pk])).content.decode()
    assert "Withdraw this link" in page
    from mesoclinic.consultation.models import PatientLink

    first = PatientLink.objects.filter(patient=patient).order_by("created_at").first()
    staff.post(reverse("intake_link_revoke", args=[patient.pk, first.pk]))
    assert AuditEvent.objects.filter(action="intake.link_revoke", patient=patient).exists()
    client.logout()
    refused = client.get(path)
    assert refused.status_code == 404
    assert "withdrawn this link" in refused.content.decode()


@pytest.mark.parametrize("role,status", [("outsider", 404)])
def test_a_link_of_another_clinic_cannot_be_withdrawn(client_as, personas, role, status):
    from mesoclinic.consultation.models import PatientLink

    patient = make_patient(clinic=personas.clinic)
    link_for(client_as, personas, patient)
    link = PatientLink.objects.get(patient=patient)
    response = client_as(personas.of(role)).post(
        reverse("intake_link_revoke", args=[patient.pk, link.pk]))
    assert response.status_code == status
    link.refresh_from_db()
    assert link.revoked_at is None


@pytest.mark.parametrize("typed,accepted", [
    ("{first} {last}", True), ("{last} {first}", True), ("  {upper_first}   {last} ", True),
    ("Someone Else", False), ("{first}", False)])
def test_a_typed_signature_must_be_the_patient_s_own_name(client, client_as, personas, typed,
                                                          accepted):
    patient = make_patient(clinic=personas.clinic, first_name="Hélène",
                           last_name="Dupont-Moreau")
    path = link_for(client_as, personas, patient)
    client.logout()
    name = typed.format(first=patient.first_name, last=patient.last_name,
                        upper_first="HELENE")
    response = client.post(path + "consent/", {"method": "typed", "agreed": "on",
                                                "typed_name": name})
    assert Consent.objects.filter(patient=patient).exists() == accepted
    if not accepted:
        assert response.status_code == 400
        assert "own name" in response.content.decode()


def test_a_booking_link_stops_once_the_appointment_has_passed(client, personas, catalogue,
                                                              clock):
    from mesoclinic.booking.selectors import manage_token
    from tests.factories import book_consultation, open_clinic_for_booking

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book_consultation(clinic=personas.clinic, member=personas.practitioner,
                                    channel="online")
    path = reverse("manage_booking", args=[manage_token(appointment)])
    assert client.get(path).status_code == 200
    clock.current = appointment.ends_at + timedelta(minutes=1)
    gone = client.get(path)
    assert gone.status_code == 404 and "has passed" in gone.content.decode()
    cancel = client.post(path, {"action": "cancel"})
    assert cancel.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("role,status", [("reception", 403), ("nurse", 200),
                                         ("outsider", 404)])
def test_reception_sees_that_a_consent_exists_but_cannot_open_the_signed_document(
        client_as, personas, role, status):
    patient = make_patient(clinic=personas.clinic)
    consent = sign_treatment_consent(patient=patient)
    client = client_as(personas.of(role))
    response = client.get(reverse("consent_pdf", args=[patient.pk, consent.pk]))
    assert response.status_code == status
    if role == "reception":
        record = client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
        assert "signed" in record
        assert reverse("consent_pdf", args=[patient.pk, consent.pk]) not in record


@pytest.mark.usefixtures("database_tasks")
def test_the_link_is_emailed_from_the_record_with_a_qr_code_and_never_stored(
        client_as, personas, run_worker):
    from django.core import mail

    from mesoclinic.consultation.models import PatientLink

    patient = make_patient(clinic=personas.clinic, email="lea@example.com", language="fr")
    client = client_as(personas.practitioner)
    page = client.post(f"/patients/{patient.pk}/intake/link/", {"deliver": "email"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "lea@example.com" in text and 'src="data:image/svg+xml;base64,' in text
    shown = re.search(r'value="(http[^"]+/p/[^"]+/)"', text).group(1)
    run_worker()
    message = next(m for m in mail.outbox if m.to == ["lea@example.com"])
    assert message.subject.startswith("Avant votre consultation")
    assert shown.split("/p/")[1] in message.body  # the same link, in the patient's language
    link = PatientLink.objects.get(patient=patient)
    assert shown.split("/p/")[1].rstrip("/") not in (link.nonce, link.key_hash)


def test_a_patient_without_email_is_told_so_rather_than_sent_nothing(client_as, personas):
    patient = make_patient(clinic=personas.clinic, email="")
    response = client_as(personas.practitioner).post(f"/patients/{patient.pk}/intake/link/",
                                                     {"deliver": "email"})
    assert response.status_code == 400
    assert "no email address" in response.content.decode()


@pytest.mark.usefixtures("database_tasks")
def test_emailing_the_link_costs_exact_statements(client_as, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    patient = make_patient(clinic=personas.clinic, email="lea@example.com")
    client = client_as(personas.practitioner)
    client.get("/")  # a session's first page also reads the user's second factor
    with CaptureQueriesContext(connection) as queries:
        client.post(f"/patients/{patient.pk}/intake/link/", {"deliver": "email"})
    assert len(queries) == EMAIL_LINK_STATEMENTS, [q["sql"][:50] for q in queries]
