"""Writes of the consultation: intake, consents, photos, allergy tests. Each is audited."""

from __future__ import annotations

import base64
import binascii
import io
import secrets
import unicodedata
import uuid
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from mesoclinic.catalog.models import BodyArea
from mesoclinic.catalog.selectors import catalogue_entry
from mesoclinic.consultation.images import clean_image
from mesoclinic.consultation.models import (
    AllergyResult,
    AllergyTest,
    AllergyTestInjection,
    Consent,
    ConsentKind,
    ConsentText,
    IntakeChannel,
    IntakeSubmission,
    PatientLink,
    Photo,
    PhotoView,
    SignatureMethod,
)
from mesoclinic.consultation.schemas import AllergyReadIn, AllergyTestIn, IntakeIn
from mesoclinic.consultation.selectors import (
    PATIENT_LINK_PURPOSE,
    consent_texts_current,
    patient_link_from_token,
    patient_link_key,
    photo_consent_refusal,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.languages import patient_language
from mesoclinic.core.links import derived_key, key_hash
from mesoclinic.core.models import Clinic, User
from mesoclinic.core.roles import require_clinician, require_owner
from mesoclinic.inventory.models import Lot
from mesoclinic.patients.models import Patient
from mesoclinic.safety import rules
from mesoclinic.safety.rules import ALLERGY_READ_DELAY
from mesoclinic.safety.selectors import clinic_wording

SIGNATURE_MAX_BYTES = 300_000


def photo_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.PHOTO_ROOT)


# Intake --------------------------------------------------------------------------------


def intake_link_make(*, actor: Actor, patient: Patient) -> str:
    """A link for one patient's questionnaire and consent: a random key, of which only the
    hash is kept; it lasts INTAKE_LINK_MAX_AGE, each part is answered once, staff may
    revoke it."""
    return _link_create(actor=actor, patient=patient)[0]


def _link_create(*, actor: Actor, patient: Patient) -> tuple[str, PatientLink]:
    nonce = secrets.token_urlsafe(18)
    key = derived_key(purpose=PATIENT_LINK_PURPOSE, nonce=nonce)
    link = PatientLink.objects.create(clinic_id=patient.clinic_id, patient=patient,
                                      key_hash=key_hash(key), nonce=nonce,
                                      created_by=actor.user, created_at=clock.now())
    audit_record(actor=actor, action="intake.link", object_type="patient_link",
                 object_id=link.pk, patient_id=patient.pk)
    return key, link


@transaction.atomic
def intake_link_email(*, actor: Actor, patient: Patient) -> str:
    """A new link for the patient, emailed to them by the worker: queued in the link's own
    transaction. Answers the key, for the page's QR code."""
    from mesoclinic.consultation.tasks import send_patient_link

    if not patient.email:
        raise InvalidInput(_("This patient has no email address: add one, or show them the "
                             "QR code."), field="email")
    key, link = _link_create(actor=actor, patient=patient)
    send_patient_link.enqueue(link.pk)
    audit_record(actor=actor, action="intake.link_email", object_type="patient_link",
                 object_id=link.pk, patient_id=patient.pk)
    return key


def patient_link_send(*, link_id: int) -> bool:
    """Email a patient their link, in their language. Run by the worker."""
    link = PatientLink.objects.select_related("patient", "clinic").get(pk=link_id)
    patient = link.patient
    if not patient.email or not link.nonce or link.revoked_at is not None:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("public_intake", args=[patient_link_key(
        link)])
    with translation.override(patient_language(patient, link.clinic)):
        body = render_to_string("consultation/link_email.txt", {
            "patient": patient, "clinic": link.clinic, "url": url,
            "days": settings.INTAKE_LINK_MAX_AGE.days})
        subject = _("Before your consultation at %(clinic)s") % {"clinic": link.clinic.name}
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                 to=[patient.email]).send()
    return True


@transaction.atomic
def intake_submit_by_link(*, token: str, data: IntakeIn, ip: str | None) -> IntakeSubmission:
    """The patient answers the questionnaire through their link: once. Another answer
    needs a new link, or the staff's own record."""
    link = patient_link_from_token(token, lock=True)
    if link.intake_at is not None:
        raise InvalidInput(_("The questionnaire was already sent through this link. To "
                             "change an answer, ask the clinic for a new link."),
                           field="form", code="link-used")
    intake = intake_submit(patient=link.patient, data=data, channel=IntakeChannel.LINK,
                           ip=ip)
    PatientLink.objects.filter(pk=link.pk).update(intake_at=intake.submitted_at)
    return intake


@transaction.atomic
def consents_sign_by_link(*, token: str, kinds: list[ConsentKind], method: SignatureMethod,
                          typed_name: str, agreed: bool, signature_data_url: str,
                          ip: str | None) -> list[Consent]:
    """The patient signs through their link: once."""
    link = patient_link_from_token(token, lock=True)
    if link.consent_at is not None:
        raise InvalidInput(_("The consent was already signed through this link."),
                           field="form", code="link-used")
    consents = consents_sign(patient=link.patient, kinds=kinds, method=method,
                             typed_name=typed_name, agreed=agreed,
                             signature_data_url=signature_data_url, ip=ip)
    PatientLink.objects.filter(pk=link.pk).update(consent_at=consents[0].signed_at)
    return consents


@transaction.atomic
def patient_link_revoke(*, actor: Actor, link: PatientLink) -> PatientLink:
    if link.clinic_id != actor.clinic_id:
        raise NotFound(_("No such link."))
    PatientLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=actor.user)
    audit_record(actor=actor, action="intake.link_revoke", object_type="patient_link",
                 object_id=link.pk, patient_id=link.patient_id)
    link.refresh_from_db()
    return link


@transaction.atomic
def intake_submit(*, patient: Patient, data: IntakeIn, channel: IntakeChannel,
                  actor: Actor | None = None, ip: str | None = None) -> IntakeSubmission:
    """Record a new version of the questionnaire (the previous ones are kept)."""
    if actor is not None and actor.clinic_id != patient.clinic_id:
        raise NotFound(_("No such patient."))
    # Locked so that two submissions at once get consecutive versions.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    latest = IntakeSubmission.objects.filter(patient=patient).aggregate(v=Max("version"))["v"]
    intake = IntakeSubmission.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        version=(latest or 0) + 1,
        submitted_at=clock.now(),
        channel=channel,
        submitted_by=actor.user if actor else None,
        conditions=sorted(str(c) for c in data.conditions),
        condition_details=data.condition_details,
        medications=[
            {"name": m.name, "drug_class": str(m.drug_class),
             "last_dose": m.last_dose.isoformat() if m.last_dose else None}
            for m in data.medications
        ],
        allergies=data.allergies,
    )
    audit_record(actor=actor, clinic=patient.clinic, ip=ip, action="intake.submit",
                 object_type="intake", object_id=intake.pk, patient_id=patient.pk,
                 detail={"version": intake.version, "channel": channel})
    return intake


@transaction.atomic
def intake_review(*, actor: Actor, intake: IntakeSubmission) -> IntakeSubmission:
    require_clinician(actor.role)
    intake.reviewed_by = actor.user
    intake.reviewed_at = clock.now()
    intake.save(update_fields=["reviewed_by", "reviewed_at"])
    audit_record(actor=actor, action="intake.review", object_type="intake",
                 object_id=intake.pk, patient_id=intake.patient_id,
                 detail={"version": intake.version})
    return intake


# Consent -------------------------------------------------------------------------------

DEFAULT_CONSENTS = {
    ConsentKind.TREATMENT: (
        gettext_lazy("Consent to mesotherapy treatment"),
        gettext_lazy(
            "I agree to receive mesotherapy: a course of intradermal micro-injections of the "
            "products my practitioner has explained to me. I have been told that results vary, "
        "that the evidence for some uses is limited, and that several sessions are needed.\n\n"
        "I understand the expected effects: a burning sensation for 15 to 20 minutes, "
        "swelling and soreness for one to five days, itching for a day or two, redness or "
        "discolouration for a few days, and bruising. I understand the rarer risks: "
        "infection, allergic reaction, nerve damage and scarring.\n\n"
        "I will avoid aspirin and other anti-inflammatory medicines for 7 days before each "
        "session, follow the aftercare advice, and report any reaction that lasts longer "
        "than expected. I may withdraw this consent at any time."),
    ),
    ConsentKind.PHOTOS: (
        gettext_lazy("Consent to clinical photographs"),
        gettext_lazy(
            "I agree that the clinic takes photographs of the treated areas before and during "
            "my treatment, to follow its progress. They are kept in my record, seen only by the "
        "staff treating me, and never published. I may withdraw this consent at any time."),
    ),
    ConsentKind.REGISTRY: (
        gettext_lazy("Consent to anonymised registry use"),
        gettext_lazy(
            "I agree that my treatment data, with my name and contact details removed, are used "
            "to study which treatments work and how often side effects occur. I may withdraw "
        "this consent at any time; later studies will then leave my data out."),
    ),
}


def consent_texts_open(*, clinic: Clinic) -> None:
    """A new clinic's consent texts, version 1 of each, in the clinic's language: the
    wording its patients sign (run when a clinic is created: consultation.apps)."""
    with translation.override(clinic.language):
        for kind, (title, body) in DEFAULT_CONSENTS.items():
            ConsentText.objects.get_or_create(clinic=clinic, kind=kind, version=1,
                                              defaults={"title": str(title), "body": str(body)})


@transaction.atomic
def consent_text_publish(*, actor: Actor, kind: ConsentKind, title: str,
                         body: str) -> ConsentText:
    """A new wording: patients must sign again for the treatment consent to be current."""
    require_owner(actor.role)
    title, body = title.strip(), body.strip()
    if not title or len(title) > 200:
        raise InvalidInput(_("Give a title (at most 200 characters)."), field="title")
    if not body or len(body) > 20000:
        raise InvalidInput(_("Give the text (at most 20,000 characters)."), field="body")
    latest = ConsentText.objects.filter(clinic_id=actor.clinic_id, kind=kind).aggregate(
        v=Max("version"))["v"] or 0
    text = ConsentText.objects.create(clinic_id=actor.clinic_id, kind=kind,
                                      version=latest + 1, title=title, body=body,
                                      created_by=actor.user)
    audit_record(actor=actor, action="consent_text.publish", object_type="consent_text",
                 object_id=text.pk, detail={"kind": kind, "version": text.version})
    return text


def _signature_png(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise InvalidInput(_("Draw your signature in the box."), field="signature")
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput(_("The drawn signature could not be read."),
                           field="signature") from error
    if len(raw) > SIGNATURE_MAX_BYTES:
        raise InvalidInput(_("The drawn signature is too large."), field="signature")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width * image.height > 4_000_000:
                raise InvalidInput(_("The drawn signature could not be read."),
                                   field="signature")
            blank = image.convert("L").getextrema()[0] == 255 if "A" not in image.getbands() \
                else image.getchannel("A").getextrema()[1] == 0
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidInput(_("The drawn signature could not be read."),
                           field="signature") from error
    if blank:
        raise InvalidInput(_("Draw your signature in the box."), field="signature")
    return raw


def _name_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text)
    letters = "".join(c if c.isalnum() else " " for c in plain
                      if not unicodedata.combining(c))
    return letters.casefold().split()


def same_name(typed: str, patient: Patient) -> bool:
    """A typed signature names the patient: first and last name in either order; case,
    accents, hyphens and spacing aside."""
    words = _name_words(typed)
    first, last = _name_words(patient.first_name), _name_words(patient.last_name)
    return words in (first + last, last + first)


@transaction.atomic
def consent_sign(*, patient: Patient, kind: ConsentKind, method: SignatureMethod,
                 typed_name: str = "", agreed: bool = False, signature_data_url: str = "",
                 ip: str | None, actor: Actor | None = None) -> Consent:
    """The patient signs the current text of one consent; time, IP and version are kept."""
    if actor is not None and actor.clinic_id != patient.clinic_id:
        raise NotFound(_("No such patient."))
    text = consent_texts_current(clinic=patient.clinic).get(kind)
    if text is None:
        raise NotFound(_("This clinic has no text for that consent."), field="kind")
    png = None
    typed_name = typed_name.strip()[:200]
    if method == SignatureMethod.TYPED:
        if not typed_name:
            raise InvalidInput(_("Type your full name to sign."), field="typed_name")
        if not agreed:
            raise InvalidInput(_("Tick the box to confirm that you agree."), field="agreed")
        if not same_name(typed_name, patient):
            raise InvalidInput(_("Type the patient's own name, as the clinic has it: "
                                 "%(name)s.") % {"name": patient.full_name},
                               field="typed_name")
    else:
        png = _signature_png(signature_data_url)
    consent = Consent.objects.create(
        clinic_id=patient.clinic_id, patient=patient, text=text, kind=kind,
        signed_at=clock.now(), method=method, typed_name=typed_name, signature_png=png,
        ip=ip, recorded_by=actor.user if actor else None,
    )
    audit_record(actor=actor, clinic=patient.clinic, ip=ip, action="consent.sign",
                 object_type="consent", object_id=consent.pk, patient_id=patient.pk,
                 detail={"kind": kind, "version": text.version, "method": method})
    return consent


@transaction.atomic
def consents_sign(*, patient: Patient, kinds: list[ConsentKind], method: SignatureMethod,
                  typed_name: str = "", agreed: bool = False, signature_data_url: str = "",
                  ip: str | None, actor: Actor | None = None) -> list[Consent]:
    """The treatment consent and any optional ones, with one signature: all or none."""
    wanted = [ConsentKind.TREATMENT, *(k for k in dict.fromkeys(kinds)
                                       if k != ConsentKind.TREATMENT)]
    return [consent_sign(patient=patient, kind=kind, method=method, typed_name=typed_name,
                         agreed=agreed, signature_data_url=signature_data_url, ip=ip,
                         actor=actor) for kind in wanted]


@transaction.atomic
def consent_withdraw(*, actor: Actor, consent: Consent, reason: str) -> Consent:
    """Withdrawal is recorded and dated; the signed consent itself is kept."""
    if consent.clinic_id != actor.clinic_id:
        raise NotFound(_("No such consent."))
    # Locked: a consent is withdrawn once.
    locked = Consent.objects.select_for_update().get(pk=consent.pk)
    if locked.withdrawn_at is not None:
        raise InvalidInput(_("This consent was already withdrawn."), field="reason")
    locked.withdrawn_at = clock.now()
    locked.withdrawal_reason = reason.strip()[:500]
    locked.withdrawn_by = actor.user
    locked.save(update_fields=["withdrawn_at", "withdrawal_reason", "withdrawn_by"])
    audit_record(actor=actor, action="consent.withdraw", object_type="consent",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"kind": locked.kind})
    return locked


# Photos --------------------------------------------------------------------------------


def photo_add_for_patient(*, patient: Patient, body_area_code: str, view: str, raw: bytes,
                          kind: str, uploaded_by: User | None) -> Photo:
    """Clean and store a picture (the patient's own, from a check-in, has no uploader)."""
    area = catalogue_entry(BodyArea, body_area_code)
    if area is None:
        raise InvalidInput(_("Choose a body area."), field="body_area")
    if view not in PhotoView.values:
        raise InvalidInput(_("Choose a view."), field="view")
    image = clean_image(raw, max_bytes=settings.PHOTO_MAX_BYTES,
                        max_pixels=settings.PHOTO_MAX_PIXELS)
    storage = photo_storage()
    stem = f"{patient.clinic_id}/{patient.pk}/{uuid.uuid4().hex}"
    stored = storage.save(f"{stem}.{image.extension}", ContentFile(image.data))
    thumb = storage.save(f"{stem}.thumb.jpg", ContentFile(image.thumbnail))
    return Photo.objects.create(
        clinic_id=patient.clinic_id, patient=patient, body_area=area, view=view, kind=kind,
        stored_name=stored, thumbnail_name=thumb, content_type=image.content_type,
        width=image.width, height=image.height, size_bytes=len(image.data),
        sha256=image.sha256, taken_at=clock.now(), uploaded_by=uploaded_by,
    )


@transaction.atomic
def photo_add(*, actor: Actor, patient: Patient, body_area_code: str, view: str,
              raw: bytes) -> Photo:
    """A clinical photograph taken by the staff: only with the patient's current consent
    to photographs (a withdrawal stops it at once)."""
    require_clinician(actor.role)
    refusal = photo_consent_refusal(patient=patient)
    if refusal:
        raise InvalidInput(refusal, field="photo", code="photo-consent")
    photo = photo_add_for_patient(patient=patient, body_area_code=body_area_code, view=view,
                                  raw=raw, kind="baseline", uploaded_by=actor.user)
    audit_record(actor=actor, action="photo.upload", object_type="photo", object_id=photo.pk,
                 patient_id=patient.pk, detail={"area": photo.body_area.code, "view": view})
    return photo


# Allergy tests -------------------------------------------------------------------------


@transaction.atomic
def allergy_test_record(*, actor: Actor, patient: Patient, data: AllergyTestIn) -> AllergyTest:
    """Two test injections of the planned products, with their lots and sites."""
    require_clinician(actor.role)
    given_at = data.given_at or clock.now()
    if given_at > clock.now():
        raise InvalidInput(_("The injections cannot be given in the future."),
                           field="given_at")
    lots = {lot.pk: lot for lot in Lot.objects.select_related("product").filter(
        clinic_id=actor.clinic_id, pk__in=[i.lot for i in data.injections])}
    for injection in data.injections:
        lot = lots.get(injection.lot)
        if lot is None or lot.product_id != injection.product:
            raise InvalidInput(_("Choose a lot of the chosen product."), field="injections")
        # The same lot rules as for a session, judged on the clinic's calendar day.
        snapshot = rules.Snapshot(at=moments.in_zone(given_at, actor.clinic),
                                  birth_date=patient.date_of_birth,
                                  lots=(rules.LotFact(lot.number, lot.expiry, lot.recalled),))
        refused = rules.blocks(rules.lot_findings(snapshot, clinic_wording(actor.clinic)))
        if refused:
            raise InvalidInput(refused[0].message, field="injections", code=refused[0].code)
    test = AllergyTest.objects.create(clinic_id=actor.clinic_id, patient=patient,
                                      given_at=given_at, given_by=actor.user)
    AllergyTestInjection.objects.bulk_create([
        AllergyTestInjection(test=test, product_id=i.product, lot_id=i.lot, site=i.site)
        for i in data.injections
    ])
    audit_record(actor=actor, action="allergy_test.record", object_type="allergy_test",
                 object_id=test.pk, patient_id=patient.pk,
                 detail={"lots": [i.lot for i in data.injections]})
    return test


def allergy_test_readable_from(test: AllergyTest) -> datetime:
    return test.given_at + ALLERGY_READ_DELAY


@transaction.atomic
def allergy_test_read(*, actor: Actor, test: AllergyTest, data: AllergyReadIn) -> AllergyTest:
    require_clinician(actor.role)
    if test.clinic_id != actor.clinic_id:
        raise NotFound(_("No such allergy test."))
    now = clock.now()
    readable_from = allergy_test_readable_from(test)
    if now < readable_from:
        raise InvalidInput(
            _("Too early: an allergy test is read no sooner than 24 hours after the "
              "injections. This one can be read from %(when)s.")
            % {"when": moments.moment_text(readable_from, actor.clinic, name_zone=True)},
            field="result", code="too-early")
    if data.result == AllergyResult.PENDING:
        raise InvalidInput(_("Choose the result."), field="result")
    if data.result == AllergyResult.POSITIVE and not data.reaction:
        raise InvalidInput(_("Describe the reaction."), field="reaction")
    # Locked: a test is read once; a second reading is refused, not overwritten.
    locked = AllergyTest.objects.select_for_update().get(pk=test.pk)
    if locked.read_at is not None:
        raise InvalidInput(_("This test has already been read."), field="result")
    locked.result = data.result
    locked.reaction = data.reaction
    locked.read_at = now
    locked.read_by = actor.user
    locked.save(update_fields=["result", "reaction", "read_at", "read_by"])
    audit_record(actor=actor, action="allergy_test.read", object_type="allergy_test",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"result": data.result})
    return locked
