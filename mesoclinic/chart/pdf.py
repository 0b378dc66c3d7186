"""The printable treatment summary of a patient (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string

from mesoclinic.consultation.selectors import patient_allergy_tests, patient_consents
from mesoclinic.core import clock
from mesoclinic.courses.selectors import plans_with_injections, product_totals
from mesoclinic.courses.zones import zone_label
from mesoclinic.patients.models import Patient


def treatment_summary_pdf(*, patient: Patient) -> bytes:
    plans = []
    for plan in plans_with_injections(patient=patient):
        sessions = []
        for session in plan.sessions.all():
            if session.started_at is None:
                continue
            injections = list(session.injections.all())
            sessions.append({
                "session": session,
                "totals": product_totals(injections),
                "injections": [(i, zone_label(i.chart_map, i.zone)) for i in injections],
            })
        plans.append({"plan": plan, "sessions": sessions})
    html = render_to_string("courses/summary_pdf.html", {
        "patient": patient, "clinic": patient.clinic, "plans": plans,
        "tests": patient_allergy_tests(patient=patient),
        "consents": patient_consents(patient=patient),
        "printed": clock.now().astimezone(patient.clinic.zoneinfo),
    })
    from weasyprint import HTML  # loaded when a PDF is asked for

    return HTML(string=html).write_pdf()
