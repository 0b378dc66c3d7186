"""The patient's data as one archive: patient.json (the schema in
portal/schemas/patient-export-v1.json), patient.fhir.json ($everything), the signed
consents and the treatment summary as PDFs, and the photos."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from mesoclinic.aftercare.models import AdverseEvent, CheckIn
from mesoclinic.billing.models import Fee, Invoice, Payment
from mesoclinic.billing.pdf import invoice_pdf
from mesoclinic.billing.selectors import billing_policy, patient_statement
from mesoclinic.booking.models import Appointment
from mesoclinic.chart.pdf import treatment_summary_pdf
from mesoclinic.consultation.models import AllergyTest, Consent, IntakeSubmission, Photo
from mesoclinic.consultation.pdf import consent_pdf
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core import clock
from mesoclinic.courses import zones
from mesoclinic.courses.models import TreatmentPlan
from mesoclinic.fhir.selectors import everything_for_export
from mesoclinic.fhir.views import everything_bundle
from mesoclinic.outcomes.models import OutcomeMeasurement
from mesoclinic.patients.models import Patient

SCHEMA_URL = "https://mesoclinic.org/schemas/patient-export-v1.json"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "patient-export-v1.json"


def _when(moment: Any, patient: Patient) -> str | None:
    return moment.astimezone(patient.clinic.zoneinfo).isoformat(timespec="seconds") \
        if moment else None


def _number(value: Decimal) -> float:
    return float(value)


def patient_document(patient: Patient, photo_files: dict[int, str],
                     consent_files: dict[int, str], files: list[str]) -> dict[str, Any]:
    """patient.json: the record in plain words and numbers."""
    clinic = patient.clinic

    def when(moment: Any) -> str | None:
        return _when(moment, patient)

    plans = TreatmentPlan.objects.filter(patient=patient).select_related(
        "indication", "technique").prefetch_related(
        "body_areas", "sessions__injections__product", "sessions__injections__lot")
    return {
        "schema": SCHEMA_URL, "format": "mesoclinic-patient-export", "version": 1,
        "exported_at": when(clock.now()),
        "clinic": {"name": clinic.name, "address": clinic.address, "city": clinic.city,
                   "country": clinic.country, "phone": clinic.phone},
        "patient": {"id": patient.pk, "first_name": patient.first_name,
                    "last_name": patient.last_name,
                    "date_of_birth": patient.date_of_birth.isoformat(), "sex": patient.sex,
                    "phone": patient.phone, "email": patient.email,
                    "address": patient.address, "language": patient.language,
                    "fitzpatrick_type": patient.fitzpatrick_type, "notes": patient.notes},
        "intakes": [{"version": i.version, "submitted_at": when(i.submitted_at),
                     "conditions": list(i.conditions), "medications": list(i.medications),
                     "allergies": i.allergies}
                    for i in IntakeSubmission.objects.filter(patient=patient)
                    .order_by("version")],
        "allergy_tests": [{
            "given_at": when(t.given_at), "result": t.result, "read_at": when(t.read_at),
            "reaction": t.reaction,
            "injections": [{"product": i.product.name, "lot": i.lot.number, "site": i.site}
                           for i in t.injections.all()]}
            for t in AllergyTest.objects.filter(patient=patient).prefetch_related(
                "injections__product", "injections__lot").order_by("given_at")],
        "consents": [{"kind": c.kind, "title": c.text.title, "version": c.text.version,
                      "signed_at": when(c.signed_at), "withdrawn_at": when(c.withdrawn_at),
                      "file": consent_files[c.pk]}
                     for c in Consent.objects.filter(patient=patient).select_related("text")
                     .order_by("signed_at")],
        "plans": [{
            "indication": str(p.indication.name), "technique": str(p.technique.name),
            "body_areas": [str(a.name) for a in p.body_areas.all()],
            "planned_sessions": p.planned_sessions, "status": p.status,
            "created_at": when(p.created_at),
            "sessions": [{
                "scheduled_on": s.scheduled_on.isoformat(), "status": s.status,
                "started_at": when(s.started_at), "ended_at": when(s.ended_at),
                "injections": [{
                    "product": i.product.name, "lot": i.lot.number,
                    "zone": zones.zone_label(i.chart_map, i.zone) if i.zone else "",
                    "volume_ml": _number(i.volume_ml), "depth_mm": _number(i.depth_mm),
                    "given_at": when(i.created_at), "removed_at": when(i.removed_at),
                    "removal_reason": i.removal_reason} for i in s.injections.all()]}
                for s in p.sessions.all()]} for p in plans],
        "appointments": [{"starts_at": when(a.starts_at), "ends_at": when(a.ends_at),
                          "kind": a.kind, "status": a.status,
                          "practitioner": a.practitioner.full_name if a.practitioner else ""}
                         for a in Appointment.objects.filter(patient=patient)
                         .select_related("practitioner").order_by("starts_at")],
        "measurements": [{"scale": str(m.scale.name), "value": _number(m.value),
                          "unit": m.scale.unit, "measured_on": m.measured_on.isoformat(),
                          "rated_by": m.rated_by}
                         for m in OutcomeMeasurement.objects.filter(patient=patient)
                         .select_related("scale").order_by("measured_on")],
        "adverse_events": [{"side_effect": str(e.side_effect.name),
                            "onset_at": when(e.onset_at), "severity": e.severity,
                            "outcome": e.outcome, "resolved_at": when(e.resolved_at),
                            "description": e.description}
                           for e in AdverseEvent.objects.filter(patient=patient)
                           .select_related("side_effect").order_by("onset_at")],
        "check_ins": [{"label": str(c.label), "due_at": when(c.due_at),
                       "answered_at": when(c.answered_at), "feeling": c.feeling,
                       "symptoms": list(c.symptoms), "notes": c.notes}
                      for c in CheckIn.objects.filter(patient=patient).order_by("due_at")],
        "photos": [{"file": photo_files[p.pk], "body_area": str(p.body_area.name),
                    "view": p.view, "taken_at": when(p.taken_at)}
                   for p in Photo.objects.filter(patient=patient).select_related("body_area")
                   .order_by("taken_at")],
        "files": files,
    }


def _billing(patient: Patient, invoice_files: dict[int, str],
             when: Callable[[Any], str | None]) -> dict[str, Any]:
    statement = patient_statement(patient=patient)
    payments = Payment.objects.filter(patient=patient).select_related("invoice")
    return {
        "currency": billing_policy(patient.clinic).currency,
        "balance": str(statement.balance if statement else Decimal("0.00")),
        # Oldest first, as the rest of the record.
        "invoices": [{"number": i.number, "kind": i.kind, "issued_at": when(i.issued_at),
                      "corrects": i.corrects.number if i.corrects_id else None,
                      "net": str(i.net), "vat": str(i.vat), "total": str(i.total),
                      "file": invoice_files[i.pk]}
                     for i in reversed(statement.invoices if statement else [])],
        "payments": [{"at": when(p.at), "method": p.method, "amount": str(p.amount),
                      "invoice": p.invoice.number if p.invoice_id else None}
                     for p in payments.order_by("at", "id")],
        "packages": [{"name": k.name, "sessions": k.sessions, "used": k.used,
                      "price": str(k.price), "status": k.status, "sold_at": when(k.sold_at)}
                     for k in reversed(statement.packages if statement else [])],
        "fees": [{"kind": f.kind, "amount": str(f.amount), "charged_at": when(f.created_at),
                  "waived_at": when(f.waived_at), "waive_reason": f.waive_reason}
                 for f in Fee.objects.filter(patient=patient).order_by("created_at", "id")],
    }


def build_archive(patient: Patient, progress: Callable[[int], None]) -> bytes:
    """The zip, with its progress told as it goes (in %)."""
    buffer = io.BytesIO()
    files: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        consents = list(Consent.objects.filter(patient=patient)
                        .select_related("text", "patient", "clinic"))
        consent_files = {}
        for consent in consents:
            name = f"consents/consent-{consent.pk}-{consent.kind}.pdf"
            archive.writestr(name, consent_pdf(consent))
            consent_files[consent.pk] = name
            files.append(name)
        progress(20)
        archive.writestr("summary.pdf", treatment_summary_pdf(patient=patient))
        files.append("summary.pdf")
        invoice_files = {}
        for invoice in Invoice.objects.filter(patient=patient).select_related(
                "clinic", "corrects", "patient"):
            name = f"invoices/{invoice.number}.pdf"
            archive.writestr(name, invoice_pdf(invoice))
            invoice_files[invoice.pk] = name
            files.append(name)
        progress(40)
        base = settings.SITE_URL.rstrip("/") + "/fhir/r4/"
        archive.writestr("patient.fhir.json", json.dumps(everything_bundle(
            everything_for_export(patient=patient, base=base), base), ensure_ascii=False,
            indent=1))
        files.append("patient.fhir.json")
        progress(50)
        photos = list(Photo.objects.filter(patient=patient))
        photo_files = {}
        storage = photo_storage()
        for done, photo in enumerate(photos, start=1):
            extension = photo.stored_name.rsplit(".", 1)[-1]
            name = f"photos/photo-{photo.pk}.{extension}"
            with storage.open(photo.stored_name, "rb") as stored:
                archive.writestr(name, stored.read())
            photo_files[photo.pk] = name
            files.append(name)
            progress(50 + 45 * done // len(photos))
        document = patient_document(patient, photo_files, consent_files,
                                    ["patient.json", *files])
        document["billing"] = _billing(patient, invoice_files,
                                       lambda moment: _when(moment, patient))
        archive.writestr("patient.json", json.dumps(document, ensure_ascii=False, indent=1))
        archive.writestr("README.txt", (
            "Everything the clinic holds about you.\n"
            "patient.json: your record (schema: " + SCHEMA_URL + ").\n"
            "patient.fhir.json: the same record in the FHIR R4 standard, for another clinic "
            "or your doctor.\nconsents/ and summary.pdf: your signed consents and your "
            "treatment summary.\ninvoices/: your invoices and credit notes.\n"
            "photos/: your clinical photographs.\n"))
    return buffer.getvalue()
