"""/me/: the patient's own space. Signing in is by a one-time emailed link; the session
ends after PORTAL_IDLE without a request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.billing.pdf import invoice_pdf
from mesoclinic.billing.selectors import own_invoice
from mesoclinic.booking.ics import appointment_ics
from mesoclinic.booking.selectors import patient_waitlist
from mesoclinic.booking.services import waitlist_join, waitlist_leave
from mesoclinic.chart.pdf import treatment_summary_pdf
from mesoclinic.consultation.pdf import consent_pdf
from mesoclinic.core import clock
from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import InvalidInput, MesoclinicError, NotFound
from mesoclinic.core.models import Role
from mesoclinic.core.roles import CLINICAL_ROLES
from mesoclinic.core.web import pdf_response, staff_view
from mesoclinic.patients.selectors import (
    access_data_request,
    access_patient,
    clinic_data_requests,
    patient_data_requests,
)
from mesoclinic.portal.export import SCHEMA_PATH
from mesoclinic.portal.selectors import (
    access_own_patient,
    own_appointment,
    own_consent,
    own_patients,
    own_patients_shown,
    own_space,
)
from mesoclinic.portal.services import (
    clinic_retention_set,
    data_access_request,
    data_erasure_request,
    data_rectification_request,
    data_request_close,
    erasure_assessment,
    export_storage,
    own_consent_set,
    retention_years,
    sign_in_complete,
    sign_in_request,
)

SESSION_EMAIL, SESSION_SEEN = "portal_email", "portal_seen"
View = Callable[..., HttpResponse]


def signed_in_email(request: HttpRequest) -> str | None:
    """The address of the patient signed in on this browser, while the session is live;
    an idle session ends here."""
    email = request.session.get(SESSION_EMAIL)
    seen = request.session.get(SESSION_SEEN)
    if not email or not seen:
        return None
    now = clock.now()
    if now - datetime.fromisoformat(seen) > settings.PORTAL_IDLE:
        request.session.pop(SESSION_EMAIL, None)
        request.session.pop(SESSION_SEEN, None)
        return None
    request.session[SESSION_SEEN] = now.isoformat()
    return str(email)


def patient_page(view: View) -> View:
    """A page of the space: signed in, or sent to the sign-in page (saying why when the
    session ran out); a record not the patient's own answers 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = signed_in_email(request)
        if email is None:
            if request.session.get("portal_was_signed_in"):
                messages.info(request, _("You were signed out after a while without "
                                         "activity. Ask for a new link."))
                request.session.pop("portal_was_signed_in", None)
            return redirect("portal_sign_in")
        try:
            return view(request, email, *args, **kwargs)
        except NotFound as missing:
            return render(request, "portal/missing.html", {"message": missing.message},
                          status=404)

    return wrapper


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        email = request.POST.get("email", "")
        try:
            sign_in_request(email=email, ip=client_ip(request))
        except MesoclinicError as error:
            return render(request, "portal/sign_in.html", {"error": error.message,
                                                           "email": email},
                          status=error.status if error.status != 404 else 400)
        minutes = int(settings.PORTAL_LINK_MAX_AGE.total_seconds() // 60)
        return render(request, "portal/sign_in_sent.html", {"minutes": minutes})
    return render(request, "portal/sign_in.html", {"email": ""})


@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, key: str) -> HttpResponse:
    """The emailed link shows a button: a mail scanner that opens links does not spend
    it; the patient's click does."""
    if request.method == "GET":
        return render(request, "portal/sign_in_link.html", {"key": key})
    try:
        email = sign_in_complete(key=key, ip=client_ip(request))
    except MesoclinicError as error:
        return render(request, "portal/sign_in.html", {"error": error.message, "email": ""},
                      status=410)
    request.session.cycle_key()
    request.session[SESSION_EMAIL] = email
    request.session[SESSION_SEEN] = clock.now().isoformat()
    request.session["portal_was_signed_in"] = True
    return redirect("portal_home")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    for key in (SESSION_EMAIL, SESSION_SEEN, "portal_was_signed_in"):
        request.session.pop(key, None)
    messages.info(request, _("You are signed out."))
    return redirect("portal_sign_in")


@patient_page
def home(request: HttpRequest, email: str) -> HttpResponse:
    patients = own_patients(email=email)
    if len(patients) == 1:
        return redirect("portal_patient", patient_id=patients[0].pk)
    patients = own_patients_shown(patients=patients, ip=client_ip(request))
    return render(request, "portal/home.html", {"patients": patients, "email": email})


@patient_page
def patient_home(request: HttpRequest, email: str, patient_id: int) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, ip=client_ip(request))
    timezone.activate(patient.clinic.zoneinfo)
    return render(request, "portal/patient.html", {
        "space": own_space(patient=patient), "patient": patient, "clinic": patient.clinic,
        "others": len(own_patients(email=email)) > 1})


@require_POST
@patient_page
def consent_change(request: HttpRequest, email: str, patient_id: int, kind: str
                   ) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    given = request.POST.get("given") == "yes"
    try:
        own_consent_set(patient=patient, kind=kind, given=given, ip=client_ip(request))
        messages.success(request, _("Your consent is given.") if given else
                         _("Your consent is withdrawn, from now on."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("portal_patient", patient_id=patient.pk)


@patient_page
def consent_document(request: HttpRequest, email: str, patient_id: int, consent_id: int
                     ) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    consent = own_consent(patient=patient, consent_id=consent_id, ip=client_ip(request))
    return pdf_response(consent_pdf(consent), filename=f"consent-{consent.pk}.pdf")


@patient_page
def invoice_document(request: HttpRequest, email: str, patient_id: int, invoice_id: int
                     ) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    invoice = own_invoice(patient=patient, invoice_id=invoice_id, ip=client_ip(request))
    return pdf_response(invoice_pdf(invoice), filename=f"{invoice.number}.pdf")


@patient_page
def summary_document(request: HttpRequest, email: str, patient_id: int) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id,
                                 audit_action="patient.export", ip=client_ip(request))
    return pdf_response(treatment_summary_pdf(patient=patient),
                        filename=f"summary-{patient.pk}.pdf")


@patient_page
def appointment_calendar(request: HttpRequest, email: str, patient_id: int,
                         appointment_id: int) -> HttpResponse:
    """One appointment as a calendar event, the same event as in the emails."""
    patient = access_own_patient(email=email, patient_id=patient_id, ip=client_ip(request))
    appointment = own_appointment(patient=patient, appointment_id=appointment_id)
    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
    return response


@require_POST
@patient_page
def earlier_time(request: HttpRequest, email: str, patient_id: int, appointment_id: int
                 ) -> HttpResponse:
    """Join or leave the waiting list for an earlier time than this appointment."""
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    appointment = own_appointment(patient=patient, appointment_id=appointment_id)
    try:
        if request.POST.get("wanted") == "yes":
            waitlist_join(appointment=appointment, ip=client_ip(request))
            messages.success(request, _("You are on the waiting list: if an earlier time "
                                        "frees up, we email you."))
        else:
            entry = patient_waitlist(patient=patient).get(appointment.pk)
            if entry is not None:
                waitlist_leave(entry=entry, ip=client_ip(request))
            messages.success(request, _("You are off the waiting list."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("portal_patient", patient_id=patient.pk)


# Requests about one's data ---------------------------------------------------------------


@require_POST
@patient_page
def data_copy(request: HttpRequest, email: str, patient_id: int) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    data_access_request(patient=patient, ip=client_ip(request))
    messages.success(request, _("Your copy is being prepared: this page shows how far it "
                                "has come, and we email you when it is ready."))
    return redirect(reverse("portal_patient", args=[patient.pk]) + "#data")


@require_POST
@patient_page
def data_correction(request: HttpRequest, email: str, patient_id: int) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    try:
        data_rectification_request(patient=patient, detail=request.POST.get("detail", ""),
                                   ip=client_ip(request))
        messages.success(request, _("Your request is sent to the clinic, which answers "
                                    "within a month."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect(reverse("portal_patient", args=[patient.pk]) + "#data")


@patient_page
def data_archive(request: HttpRequest, email: str, patient_id: int, request_id: int
                 ) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id,
                                 audit_action="patient.export_download",
                                 ip=client_ip(request))
    found = next((r for r in patient_data_requests(patient=patient)
                  if r.pk == request_id and r.archive_name), None)
    if found is None:
        raise NotFound(_("No such archive."))
    return _archive_response(found)


def _archive_response(found: Any) -> HttpResponse:
    response = FileResponse(export_storage().open(found.archive_name, "rb"),
                            content_type="application/zip")
    response["Content-Disposition"] = (f'attachment; filename="mesoclinic-'
                                       f'{found.patient_id}-{found.pk}.zip"')
    response["Cache-Control"] = "private, no-store"
    return response


def export_schema(request: HttpRequest) -> HttpResponse:
    """The published schema of patient.json."""
    return HttpResponse(SCHEMA_PATH.read_bytes(), content_type="application/schema+json")


# Staff: the patients' requests -----------------------------------------------------------


@staff_view()
def data_requests(request: HttpRequest, actor: Actor) -> HttpResponse:
    requests = clinic_data_requests(actor=actor)
    return render(request, "portal/requests.html", {
        "rows": [(r, erasure_assessment(patient=r.patient)
                  if r.kind == "erasure" and r.status == "open" else None)
                 for r in requests], "today": clock.now(),
        "retention": retention_years(actor.clinic), "own_retention":
            actor.clinic.record_retention_years})


@staff_view()
@require_POST
def data_request_decision(request: HttpRequest, actor: Actor, request_id: int
                          ) -> HttpResponse:
    found = access_data_request(actor=actor, request_id=request_id)
    try:
        data_request_close(actor=actor, request=found, done=request.POST.get("done") == "yes",
                           reason=request.POST.get("reason", ""))
        messages.success(request, _("The request is closed."))
    except InvalidInput as error:  # a refusal without its reason, a closed request
        messages.error(request, error.message)
    return redirect("data_requests")


@staff_view(roles=CLINICAL_ROLES)
@require_POST
def data_export_for_patient(request: HttpRequest, actor: Actor, patient_id: int
                            ) -> HttpResponse:
    patient = access_patient(actor=actor, patient_id=patient_id, audit_action=None)
    data_access_request(patient=patient, ip=client_ip(request), actor=actor)
    messages.success(request, _("The copy of the patient's data is being prepared: it "
                                "appears in the requests list when ready."))
    return redirect("data_requests")


@staff_view(roles=CLINICAL_ROLES)
def data_request_archive(request: HttpRequest, actor: Actor, request_id: int
                         ) -> HttpResponse:
    found = access_data_request(actor=actor, request_id=request_id)
    if not found.archive_name:
        raise NotFound(_("No such archive."))
    return _archive_response(found)


@require_POST
@patient_page
def data_erasure(request: HttpRequest, email: str, patient_id: int) -> HttpResponse:
    patient = access_own_patient(email=email, patient_id=patient_id, audit_action=None)
    data_erasure_request(patient=patient, ip=client_ip(request))
    messages.success(request, _("Your request is sent to the clinic, which answers within "
                                "a month."))
    return redirect(reverse("portal_patient", args=[patient.pk]) + "#data")


@staff_view(roles=[Role.OWNER])
@require_POST
def retention_set(request: HttpRequest, actor: Actor) -> HttpResponse:
    raw = request.POST.get("years", "").strip()
    try:
        clinic_retention_set(actor=actor, years=int(raw) if raw else None)
        messages.success(request, _("Saved."))
    except ValueError:
        messages.error(request, _("Enter a number of years."))
    except MesoclinicError as error:
        messages.error(request, error.message)
    return redirect("data_requests")
