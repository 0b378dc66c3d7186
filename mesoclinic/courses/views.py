"""Course pages: plans, the proposed schedule, session charting, recall, timeline, summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.aftercare.services import session_finish
from mesoclinic.billing.selectors import plan_credits
from mesoclinic.booking import course_booking
from mesoclinic.booking.course_booking import CourseBooking
from mesoclinic.booking.selectors import session_appointments
from mesoclinic.catalog import selectors as catalogue
from mesoclinic.consultation.selectors import baseline_photos
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.csv_export import csv_response
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.models import Role
from mesoclinic.core.roles import CLINICAL_ROLES, PRESCRIBING_ROLES, may_prescribe
from mesoclinic.core.web import parse_date, parse_form, parse_local_datetime, staff_view
from mesoclinic.courses import zones
from mesoclinic.courses.models import SessionStatus
from mesoclinic.courses.schemas import InjectionIn, PlanIn, SessionCompleteIn
from mesoclinic.courses.selectors import (
    access_injection,
    access_plan,
    access_session,
    chart_start,
    lot_recipients,
    plan_defaults,
    plan_proposal,
    product_totals,
    session_injections,
    usable_lots_for,
)
from mesoclinic.courses.services import (
    SafetyBlocked,
    injection_add,
    injection_remove,
    lot_recall,
    plan_create,
    plan_record_improvement,
    plan_template_save,
    session_checklist,
    session_start,
)
from mesoclinic.inventory.selectors import access_lot, clinic_products
from mesoclinic.patients.selectors import access_patient

COCKTAIL_ROWS = 4
REACTIONS = [("burning", gettext_lazy("Burning")), ("bleeding", gettext_lazy("Bleeding")),
             ("pain", gettext_lazy("Pain")), ("bruising", gettext_lazy("Bruising")),
             ("swelling", gettext_lazy("Swelling")),
             ("redness", gettext_lazy("Redness")), ("vasovagal", gettext_lazy("Feeling faint")),
             ("other", gettext_lazy("Other"))]


def _plan_form_data(post: Any) -> dict[str, Any]:
    cocktail = []
    for row in range(COCKTAIL_ROWS):
        product, dose = post.get(f"product_{row}", ""), post.get(f"dose_{row}", "").strip()
        if product or dose:
            cocktail.append({"product": product or None, "dose_ml": dose or None})
    data: dict[str, Any] = {
        "indication": post.get("indication", ""), "body_areas": post.getlist("body_areas"),
        "technique": post.get("technique", ""), "device": post.get("device", ""),
        "planned_sessions": post.get("planned_sessions", ""),
        "initial_interval_days": post.get("initial_interval_days", "7"),
        "notes": post.get("notes", ""), "cocktail": cocktail,
    }
    for name in ("depth_min_mm", "depth_max_mm", "needle_length_mm", "volume_per_point_ml"):
        data[name] = _decimal_or_none(post.get(name, ""))
    return data


@staff_view(roles=PRESCRIBING_ROLES)
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    errors: dict[str, list[str]] = {}
    code = request.POST.get("indication") or request.GET.get("indication") or "cellulite"
    indication = catalogue.indication_by_code(code) or catalogue.indication_by_code(None)
    defaults = plan_defaults(actor=actor, indication=indication)
    values: dict[str, Any] = {
        "indication": indication.code, "body_areas": defaults.body_areas,
        "technique": defaults.technique, "depth_min_mm": defaults.depth_min_mm,
        "depth_max_mm": defaults.depth_max_mm, "needle_length_mm": defaults.needle_length_mm,
        "volume_per_point_ml": defaults.volume_per_point_ml,
        "planned_sessions": defaults.planned_sessions,
        "initial_interval_days": defaults.initial_interval_days, "device": "", "notes": "",
        "cocktail": defaults.cocktail,
    }
    if request.method == "POST":
        values = _plan_form_data(request.POST)
        spec, errors = parse_form(PlanIn, values)
        if spec is not None:
            try:
                plan = plan_create(actor=actor, patient=patient, data=spec)
                return redirect("plan_detail", plan_id=plan.pk)
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    rows = list(values.get("cocktail") or [])
    context = {
        "patient": patient, "indications": catalogue.indications(),
        "indication": indication, "defaults": defaults, "values": values, "errors": errors,
        "areas": catalogue.body_areas(), "techniques": catalogue.techniques(),
        "products": clinic_products(actor=actor),
        "cocktail_rows": [rows[i] if i < len(rows) else {} for i in range(COCKTAIL_ROWS)],
    }
    return render(request, "courses/plan_new.html", context, status=400 if errors else 200)


@staff_view(roles=CLINICAL_ROLES)
def plan_detail(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = access_plan(actor=actor, plan_id=plan_id)
    sessions = list(plan.sessions.all())
    booked = session_appointments(session_ids=[s.pk for s in sessions])
    for session in sessions:
        session.booked = booked.get(session.pk, [])
    context = {"plan": plan, "patient": plan.patient, "proposal": plan_proposal(plan=plan),
               "sessions": sessions,
               "cocktail": list(plan.cocktail.all()), "areas": list(plan.body_areas.all()),
               "may_prescribe": may_prescribe(actor.role),
               "credits": plan_credits(plan_ids=[plan.pk]).get(plan.pk)}
    return render(request, "courses/plan_detail.html", context)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def plan_book(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    try:
        _report_course_booking(request, actor, course_booking.plan_book(actor=actor, plan=plan))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("plan_detail", plan_id=plan.pk)


def _report_course_booking(request: HttpRequest, actor: Actor, booking: CourseBooking) -> None:
    """What booking or re-planning did, in the words the patient's message uses."""
    if not booking.changed:
        messages.info(request, _("Nothing to change: every session is already booked."))
    elif booking.booked:
        messages.success(request, _("%(n)d sessions booked: %(when)s. The patient is sent the "
                                    "dates with a calendar file for each.") % {
            "n": len(booking.booked),
            "when": "; ".join(moments.moment_text(a.starts_at, actor.clinic, "short")
                              for a in booking.booked)})
    if booking.cancelled and not booking.booked:
        messages.success(request, _("%(n)d appointments cancelled.")
                         % {"n": len(booking.cancelled)})
    for shift in booking.shifts:
        messages.info(request, shift)
    for session in booking.unbooked:
        messages.warning(request, _("No free time within two weeks of %(day)s: that session "
                                    "is planned but not in the calendar.")
                         % {"day": moments.day_text(session.scheduled_on, "longdate")})


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def plan_improvement(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    plan_record_improvement(actor=actor, plan=plan, on=moments.today(actor.clinic))
    messages.success(request, _("Improvement recorded: the intervals widen from now on."))
    return redirect("plan_detail", plan_id=plan.pk)


@staff_view(roles=PRESCRIBING_ROLES)
@require_POST
def plan_save_template(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = access_plan(actor=actor, plan_id=plan_id, audit=False)
    try:
        plan_template_save(actor=actor, plan=plan, name=request.POST.get("name", ""))
        messages.success(request, _("Saved as the clinic's template for %(ind)s.")
                         % {"ind": plan.indication.name})
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("plan_detail", plan_id=plan.pk)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def session_move_view(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id, audit=False)
    to = parse_date(request.POST.get("scheduled_on", ""))
    try:
        if to is None:
            raise MesoclinicError(_("Enter a valid date (YYYY-MM-DD)."), field="scheduled_on")
        booking = course_booking.session_reschedule(actor=actor, session=session, to=to)
        messages.success(request, _("Moved; the following sessions were re-planned."))
        _report_course_booking(request, actor, booking)
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("plan_detail", plan_id=session.plan_id)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def injection_remove_view(request: HttpRequest, actor: Actor, injection_id: int
                          ) -> HttpResponse:
    injection = access_injection(actor=actor, injection_id=injection_id)
    try:
        injection_remove(actor=actor, injection=injection,
                         reason=request.POST.get("reason", ""))
        messages.success(request, _("Removed from the chart; the volume is back in the lot."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("session_detail", session_id=injection.session_id)


# Sessions ---------------------------------------------------------------------------


def _photo_maps(photos: list[Any], injections: list[Any]) -> list[dict[str, Any]]:
    """Each baseline photo as a map to chart on: drawn 100 wide, with the points placed on
    it (numbered as in the table)."""
    maps = []
    for photo in photos:
        ratio = Decimal(photo.height) / Decimal(photo.width)
        points = [(number, i, i.photo_x, (i.photo_y * ratio).quantize(Decimal("0.01")))
                  for number, i in enumerate(injections, start=1)
                  if i.photo_id == photo.pk and i.removed_at is None]
        maps.append({"code": f"photo-{photo.pk}", "photo": photo, "points": points,
                     "height": (100 * ratio).quantize(Decimal("0.01")),
                     "label": f"{photo.body_area.name} · {photo.get_view_display()}"})
    return maps


def _session_context(actor: Actor, session: Any, **extra: Any) -> dict[str, Any]:
    injections = session_injections(session=session)
    plan = session.plan
    areas = list(plan.body_areas.all())
    return {
        "chart_defaults": chart_start(plan=plan, injections=injections),
        "photo_maps": _photo_maps(baseline_photos(
            patient=session.patient, body_area_ids=[a.pk for a in areas]),
            injections),
        "session": session, "plan": plan, "patient": session.patient,
        "maps": list(zones.MAPS.values()), "injections": injections,
        "totals": product_totals(injections),
        "lots": usable_lots_for(plan=plan, on=moments.today(actor.clinic)),
        "reactions": REACTIONS, "may_override": actor.role == Role.PRACTITIONER,
        "zone_labels": {(i.chart_map, i.zone): zones.zone_label(i.chart_map, i.zone)
                        for i in injections},
        "default_map": _default_map(areas),
        **extra,
    }


def _default_map(areas: list[Any]) -> str:
    regions = {area.region for area in areas}
    if "head" in regions:
        return "scalp"
    if "face" in regions:
        return "face"
    return "body-front"


@staff_view(roles=CLINICAL_ROLES)
def session_detail(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id)
    extra: dict[str, Any] = {}
    if session.status == SessionStatus.PLANNED:
        extra["checklist"] = session_checklist(actor=actor, session=session)
    return render(request, "courses/session.html", _session_context(actor, session, **extra))


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def session_start_view(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id, audit=False)
    try:
        session_start(actor=actor, session=session,
                      expected_day=parse_date(request.POST.get("scheduled_on", "")))
    except SafetyBlocked as blocked:
        context = _session_context(actor, session, blocked=blocked,
                                   checklist=session_checklist(actor=actor, session=session))
        return render(request, "courses/session.html", context, status=409)
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("session_detail", session_id=session.pk)


def _decimal_or_none(value: str) -> str | None:
    value = value.strip().replace(",", ".")
    return value or None


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def session_chart(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id, audit=False)
    post = request.POST
    data = {
        "lot": post.get("lot") or None, "chart_map": post.get("chart_map", ""),
        "zone": post.get("zone", ""), "whole_zone": post.get("whole_zone") == "on",
        "x": _decimal_or_none(post.get("x", "")), "y": _decimal_or_none(post.get("y", "")),
        "photo": post.get("photo") or None,
        "photo_x": _decimal_or_none(post.get("photo_x", "")),
        "photo_y": _decimal_or_none(post.get("photo_y", "")),
        "volume_ml": _decimal_or_none(post.get("volume_ml", "")),
        "depth_mm": _decimal_or_none(post.get("depth_mm", "")),
        "passes": post.get("passes") or 1,
    }
    spec, errors = parse_form(InjectionIn, data)
    if spec is not None:
        try:
            charted = injection_add(actor=actor, session=session, data=spec)
            for warning in charted.warnings:
                # In words; the code stays beside it, smaller, for reference.
                messages.warning(request, warning.message, extra_tags=warning.code)
            return redirect(reverse("session_detail", args=[session.pk]) + "#chart")
        except MesoclinicError as error:
            errors = {error.field or "form": [error.message]}
    context = _session_context(actor, session, chart_errors=errors, chart_values=post)
    return render(request, "courses/session.html", context, status=400)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def session_complete_view(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id, audit=False)
    ended = parse_local_datetime(request.POST.get("ended_at", ""))
    spec, errors = parse_form(SessionCompleteIn, {
        "ended_at": ended, "anaesthetic_cream": request.POST.get("anaesthetic_cream") == "on",
        "device": request.POST.get("device", ""),
        "reactions": request.POST.getlist("reactions"), "notes": request.POST.get("notes", "")})
    if spec is not None:
        try:
            session_finish(actor=actor, session=session, data=spec)
            messages.success(request, _("Session completed: aftercare given, check-ins "
                                        "scheduled."))
            return redirect("session_aftercare", session_id=session.pk)
        except MesoclinicError as error:
            errors = {error.field or "form": [error.message]}
    return render(request, "courses/session.html",
                  _session_context(actor, session, complete_errors=errors), status=400)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def session_missed_view(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = access_session(actor=actor, session_id=session_id, audit=False)
    try:
        course_booking.session_missed(actor=actor, session=session)
        messages.info(request, _("Marked as missed. Book the proposal again to re-plan."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("plan_detail", plan_id=session.plan_id)


# Recall, timeline, summary ----------------------------------------------------------


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def lot_detail(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    lot = access_lot(actor=actor, lot_id=lot_id)
    if request.method == "POST":
        try:
            lot = lot_recall(actor=actor, lot=lot, reason=request.POST.get("reason", ""))
        except MesoclinicError as error:
            messages.error(request, error.message)
        return redirect("lot_detail", lot_id=lot.pk)
    recipients = lot_recipients(actor=actor, lot=lot)
    if request.GET.get("format") == "csv":
        return _recall_csv(actor, lot, recipients)
    return render(request, "courses/lot.html", {"lot": lot, "recipients": recipients})


def _recall_csv(actor: Actor, lot: Any, recipients: list) -> HttpResponse:
    tz = actor.clinic.zoneinfo
    return csv_response(
        filename=f"recall-{lot.number}.csv",
        header=["patient_id", "last_name", "first_name", "date_of_birth", "phone", "email",
                "address", "first_exposure", "last_exposure", "volume_ml", "allergy_test"],
        rows=([e.patient.pk, e.patient.last_name, e.patient.first_name,
               e.patient.date_of_birth.isoformat(), e.patient.phone, e.patient.email,
               e.patient.address, e.first.astimezone(tz).isoformat(),
               e.last.astimezone(tz).isoformat(), e.volume_ml,
               "yes" if e.allergy_test else "no"] for e in recipients))
