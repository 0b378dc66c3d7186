from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mesoclinic.core.context import Actor
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.roles import sees_medical_details
from mesoclinic.core.web import parse_form, staff_view
from mesoclinic.patients.models import FitzpatrickType, Sex
from mesoclinic.patients.schemas import MEDICAL_FIELDS, PatientChanges, PatientIn
from mesoclinic.patients.selectors import access_patient, patient_search
from mesoclinic.patients.services import PossibleDuplicate, patient_create, patient_update

IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "phone", "email", "address",
                   "language")


def _form_data(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    """The submitted fields this role may send; blanks of optional fields are dropped."""
    fields = IDENTITY_FIELDS
    if sees_medical_details(actor.role):
        fields = (*fields, *sorted(MEDICAL_FIELDS))
    data: dict[str, Any] = {}
    for name in fields:
        value = request.POST.get(name)
        if value is None:
            continue
        if name == "fitzpatrick_type":
            data[name] = value or None
        elif name in ("date_of_birth", "sex") and value == "":
            continue  # reported as "required" rather than as a parse error
        else:
            data[name] = value
    return data


def _form_context(actor: Actor, **extra: Any) -> dict[str, Any]:
    return {
        "sexes": Sex.choices,
        "languages": [("", _("The clinic's (%(language)s)") % {
            "language": dict(settings.LANGUAGES)[actor.clinic.language]}),
            *settings.LANGUAGES],
        "fitzpatrick_types": FitzpatrickType.choices,
        "sees_medical": sees_medical_details(actor.role),
        **extra,
    }


@staff_view()
def patient_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    patients = patient_search(actor=actor, query=query)
    template = "patients/_results.html" if request.htmx else "patients/list.html"
    return render(request, template, {"patients": patients, "query": query})


@staff_view()
@require_http_methods(["GET", "POST"])
def patient_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "GET":
        return render(request, "patients/form.html", _form_context(actor, values={}, errors={}))
    data = _form_data(request, actor)
    data["allow_duplicate"] = request.POST.get("allow_duplicate") == "on"
    spec, errors = parse_form(PatientIn, data)
    duplicates = []
    if spec is not None:
        try:
            patient = patient_create(actor=actor, data=spec)
            return redirect("patient_detail", patient_id=patient.pk)
        except PossibleDuplicate as error:
            duplicates = error.duplicates
            errors = {"form": [error.message]}
        except MesoclinicError as error:
            errors = {error.field or "form": [error.message]}
    context = _form_context(actor, values=data, errors=errors, duplicates=duplicates)
    return render(request, "patients/form.html", context, status=400)


@staff_view()
@require_http_methods(["GET", "POST"])
def patient_edit(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    if request.method == "GET":
        patient = access_patient(actor=actor, patient_id=patient_id)
        values = {name: getattr(patient, name) for name in (*IDENTITY_FIELDS, *MEDICAL_FIELDS)}
        values["date_of_birth"] = patient.date_of_birth.isoformat()
        return render(request, "patients/form.html",
                      _form_context(actor, patient=patient, values=values, errors={}))
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    data = _form_data(request, actor)
    spec, errors = parse_form(PatientChanges, data)
    if spec is not None:
        for required in ("first_name", "last_name"):
            if required in data and not data[required].strip():
                errors[required] = [_("This field is required.")]
    if spec is not None and not errors:
        try:
            patient_update(actor=actor, patient=patient, changes=spec)
            return redirect("patient_detail", patient_id=patient.pk)
        except MesoclinicError as error:
            errors = {error.field or "form": [error.message]}
    context = _form_context(actor, patient=patient, values=data, errors=errors)
    return render(request, "patients/form.html", context, status=400)
