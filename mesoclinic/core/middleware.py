from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mesoclinic.core import clock
from mesoclinic.core.languages import staff_language
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


class NoStoreMiddleware:
    """Nothing mesoclinic answers is kept by a browser or a proxy cache: pages and API
    answers carry patient data, or may (static files are answered before this)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
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
            # Staff read their own language, or their clinic's.
            translation.activate(staff_language(request.user, membership.clinic))
            request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
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


class RateLimitMiddleware:
    """Too many requests from one address to a public or token endpoint answer 429 with
    Retry-After (fixed windows, counted in the shared cache)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.rules = [(method, re.compile(pattern), limit, window, scope)
                      for method, pattern, limit, window, scope in settings.RATE_LIMITS]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.RATE_LIMITS_ENABLED:
            for method, pattern, limit, window, scope in self.rules:
                if (method is None or request.method == method) and \
                        pattern.match(request.path):
                    refused = self._count(request, scope, limit, window)
                    if refused is not None:
                        return refused
                    break
        return self.get_response(request)

    @staticmethod
    def _count(request: HttpRequest, scope: str, limit: int, window: int
               ) -> HttpResponse | None:
        now = clock.now().timestamp()
        key = f"rate:{scope}:{request.META.get('REMOTE_ADDR', '')}:{int(now // window)}"
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
        if count <= limit:
            return None
        retry_after = str(max(1, int(window - now % window)))
        message = _("Too many requests. Try again in %(s)s seconds.") % {"s": retry_after}
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"detail": message, "code": "rate-limited", "field": None}, status=429)
        else:
            response = HttpResponse(message, status=429, content_type="text/plain")
        response["Retry-After"] = retry_after
        return response


class OutOfRangeIdMiddleware:
    """An id in a URL beyond what a row can have names nothing: 404 naming the field,
    before any view or query runs (pages and API alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    @staticmethod
    def process_view(request: HttpRequest, view: object, args: tuple,
                     kwargs: dict[str, object]) -> HttpResponse | None:
        from mesoclinic.core.web import MAX_ID

        for name, value in kwargs.items():
            if isinstance(value, int) and value > MAX_ID:
                message = _("No such record: %(field)s is out of range.") % {"field": name}
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message, "code": "not-found",
                                         "field": name}, status=404)
                return HttpResponse(message, status=404, content_type="text/plain")
        return None


# The pages' layers that an API request does not need ----------------------------------
# The JSON API authenticates each request by its bearer token: no cookie session, no
# logged-in user, no flash messages, no static files, no htmx. These
# wrappers run their middleware for pages only, so that every API request does not pay
# for them; the test client goes through the same list, so tests see what is served.

API_PREFIX = "/api/"


class _PagesOnly:
    wrapped: str

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        from django.utils.module_loading import import_string

        self.get_response = get_response
        self.inner = import_string(self.wrapped)(get_response)
        # Django looks for these hooks on the instance when it loads the middleware.
        for hook in ("process_view", "process_exception", "process_template_response"):
            method = getattr(self.inner, hook, None)
            if method is not None:
                setattr(self, hook, self._for_pages(method, hook))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return self.inner(request)

    @staticmethod
    def _for_pages(method: Callable[..., object], hook: str) -> Callable[..., object]:
        def hooked(request: HttpRequest, *args: object) -> object:
            if request.path_info.startswith(API_PREFIX):
                # A template response passes through untouched; the others answer None.
                return args[0] if hook == "process_template_response" else None
            return method(request, *args)

        return hooked


def _pages_only(path: str) -> type[_PagesOnly]:
    return type(f"PagesOnly{path.rsplit('.', 1)[1]}", (_PagesOnly,), {"wrapped": path})


PagesOnlyStaticFiles = _pages_only("whitenoise.middleware.WhiteNoiseMiddleware")
PagesOnlySessions = _pages_only("django.contrib.sessions.middleware.SessionMiddleware")
PagesOnlyCommon = _pages_only("django.middleware.common.CommonMiddleware")
PagesOnlyAuthentication = _pages_only(
    "django.contrib.auth.middleware.AuthenticationMiddleware")
PagesOnlyOtp = _pages_only("django_otp.middleware.OTPMiddleware")
PagesOnlyMessages = _pages_only("django.contrib.messages.middleware.MessageMiddleware")
PagesOnlyHtmx = _pages_only("django_htmx.middleware.HtmxMiddleware")
