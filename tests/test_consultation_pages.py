"""Consultation pages: the patient link, intake versions, consent, photos, allergy tests."""

import base64
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from PIL import Image

from mesoclinic.consultation.models import (
    AllergyTest,
    Consent,
    IntakeSubmission,
    Photo,
)
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core.models import AuditEvent
from mesoclinic.safety.models import SafetyOverride
from tests.factories import (
    give_allergy_test,
    make_intake,
    make_patient,
    make_product_with_lot,
    sign_treatment_consent,
)


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.PHOTO_ROOT = tmp_path / "photos"


def link_for(client_as, personas, patient) -> str:
    page = client_as(personas.reception).post(reverse("intake_link", args=[patient.pk]))
    return re.search(r'value="http://testserver(/p/[^"]+/)"', page.content.decode())[1]


INTAKE = {"conditions": ["diabetes"], "med_name_0": "Aspirin", "med_class_0": "aspirin",
          "med_last_0": "2026-01-05", "allergies": "Latex"}


# The patient link ----------------------------------------------------------------------


def test_reception_makes_a_link_and_the_patient_answers_without_logging_in(
        client, client_as, personas, clock):
    patient = make_patient(clinic=personas.clinic)
    path = link_for(client_as, personas, patient)
    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    assert "Pregnant, or may be pregnant" in page.content.decode()
    response = client.post(path, INTAKE)
    assert response.status_code == 302
    intake = IntakeSubmission.objects.get(patient=patient)
    assert intake.channel == "link" and intake.version == 1
    assert intake.conditions == ["diabetes"]
    assert intake.medications == [{"name": "Aspirin", "drug_class": "aspirin",
                                   "last_dose": "2026-01-05"}]
    assert AuditEvent.objects.filter(action="intake.submit", patient=patient,
                                     actor=None).exists()

    consent_page = client.get(response.url)
    assert "Consent to mesotherapy treatment" in consent_page.content.decode()
    signed = client.post(response.url, {"method": "typed", "typed_name": patient.full_name,
                                        "agreed": "on", "also_photos": "on"})
    assert signed.status_code == 200
    assert set(Consent.objects.filter(patient=patient).values_list("kind", flat=True)) == {
        "treatment", "photos"}


def test_a_tampered_or_expired_link_is_refused(client, client_as, personas, settings):
    patient = make_patient(clinic=personas.clinic)
    path = link_for(client_as, personas, patient)
    client.logout()
    assert client.get(path[:-3] + "xx/").status_code == 404
    settings.INTAKE_LINK_MAX_AGE = timedelta(seconds=-1)
    expired = client.get(path)
    assert expired.status_code == 404
    assert "expired" in expired.content.decode()


def test_the_link_only_ever_reaches_its_own_patient(client, client_as, personas):
    first = make_patient(clinic=personas.clinic, last_name="First")
    make_patient(clinic=personas.clinic, last_name="Second")
    path = link_for(client_as, personas, first)
    client.logout()
    client.post(path, INTAKE)
    assert list(IntakeSubmission.objects.values_list("patient__last_name", flat=True)) == [
        "First"]


def test_bad_intake_input_names_the_field_and_saves_nothing(client, client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    path = link_for(client_as, personas, patient)
    client.logout()
    response = client.post(path, {**INTAKE, "conditions": ["martian-flu"],
                                  "med_last_0": "2999-01-01"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="err_conditions"' in body and 'id="err_medications"' in body
    assert not IntakeSubmission.objects.exists()


# Intake versions ----------------------------------------------------------------------


def test_staff_see_what_changed_and_mark_it_reviewed(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    make_intake(patient=patient, conditions=["diabetes"])
    make_intake(patient=patient, conditions=["diabetes", "pregnancy"],
                medications=[{"name": "Aspirin", "drug_class": "aspirin",
                              "last_dose": "2026-01-05"}])
    client = client_as(personas.nurse)
    page = client.get(reverse("intake_page", args=[patient.pk])).content.decode()
    assert "Changed since the previous version" in page
    assert "Pregnant, or may be pregnant" in page and "Aspirin (Aspirin" in page
    latest = IntakeSubmission.objects.get(patient=patient, version=2)
    client.post(reverse("intake_reviewed", args=[patient.pk, latest.pk]))
    latest.refresh_from_db()
    assert latest.reviewed_by == personas.nurse.user and latest.reviewed_at is not None


def test_staff_fill_the_questionnaire_as_a_new_version(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    make_intake(patient=patient)
    client_as(personas.practitioner).post(reverse("intake_page", args=[patient.pk]),
                                          {**INTAKE, "channel": "desk"})
    assert list(IntakeSubmission.objects.filter(patient=patient).order_by("version")
                .values_list("version", "channel")) == [(1, "staff"), (2, "desk")]


@pytest.mark.parametrize("url_name", ["intake_page", "allergy_test_new", "checklist"])
def test_reception_is_kept_out_of_medical_pages(client_as, personas, url_name):
    patient = make_patient(clinic=personas.clinic)
    assert client_as(personas.reception).get(
        reverse(url_name, args=[patient.pk])).status_code == 403


@pytest.mark.parametrize("url_name", ["intake_page", "allergy_test_new", "checklist",
                                      "consent_sign"])
def test_another_clinic_finds_no_such_patient(client_as, personas, url_name):
    patient = make_patient(clinic=personas.clinic)
    assert client_as(personas.outsider).get(
        reverse(url_name, args=[patient.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["intake_page", "allergy_test_new", "checklist",
                                      "consent_sign"])
def test_anonymous_visitors_go_to_the_login_page(client, personas, url_name):
    patient = make_patient(clinic=personas.clinic)
    response = client.get(reverse(url_name, args=[patient.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Consent ------------------------------------------------------------------------------


def drawn_signature(blank: bool = False) -> str:
    image = Image.new("RGBA", (300, 90), (0, 0, 0, 0))
    if not blank:
        for x in range(20, 280):
            image.putpixel((x, 45 + (x % 20) // 4), (20, 30, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_a_drawn_signature_is_kept_with_time_ip_and_text_version(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    response = client_as(personas.reception).post(
        reverse("consent_sign", args=[patient.pk]),
        {"method": "drawn", "signature": drawn_signature()}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    consent = Consent.objects.get(patient=patient)
    assert consent.method == "drawn" and consent.ip == "203.0.113.9"
    assert consent.text.version == 1 and bytes(consent.signature_png).startswith(b"\x89PNG")


@pytest.mark.parametrize(("form", "field"), [
    ({"method": "drawn", "signature": ""}, "signature"),
    ({"method": "drawn", "signature": "data:image/png;base64,!!!"}, "signature"),
    ({"method": "typed", "typed_name": "Jane", "agreed": ""}, "agreed"),
    ({"method": "typed", "typed_name": "", "agreed": "on"}, "typed_name"),
])
def test_an_incomplete_signature_is_refused_clearly(client_as, personas, form, field):
    patient = make_patient(clinic=personas.clinic)
    response = client_as(personas.reception).post(reverse("consent_sign", args=[patient.pk]),
                                                  form)
    assert response.status_code == 400
    assert f'id="err_{field}"' in response.content.decode()
    assert not Consent.objects.exists()


def test_a_blank_drawing_is_not_a_signature(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    response = client_as(personas.reception).post(
        reverse("consent_sign", args=[patient.pk]),
        {"method": "drawn", "signature": drawn_signature(blank=True)})
    assert response.status_code == 400
    assert not Consent.objects.exists()


def pdf_text(data: bytes) -> str:
    """The words of a PDF, as poppler's pdftotext reads them (installed by make test)."""
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_the_signed_consent_downloads_as_a_pdf_and_the_export_is_audited(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    consent = sign_treatment_consent(patient=patient)
    response = client_as(personas.nurse).get(reverse("consent_pdf",
                                                     args=[patient.pk, consent.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Consent to mesotherapy treatment" in text
    assert patient.last_name in text and "Version 1" in text
    assert AuditEvent.objects.filter(action="consent.export", patient=patient).exists()
    assert client_as(personas.outsider).get(
        reverse("consent_pdf", args=[patient.pk, consent.pk])).status_code == 404


def test_withdrawal_is_dated_and_nothing_is_deleted(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    consent = sign_treatment_consent(patient=patient)
    client_as(personas.reception).post(reverse("consent_withdraw",
                                               args=[patient.pk, consent.pk]),
                                       {"reason": "Moving abroad"})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawal_reason == "Moving abroad"
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_owners_publish_a_new_consent_version(client_as, personas):
    client_as(personas.owner).post(reverse("consent_texts"), {
        "kind": "treatment", "title": "Treatment consent 2027", "body": "Updated wording."})
    page = client_as(personas.owner).get(reverse("consent_texts")).content.decode()
    assert "Treatment consent 2027" in page and "v2" in page
    assert client_as(personas.practitioner).get(reverse("consent_texts")).status_code == 403


# Photos -------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 150, 120))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 45.0, 30.0), 3: "E", 4: (4.0, 50.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(client, patient, data: bytes, name: str = "face.jpg", area: str = "face"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import sign_photo_consent

    sign_photo_consent(patient=patient)
    return client.post(reverse("photo_upload", args=[patient.pk]), {
        "body_area": area, "view": "front",
        "file": SimpleUploadedFile(name, data, content_type="image/jpeg")})


def test_an_uploaded_photo_loses_its_exif_and_gets_a_thumbnail(client_as, personas, catalogue):
    patient = make_patient(clinic=personas.clinic)
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the original carries EXIF with GPS
    response = upload(client_as(personas.practitioner), patient, raw)
    assert response.status_code == 302
    photo = Photo.objects.get(patient=patient)
    stored = photo_storage().open(photo.stored_name).read()
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (640, 480)
    assert b"PhoneMaker" not in stored
    with Image.open(photo_storage().open(photo.thumbnail_name)) as thumb:
        assert max(thumb.size) == 320
    assert not str(photo_storage().path(photo.stored_name)).startswith(
        str(__import__("django.conf").conf.settings.STATIC_ROOT))


def test_a_file_that_is_not_a_picture_is_refused(client_as, personas, catalogue):
    patient = make_patient(clinic=personas.clinic)
    response = upload(client_as(personas.nurse), patient, b"%PDF-1.4 not a picture",
                      name="fake.jpg")
    assert response.status_code == 400
    assert "not a JPEG or PNG picture" in response.content.decode()
    assert not Photo.objects.exists()


def test_a_picture_with_too_many_pixels_is_refused(client_as, personas, catalogue, settings):
    settings.PHOTO_MAX_PIXELS = 100_000
    patient = make_patient(clinic=personas.clinic)
    response = upload(client_as(personas.nurse), patient, jpeg_with_gps())
    assert response.status_code == 400
    assert "megapixels" in response.content.decode()


def test_photos_are_served_only_to_clinical_staff_of_the_clinic(client_as, personas,
                                                                 catalogue):
    patient = make_patient(clinic=personas.clinic)
    upload(client_as(personas.practitioner), patient, jpeg_with_gps())
    photo = Photo.objects.get()
    original = reverse("photo_file", args=[photo.pk, "original"])
    response = client_as(personas.nurse).get(original)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert AuditEvent.objects.filter(action="photo.view", patient=patient).exists()
    assert client_as(personas.reception).get(original).status_code == 403
    assert client_as(personas.outsider).get(original).status_code == 404


# Allergy tests ------------------------------------------------------------------------


def test_an_allergy_test_is_read_no_sooner_than_24_hours(client_as, personas, clock):
    patient = make_patient(clinic=personas.clinic)
    product, lot = make_product_with_lot(clinic=personas.clinic)
    client = client_as(personas.nurse)
    given = clock.now()
    response = client.post(reverse("allergy_test_new", args=[patient.pk]), {
        "given_at": given.astimezone(personas.clinic.zoneinfo).strftime("%Y-%m-%dT%H:%M"),
        "product_1": product.pk, "lot_1": lot.pk, "site_1": "left forearm",
        "product_2": product.pk, "lot_2": lot.pk, "site_2": "right forearm"})
    assert response.status_code == 302
    test = AllergyTest.objects.get(patient=patient)
    assert test.injections.count() == 2

    clock.advance(hours=23)
    read_url = reverse("allergy_test_read", args=[patient.pk, test.pk])
    early = client.post(read_url, {"result": "negative"})
    assert early.status_code == 400
    assert "can be read from" in early.content.decode()
    clock.advance(hours=1, minutes=1)
    assert client.post(read_url, {"result": "negative"}).status_code == 302
    test.refresh_from_db()
    assert test.result == "negative" and test.read_by == personas.nurse.user


def test_an_expired_or_recalled_lot_cannot_be_used_for_a_test(client_as, personas):
    from django.utils import timezone

    patient = make_patient(clinic=personas.clinic)
    product, expired = make_product_with_lot(
        clinic=personas.clinic, expiry=timezone.localdate() - timedelta(days=1))
    response = client_as(personas.nurse).post(reverse("allergy_test_new", args=[patient.pk]), {
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "product_1": product.pk, "lot_1": expired.pk, "site_1": "a",
        "product_2": product.pk, "lot_2": expired.pk, "site_2": "b"})
    assert response.status_code == 400
    assert f"Lot {expired.number} expired on" in response.content.decode()
    assert not AllergyTest.objects.exists()


def test_a_positive_reading_needs_the_reaction(client_as, personas, clock):
    patient = make_patient(clinic=personas.clinic)
    _product, lot = make_product_with_lot(clinic=personas.clinic)
    test = give_allergy_test(patient=patient, lots=[lot])
    clock.advance(hours=26)
    response = client_as(personas.nurse).post(
        reverse("allergy_test_read", args=[patient.pk, test.pk]), {"result": "positive"})
    assert response.status_code == 400
    assert 'Describe the reaction' in response.content.decode()


# Checklist page and overrides ---------------------------------------------------------


def test_the_checklist_page_explains_each_finding(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    page = client_as(personas.practitioner).get(reverse("checklist", args=[patient.pk]))
    body = page.content.decode()
    assert "Treatment is blocked." in body
    for code in ["consent-missing", "allergy-test-missing", "contraindication:intake-missing"]:
        assert code in body


def test_only_a_practitioner_overrides_from_the_page(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    form = {"code": "consent-missing",
            "reason": "Verbal consent recorded on video, form to follow."}
    url = reverse("checklist_override", args=[patient.pk])
    assert client_as(personas.nurse).post(url, form).status_code == 403
    assert client_as(personas.practitioner).post(url, form).status_code == 302
    override = SafetyOverride.objects.get()
    assert override.practitioner == personas.practitioner.user
    page = client_as(personas.practitioner).get(reverse("checklist", args=[patient.pk]))
    assert "Verbal consent recorded on video" in page.content.decode()


def test_the_record_page_shows_the_consultation_to_clinicians(client_as, personas):
    patient = make_patient(clinic=personas.clinic)
    make_intake(patient=patient)
    sign_treatment_consent(patient=patient)
    body = client_as(personas.practitioner).get(
        reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Intake version 1" in body and "Allergy tests" in body and "Photos" in body
    reception = client_as(personas.reception).get(
        reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Intake version" not in reception and "Allergy tests" not in reception
    assert "Treatment" in reception  # consent status is an administrative fact


def test_a_clinic_opens_with_its_consent_texts_and_showing_them_writes_none(
        personas, client_as):
    from mesoclinic.consultation.models import ConsentText
    from mesoclinic.consultation.selectors import consent_texts_current
    from tests.factories import make_patient

    texts = consent_texts_current(clinic=personas.other_clinic)
    assert sorted(texts) == ["photos", "registry", "treatment"]
    assert {t.version for t in texts.values()} == {1}
    patient = make_patient(clinic=personas.clinic)
    before = ConsentText.objects.count()
    page = client_as(personas.practitioner).get(f"/patients/{patient.pk}/consents/sign/")
    assert page.status_code == 200
    assert ConsentText.objects.count() == before
