"""The patient's own space: a one-time emailed link signs them in; they see each clinic's
record of them separately, their appointments, their course, their documents, and change
their photo and registry consents themselves. Nobody else's record, ever."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mesoclinic.consultation.models import Consent
from mesoclinic.core.models import AuditEvent
from mesoclinic.portal.models import SignInLink
from tests.factories import (
    actor_for,
    book_for,
    make_patient,
    open_clinic_for_booking,
    ready_patient,
)

pytestmark = pytest.mark.usefixtures("database_tasks")

EMAIL = "camille.durand@example.org"


def ask_for_link(client, email=EMAIL):
    return client.post(reverse("portal_sign_in"), {"email": email})


def emailed_key(run_worker) -> str:
    run_worker()
    body = mail.outbox[-1].body
    return re.search(r"/me/sign-in/([^/\s]+)/", body)[1]


def signed_in(client, run_worker, email=EMAIL):
    ask_for_link(client, email)
    key = emailed_key(run_worker)
    response = client.post(reverse("portal_sign_in_link", args=[key]))
    assert response.status_code == 302
    return client


# Signing in -----------------------------------------------------------------------------


def test_a_known_address_gets_a_one_time_link_and_an_unknown_one_the_same_answer(
        client, personas, run_worker):
    make_patient(clinic=personas.clinic, email="Camille.Durand@example.org", language="fr")
    known = ask_for_link(client, "  CAMILLE.durand@example.org ")
    unknown = ask_for_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert _text(known) == _text(unknown)
    assert "If a clinic knows this address, a sign-in link is on its way" in _text(known)
    run_worker()
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    assert mail.outbox[0].subject == "Votre lien pour vous connecter à mesoclinic"
    assert "15 minutes" in mail.outbox[0].body
    # Nothing of the unknown address is kept but its hash, for the limit.
    stranger = SignInLink.objects.exclude(email=EMAIL).get()
    assert stranger.email == "" and "nobody" not in stranger.email_hash


def _text(response) -> str:
    text = re.sub(r"<[^>]+>|csrfmiddlewaretoken\" value=\"[^\"]+", "", response.content.decode())
    return re.sub(r"\s+", " ", text)


def test_the_link_signs_in_once_and_not_after_a_quarter_of_an_hour(client, personas,
                                                                  run_worker, clock):
    patient = make_patient(clinic=personas.clinic, email=EMAIL)
    ask_for_link(client)
    key = emailed_key(run_worker)
    # A mail scanner opening the link does not spend it: only the button does.
    assert client.get(reverse("portal_sign_in_link", args=[key])).status_code == 200
    response = client.post(reverse("portal_sign_in_link", args=[key]))
    assert response.url == reverse("portal_home")
    assert client.get(reverse("portal_home")).url == reverse("portal_patient",
                                                            args=[patient.pk])
    client.post(reverse("portal_sign_out"))
    again = client.post(reverse("portal_sign_in_link", args=[key]))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    ask_for_link(client)
    late = emailed_key(run_worker)
    clock.advance(minutes=16)
    assert client.post(reverse("portal_sign_in_link", args=[late])).status_code == 410
    assert AuditEvent.objects.filter(action="portal.sign_in", patient=patient).count() == 1


def test_three_links_a_quarter_of_an_hour_per_address(client, personas, run_worker, clock):
    make_patient(clinic=personas.clinic, email=EMAIL)
    for _n in range(3):
        assert ask_for_link(client).status_code == 200
    refused = ask_for_link(client)
    assert refused.status_code == 429
    assert "Use the latest one" in refused.content.decode()
    # The same for an address nobody knows: the limit says nothing of who is a patient.
    for _n in range(3):
        ask_for_link(client, "nobody@example.org")
    assert ask_for_link(client, "nobody@example.org").status_code == 429
    clock.advance(minutes=16)
    assert ask_for_link(client).status_code == 200


def test_a_bad_address_is_said_plainly(client, personas):
    response = ask_for_link(client, "not an address")
    assert response.status_code == 400
    assert "Enter your email address." in response.content.decode()
    assert not SignInLink.objects.exists()


def test_the_session_ends_after_a_quarter_of_an_hour_idle(client, personas, run_worker,
                                                         clock):
    patient = make_patient(clinic=personas.clinic, email=EMAIL)
    signed_in(client, run_worker)
    page = reverse("portal_patient", args=[patient.pk])
    clock.advance(minutes=14)
    assert client.get(page).status_code == 200
    clock.advance(minutes=14)  # 14 after the last request: still live
    assert client.get(page).status_code == 200
    clock.advance(minutes=16)
    response = client.get(page)
    assert response.url == reverse("portal_sign_in")
    assert "signed out after a while" in client.get(response.url).content.decode()


# What the patient sees ----------------------------------------------------------------


def test_a_patient_of_two_clinics_sees_each_separately_and_no_one_else(client, personas,
                                                                      run_worker):
    here = make_patient(clinic=personas.clinic, email=EMAIL, first_name="Camille")
    there = make_patient(clinic=personas.other_clinic, email=EMAIL, first_name="Camille")
    someone = make_patient(clinic=personas.clinic, email="someone@example.org")
    signed_in(client, run_worker)
    home = client.get(reverse("portal_home")).content.decode()
    assert personas.clinic.name in home and personas.other_clinic.name in home
    for patient in (here, there):
        page = client.get(reverse("portal_patient", args=[patient.pk]))
        assert page.status_code == 200
        assert f"<title>{patient.clinic.name} · mesoclinic</title>" in page.content.decode()
    assert client.get(reverse("portal_patient", args=[someone.pk])).status_code == 404
    assert client.get(reverse("portal_summary_pdf", args=[someone.pk])).status_code == 404
    by_clinic = dict(AuditEvent.objects.filter(action="portal.view").values_list(
        "patient_id", "clinic_id"))
    assert by_clinic == {here.pk: personas.clinic.pk, there.pk: personas.other_clinic.pk}


def test_without_signing_in_the_space_sends_to_the_sign_in_page(client, personas):
    patient = make_patient(clinic=personas.clinic, email=EMAIL)
    for url in (reverse("portal_home"), reverse("portal_patient", args=[patient.pk]),
                reverse("portal_summary_pdf", args=[patient.pk])):
        assert client.get(url).url == reverse("portal_sign_in")


def test_staff_signed_in_as_staff_are_not_signed_in_as_a_patient(client_as, personas):
    patient = make_patient(clinic=personas.clinic, email=personas.owner.user.email)
    response = client_as(personas.owner).get(reverse("portal_patient", args=[patient.pk]))
    assert response.url == reverse("portal_sign_in")


def test_the_course_appointments_and_documents(client, personas, clock, run_worker):
    from mesoclinic.core import moments
    from mesoclinic.courses.services import plan_book_proposed

    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    patient.email, patient.email_key = EMAIL, EMAIL
    patient.save(update_fields=["email", "email_key"])
    plan_book_proposed(actor=actor_for(personas.practitioner), plan=plan)
    open_clinic_for_booking(personas.clinic, personas.practitioner)
    appointment = book_for(patient=patient, member=personas.practitioner, days_ahead=2)
    signed_in(client, run_worker)
    page = client.get(reverse("portal_patient", args=[patient.pk])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "0 sessions done , 6 to go" in text
    next_day = plan.sessions.order_by("scheduled_on").first().scheduled_on
    stop = next_day - timedelta(days=7)
    if stop > moments.today(personas.clinic):
        assert f"from {stop:%A} {stop.day} {stop:%B %Y}" in text
    else:  # the washout has begun: no date in the past, but "from now on"
        assert "take no aspirin or anti-inflammatory medicines (ibuprofen, naproxen…) " \
            "from now on" in text
    assert "Change or cancel" in text and "/booking/" in page
    ics = client.get(reverse("portal_appointment_ics", args=[patient.pk, appointment.pk]))
    assert ics["Content-Type"] == "text/calendar" and b"BEGIN:VEVENT" in ics.content
    consent = Consent.objects.get(patient=patient)
    pdf = client.get(reverse("portal_consent_pdf", args=[patient.pk, consent.pk]))
    assert pdf.content.startswith(b"%PDF")
    summary = client.get(reverse("portal_summary_pdf", args=[patient.pk]))
    assert summary.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="consent.export", patient=patient,
                                     detail__by="patient").count() == 1


def test_withdrawing_registry_consent_takes_the_patient_out_of_the_export_at_once(
        client, client_as, personas, run_worker, clock):
    from mesoclinic.catalog.models import OutcomeScale
    from mesoclinic.consultation.models import ConsentKind
    from mesoclinic.outcomes.selectors import registry_rows

    patient, _product, _lot, _plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                   practitioner=personas.practitioner)
    patient.email, patient.email_key = EMAIL, EMAIL
    patient.save(update_fields=["email", "email_key"])
    scale = OutcomeScale.objects.get(code="gais")

    def in_registry() -> bool:
        # The clinic's only plan is this patient's: any row is theirs.
        return bool(registry_rows(actor=actor_for(personas.practitioner), scale=scale))

    signed_in(client, run_worker)
    url = reverse("portal_consent", args=[patient.pk, ConsentKind.REGISTRY])
    assert not in_registry()
    client.post(url, {"given": "yes"})
    assert in_registry()
    assert Consent.objects.filter(patient=patient, kind="registry",
                                  withdrawn_at__isnull=True).count() == 1
    client.post(url, {"given": "yes"})  # agreeing twice keeps one consent
    assert Consent.objects.filter(patient=patient, kind="registry").count() == 1
    client.post(url, {"given": "no"})
    consent = Consent.objects.get(patient=patient, kind="registry")
    assert consent.withdrawn_at is not None
    assert not in_registry()  # at once
    assert AuditEvent.objects.filter(action="consent.withdraw", patient=patient).exists()
    page = client.get(reverse("portal_patient", args=[patient.pk])).content.decode()
    assert "you have not agreed" in page
    refused = client.post(reverse("portal_consent", args=[patient.pk, "treatment"]),
                          {"given": "no"})
    assert refused.status_code == 302
    treatment = Consent.objects.get(patient=patient, kind="treatment")
    assert treatment.withdrawn_at is None  # signed with the clinic, not withdrawn here


def test_the_space_reads_in_the_same_statements_however_long_the_record(
        client, personas, clock, run_worker):
    from mesoclinic.courses.services import plan_book_proposed

    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    patient.email, patient.email_key = EMAIL, EMAIL
    patient.save(update_fields=["email", "email_key"])
    signed_in(client, run_worker)
    url = reverse("portal_patient", args=[patient.pk])
    client.get(url)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    short = cost()
    plan_book_proposed(actor=actor_for(personas.practitioner), plan=plan)
    assert cost() == short == 17  # the account: two statements when nothing is billed
    # Billed, the account reads its balance, packages and currency too, however many.
    from mesoclinic.billing.models import Invoice
    from mesoclinic.billing.schemas import PackageSaleIn, PaymentIn
    from mesoclinic.billing.services import package_sell, payment_record
    from tests.factories import make_price

    desk = actor_for(personas.reception)
    item = make_price(clinic=personas.clinic, price="600", sessions=6)
    for _round in range(2):
        package = package_sell(actor=desk, patient=patient, data=PackageSaleIn(price=item.pk))
        payment_record(actor=desk, patient=patient, data=PaymentIn(
            amount="100", method="card", invoice=Invoice.objects.get(package=package).pk))
        assert cost() == 19
    page = client.get(url).content.decode()
    assert "Left to pay: <strong>£1,000.00</strong>" in page
    assert "0 of 6 sessions used" in page
    invoice = Invoice.objects.filter(patient=patient).first()
    document = client.get(reverse("portal_invoice_pdf", args=[patient.pk, invoice.pk]))
    assert document["Content-Type"] == "application/pdf"


def test_withdrawing_photo_consent_stops_photographs_and_comparisons_at_once(
        client, client_as, personas, run_worker, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from mesoclinic.consultation.models import Photo

    settings.PHOTO_ROOT = tmp_path / "photos"
    patient = make_patient(clinic=personas.clinic, email=EMAIL)
    nurse = client_as(personas.nurse)

    def upload():
        buffer = io.BytesIO()
        Image.new("RGB", (120, 160), (200, 160, 130)).save(buffer, "JPEG")
        return nurse.post(reverse("photo_upload", args=[patient.pk]), {
            "body_area": "face", "view": "front",
            "file": SimpleUploadedFile("face.jpg", buffer.getvalue(),
                                       content_type="image/jpeg")})

    refused = upload()
    assert refused.status_code == 400
    assert "has not consented to clinical photographs" in refused.content.decode()
    signed_in(client, run_worker)
    consent_url = reverse("portal_consent", args=[patient.pk, "photos"])
    client.post(consent_url, {"given": "yes"})
    assert upload().status_code == 302
    assert upload().status_code == 302
    client.post(consent_url, {"given": "no"})
    after = upload()
    assert after.status_code == 400
    assert "withdrew their consent to clinical photographs" in after.content.decode()
    assert Photo.objects.filter(patient=patient).count() == 2
    first, second = Photo.objects.filter(patient=patient).order_by("id")
    compared = nurse.post(reverse("comparison_new", args=[patient.pk]), {
        "before": first.pk, "after": second.pk, "x": 0, "y": 0, "w": 50, "h": 50})
    assert "withdrew their consent to clinical photographs" in compared.content.decode()


@pytest.mark.parametrize(("days_ahead", "stop_now"), [(10, False), (7, True), (3, True)])
def test_the_nsaid_stop_day_is_seven_clinic_days_before_the_next_session(
        personas, clock, days_ahead, stop_now):
    from mesoclinic.core import moments
    from mesoclinic.courses.models import Session
    from mesoclinic.courses.services import plan_book_proposed
    from mesoclinic.portal.selectors import own_space

    personas.clinic.timezone = "Pacific/Auckland"
    personas.clinic.save()
    patient, _product, _lot, plan = ready_patient(clinic=personas.clinic, clock=clock,
                                                  practitioner=personas.practitioner)
    first = plan_book_proposed(actor=actor_for(personas.practitioner), plan=plan)[0]
    today = moments.today(personas.clinic)
    Session.objects.filter(plan=plan).exclude(pk=first.pk).update(
        scheduled_on=today + timedelta(days=60))
    Session.objects.filter(pk=first.pk).update(scheduled_on=today + timedelta(days=days_ahead))
    course = own_space(patient=patient).courses[0]
    assert course.stop_nsaids_from == today + timedelta(days=days_ahead - 7)
    assert course.stop_nsaids_now is stop_now
