"""Aftercare pages: instructions after a session, the patient's check-in link, adverse
events and their review, the clinic's dashboard, the clinic's own aftercare wording."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mesoclinic.aftercare.models import Outcome, Severity
from mesoclinic.aftercare.selectors import (
    access_adverse_event,
    aftercare_for,
    checkin_from_token,
    clinic_aftercare_entries,
    clinic_today,
    event_lots,
    session_checkins,
)
from mesoclinic.aftercare.services import (
    AdverseEventIn,
    AdverseEventUpdateIn,
    CheckInAnswerIn,
    adverse_event_record,
    adverse_event_review,
    adverse_event_update,
    aftercare_pdf,
    checkin_answer,
    clinic_aftercare_save,
)
from mesoclinic.catalog import selectors as catalogue
from mesoclinic.core import clock
from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.models import Role
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.web import (
    parse_form,
    parse_local_datetime,
    pdf_response,
    public_link_page,
    staff_view,
)
from mesoclinic.courses.selectors import access_session, sessions_given
from mesoclinic.patients.selectors import access_patient, open_data_requests


@staff_view(roles=CLINICAL_ROLES)
def session_aftercare(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id)
    return render(request, "aftercare/session_aftercare.html", {
        "session": session, "patient": session.patient,
        "advice": aftercare_for(session=session),
        "checkins": session_checkins(session=session)})


@staff_view(roles=CLINICAL_ROLES)
def session_aftercare_pdf(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id)
    return pdf_response(aftercare_pdf(session=session), filename=f"aftercare-{session.pk}.pdf")


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def clinic_aftercare(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            clinic_aftercare_save(actor=actor, key=request.POST.get("key", ""),
                                  title=request.POST.get("title", ""),
                                  body=request.POST.get("body", ""))
            messages.success(request, _("Saved."))
        except MesoclinicError as error:
            messages.error(request, error.message)
        return redirect("clinic_aftercare")
    return render(request, "aftercare/clinic_aftercare.html",
                  {"entries": clinic_aftercare_entries(actor=actor)})


# The patient's check-in ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@public_link_page(checkin_from_token)
def public_checkin(request: HttpRequest, checkin: Any, token: str) -> HttpResponse:
    timezone.activate(checkin.clinic.zoneinfo)
    context: dict[str, Any] = {
        "checkin": checkin, "clinic": checkin.clinic, "patient": checkin.patient,
        "effects": catalogue.side_effects(most_serious_first=True),
        "severities": Severity.choices, "errors": {}, "values": request.POST,
        # After a mistake, the form comes back with what the patient ticked.
        "ticked": request.POST.getlist("symptoms"),
    }
    if checkin.answered_at is not None:
        return render(request, "aftercare/public_checkin_done.html", context)
    if request.method == "POST":
        upload = request.FILES.get("photo")
        data = {"feeling": request.POST.get("feeling", ""),
                "symptoms": request.POST.getlist("symptoms"),
                "severity": request.POST.get("severity") or None,
                "notes": request.POST.get("notes", "")}
        spec, errors = parse_form(CheckInAnswerIn, data)
        if spec is not None:
            try:
                context["checkin"] = checkin_answer(
                    checkin=checkin, data=spec, photo=upload.read() if upload else None,
                    ip=client_ip(request))
                return render(request, "aftercare/public_checkin_done.html", context)
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
        context["errors"] = errors
        return render(request, "aftercare/public_checkin.html", context, status=400)
    return render(request, "aftercare/public_checkin.html", context)


# Adverse events -----------------------------------------------------------------------


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def adverse_event_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"onset_at": timezone.localtime(clock.now()).strftime(
        "%Y-%m-%dT%H:%M")}
    if request.method == "POST":
        values = request.POST.dict()
        data = {
            "side_effect": values.get("side_effect", ""),
            "session": int(values["session"]) if values.get("session", "").isdigit() else None,
            "onset_at": parse_local_datetime(values.get("onset_at", "")),
            "severity": values.get("severity", ""), "serious": values.get("serious") == "on",
            "outcome": values.get("outcome", "ongoing"),
            "resolved_at": parse_local_datetime(values.get("resolved_at", "")) if values.get(
                "resolved_at") else None,
            "description": values.get("description", ""),
        }
        spec, errors = parse_form(AdverseEventIn, data)
        if spec is not None:
            try:
                adverse_event_record(actor=actor, patient=patient, data=spec)
                return redirect("patient_detail", patient_id=patient.pk)
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    sessions = sessions_given(patient=patient)
    return render(request, "aftercare/adverse_event_new.html", {
        "patient": patient, "effects": catalogue.side_effects(),
        "severities": Severity.choices, "outcomes": Outcome.choices, "sessions": sessions,
        "values": values, "errors": errors}, status=400 if errors else 200)


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def adverse_event_detail(request: HttpRequest, actor: Actor, event_id: int) -> HttpResponse:
    event = access_adverse_event(actor=actor, event_id=event_id)
    patient = access_patient(actor=actor, patient_id=event.patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "review":
                adverse_event_review(actor=actor, event=event,
                                     note=request.POST.get("note", ""))
            else:
                resolved = request.POST.get("resolved_at", "")
                adverse_event_update(actor=actor, event=event, data=AdverseEventUpdateIn(
                    outcome=request.POST.get("outcome") or None,
                    severity=request.POST.get("severity") or None,
                    resolved_at=parse_local_datetime(resolved) if resolved else None))
            return redirect("adverse_event_detail", event_id=event.pk)
        except MesoclinicError as error:
            messages.error(request, error.message)
        except ValueError:
            messages.error(request, _("Choose values from the lists."))
    from mesoclinic.aftercare.escalation import escalation_reasons, is_open
    from mesoclinic.aftercare.selectors import REASON_LABELS, event_facts

    now = clock.now()
    facts = event_facts(event)
    return render(request, "aftercare/adverse_event.html", {
        "event": event, "patient": patient, "outcomes": Outcome.choices,
        "severities": Severity.choices, "open": is_open(facts, now),
        "reasons": [REASON_LABELS.get(r, r) for r in escalation_reasons(facts, now)],
        "lots": event_lots(event=event),
        "may_review": actor.role == Role.PRACTITIONER})


@staff_view()
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    if actor.role == Role.RECEPTION:
        return redirect("patient_list")
    today = clinic_today(actor=actor, now=clock.now())
    return render(request, "aftercare/dashboard.html", {
        "flags": today.flags, "checkins": today.checkins, "sessions": today.sessions,
        "data_requests": open_data_requests(actor=actor)})
