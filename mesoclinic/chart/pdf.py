"""The printable treatment summary of a patient (WeasyPrint): consents, allergy tests,
each session with its injection map, adverse events and photos."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string

from mesoclinic.aftercare.selectors import patient_adverse_events
from mesoclinic.consultation.selectors import (
    patient_allergy_tests,
    patient_consents,
    patient_photos,
)
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core import clock
from mesoclinic.courses.selectors import plans_with_injections, product_totals
from mesoclinic.courses.zones import MAPS, zone_label
from mesoclinic.patients.models import Patient


def _thumbnail(name: str) -> str | None:
    """A photo's thumbnail inside the document (the PDF references nothing outside)."""
    try:
        with photo_storage().open(name, "rb") as image:
            return "data:image/jpeg;base64," + base64.b64encode(image.read()).decode()
    except OSError:
        return None


def treatment_summary_pdf(*, patient: Patient) -> bytes:
    plans = []
    for plan in plans_with_injections(patient=patient):
        sessions = []
        for session in plan.sessions.all():
            if session.started_at is None:
                continue
            injections = [i for i in session.injections.all() if i.removed_at is None]
            sessions.append({
                "session": session,
                "totals": product_totals(injections),
                "injections": [(i, zone_label(i.chart_map, i.zone)) for i in injections],
                "maps": [(MAPS[code], [(number, i) for number, i in
                                       enumerate(injections, start=1)
                                       if i.chart_map == code])
                         for code in sorted({i.chart_map for i in injections})
                         if code in MAPS],
            })
        plans.append({"plan": plan, "sessions": sessions})
    photos = [(photo, _thumbnail(photo.thumbnail_name))
              for photo in patient_photos(patient=patient)]
    html = render_to_string("courses/summary_pdf.html", {
        "patient": patient, "clinic": patient.clinic, "plans": plans,
        "tests": patient_allergy_tests(patient=patient),
        "consents": patient_consents(patient=patient),
        "adverse_events": patient_adverse_events(patient=patient),
        "photos": photos,
        "printed": clock.now().astimezone(patient.clinic.zoneinfo),
    })
    from weasyprint import HTML  # loaded when a PDF is asked for

    return HTML(string=html).write_pdf()
