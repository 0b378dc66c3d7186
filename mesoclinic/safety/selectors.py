"""Gather a patient's facts from the other apps into the snapshot the rules read, and
evaluate it: the one checklist that booking, sessions and the API all call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mesoclinic.aftercare.models import AdverseEvent
from mesoclinic.consultation.models import (
    AllergyTest,
    Consent,
    ConsentKind,
    ConsentText,
    IntakeSubmission,
)
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import NotFound
from mesoclinic.core.models import Membership
from mesoclinic.core.roles import may_be_qualified
from mesoclinic.core.selectors import clinic_member
from mesoclinic.courses.models import Session, TreatmentPlan
from mesoclinic.courses.selectors import days_done
from mesoclinic.patients.models import Patient
from mesoclinic.safety import rules
from mesoclinic.safety.models import SafetyOverride


def course_fact(plan: TreatmentPlan, *, excluding_session_id: int | None = None
                ) -> rules.CourseFact:
    """How far a plan's course has gone: sessions given (or under way) and the last one."""
    days = days_done(plan, excluding_session_id=excluding_session_id)
    return rules.CourseFact(planned_sessions=plan.planned_sessions,
                            sessions_done=len(days),
                            last_session_on=days[-1] if days else None,
                            improvement_recorded=plan.improvement_recorded_on is not None)


def open_adverse_events(*, patient: Patient, now: datetime) -> list[str]:
    """Labels of the patient's adverse events that block treatment until reviewed."""
    from mesoclinic.aftercare.escalation import is_open
    from mesoclinic.aftercare.selectors import event_facts

    events = AdverseEvent.objects.filter(patient=patient, reviewed_at__isnull=True) \
        .select_related("side_effect")
    return [f"{e.side_effect.name} ({e.get_severity_display().lower()})"
            for e in events if is_open(event_facts(e), now)]


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
    intake = IntakeSubmission.objects.filter(patient=patient).order_by("-version").first()
    tests = AllergyTest.objects.filter(patient=patient).prefetch_related("injections")
    consents = Consent.objects.filter(patient=patient).select_related("text")
    current = (ConsentText.objects.filter(clinic_id=patient.clinic_id,
                                          kind=ConsentKind.TREATMENT)
               .order_by("-version").values_list("version", flat=True).first())
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
        current_treatment_consent_version=current,
        practitioner_qualified=bool(
            practitioner and practitioner.is_active and practitioner.qualification_verified
            and may_be_qualified(practitioner.role)),
        intake_on_record=intake is not None,
        course=course,
        open_adverse_events=tuple(open_adverse_events(patient=patient, now=at)),
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


def course_of(plans: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """Plans with what the course rules read: the clinic, the sessions, the cocktail."""
    return plans.select_related("clinic").prefetch_related("sessions", "cocktail")


def course_loaded(plan: TreatmentPlan) -> bool:
    return {"sessions", "cocktail"} <= getattr(plan, "_prefetched_objects_cache", {}).keys() \
        and TreatmentPlan.clinic.is_cached(plan)


def course_checklist(*, patient: Patient, practitioner: Membership | None, at: datetime,
                     plan: TreatmentPlan, session: Session | None = None,
                     product_ids: frozenset[int] = frozenset()) -> Checklist:
    """The checklist with the course's rules (``course-max-sessions``, the intervals): for
    one of the plan's sessions, which then does not count itself, or else for the plan's
    next session. The plan's cocktail is checked when no product is named."""
    if not course_loaded(plan):
        plan = course_of(TreatmentPlan.objects.filter(pk=plan.pk)).get()
    return patient_checklist(
        patient=patient, practitioner=practitioner, at=at,
        product_ids=product_ids or frozenset(c.product_id for c in plan.cocktail.all()),
        course=course_fact(plan, excluding_session_id=session.pk if session else None))

