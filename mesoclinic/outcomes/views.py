"""Outcome pages: measurements and progress, photo comparison, practice analytics."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.catalog import selectors as catalogue
from mesoclinic.catalog.models import OutcomeScale
from mesoclinic.consultation.selectors import patient_photos
from mesoclinic.consultation.services import photo_storage
from mesoclinic.core import moments
from mesoclinic.core.context import Actor
from mesoclinic.core.csv_export import csv_response
from mesoclinic.core.errors import MesoclinicError, NotFound
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.web import parse_form, staff_view
from mesoclinic.outcomes import plots
from mesoclinic.outcomes.models import ComparisonStatus
from mesoclinic.outcomes.selectors import (
    DIMENSIONS,
    access_comparison,
    practice_analytics,
    registry_rows,
)
from mesoclinic.outcomes.services import (
    MeasurementIn,
    RegionIn,
    comparison_request,
    measurement_record,
)
from mesoclinic.patients.selectors import access_patient


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def measurement_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    post = request.POST
    spec, errors = parse_form(MeasurementIn, {
        "scale": post.get("scale", ""), "value": post.get("value", "").replace(",", ".") or None,
        "rated_by": post.get("rated_by", ""), "measured_on": post.get("measured_on") or None,
        "plan": int(post["plan"]) if post.get("plan", "").isdigit() else None,
        "notes": post.get("notes", "")})
    if spec is not None:
        try:
            measurement_record(actor=actor, patient=patient, data=spec)
            messages.success(request, _("Measurement recorded."))
        except MesoclinicError as error:
            errors = {error.field or "form": [error.message]}
    for field, problems in errors.items():
        messages.error(request, f"{field}: {' '.join(problems)}")
    return redirect(reverse("patient_detail", args=[patient.pk]) + "#outcomes")


# Photo comparison ---------------------------------------------------------------------


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def comparison_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    photos = patient_photos(patient=patient, by_area=True)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        ids = {p.pk: p for p in photos}
        try:
            before = ids.get(int(request.POST.get("before", "0") or 0))
            after = ids.get(int(request.POST.get("after", "0") or 0))
        except ValueError:
            before = after = None
        region, _region_errors = parse_form(RegionIn, {k: request.POST.get(k) or None
                                                       for k in ("x", "y", "w", "h")})
        if before is None or after is None:
            errors["after"] = [_("Choose two photos of this patient.")]
        elif region is None:
            errors["region"] = [_("Mark the region to measure on the first photo.")]
        else:
            try:
                comparison = comparison_request(actor=actor, patient=patient, before=before,
                                                after=after, region=region)
                return redirect("comparison_detail", comparison_id=comparison.pk)
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    return render(request, "outcomes/comparison_new.html",
                  {"patient": patient, "photos": photos, "errors": errors},
                  status=400 if errors else 200)


@staff_view(roles=CLINICAL_ROLES)
def comparison_detail(request: HttpRequest, actor: Actor, comparison_id: int) -> HttpResponse:
    comparison = access_comparison(actor=actor, comparison_id=comparison_id)
    template = "outcomes/_comparison_status.html" if request.htmx else \
        "outcomes/comparison.html"
    finished = comparison.status in (ComparisonStatus.DONE, ComparisonStatus.FAILED)
    return render(request, template, {"comparison": comparison, "patient": comparison.patient,
                                      "finished": finished})


@staff_view(roles=CLINICAL_ROLES)
def comparison_aligned(request: HttpRequest, actor: Actor, comparison_id: int) -> HttpResponse:
    comparison = access_comparison(actor=actor, comparison_id=comparison_id)
    if not comparison.aligned_name:
        raise NotFound(_("Not ready yet."))
    response = FileResponse(photo_storage().open(comparison.aligned_name, "rb"),
                            content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# Analytics ---------------------------------------------------------------------------


def _analytics_query(request: HttpRequest) -> tuple[OutcomeScale, str, str | None]:
    scale = catalogue.outcome_scale_by_code(request.GET.get("scale")) \
        or catalogue.outcome_scale_by_code("gais")
    if scale is None:
        raise NotFound(_("The catalogue's outcome scales are not loaded."))
    dimension = request.GET.get("dimension", "protocol")
    if dimension not in DIMENSIONS:
        dimension = "protocol"
    indication = request.GET.get("indication") or None
    return scale, dimension, indication


@staff_view(roles=CLINICAL_ROLES)
def analytics(request: HttpRequest, actor: Actor) -> HttpResponse:
    scale, dimension, indication = _analytics_query(request)
    rows = practice_analytics(actor=actor, scale=scale, dimension=dimension,
                              indication=indication)
    direction = _("higher is better") if scale.higher_is_better else _("lower is better")
    context = {
        "rows": rows, "scale": scale, "dimension": dimension, "indication": indication,
        "dimensions": DIMENSIONS, "scales": catalogue.outcome_scales(),
        "indications": catalogue.indications(), "query": request.GET.urlencode(),
        "change_plot": plots.interval_plot(
            [(r.label, r.mean_change) for r in rows],
            unit=f"{scale.unit} ({direction})", reference=0,
            title=_("Mean change of the scale, 95 % CI")),
        "responder_plot": plots.interval_plot(
            [(r.label, r.responder_rate) for r in rows], unit="%", percent=True,
            title=_("Responder rate, Wilson 95 % CI")),
        "adverse_plot": plots.interval_plot(
            [(r.label, r.adverse_rate) for r in rows], unit=_("per 100 sessions"),
            title=_("Adverse events per 100 sessions, exact 95 % CI")),
    }
    return render(request, "outcomes/analytics.html", context)


@staff_view(roles=CLINICAL_ROLES)
def registry_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    scale, _dimension, _indication = _analytics_query(request)
    rows = registry_rows(actor=actor, scale=scale)
    today = moments.today(actor.clinic)
    columns = ["subject", "age_band", "sex", "fitzpatrick", "indication", "technique",
               "protocol", "planned_sessions", "completed_sessions", "scale", "baseline",
               "last", "change", "responder", "adverse_events"]
    return csv_response(filename=f"registry-{scale.code}-{today.isoformat()}.csv",
                        header=columns, rows=([row.get(c, "") for c in columns]
                                              for row in rows))

