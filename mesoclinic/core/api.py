"""API: bearer tokens, the current user, and error answers shared by every router."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer

from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import Forbidden, InvalidInput, MesoclinicError, RowId
from mesoclinic.core.languages import staff_language
from mesoclinic.core.models import Membership
from mesoclinic.core.selectors import has_second_factor, membership_for_token, memberships_of
from mesoclinic.core.services import api_token_issue, second_factor_verify
from mesoclinic.core.web import needs_second_factor


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        membership = membership_for_token(token)
        if membership is not None:
            request.membership = membership  # type: ignore[attr-defined]
            timezone.activate(membership.clinic.zoneinfo)
            # A client that names a language gets it; others, the member's or the clinic's.
            if "HTTP_ACCEPT_LANGUAGE" not in request.META:
                translation.activate(staff_language(membership.user, membership.clinic))
        return membership


def api_actor(request: HttpRequest) -> Actor:
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return Actor(user=membership.user, membership=membership, ip=client_ip(request))


class ErrorOut(Schema):
    detail: str
    code: str
    field: str | None = None


# The error answers every router declares besides its own.
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class Unauthenticated(MesoclinicError):
    code = "unauthenticated"
    status = 401


class LockedOut(MesoclinicError):
    code = "locked-out"
    status = 429


router = Router(tags=["auth"])


class TokenIn(Schema):
    email: str
    password: str
    clinic_id: RowId | None = None
    otp: str | None = None


class ClinicOut(Schema):
    id: int
    name: str
    city: str
    timezone: str


class TokenOut(Schema):
    token: str
    expires_at: datetime
    role: str
    clinic: ClinicOut


def _pick_membership(memberships: list[Membership], clinic_id: int | None) -> Membership:
    if clinic_id is not None:
        for membership in memberships:
            if membership.clinic_id == clinic_id:
                return membership
        raise Forbidden(_("You are not a member of that clinic."), field="clinic_id")
    if len(memberships) == 1:
        return memberships[0]
    if not memberships:
        raise Forbidden(_("You are not a member of any clinic."))
    raise InvalidInput(
        _("You belong to several clinics: give clinic_id (one of %(ids)s).")
        % {"ids": ", ".join(str(m.clinic_id) for m in memberships)},
        field="clinic_id",
    )


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 429: ErrorOut},
    summary="Obtain a bearer token for one clinic",
)
def obtain_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    user = authenticate(request, username=payload.email.strip().lower(),
                        password=payload.password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(_("Too many failed attempts. This account is locked for 15 minutes."))
        raise Unauthenticated(_("The email or the password is wrong."))
    membership = _pick_membership(list(memberships_of(user)), payload.clinic_id)
    if needs_second_factor(user):
        if not has_second_factor(user):
            raise Forbidden(_("Enrol a second factor in the web app before using the API."),
                            code="otp-enrolment-required")
        code = (payload.otp or "").strip()
        if not code:
            raise Unauthenticated(_("A one-time code is required (field otp)."),
                                  code="otp-required", field="otp")
        if second_factor_verify(user=user, token=code) is None:
            raise Unauthenticated(_("The one-time code is not valid."), code="otp-invalid",
                                  field="otp")
    key, token = api_token_issue(membership=membership, ip=client_ip(request))
    return TokenOut(token=key, expires_at=token.expires_at, role=membership.role,
                    clinic=ClinicOut.model_validate(membership.clinic, from_attributes=True))


class MeOut(Schema):
    email: str
    full_name: str
    role: str
    clinic: ClinicOut
    qualification_verified: bool


me_router = Router(tags=["auth"])


@me_router.get("", response=MeOut, summary="Who the token belongs to")
def me(request: HttpRequest) -> MeOut:
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return MeOut(
        email=membership.user.email,
        full_name=membership.user.full_name,
        role=membership.role,
        clinic=ClinicOut.model_validate(membership.clinic, from_attributes=True),
        qualification_verified=membership.qualification_verified,
    )
