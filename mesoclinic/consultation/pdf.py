"""PDF documents: a signed consent, rendered by WeasyPrint from an HTML template."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import translation

from mesoclinic.consultation.models import Consent
from mesoclinic.core.languages import patient_language


def consent_pdf(consent: Consent) -> bytes:
    signature = None
    if consent.signature_png:
        signature = "data:image/png;base64," + base64.b64encode(
            bytes(consent.signature_png)).decode()
    # The patient's document: in the patient's language, whoever prints it.
    with translation.override(patient_language(consent.patient, consent.clinic)):
        html = render_to_string("consultation/consent_pdf.html", {
            "consent": consent,
            "patient": consent.patient,
            "clinic": consent.clinic,
            "signature": signature,
            "signed_local": consent.signed_at.astimezone(consent.clinic.zoneinfo),
            "withdrawn_local": consent.withdrawn_at.astimezone(consent.clinic.zoneinfo)
            if consent.withdrawn_at else None,
        })
    # No base_url: the document references nothing outside itself.
    from weasyprint import HTML  # loaded when a PDF is asked for

    return HTML(string=html).write_pdf()
