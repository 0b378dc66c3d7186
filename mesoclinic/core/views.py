from __future__ import annotations

from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.models import Role
from mesoclinic.core.roles import may_be_qualified
from mesoclinic.core.selectors import (
    AuditFilter,
    access_membership,
    audit_actions,
    audit_events,
    clinic_members,
    database_answers,
    has_second_factor,
    membership_of,
    memberships_of,
)
from mesoclinic.core.services import (
    login_record,
    membership_add,
    membership_update,
    qualification_set,
    second_factor_enrol,
    second_factor_key_new,
    second_factor_offer,
    second_factor_verify,
    user_language_set,
)
from mesoclinic.core.web import (
    needs_second_factor,
    parse_int,
    qr_code_data_uri,
    query_date,
    remember_device,
    second_factor_redirect,
    staff_view,
)


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The email being tried, for django-axes: from the credentials given to authenticate,
    else from the log-in form (whose field is "email", not "username")."""
    # Django's signal names the field "username"; django-axes names it after USERNAME_FIELD.
    given = (credentials or {}).get("username") or (credentials or {}).get("email")
    if given:
        return str(given).strip().lower()
    email = request.POST.get("email", "").strip().lower()
    return email or None


def lockout_response(
    request: HttpRequest, response: Any = None, credentials: Any = None
) -> HttpResponse:
    message = _("Too many failed attempts. This account is locked for 15 minutes.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked-out"}, status=429)
    return render(
        request, "auth/login.html", {"error": message, "email": ""}, status=429
    )


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if request.user.is_authenticated:
            return redirect(_safe_next(request))
        return render(request, "auth/login.html", {"next": request.GET.get("next", "")})
    email = request.POST.get("email", "").strip().lower()[:254]
    password = request.POST.get("password", "")[:1024]
    user = authenticate(request, username=email, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request)
        context = {"error": _("The email or the password is wrong."), "email": email,
                   "next": request.POST.get("next", "")}
        return render(request, "auth/login.html", context, status=400)
    login(request, user)
    login_record(user=user, ip=client_ip(request))
    target = _safe_next(request)
    has_authenticator = has_second_factor(user)
    if has_authenticator:
        remember_device(request)
    if not needs_second_factor(user, request=request):
        return redirect(target)
    if has_authenticator:
        return redirect(reverse("login_verify") + "?" + urlencode({"next": target}))
    return redirect("two_factor_setup")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The language switch of every page: staff keep their choice on their account, and
    anyone's browser keeps it in a cookie (public pages, the patient's own pages)."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponse(_("Choose English or French."), status=400)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    response = redirect(_safe_next(request))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                        max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("login")


@login_required
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step of the log-in: the code from the authenticator app."""
    error = None
    if request.method == "POST":
        device = second_factor_verify(user=request.user, token=request.POST.get("token", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        error = _("That code is not valid. Enter the current 6-digit code from your app.")
    return render(
        request, "auth/verify.html", {"error": error, "next": request.GET.get("next", "")},
        status=400 if error else 200,
    )


ENROLMENT_KEY = "second_factor_key"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (TOTP). The key offered waits in the session; the device
    is saved only when the app's first code matches it."""
    if has_second_factor(request.user):
        return render(request, "auth/two_factor.html", {"enabled": True})
    key = request.session.get(ENROLMENT_KEY) or second_factor_key_new()
    request.session[ENROLMENT_KEY] = key
    error = None
    if request.method == "POST":
        device = second_factor_enrol(user=request.user, key=key,
                                     token=request.POST.get("token", ""),
                                     ip=client_ip(request))
        if device is not None:
            del request.session[ENROLMENT_KEY]
            otp_login(request, device)
            remember_device(request)
            return redirect("home")
        error = _("That code is not valid. Check the time on your phone and try again.")
    offer = second_factor_offer(user=request.user, key=key)
    context = {
        "enabled": False,
        "secret": b32encode(offer.bin_key).decode(),
        "qr": qr_code_data_uri(offer.config_url),
        "error": error,
    }
    return render(request, "auth/two_factor.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def choose_clinic(request: HttpRequest) -> HttpResponse:
    if (response := second_factor_redirect(request)) is not None:
        return response
    memberships = list(memberships_of(request.user))
    if request.method == "POST":
        try:
            clinic_id = int(request.POST.get("clinic", ""))
        except ValueError:
            clinic_id = 0
        if membership_of(request.user, clinic_id) is not None:
            request.session["clinic_id"] = clinic_id
            return redirect(_safe_next(request))
    return render(
        request, "core/choose_clinic.html",
        {"memberships": memberships, "next": request.GET.get("next", "")},
    )


@staff_view()
def home(request: HttpRequest, actor: Actor) -> HttpResponse:
    return redirect("desk" if actor.role == Role.RECEPTION else "dashboard")


@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    if not database_answers():
        return JsonResponse({"status": "error", "detail": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@staff_view(roles=[Role.OWNER])
def clinic_settings(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "core/clinic.html")


# Clinic members ----------------------------------------------------------------------


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    form = {"email": "", "full_name": "", "role": Role.PRACTITIONER}
    status = 200
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in ("email", "full_name", "role")}
        if not form["email"] or "@" not in form["email"] or len(form["email"]) > 254:
            errors["email"] = [_("Enter a valid email address.")]
        if not form["full_name"] or len(form["full_name"]) > 150:
            errors["full_name"] = [_("Enter the person's name (at most 150 characters).")]
        if form["role"] not in Role.values:
            errors["role"] = [_("Choose one of the roles.")]
        if not errors:
            try:
                membership_add(actor=actor, email=form["email"], full_name=form["full_name"],
                               role=Role(form["role"]), base_url=request.build_absolute_uri("/"))
                return redirect("member_list")
            except MesoclinicError as error:
                errors[error.field or "email"] = [error.message]
        status = 400
    context = {"members": clinic_members(actor=actor), "roles": Role.choices, "form": form,
               "errors": errors}
    return render(request, "core/members.html", context, status=status)


@staff_view(roles=[Role.OWNER])
@require_http_methods(["GET", "POST"])
def member_detail(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    member = access_membership(actor=actor, membership_id=membership_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if request.POST.get("form") == "qualification":
                qualification_set(
                    actor=actor, membership=member,
                    verified=request.POST.get("verified") == "on",
                    certificate_reference=request.POST.get("certificate_reference", "")[:200],
                )
            else:
                role = request.POST.get("role", "")
                if role not in Role.values:
                    raise MesoclinicError(_("Choose one of the roles."), field="role")
                membership_update(actor=actor, membership=member, role=Role(role),
                                  is_active=request.POST.get("is_active") == "on")
            return redirect("member_detail", membership_id=member.pk)
        except MesoclinicError as error:
            errors[error.field or "role"] = [error.message]
    context = {"member": member, "roles": Role.choices, "errors": errors,
               "may_be_qualified": may_be_qualified(member.role)}
    return render(request, "core/member_detail.html", context, status=400 if errors else 200)


# Audit trail -------------------------------------------------------------------------


@staff_view(roles=[Role.OWNER])
def audit_trail(request: HttpRequest, actor: Actor) -> HttpResponse:
    params = request.GET
    patient = params.get("patient", "").strip()
    filters = AuditFilter(
        date_from=query_date(params, "from"),
        date_to=query_date(params, "to"),
        user_id=parse_int(params.get("user", "")),
        patient_id=parse_int(patient) if patient.isdigit() else None,
        patient_name="" if patient.isdigit() else patient[:100],
        action=params.get("action") or None,
    )
    page = Paginator(audit_events(actor=actor, filters=filters), 50).get_page(params.get("page"))
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "actions": audit_actions(actor=actor),
        "members": clinic_members(actor=actor),
        "query": query.urlencode(),
    }
    return render(request, "core/audit.html", context)


# Error pages -------------------------------------------------------------------------


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not-found"}, status=404)
    return render(request, "errors/404.html", {"message": _("This page does not exist.")},
                  status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Forbidden."), "code": "forbidden"}, status=403)
    return render(request, "errors/403.html", {"message": _("You cannot open this page.")},
                  status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
