"""The patient's own space: signing in without a password, and what a patient changes
there themselves (their photo and registry consents)."""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mesoclinic.consultation.models import Consent, ConsentKind, SignatureMethod
from mesoclinic.consultation.services import consent_sign
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import InvalidInput, MesoclinicError, NotFound
from mesoclinic.core.languages import patient_language
from mesoclinic.core.links import derived_key, key_hash
from mesoclinic.core.retention import retention_years as law_retention
from mesoclinic.core.roles import require_owner
from mesoclinic.patients.models import DataRequest, Patient, RequestKind, RequestStatus
from mesoclinic.portal.models import SignInLink

SIGN_IN_PURPOSE = "portal-sign-in"
# What a patient may give or withdraw themselves; the treatment consent is signed with
# the clinic, before a course.
SELF_SERVICE_CONSENTS = (ConsentKind.PHOTOS, ConsentKind.REGISTRY)


class TooManyLinks(MesoclinicError):
    code = "too-many-links"
    status = 429


def normalised_email(email: str) -> str:
    return email.strip().lower()


@transaction.atomic
def sign_in_request(*, email: str, ip: str | None) -> SignInLink:
    """A one-time link to the patient's space, emailed by the worker (queued with the row)
    when a clinic knows the address. Whether it does is never said: the answer, and the
    limits, are the same for every address."""
    address = normalised_email(email)
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidInput(_("Enter your email address."), field="email") from error
    now = clock.now()
    recent = SignInLink.objects.filter(email_hash=key_hash(address),
                                       created_at__gte=now - settings.PORTAL_LINK_WINDOW)
    if recent.count() >= settings.PORTAL_LINKS_PER_ADDRESS:
        raise TooManyLinks(_("Several links were asked for this address in the last "
                             "minutes. Use the latest one, or ask again in a quarter of an "
                             "hour."), field="email")
    known = Patient.objects.filter(email_key=address).exists()
    nonce = secrets.token_urlsafe(18)
    link = SignInLink.objects.create(
        email_hash=key_hash(address), email=address if known else "", nonce=nonce,
        key_hash=key_hash(derived_key(purpose=SIGN_IN_PURPOSE, nonce=nonce)),
        created_at=now, expires_at=now + settings.PORTAL_LINK_MAX_AGE, ip=ip)
    if known:
        from mesoclinic.portal.tasks import send_sign_in_link

        send_sign_in_link.enqueue(link.pk)
    return link


def sign_in_key(link: SignInLink) -> str:
    return derived_key(purpose=SIGN_IN_PURPOSE, nonce=link.nonce)


def sign_in_link_send(*, link_id: int) -> bool:
    """Email the link, in the language of the patient the address belongs to. Run by the
    worker."""
    link = SignInLink.objects.get(pk=link_id)
    patient = Patient.objects.filter(email_key=link.email).select_related("clinic") \
        .order_by("id").first()
    if not link.email or patient is None or link.used_at is not None:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("portal_sign_in_link",
                                                  args=[sign_in_key(link)])
    minutes = int(settings.PORTAL_LINK_MAX_AGE.total_seconds() // 60)
    with translation.override(patient_language(patient, patient.clinic)):
        body = render_to_string("portal/sign_in_email.txt", {"url": url,
                                                             "minutes": minutes})
        subject = _("Your link to sign in to mesoclinic")
    EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                 to=[link.email]).send()
    return True


@transaction.atomic
def sign_in_complete(*, key: str, ip: str | None) -> str:
    """The address the link was sent to, once: the link is spent, and each clinic's
    record of the person notes the sign-in."""
    # Locked: two clicks on one link open one session.
    link = SignInLink.objects.select_for_update().filter(key_hash=key_hash(key)).first()
    now = clock.now()
    if link is None or not link.email or link.used_at is not None or link.expires_at < now:
        raise NotFound(_("This link has expired or has already been used. Ask for a new "
                         "one: it comes within a minute."), code="link-used")
    link.used_at = now
    link.save(update_fields=["used_at"])
    for patient in Patient.objects.filter(email_key=link.email).select_related("clinic"):
        audit_record(actor=None, clinic=patient.clinic, ip=ip, action="portal.sign_in",
                     object_type="patient", object_id=patient.pk, patient_id=patient.pk,
                     detail={"by": "patient"})
    return link.email


@transaction.atomic
def own_consent_set(*, patient: Patient, kind: str, given: bool, ip: str | None
                    ) -> Consent | None:
    """The patient gives or withdraws their photo or registry consent. A withdrawal counts
    at once: the registry export and photo-taking read the current consent."""
    if kind not in SELF_SERVICE_CONSENTS:
        raise InvalidInput(_("This consent is given with the clinic."), field="kind")
    # Locked: the patient's consents of one kind change one at a time.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    current = Consent.objects.filter(patient=patient, kind=kind,
                                     withdrawn_at__isnull=True).order_by("-signed_at")
    if given:
        if current.exists():
            return current.first()
        return consent_sign(patient=patient, kind=ConsentKind(kind),
                            method=SignatureMethod.TYPED, typed_name=patient.full_name,
                            agreed=True, ip=ip)
    now = clock.now()
    withdrawn = list(current)
    for consent in withdrawn:
        consent.withdrawn_at = now
        consent.withdrawal_reason = _("Withdrawn by the patient in their space")
        consent.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        audit_record(actor=None, clinic=patient.clinic, ip=ip, action="consent.withdraw",
                     object_type="consent", object_id=consent.pk, patient_id=patient.pk,
                     detail={"kind": kind, "by": "patient"})
    return None




# Requests about one's data ---------------------------------------------------------------


def _month_later(day: date) -> date:
    """The same day of the next month (the last day when that month is shorter)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def export_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.EXPORT_ROOT)


@transaction.atomic
def data_access_request(*, patient: Patient, ip: str | None, actor: Actor | None = None
                        ) -> DataRequest:
    """A copy of everything held about the patient, built by the worker (queued with the
    request); one at a time. ``actor``: staff asking on the patient's behalf."""
    from mesoclinic.portal.tasks import build_data_export

    pending = DataRequest.objects.filter(patient=patient, kind=RequestKind.ACCESS,
                                         status__in=[RequestStatus.OPEN,
                                                     RequestStatus.WORKING]).first()
    if pending is not None:
        return pending
    request = DataRequest.objects.create(
        clinic_id=patient.clinic_id, patient=patient, kind=RequestKind.ACCESS,
        asked_by_patient=actor is None, asked_by=actor.user if actor else None,
        created_at=clock.now(), due_on=_month_later(moments.today(patient.clinic)))
    build_data_export.enqueue(request.pk)
    audit_record(actor=actor, clinic=patient.clinic, ip=ip, action="data_request.create",
                 object_type="data_request", object_id=request.pk, patient_id=patient.pk,
                 detail={"kind": request.kind, "by": "staff" if actor else "patient"})
    return request


def data_export_build(*, request_id: int) -> bool:
    """Build the archive, telling its progress on the request as it goes; then tell the
    patient it is ready (when they asked). Run by the worker."""
    from mesoclinic.portal.export import build_archive

    request = DataRequest.objects.select_related("patient__clinic").get(pk=request_id)
    if request.status not in (RequestStatus.OPEN, RequestStatus.WORKING):
        return False
    DataRequest.objects.filter(pk=request.pk).update(status=RequestStatus.WORKING,
                                                     progress=1)

    def progress(percent: int) -> None:
        DataRequest.objects.filter(pk=request.pk).update(progress=min(percent, 99))

    patient = request.patient
    content = build_archive(patient, progress)
    name = export_storage().save(f"{patient.clinic_id}/{patient.pk}/"
                                 f"{secrets.token_hex(16)}.zip", ContentFile(content))
    with transaction.atomic():
        DataRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.DONE, progress=100, archive_name=name,
            finished_at=clock.now())
        audit_record(actor=None, clinic=patient.clinic, action="patient.export",
                     object_type="data_request", object_id=request.pk,
                     patient_id=patient.pk, detail={"bytes": len(content)})
    if request.asked_by_patient and patient.email:
        with translation.override(patient_language(patient, patient.clinic)):
            body = render_to_string("portal/export_ready_email.txt", {
                "url": settings.SITE_URL.rstrip("/") + reverse("portal_patient",
                                                               args=[patient.pk]),
                "clinic": patient.clinic})
            subject = _("Your data from %(clinic)s is ready") % {
                "clinic": patient.clinic.name}
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=[patient.email]).send()
    return True


@transaction.atomic
def data_rectification_request(*, patient: Patient, detail: str, ip: str | None
                               ) -> DataRequest:
    """The patient says what is wrong in their record; staff correct it (the record keeps
    its versions) or refuse with a reason."""
    detail = detail.strip()
    if not detail:
        raise InvalidInput(_("Say what should be corrected."), field="detail")
    request = DataRequest.objects.create(
        clinic_id=patient.clinic_id, patient=patient, kind=RequestKind.RECTIFICATION,
        detail=detail[:2000], created_at=clock.now(),
        due_on=_month_later(moments.today(patient.clinic)))
    audit_record(actor=None, clinic=patient.clinic, ip=ip, action="data_request.create",
                 object_type="data_request", object_id=request.pk, patient_id=patient.pk,
                 detail={"kind": request.kind, "by": "patient"})
    return request


@transaction.atomic
def data_request_decide(*, actor: Actor, request: DataRequest, done: bool, reason: str
                        ) -> DataRequest:
    """Staff close a correction request: made, or refused with the reason the patient
    reads."""
    # Locked: a request is decided once.
    locked = DataRequest.objects.select_for_update().get(pk=request.pk)
    if locked.kind != RequestKind.RECTIFICATION or locked.status != RequestStatus.OPEN:
        raise InvalidInput(_("This request is already closed."), field="status")
    reason = reason.strip()
    if not done and not reason:
        raise InvalidInput(_("Give the patient the reason for the refusal."), field="reason")
    locked.status = RequestStatus.DONE if done else RequestStatus.REFUSED
    locked.decided_by, locked.decision, locked.finished_at = actor.user, reason, clock.now()
    locked.save(update_fields=["status", "decided_by", "decision", "finished_at"])
    audit_record(actor=actor, action="data_request.decide", object_type="data_request",
                 object_id=locked.pk, patient_id=locked.patient_id,
                 detail={"status": locked.status})
    return locked


# Erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureAssessment:
    """What the clinic may erase of a patient's data, and what the law makes it keep."""

    last_care: date | None
    keep_until: date | None  # the medical record's end of retention, if still running
    retention_years: int

    @property
    def keeps_medical_record(self) -> bool:
        return self.keep_until is not None


def erasure_assessment(*, patient: Patient) -> ErasureAssessment:
    """The medical record (consultation, tests, sessions, side effects) is kept for the
    clinic's retention period after the last care; the rest may go at once."""
    from mesoclinic.aftercare.models import AdverseEvent
    from mesoclinic.consultation.models import AllergyTest, IntakeSubmission
    from mesoclinic.courses.models import Session

    moments_of_care = [m for m in (
        Session.objects.filter(patient=patient, started_at__isnull=False)
        .aggregate(last=Max("started_at"))["last"],
        AllergyTest.objects.filter(patient=patient).aggregate(last=Max("given_at"))["last"],
        IntakeSubmission.objects.filter(patient=patient)
        .aggregate(last=Max("submitted_at"))["last"],
        AdverseEvent.objects.filter(patient=patient).aggregate(last=Max("onset_at"))["last"],
    ) if m is not None]
    years = retention_years(patient.clinic)
    if not moments_of_care:
        return ErasureAssessment(None, None, years)
    last = moments.local_day(max(moments_of_care), patient.clinic)
    until = _years_later(last, years)
    return ErasureAssessment(last, until if until > moments.today(patient.clinic) else None,
                             years)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@transaction.atomic
def data_erasure_request(*, patient: Patient, ip: str | None) -> DataRequest:
    """The patient asks to be erased; the clinic's owner decides."""
    pending = DataRequest.objects.filter(patient=patient, kind=RequestKind.ERASURE,
                                         status=RequestStatus.OPEN).first()
    if pending is not None:
        return pending
    request = DataRequest.objects.create(
        clinic_id=patient.clinic_id, patient=patient, kind=RequestKind.ERASURE,
        created_at=clock.now(), due_on=_month_later(moments.today(patient.clinic)))
    audit_record(actor=None, clinic=patient.clinic, ip=ip, action="data_request.create",
                 object_type="data_request", object_id=request.pk, patient_id=patient.pk,
                 detail={"kind": request.kind, "by": "patient"})
    return request


@transaction.atomic
def data_erasure_decide(*, actor: Actor, request: DataRequest, erase: bool, reason: str
                        ) -> DataRequest:
    """The owner erases what may be erased (and says what is kept and why), or refuses
    with a reason. The audit event names what was done, never the erased content."""
    require_owner(actor.role)
    # Locked: a request is decided once.
    locked = DataRequest.objects.select_for_update().select_related("patient__clinic") \
        .get(pk=request.pk)
    if locked.kind != RequestKind.ERASURE or locked.status != RequestStatus.OPEN:
        raise InvalidInput(_("This request is already closed."), field="status")
    patient = locked.patient
    if not erase:
        reason = reason.strip()
        if not reason:
            raise InvalidInput(_("Give the patient the reason for the refusal."),
                               field="reason")
        locked.status, locked.decision = RequestStatus.REFUSED, reason
    else:
        assessment = erasure_assessment(patient=patient)
        counts = patient_erase(patient=patient,
                               keep_medical=assessment.keeps_medical_record)
        locked.status = RequestStatus.DONE
        if assessment.keeps_medical_record:
            locked.decision = _(
                "Your photographs, your data archives and your consents to photographs and "
                "to the registry are erased. Your medical record is kept until %(day)s: the "
                "law requires the clinic to keep it for %(years)s years after your last "
                "care.") % {"day": moments.day_text(assessment.keep_until, "longdate"),
                            "years": assessment.retention_years}
        else:
            locked.decision = _("Your data are erased: your name and contact details, your "
                                "notes and your photographs. What the clinic must keep for "
                                "its accounts no longer names you.")
        audit_record(actor=actor, action="patient.erase", object_type="patient",
                     object_id=patient.pk, patient_id=patient.pk,
                     detail={"kept_medical_record": assessment.keeps_medical_record,
                             **counts})
    locked.decided_by, locked.finished_at = actor.user, clock.now()
    locked.save(update_fields=["status", "decision", "decided_by", "finished_at"])
    return locked


def patient_erase(*, patient: Patient, keep_medical: bool) -> dict[str, int]:
    """Erase what may be: photos (and their thumbnails, aligned comparisons), the data
    archives, sign-in links, the waiting list, the photo and registry consents; and, when
    no medical record must be kept, the identity, contact details, search keys and free
    text everywhere, so that no search finds the patient again. Answers counts only."""
    from mesoclinic.aftercare.models import AdverseEvent, CheckIn
    from mesoclinic.booking.models import Appointment, WaitlistEntry
    from mesoclinic.consultation.models import (
        Consent,
        IntakeSubmission,
        Photo,
    )
    from mesoclinic.consultation.services import photo_storage
    from mesoclinic.courses.models import Injection, Session, TreatmentPlan
    from mesoclinic.outcomes.models import OutcomeMeasurement, PhotoComparison
    from mesoclinic.patients.models import PatientRevision

    # Locked: the patient's rows change together.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    photos = list(Photo.objects.filter(patient=patient))
    storage = photo_storage()
    comparisons = PhotoComparison.objects.filter(patient=patient)
    for comparison in comparisons:
        if comparison.aligned_name:
            storage.delete(comparison.aligned_name)
    comparisons.delete()
    Injection.objects.filter(photo__in=photos).update(photo=None, photo_x=None,
                                                      photo_y=None)
    CheckIn.objects.filter(photo__in=photos).update(photo=None)
    for photo in photos:
        storage.delete(photo.stored_name)
        storage.delete(photo.thumbnail_name)
    Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()
    archives = DataRequest.objects.filter(patient=patient).exclude(archive_name="")
    for request in archives:
        export_storage().delete(request.archive_name)
    archives.update(archive_name="")
    if patient.email_key:
        SignInLink.objects.filter(email_hash=key_hash(patient.email_key)).delete()
    WaitlistEntry.objects.filter(patient=patient, status="waiting").update(
        status="left", closed_at=clock.now())
    Consent.objects.filter(patient=patient, kind__in=SELF_SERVICE_CONSENTS,
                           withdrawn_at__isnull=True).update(
        withdrawn_at=clock.now(), withdrawal_reason="erasure")
    counts = {"photos": len(photos)}
    if keep_medical:
        return counts
    Patient.objects.filter(pk=patient.pk).update(
        first_name="—", last_name=f"#{patient.pk}", date_of_birth=date(1900, 1, 1),
        phone="", email="", address="", notes="", language="", first_key="",
        last_key="", phone_key="", email_key="", updated_at=clock.now())
    PatientRevision.objects.filter(patient=patient).delete()
    IntakeSubmission.objects.filter(patient=patient).update(
        condition_details="", allergies="", medications=[])
    Consent.objects.filter(patient=patient).update(typed_name="", signature_png=None, ip=None)
    Appointment.objects.filter(patient=patient).update(cancel_reason="")
    Session.objects.filter(patient=patient).update(notes="")
    TreatmentPlan.objects.filter(patient=patient).update(notes="")
    AdverseEvent.objects.filter(patient=patient).update(description="", review_note="")
    CheckIn.objects.filter(patient=patient).update(notes="")
    OutcomeMeasurement.objects.filter(patient=patient).update(notes="")
    DataRequest.objects.filter(patient=patient).update(detail="")
    counts["identity"] = 1
    return counts


def retention_years(clinic: Any) -> int:
    return law_retention(country=clinic.country, own=clinic.record_retention_years)


@transaction.atomic
def clinic_retention_set(*, actor: Actor, years: int | None) -> None:
    """The owner sets how long the clinic keeps medical records (never below the law's
    period for its country); None goes back to the law's."""
    require_owner(actor.role)
    law = law_retention(country=actor.clinic.country, own=None)
    if years is not None and not law <= years <= 100:
        raise InvalidInput(_("Keep medical records at least %(years)s years (the law here), "
                             "and at most 100.") % {"years": law}, field="years")
    # Locked: two owners setting it at once write one after the other.
    clinic = type(actor.clinic).objects.select_for_update().get(pk=actor.clinic_id)
    clinic.record_retention_years = years
    clinic.save(update_fields=["record_retention_years"])
    audit_record(actor=actor, action="clinic.retention", object_type="clinic",
                 object_id=clinic.pk, detail={"years": years or law})


def data_request_close(*, actor: Actor, request: DataRequest, done: bool, reason: str
                       ) -> DataRequest:
    """Close a correction (made, or refused) or an erasure (carried out, or refused; owners
    only): one entry for the requests page and the API."""
    if request.kind == RequestKind.ERASURE:
        return data_erasure_decide(actor=actor, request=request, erase=done, reason=reason)
    return data_request_decide(actor=actor, request=request, done=done, reason=reason)
