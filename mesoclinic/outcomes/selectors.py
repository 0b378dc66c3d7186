"""Reads of outcomes: a patient's progress, photo comparisons, practice analytics and the
de-identified registry export."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesoclinic.aftercare.models import AdverseEvent
from mesoclinic.catalog.models import OutcomeScale
from mesoclinic.consultation.models import Consent, ConsentKind
from mesoclinic.core.audit import audit_record
from mesoclinic.core.context import Actor
from mesoclinic.core.roles import require_clinician
from mesoclinic.core.selectors import clinic_row
from mesoclinic.courses.models import Injection, Session, SessionStatus, TreatmentPlan
from mesoclinic.outcomes import stats
from mesoclinic.outcomes.models import OutcomeMeasurement, PhotoComparison
from mesoclinic.patients.models import Patient


def scales_for(*, patient: Patient) -> list[OutcomeScale]:
    """The scales the catalogue offers for the patient's indications (GAIS for all)."""
    indications = TreatmentPlan.objects.filter(patient=patient).values("indication")
    return list(OutcomeScale.objects.filter(
        Q(indications__in=indications) | Q(code="gais")).distinct().order_by("name"))


@dataclass
class Series:
    scale: OutcomeScale
    points: list[tuple[date, float, str]] = field(default_factory=list)  # day, value, by


def patient_measurements(*, patient: Patient) -> list[OutcomeMeasurement]:
    return list(OutcomeMeasurement.objects.filter(patient=patient).select_related("scale"))


def progress(*, patient: Patient) -> list[Series]:
    series: dict[int, Series] = {}
    for m in OutcomeMeasurement.objects.filter(patient=patient).select_related("scale") \
            .order_by("measured_on", "id"):
        series.setdefault(m.scale_id, Series(m.scale)).points.append(
            (m.measured_on, float(m.value), m.rated_by))
    return sorted(series.values(), key=lambda s: s.scale.name)


def recent_comparisons(*, patient: Patient, limit: int = 10) -> list[PhotoComparison]:
    return list(PhotoComparison.objects.filter(patient=patient)
                .select_related("before__body_area")[:limit])


def access_comparison(*, actor: Actor, comparison_id: int, audit: bool = True
                      ) -> PhotoComparison:
    require_clinician(actor.role)
    return clinic_row(PhotoComparison.objects.select_related("before", "after", "patient"),
                      actor=actor, pk=comparison_id, missing=_("No such comparison."),
                      audit_action="comparison.view" if audit else None,
                      object_type="comparison")


# Practice analytics -----------------------------------------------------------------

DIMENSIONS = {
    "protocol": gettext_lazy("Indication × protocol × technique"),
    "practitioner": gettext_lazy("Practitioner"),
    "lot": gettext_lazy("Lot"),
}


@dataclass
class GroupTotals:
    patients: set[int] = field(default_factory=set)
    plans: int = 0
    sessions: int = 0
    adverse_events: int = 0
    change: stats.Moments = field(default_factory=stats.Moments)
    responders: int = 0
    rated: int = 0


@dataclass(frozen=True)
class AnalyticsRow:
    label: str
    patients: int
    plans: int
    sessions: int
    mean_change: stats.Estimate | None
    change_n: int
    responder_rate: stats.Estimate | None
    responders: int
    rated: int
    adverse_events: int
    adverse_rate: stats.Estimate | None


@dataclass(frozen=True)
class PlanOutcome:
    baseline: float | None
    last: float
    count: int


def plan_outcomes(*, clinic_id: int, scale: OutcomeScale) -> dict[int, PlanOutcome]:
    """First and last value of the scale for each plan, in one ordered pass."""
    outcomes: dict[int, PlanOutcome] = {}
    rows = OutcomeMeasurement.objects.filter(clinic_id=clinic_id, scale=scale,
                                             plan__isnull=False) \
        .order_by("plan_id", "measured_on", "id").values_list("plan_id", "value")
    for plan_id, value in rows.iterator(chunk_size=20000):
        known = outcomes.get(plan_id)
        if known is None:
            outcomes[plan_id] = PlanOutcome(float(value), float(value), 1)
        else:
            outcomes[plan_id] = PlanOutcome(known.baseline, float(value), known.count + 1)
    return outcomes


def _plan_groups(*, clinic_id: int, dimension: str, indication: str | None
                 ) -> tuple[dict[int, list[str]], dict[int, int]]:
    """Each plan's group labels, and its patient."""
    plans = TreatmentPlan.objects.filter(clinic_id=clinic_id)
    if indication:
        plans = plans.filter(indication__code=indication)
    groups: dict[int, list[str]] = {}
    patients: dict[int, int] = {}
    if dimension == "lot":
        for plan_id, patient_id in plans.values_list("id", "patient_id").iterator(
                chunk_size=20000):
            patients[plan_id] = patient_id
            groups[plan_id] = []
        used = Injection.objects.filter(clinic_id=clinic_id, session__plan_id__in=plans,
                                        removed_at__isnull=True) \
            .values_list("session__plan_id", "lot__product__name", "lot__number").distinct()
        for plan_id, product, number in used.iterator(chunk_size=20000):
            groups[plan_id].append(f"{product} · {number}")
        return groups, patients
    fields = ("id", "patient_id", "indication__name", "protocol_label", "technique__name",
              "created_by__full_name")
    for plan_id, patient_id, ind, protocol, technique, prescriber in \
            plans.values_list(*fields).iterator(chunk_size=20000):
        patients[plan_id] = patient_id
        label = prescriber if dimension == "practitioner" else \
            f"{ind} × {protocol or '—'} × {technique}"
        groups[plan_id] = [label]
    return groups, patients


def practice_analytics(*, actor: Actor, scale: OutcomeScale, dimension: str = "protocol",
                       indication: str | None = None) -> list[AnalyticsRow]:
    """Patients, sessions, mean change of the scale (95 % CI), responder rate (Wilson),
    adverse events per 100 sessions (exact Poisson), per group."""
    require_clinician(actor.role)
    clinic_id = actor.clinic_id
    groups, patients = _plan_groups(clinic_id=clinic_id, dimension=dimension,
                                    indication=indication)
    sessions = dict(Session.objects.filter(clinic_id=clinic_id,
                                           status=SessionStatus.COMPLETED)
                    .values("plan_id").annotate(n=Count("id")).values_list("plan_id", "n")
                    .iterator(chunk_size=20000))
    events = dict(AdverseEvent.objects.filter(clinic_id=clinic_id, session__isnull=False)
                  .values("session__plan_id").annotate(n=Count("id"))
                  .values_list("session__plan_id", "n"))
    outcomes = plan_outcomes(clinic_id=clinic_id, scale=scale)
    totals: dict[str, GroupTotals] = defaultdict(GroupTotals)
    for plan_id, labels in groups.items():
        outcome = outcomes.get(plan_id)
        for label in labels:
            group = totals[label]
            group.patients.add(patients[plan_id])
            group.plans += 1
            group.sessions += sessions.get(plan_id, 0)
            group.adverse_events += events.get(plan_id, 0)
            if outcome is None:
                continue
            if outcome.count >= 2:
                group.change.add(outcome.last - outcome.baseline)
            if scale.responder_kind == "level" or outcome.count >= 2:
                group.rated += 1
                group.responders += stats.is_responder(
                    kind=scale.responder_kind, threshold=scale.responder_threshold,
                    higher_is_better=scale.higher_is_better, baseline=outcome.baseline,
                    value=outcome.last)
    rows = [
        AnalyticsRow(
            label=label, patients=len(g.patients), plans=g.plans, sessions=g.sessions,
            mean_change=stats.mean_ci(g.change), change_n=g.change.n,
            responder_rate=stats.wilson(g.responders, g.rated), responders=g.responders,
            rated=g.rated, adverse_events=g.adverse_events,
            adverse_rate=stats.poisson_rate(g.adverse_events, g.sessions))
        for label, g in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r.sessions, r.label))


# Registry export --------------------------------------------------------------------


def pseudonym(patient_id: int, clinic_id: int) -> str:
    """A stable code that does not reveal the patient: keyed with the server's secret."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{clinic_id}:{patient_id}".encode(),
                      hashlib.sha256).hexdigest()
    return digest[:16]


def _age_band(born: date, on: date) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    low = (age // 10) * 10
    return f"{low}-{low + 9}"


def registry_rows(*, actor: Actor, scale: OutcomeScale) -> list[dict[str, Any]]:
    """One row per plan, for patients whose registry consent is signed and not withdrawn;
    no name, birth date, contact or free text."""
    require_clinician(actor.role)
    consenting = Consent.objects.filter(clinic_id=actor.clinic_id, kind=ConsentKind.REGISTRY,
                                        withdrawn_at__isnull=True).values("patient_id")
    plans = TreatmentPlan.objects.filter(clinic_id=actor.clinic_id,
                                         patient_id__in=consenting) \
        .select_related("patient", "indication", "technique").order_by("id")
    outcomes = plan_outcomes(clinic_id=actor.clinic_id, scale=scale)
    sessions = dict(Session.objects.filter(plan__in=plans, status=SessionStatus.COMPLETED)
                    .values("plan_id").annotate(n=Count("id")).values_list("plan_id", "n"))
    events = dict(AdverseEvent.objects.filter(session__plan__in=plans)
                  .values("session__plan_id").annotate(n=Count("id"))
                  .values_list("session__plan_id", "n"))
    rows = []
    for plan in plans:
        outcome = outcomes.get(plan.pk)
        change = (outcome.last - outcome.baseline) if outcome and outcome.count >= 2 else None
        rows.append({
            "subject": pseudonym(plan.patient_id, plan.clinic_id),
            "age_band": _age_band(plan.patient.date_of_birth, plan.created_at.date()),
            "sex": plan.patient.sex,
            "fitzpatrick": plan.patient.fitzpatrick_type or "",
            "indication": plan.indication.code,
            "technique": plan.technique.code,
            "protocol": plan.protocol_label,
            "planned_sessions": plan.planned_sessions,
            "completed_sessions": sessions.get(plan.pk, 0),
            "scale": scale.code,
            "baseline": outcome.baseline if outcome else "",
            "last": outcome.last if outcome else "",
            "change": round(change, 2) if change is not None else "",
            "responder": "" if outcome is None else int(stats.is_responder(
                kind=scale.responder_kind, threshold=scale.responder_threshold,
                higher_is_better=scale.higher_is_better, baseline=outcome.baseline,
                value=outcome.last)),
            "adverse_events": events.get(plan.pk, 0),
        })
    audit_record(actor=actor, action="registry.export", object_type="registry",
                 detail={"scale": scale.code, "plans": len(rows),
                         "patients": len({r["subject"] for r in rows})})
    return rows
