"""The chart's reads: each part of the record comes from its own app's selectors, and is
put together here."""

from __future__ import annotations

from typing import Any

from mesoclinic.aftercare import selectors as aftercare
from mesoclinic.billing.selectors import plan_credits
from mesoclinic.booking.selectors import appointment_timeline
from mesoclinic.catalog import selectors as catalogue
from mesoclinic.consultation import selectors as consultation
from mesoclinic.consultation.models import PhotoView
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.roles import may_prescribe, sees_medical_details
from mesoclinic.core.timeline import TimelineEntry
from mesoclinic.courses import selectors as courses
from mesoclinic.outcomes import plots
from mesoclinic.outcomes import selectors as outcomes
from mesoclinic.patients.models import Patient
from mesoclinic.patients.selectors import patient_corrections


def progress_charts(patient: Patient) -> list[tuple[Any, str]]:
    return [(series.scale, plots.progress_chart(
        series.points, low=series.scale.min_value, high=series.scale.max_value,
        unit=series.scale.unit, higher_is_better=series.scale.higher_is_better,
        title=str(series.scale.name))) for series in outcomes.progress(patient=patient)]


def patient_chart(*, actor: Actor, patient: Patient, **extra: Any) -> dict[str, Any]:
    """The record page: identity for everyone; the consultation, the courses, the outcomes
    and the adverse events for clinical staff."""
    clinical = sees_medical_details(actor.role)
    intakes = consultation.patient_intakes(patient=patient) if clinical else []
    plans = courses.plans_with_progress(patient=patient) if clinical else []
    credits = plan_credits(plan_ids=[plan.pk for plan in plans])
    for plan in plans:
        plan.credits = credits.get(plan.pk)
    return {
        "patient": patient,
        "corrections": patient_corrections(patient=patient, medical=clinical),
        "sees_medical": clinical,
        "intake": intakes[0] if intakes else None,
        "intake_count": len(intakes),
        "consents": consultation.patient_consents(patient=patient),
        "photos": consultation.patient_photos(patient=patient) if clinical else [],
        "allergy_tests": consultation.patient_allergy_tests(patient=patient) if clinical else [],
        "body_areas": catalogue.body_areas() if clinical else [],
        "photo_views": PhotoView.choices,
        "plans": plans,
        "charts": progress_charts(patient) if clinical else [],
        "scales": outcomes.scales_for(patient=patient) if clinical else [],
        "adverse_events": aftercare.patient_adverse_events(patient=patient)
        if clinical else [],
        "comparisons": outcomes.recent_comparisons(patient=patient) if clinical else [],
        "today": moments.today(actor.clinic),
        "may_prescribe": may_prescribe(actor.role),
        **extra,
    }


def patient_timeline(*, patient: Patient) -> list[TimelineEntry]:
    """Everything that happened to the patient, newest first, at the clinic's times."""
    entries = [*consultation.consultation_timeline(patient=patient),
               *courses.course_timeline(patient=patient),
               *aftercare.aftercare_timeline(patient=patient),
               *appointment_timeline(patient=patient)]
    entries.sort(key=lambda e: e.at, reverse=True)
    tz = patient.clinic.zoneinfo
    return [TimelineEntry(e.at.astimezone(tz), e.kind, e.title, e.detail, e.url)
            for e in entries]
