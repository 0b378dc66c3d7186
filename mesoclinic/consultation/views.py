"""Consultation pages: intake (staff and patient link), consent, photos, allergy tests,
the pre-treatment checklist and overrides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.consultation.forms import intake_form_data, medication_rows
from mesoclinic.consultation.models import (
    AllergyResult,
    Condition,
    ConsentKind,
    IntakeChannel,
    MedicationClass,
    SignatureMethod,
)
from mesoclinic.consultation.pdf import consent_pdf
from mesoclinic.consultation.schemas import AllergyReadIn, AllergyTestIn, IntakeIn
from mesoclinic.consultation.selectors import (
    access_allergy_test,
    access_consent,
    access_intake,
    access_patient_link,
    access_photo,
    consent_texts_current,
    patient_intakes,
    patient_link_from_token,
    patient_links,
)
from mesoclinic.consultation.services import (
    allergy_test_read,
    allergy_test_readable_from,
    allergy_test_record,
    consent_text_publish,
    consent_withdraw,
    consents_sign,
    consents_sign_by_link,
    intake_link_email,
    intake_link_make,
    intake_review,
    intake_submit,
    intake_submit_by_link,
    patient_link_revoke,
    photo_storage,
)
from mesoclinic.core import clock, moments
from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import MesoclinicError, NotFound
from mesoclinic.core.models import Role
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.selectors import clinicians
from mesoclinic.core.web import (
    parse_form,
    parse_int,
    parse_local_datetime,
    pdf_response,
    public_link_page,
    qr_code_data_uri,
    render_error,
    staff_view,
)
from mesoclinic.courses.selectors import access_course_of, patient_plans
from mesoclinic.inventory.selectors import clinic_lots, clinic_products
from mesoclinic.patients.selectors import access_patient
from mesoclinic.safety.selectors import (
    access_practitioner,
    course_checklist,
    patient_checklist,
)
from mesoclinic.safety.services import safety_override_create


def _intake_context(values: dict[str, Any] | None, errors: dict[str, list[str]]) -> dict:
    return {
        "conditions": Condition.choices,
        "medication_classes": MedicationClass.choices,
        "values": values or {},
        "medication_rows": medication_rows(values),
        "errors": errors,
    }


# Intake, by staff --------------------------------------------------------------------


def _intake_posted(request: HttpRequest
                   ) -> tuple[dict[str, Any] | None, IntakeIn | None, dict[str, list[str]]]:
    """The questionnaire as sent, read and checked: its values, the answers when they are
    valid, and the errors; nothing on a GET."""
    if request.method != "POST":
        return None, None, {}
    values = intake_form_data(request.POST)
    spec, errors = parse_form(IntakeIn, values)
    return values, spec, errors


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def intake_page(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id)
    values, spec, errors = _intake_posted(request)
    if spec is not None:
        channel = IntakeChannel.DESK if request.POST.get("channel") == "desk" \
            else IntakeChannel.STAFF
        intake_submit(patient=patient, data=spec, channel=channel, actor=actor, ip=actor.ip)
        return redirect("intake_page", patient_id=patient.pk)
    context = {"patient": patient, "versions": patient_intakes(patient=patient),
               **_intake_context(values, errors)}
    return render(request, "consultation/intake.html", context, status=400 if errors else 200)


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def intake_mark_reviewed(request: HttpRequest, actor: Actor, patient_id: int,
                         intake_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    intake_review(actor=actor, intake=access_intake(actor=actor, patient=patient,
                                                    intake_id=intake_id))
    return redirect("intake_page", patient_id=patient.pk)


@staff_view()
@require_POST
def intake_link(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    emailed = request.POST.get("deliver") == "email"
    try:
        token = intake_link_email(actor=actor, patient=patient) if emailed else \
            intake_link_make(actor=actor, patient=patient)
    except MesoclinicError as error:
        return render_error(request, error)
    url = request.build_absolute_uri(reverse("public_intake", args=[token]))
    return render(request, "consultation/intake_link.html", {
        "patient": patient, "url": url, "qr": qr_code_data_uri(url), "emailed": emailed,
        "days": settings.INTAKE_LINK_MAX_AGE.days, "links": patient_links(patient=patient)})


@staff_view()
@require_POST
def intake_link_revoke(request: HttpRequest, actor: Actor, patient_id: int,
                       link_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    patient_link_revoke(actor=actor, link=access_patient_link(actor=actor, patient=patient,
                                                              link_id=link_id))
    messages.success(request, _("The link no longer opens."))
    return redirect("patient_detail", patient_id=patient.pk)


# Intake and consent, by the patient through a signed link -------------------------


def _public_error(request: HttpRequest, error: MesoclinicError) -> HttpResponse:
    return render(request, "consultation/public_error.html", {"message": error.message},
                  status=404 if isinstance(error, NotFound) else 409)


@require_http_methods(["GET", "POST"])
@public_link_page(patient_link_from_token)
def public_intake(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    patient = link.patient
    timezone.activate(patient.clinic.zoneinfo)
    if link.intake_at is not None:
        # Answered once through this link: straight on to the consent, or done.
        return redirect("public_consent", token=token) if link.consent_at is None else \
            render(request, "consultation/public_done.html",
                   {"patient": patient, "clinic": patient.clinic})
    values, spec, errors = _intake_posted(request)
    if spec is not None:
        try:
            intake_submit_by_link(token=token, data=spec, ip=client_ip(request))
        except MesoclinicError as error:
            return _public_error(request, error)
        return redirect("public_consent", token=token)
    context = {"patient": patient, "clinic": patient.clinic, "token": token,
               **_intake_context(values, errors)}
    return render(request, "consultation/public_intake.html", context,
                  status=400 if errors else 200)


def _signature_fields(request: HttpRequest) -> dict[str, Any]:
    """The treatment consent, the optional ones ticked, and one signature."""
    return {
        "kinds": [kind for kind in (ConsentKind.PHOTOS, ConsentKind.REGISTRY)
                  if request.POST.get(f"also_{kind}") == "on"],
        "method": SignatureMethod.DRAWN if request.POST.get("method") == "drawn"
        else SignatureMethod.TYPED,
        "typed_name": request.POST.get("typed_name", ""),
        "agreed": request.POST.get("agreed") == "on",
        "signature_data_url": request.POST.get("signature", "")[:500_000],
        "ip": client_ip(request),
    }


def _consent_page(request: HttpRequest, patient: Any, sign: Callable[[], object],
                  done: Callable[[], HttpResponse], *, public: bool) -> HttpResponse:
    """Sign on the patient's own device (through their link) or on the clinic's tablet."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            sign()
            return done()
        except MesoclinicError as error:
            errors[error.field or "form"] = [error.message]
    context = {"patient": patient, "clinic": patient.clinic, "errors": errors,
               "texts": consent_texts_current(clinic=patient.clinic),
               "public": public, "values": request.POST}
    return render(request, "consultation/consent_sign.html", context,
                  status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@public_link_page(patient_link_from_token)
def public_consent(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    patient = link.patient
    timezone.activate(patient.clinic.zoneinfo)

    def done() -> HttpResponse:
        return render(request, "consultation/public_done.html",
                      {"patient": patient, "clinic": patient.clinic})

    if link.consent_at is not None:
        return done()
    return _consent_page(
        request, patient,
        lambda: consents_sign_by_link(token=token, **_signature_fields(request)),
        done, public=True)


# Consent, at the desk ---------------------------------------------------------------


@staff_view()
@require_http_methods(["GET", "POST"])
def consent_sign_page(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    return _consent_page(
        request, patient,
        lambda: consents_sign(patient=patient, actor=actor, **_signature_fields(request)),
        lambda: redirect("patient_detail", patient_id=patient.pk), public=False)


@staff_view(roles=CLINICAL_ROLES)
def consent_download(request: HttpRequest, actor: Actor, patient_id: int,
                     consent_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    consent = access_consent(actor=actor, patient=patient, consent_id=consent_id,
                             exported=True)
    return pdf_response(consent_pdf(consent),
                        filename=f"consent-{consent.kind}-{patient.pk}-{consent.pk}.pdf")


@staff_view()
@require_POST
def consent_withdraw_view(request: HttpRequest, actor: Actor, patient_id: int,
                          consent_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    consent = access_consent(actor=actor, patient=patient, consent_id=consent_id)
    try:
        consent_withdraw(actor=actor, consent=consent,
                         reason=request.POST.get("reason", ""))
    except MesoclinicError as error:
        return render_error(request, error) if error.status != 400 else \
            redirect("patient_detail", patient_id=patient.pk)
    return redirect("patient_detail", patient_id=patient.pk)


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def consent_texts(request: HttpRequest, actor: Actor) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            if kind not in ConsentKind.values:
                raise MesoclinicError(_("Choose a consent."), field="kind")
            consent_text_publish(actor=actor, kind=ConsentKind(kind),
                                 title=request.POST.get("title", ""),
                                 body=request.POST.get("body", ""))
            return redirect("consent_texts")
        except MesoclinicError as error:
            errors[error.field or "form"] = [error.message]
    return render(request, "consultation/consent_texts.html",
                  {"texts": consent_texts_current(clinic=actor.clinic), "errors": errors},
                  status=400 if errors else 200)


# Photos -----------------------------------------------------------------------------


@staff_view(roles=CLINICAL_ROLES)
def photo_file(request: HttpRequest, actor: Actor, photo_id: int, size: str) -> HttpResponse:
    original = size == "original"
    photo = access_photo(actor=actor, photo_id=photo_id, original=original)
    name = photo.stored_name if original else photo.thumbnail_name
    response = FileResponse(photo_storage().open(name, "rb"),
                            content_type=photo.content_type if original else "image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


# Allergy tests ----------------------------------------------------------------------


def _local_input(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def allergy_test_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"given_at": _local_input(clock.now())}
    if request.method == "POST":
        values = request.POST.dict()
        data = {
            "given_at": parse_local_datetime(values.get("given_at", "")),
            "injections": [
                {"product": parse_int(values.get(f"product_{i}")),
                 "lot": parse_int(values.get(f"lot_{i}")), "site": values.get(f"site_{i}", "")}
                for i in (1, 2)
            ],
        }
        spec, errors = parse_form(AllergyTestIn, data)
        if spec is not None:
            try:
                allergy_test_record(actor=actor, patient=patient, data=spec)
                return redirect(reverse("patient_detail", args=[patient.pk]) + "#allergy")
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    context = {"patient": patient, "products": clinic_products(actor=actor),
               "lots": clinic_lots(actor=actor), "values": values, "errors": errors,
               "today": moments.today(actor.clinic),
               # After a mistake, each injection comes back as it was filled in.
               "rows": [{"i": str(i), "product": values.get(f"product_{i}", ""),
                         "lot": values.get(f"lot_{i}", ""), "site": values.get(f"site_{i}", "")}
                        for i in (1, 2)]}
    return render(request, "consultation/allergy_new.html", context,
                  status=400 if errors else 200)


@staff_view(roles=CLINICAL_ROLES)
@require_http_methods(["GET", "POST"])
def allergy_test_read_page(request: HttpRequest, actor: Actor, patient_id: int,
                           test_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id,
                             audit_action="patient.view" if request.method == "GET" else None)
    test = access_allergy_test(actor=actor, patient=patient, test_id=test_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        spec, errors = parse_form(AllergyReadIn, {"result": request.POST.get("result", ""),
                                                  "reaction": request.POST.get("reaction", "")})
        if spec is not None:
            try:
                allergy_test_read(actor=actor, test=test, data=spec)
                return redirect(reverse("patient_detail", args=[patient.pk]) + "#allergy")
            except MesoclinicError as error:
                errors = {error.field or "form": [error.message]}
    context = {"patient": patient, "test": test, "errors": errors,
               "results": [c for c in AllergyResult.choices if c[0] != AllergyResult.PENDING],
               "readable_from": allergy_test_readable_from(test)}
    return render(request, "consultation/allergy_read.html", context,
                  status=400 if errors else 200)


# Checklist --------------------------------------------------------------------------


@staff_view(roles=CLINICAL_ROLES)
def checklist_page(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id)
    people = clinicians(clinic_id=actor.clinic_id)
    errors: dict[str, list[str]] = {}
    practitioner = None
    chosen = parse_int(request.GET.get("practitioner"))
    if chosen is None and actor.role == Role.PRACTITIONER:
        chosen = actor.user.pk
    if chosen is not None:
        try:
            practitioner = access_practitioner(actor=actor, user_id=chosen)
        except NotFound as error:
            errors["practitioner"] = [error.message]
    at_text = request.GET.get("at", "")
    at = parse_local_datetime(at_text) if at_text else clock.now()
    if at is None:
        errors["at"] = [_("Enter a date and time.")]
        at = clock.now()
    products = clinic_products(actor=actor)
    known = {p.pk for p in products}
    chosen_products = frozenset(p for p in (parse_int(v) for v in request.GET.getlist("products"))
                                if p in known)
    plan = session = None
    try:
        plan, session = access_course_of(actor=actor, patient=patient,
                                         plan_id=parse_int(request.GET.get("plan")),
                                         session_id=parse_int(request.GET.get("session")))
    except NotFound as error:
        errors[error.field or "plan"] = [error.message]
    if plan is None:
        checklist = patient_checklist(patient=patient, practitioner=practitioner, at=at,
                                      product_ids=chosen_products)
    else:
        checklist = course_checklist(patient=patient, practitioner=practitioner, at=at,
                                     plan=plan, session=session, product_ids=chosen_products)
    context = {"patient": patient, "clinicians": people, "products": products,
               "plans": patient_plans(patient=patient), "chosen_plan": plan,
               "chosen_session": session,
               "chosen_products": chosen_products, "checklist": checklist,
               "at_value": _local_input(at), "errors": errors,
               "may_override": actor.role == Role.PRACTITIONER,
               "query": request.GET.urlencode()}
    return render(request, "consultation/checklist.html", context)


@staff_view(roles=[Role.PRACTITIONER])
@require_POST
def checklist_override(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    back = reverse("checklist", args=[patient.pk]) + "?" + request.POST.get("query", "")
    at = parse_local_datetime(request.POST.get("at", "")) or clock.now()
    applies_on = timezone.localtime(at).date()
    try:
        safety_override_create(actor=actor, patient=patient, code=request.POST.get("code", ""),
                               applies_on=applies_on, reason=request.POST.get("reason", ""))
    except MesoclinicError as error:
        return render(request, "errors/403.html" if error.status == 403 else
                      "consultation/override_error.html",
                      {"message": error.message, "back": back}, status=error.status)
    return redirect(back)

