"""The chart's pages: the patient's record, the photo form on it, the timeline, the
printed summary and the whole record as FHIR."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.chart.pdf import treatment_summary_pdf
from mesoclinic.chart.selectors import patient_chart, patient_timeline
from mesoclinic.consultation.services import photo_add
from mesoclinic.core.context import Actor
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.web import pdf_response, staff_view
from mesoclinic.fhir.selectors import patient_everything
from mesoclinic.fhir.views import everything_bundle
from mesoclinic.patients.selectors import access_patient


@staff_view()
def patient_detail(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id)
    return render(request, "patients/detail.html", patient_chart(actor=actor, patient=patient))


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def photo_upload(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise MesoclinicError(_("Choose a picture to upload."), field="file")
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise MesoclinicError(_("The file is larger than %(mb)d MB.")
                                  % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)},
                                  field="file")
        photo_add(actor=actor, patient=patient, body_area_code=request.POST.get("body_area", ""),
                  view=request.POST.get("view", ""), raw=upload.read())
    except MesoclinicError as error:
        # The record page again, with the photo form's error where the form is.
        context = patient_chart(actor=actor, patient=patient, photo_error=error.message)
        return render(request, "patients/detail.html", context, status=400)
    return redirect(reverse("patient_detail", args=[patient.pk]) + "#photos")


@staff_view(roles=CLINICAL_ROLES)
def timeline(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id)
    return render(request, "courses/timeline.html",
                  {"patient": patient, "entries": patient_timeline(patient=patient)})


@staff_view(roles=CLINICAL_ROLES)
def summary_pdf(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action="patient.export")
    return pdf_response(treatment_summary_pdf(patient=patient),
                        filename=f"summary-{patient.pk}.pdf")


@staff_view(roles=CLINICAL_ROLES)
def record_fhir(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    """The whole record as a FHIR R4 Bundle (Patient/$everything), to take away."""
    base = request.build_absolute_uri("/fhir/r4/")
    bundle = everything_bundle(patient_everything(actor=actor, patient_id=patient_id,
                                                  base=base), base)
    response = HttpResponse(json.dumps(bundle, ensure_ascii=False, indent=1),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="record-{patient_id}.fhir.json"'
    return response
