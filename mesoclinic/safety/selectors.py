"""Gather a patient's facts from the other apps into the snapshot the rules read, and
evaluate it: the one checklist that booking, sessions and the API all call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from mesoclinic.aftercare.selectors import blocking_adverse_events
from mesoclinic.consultation import selectors as consultation
from mesoclinic.consultation.models import ConsentKind
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.models import Membership
from mesoclinic.core.roles import may_be_qualified
from mesoclinic.core.selectors import clinic_member
from mesoclinic.courses.models import Session, TreatmentPlan
from mesoclinic.courses.selectors import course_fact, course_loaded, course_reloaded
from mesoclinic.patients.models import Patient
from mesoclinic.safety import rules
from mesoclinic.safety.models import SafetyOverride


def clinic_wording(clinic: moments.HasZone) -> rules.Wording:
    """Findings in the active language, with moments in the clinic's zone, named."""
    return rules.Wording(
        gettext=_,
        moment=lambda value: moments.moment_text(value, clinic, "datetime", name_zone=True),
        day=lambda value: moments.day_text(value, "longdate"))


def safety_snapshot(*, patient: Patient, practitioner: Membership | None, at: datetime,
                    product_ids: frozenset[int],
                    course: rules.CourseFact | None = None) -> rules.Snapshot:
    at_local = at.astimezone(patient.clinic.zoneinfo)
    intake = consultation.latest_intake(patient_id=patient.pk)
    tests = consultation.patient_allergy_tests(patient=patient)
    consents = consultation.patient_consents(patient=patient)
    current = consultation.consent_texts_current(clinic=patient.clinic).get(
        ConsentKind.TREATMENT)
    medications = tuple(
        rules.MedicationFact(
            drug_class=m["drug_class"], name=m.get("name", ""),
            last_dose=rules.last_dose_from_text(m.get("last_dose"), patient.clinic.zoneinfo))
        for m in (intake.medications if intake else [])
    )
    return rules.Snapshot(
        at=at_local,
        birth_date=patient.date_of_birth,
        product_ids=product_ids,
        allergy_tests=tuple(
            rules.AllergyTestFact(given_at=t.given_at, result=t.result, read_at=t.read_at,
                                  product_ids=frozenset(i.product_id for i in t.injections.all()))
            for t in tests
        ),
        medications=medications,
        conditions=frozenset(intake.conditions if intake else ()),
        consents=tuple(rules.ConsentFact(kind=c.kind, version=c.text.version,
                                         signed_at=c.signed_at, withdrawn_at=c.withdrawn_at)
                       for c in consents),
        current_treatment_consent_version=current.version if current else None,
        practitioner_qualified=bool(
            practitioner and practitioner.is_active and practitioner.qualification_verified
            and may_be_qualified(practitioner.role)),
        intake_on_record=intake is not None,
        course=course,
        open_adverse_events=tuple(blocking_adverse_events(patient=patient, now=at)),
    )


@dataclass(frozen=True)
class CheckedFinding:
    finding: rules.Finding
    override: SafetyOverride | None

    @property
    def blocking(self) -> bool:
        return self.finding.severity == rules.Severity.BLOCK and self.override is None


@dataclass(frozen=True)
class Checklist:
    at: datetime
    practitioner: Membership | None
    findings: list[CheckedFinding]

    @property
    def passes(self) -> bool:
        return not any(f.blocking for f in self.findings)


def access_practitioner(*, actor: Actor, user_id: int) -> Membership:
    membership = clinic_member(clinic_id=actor.clinic_id, user_id=user_id)
    if membership is None:
        raise NotFound(_("No such practitioner in this clinic."), field="practitioner")
    return membership


def patient_checklist(*, patient: Patient, practitioner: Membership | None, at: datetime,
                      product_ids: frozenset[int] = frozenset(),
                      course: rules.CourseFact | None = None) -> Checklist:
    """The pre-treatment checklist, with any practitioner overrides for that day."""
    snapshot = safety_snapshot(patient=patient, practitioner=practitioner, at=at,
                               product_ids=product_ids, course=course)
    findings = rules.evaluate(snapshot, clinic_wording(patient.clinic))
    overrides = {
        o.code: o for o in SafetyOverride.objects.filter(
            patient=patient, applies_on=snapshot.at.date()).select_related("practitioner")
    }
    return Checklist(
        at=snapshot.at, practitioner=practitioner,
        findings=[CheckedFinding(f, overrides.get(f.code)
                                 if f.severity == rules.Severity.BLOCK else None)
                  for f in findings],
    )


def course_checklist(*, patient: Patient, practitioner: Membership | None, at: datetime,
                     plan: TreatmentPlan, session: Session | None = None,
                     product_ids: frozenset[int] = frozenset()) -> Checklist:
    """The checklist with the course's rules (``course-max-sessions``, the intervals): for
    one of the plan's sessions, which then does not count itself, or else for the plan's
    next session. The plan's cocktail is checked when no product is named."""
    if not course_loaded(plan):
        plan = course_reloaded(plan)
    return patient_checklist(
        patient=patient, practitioner=practitioner, at=at,
        product_ids=product_ids or frozenset(c.product_id for c in plan.cocktail.all()),
        course=course_fact(plan, excluding_session_id=session.pk if session else None))

