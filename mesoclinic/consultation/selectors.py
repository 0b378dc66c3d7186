"""Reads of the consultation, for a patient already loaded through ``access_patient``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from mesoclinic.consultation.models import (
    AllergyTest,
    AllergyTestInjection,
    Condition,
    Consent,
    ConsentKind,
    ConsentText,
    IntakeSubmission,
    MedicationClass,
    PatientLink,
    Photo,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.links import derived_key, key_hash
from mesoclinic.core.models import Clinic
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.selectors import clinic_row
from mesoclinic.core.timeline import TimelineEntry
from mesoclinic.patients.models import Patient


@dataclass(frozen=True)
class IntakeChange:
    field: str
    before: str
    after: str


def _medication_line(m: dict[str, Any]) -> str:
    label = MedicationClass(m["drug_class"]).label if m.get("drug_class") in \
        MedicationClass.values else m.get("drug_class", "")
    dose = m.get("last_dose") or _("no date")
    return f"{m['name']} ({label}, {_('last dose')} {dose})"


def condition_labels(codes: list[str]) -> list[str]:
    """The conditions a patient ticked, as the questionnaire named them."""
    return [str(Condition(code).label) if code in Condition.values else code
            for code in codes]


def intake_changes(previous: IntakeSubmission | None,
                   current: IntakeSubmission) -> list[IntakeChange]:
    """What the patient answered differently from the version before."""
    if previous is None:
        return []
    changes: list[IntakeChange] = []
    before, after = set(previous.conditions), set(current.conditions)
    for code in sorted(after - before):
        changes.append(IntakeChange(str(Condition(code).label), _("no"), _("yes")))
    for code in sorted(before - after):
        changes.append(IntakeChange(str(Condition(code).label), _("yes"), _("no")))
    meds_before = {_medication_line(m) for m in previous.medications}
    meds_after = {_medication_line(m) for m in current.medications}
    for line in sorted(meds_after - meds_before):
        changes.append(IntakeChange(_("Medication"), "", line))
    for line in sorted(meds_before - meds_after):
        changes.append(IntakeChange(_("Medication"), line, ""))
    for name, label in (("allergies", _("Allergies")),
                        ("condition_details", _("Details"))):
        if getattr(previous, name) != getattr(current, name):
            changes.append(IntakeChange(label, getattr(previous, name),
                                        getattr(current, name)))
    return changes


@dataclass(frozen=True)
class IntakeVersion:
    intake: IntakeSubmission
    changes: list[IntakeChange]

    @property
    def conditions(self) -> list[str]:
        return condition_labels(self.intake.conditions)

    @property
    def medications(self) -> list[str]:
        return [_medication_line(m) for m in self.intake.medications]


def latest_intake(*, patient_id: int) -> IntakeSubmission | None:
    """The patient's latest intake questionnaire: the medications and conditions the rules
    and the schedule read."""
    return IntakeSubmission.objects.filter(patient_id=patient_id).order_by("-version").first()


def patient_intakes(*, patient: Patient) -> list[IntakeVersion]:
    intakes = list(IntakeSubmission.objects.filter(patient=patient)
                   .select_related("submitted_by", "reviewed_by").order_by("version"))
    versions = [IntakeVersion(intake, intake_changes(intakes[i - 1] if i else None, intake))
                for i, intake in enumerate(intakes)]
    return list(reversed(versions))


def access_intake(*, actor: Actor, patient: Patient, intake_id: int) -> IntakeSubmission:
    require_clinician(actor.role)
    return clinic_row(IntakeSubmission.objects.filter(patient=patient), actor=actor,
                      pk=intake_id, missing=_("No such questionnaire."))


def patient_consents(*, patient: Patient) -> list[Consent]:
    return list(Consent.objects.filter(patient=patient)
                .select_related("text", "recorded_by", "withdrawn_by").order_by("-signed_at"))


def access_consent(*, actor: Actor, patient: Patient, consent_id: int,
                   exported: bool = False) -> Consent:
    """One of the patient's consents; ``exported`` when it leaves as a PDF (audited)."""
    return clinic_row(Consent.objects.select_related("text", "patient", "clinic")
                      .filter(patient=patient), actor=actor, pk=consent_id,
                      missing=_("No such consent."), object_type="consent",
                      audit_action="consent.export" if exported else None)


def patient_photos(*, patient: Patient, by_area: bool = False,
                   ids: list[int] | None = None) -> list[Photo]:
    """The patient's photos (only those with these ids when given), by body area and time
    when asked: the order in which a comparison is chosen."""
    photos = Photo.objects.filter(patient=patient).select_related("body_area")
    if ids is not None:
        photos = photos.filter(pk__in=ids)
    if by_area:
        photos = photos.order_by("body_area__name", "taken_at")
    return list(photos)


def photo_consent_refusal(*, patient: Patient) -> str | None:
    """Why the clinic may not photograph this patient (or use their photos beyond the
    record): no consent to clinical photographs, or one withdrawn. None when it may."""
    latest = Consent.objects.filter(patient=patient, kind=ConsentKind.PHOTOS) \
        .order_by("-signed_at", "-id").first()
    if latest is None:
        return _("The patient has not consented to clinical photographs: ask them to sign "
                 "that consent first.")
    if latest.withdrawn_at is not None:
        return _("The patient withdrew their consent to clinical photographs on %(day)s.") \
            % {"day": moments.moment_text(latest.withdrawn_at, patient.clinic, "date")}
    return None


def baseline_photos(*, patient: Patient, body_area_ids: list[int]) -> list[Photo]:
    """The first photo the clinic took of each of these areas and views: what a session can
    be charted on, so that the points land on the patient's own skin."""
    first: dict[tuple[int, str], Photo] = {}
    for photo in (Photo.objects.filter(patient=patient, kind="baseline",
                                       body_area_id__in=body_area_ids)
                  .select_related("body_area").order_by("taken_at", "id")):
        first.setdefault((photo.body_area_id, photo.view), photo)
    return list(first.values())


def access_photo(*, actor: Actor, photo_id: int, original: bool) -> Photo:
    """A photo of a patient of the actor's clinic; every fetch is audited, the thumbnail's
    too (it can be fetched on its own, without the record page)."""
    require_clinician(actor.role)
    return clinic_row(Photo.objects.select_related("patient"), actor=actor, pk=photo_id,
                      missing=_("No such photo."), object_type="photo",
                      audit_action="photo.view" if original else "photo.thumbnail")


def patient_allergy_tests(*, patient: Patient) -> list[AllergyTest]:
    injections = AllergyTestInjection.objects.select_related("product", "lot")
    return list(AllergyTest.objects.filter(patient=patient)
                .select_related("given_by", "read_by")
                .prefetch_related(Prefetch("injections", queryset=injections)))


def access_allergy_test(*, actor: Actor, patient: Patient, test_id: int) -> AllergyTest:
    require_clinician(actor.role)
    return clinic_row(AllergyTest.objects.filter(patient=patient), actor=actor, pk=test_id,
                      missing=_("No such allergy test."))


def patient_links(*, patient: Patient) -> list[PatientLink]:
    return list(PatientLink.objects.filter(patient=patient).select_related("created_by"))


def access_patient_link(*, actor: Actor, patient: Patient, link_id: int) -> PatientLink:
    return clinic_row(PatientLink.objects.filter(patient=patient), actor=actor, pk=link_id,
                      missing=_("No such link."))


# Patient links -------------------------------------------------------------------------


PATIENT_LINK_PURPOSE = "patient-link"


def patient_link_key(link: PatientLink) -> str:
    """The key of a link, derived again from its nonce (links made before keys were
    derived have none, and cannot be sent again)."""
    return derived_key(purpose=PATIENT_LINK_PURPOSE, nonce=link.nonce)


def patient_link_from_token(token: str, *, lock: bool = False,
                            opened_from: str | None = None) -> PatientLink:
    """The link behind a key, if it may still be used; with ``opened_from`` (an address),
    its holder reads the patient's name and questions: audited."""
    links = PatientLink.objects.select_related("patient__clinic")
    if lock:
        # Locked: two submissions through one link at once must not both count.
        links = links.select_for_update()
    link = links.filter(key_hash=key_hash(token)).first() if len(token) < 100 else None
    if link is None:
        raise NotFound(_("This link is not valid."))
    if link.revoked_at is not None:
        raise NotFound(_("The clinic has withdrawn this link. Ask them for a new one."))
    if link.created_at + settings.INTAKE_LINK_MAX_AGE < clock.now():
        raise NotFound(_("This link has expired. Ask the clinic for a new one."))
    if opened_from is not None:
        audit_record(actor=None, clinic=link.patient.clinic, ip=opened_from,
                     action="link.open", object_type="patient_link", object_id=link.pk,
                     patient_id=link.patient_id)
    return link


def consent_texts_current(*, clinic: Clinic) -> dict[str, ConsentText]:
    """The current (latest) version of each of the clinic's consent texts, by kind (a
    clinic gets version 1 of each when it opens: services.consent_texts_open)."""
    texts: dict[str, ConsentText] = {}
    for text in ConsentText.objects.filter(clinic=clinic).order_by("kind", "-version"):
        texts.setdefault(text.kind, text)
    return texts


def consultation_timeline(*, patient: Patient) -> list[TimelineEntry]:
    """The patient's intake versions, allergy tests, consents and photos."""
    from django.urls import reverse

    entries = []
    for intake in IntakeSubmission.objects.filter(patient=patient):
        entries.append(TimelineEntry(intake.submitted_at, "intake",
                                     _("Intake questionnaire, version %(v)d") % {
                                         "v": intake.version},
                                     ", ".join(condition_labels(intake.conditions))
                                     or _("no condition declared"),
                                     reverse("intake_page", args=[patient.pk])))
    for test in AllergyTest.objects.filter(patient=patient):
        entries.append(TimelineEntry(test.given_at, "allergy", _("Allergy test given"),
                                     test.get_result_display()))
        if test.read_at:
            entries.append(TimelineEntry(test.read_at, "allergy", _("Allergy test read"),
                                         test.get_result_display()))
    for consent in Consent.objects.filter(patient=patient).select_related("text"):
        entries.append(TimelineEntry(consent.signed_at, "consent",
                                     _("Consent signed: %(kind)s") % {
                                         "kind": consent.get_kind_display()},
                                     f"v{consent.text.version}"))
        if consent.withdrawn_at:
            entries.append(TimelineEntry(consent.withdrawn_at, "consent",
                                         _("Consent withdrawn: %(kind)s") % {
                                             "kind": consent.get_kind_display()},
                                         consent.withdrawal_reason))
    for photo in Photo.objects.filter(patient=patient).select_related("body_area"):
        entries.append(TimelineEntry(photo.taken_at, "photo", _("Photo"),
                                     f"{photo.body_area.name}, {photo.get_view_display()}"))
    return entries
