from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from mesoclinic.core.models import Membership
from mesoclinic.core.selectors import memberships_of

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        # Swagger UI at /api/v1/docs sets inline styles; scripts stay strictly same-origin.
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class ClinicContextMiddleware:
    """Puts the membership of the clinic the user works in on the request (pages only: the
    API takes the clinic from its token), and activates the clinic's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            request.membership = self._membership(request)  # type: ignore[attr-defined]
        membership = request.membership  # type: ignore[attr-defined]
        if membership is not None:
            timezone.activate(membership.clinic.zoneinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _membership(request: HttpRequest) -> Membership | None:
        # All of the user's memberships in one query: the clinic switch and the
        # second-factor rule (owner of any clinic) read them without asking again.
        memberships = list(memberships_of(request.user))
        request.memberships = memberships  # type: ignore[attr-defined]
        clinic_id = request.session.get("clinic_id")
        if clinic_id is not None:
            chosen = next((m for m in memberships if m.clinic_id == clinic_id), None)
            if chosen is not None:
                return chosen
            del request.session["clinic_id"]
        if len(memberships) == 1:
            request.session["clinic_id"] = memberships[0].clinic_id
            return memberships[0]
        return None
