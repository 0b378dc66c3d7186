"""Helpers shared by the HTML views: the staff-view guard and form validation."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import user_has_device
from pydantic import BaseModel, ValidationError

from mesoclinic.core.context import Actor, actor_from_request, client_ip
from mesoclinic.core.errors import Forbidden, InvalidInput, MesoclinicError, NotFound
from mesoclinic.core.languages import patient_language
from mesoclinic.core.models import Membership, Role, User

View = Callable[..., HttpResponse]
SpecT = TypeVar("SpecT", bound=BaseModel)


HAS_DEVICE_KEY = "mc_has_device"


def has_device(request: HttpRequest) -> bool:
    """Whether the user has a confirmed authenticator; remembered in the session, which is
    also where one is enrolled (see ``remember_device``)."""
    known = request.session.get(HAS_DEVICE_KEY)
    if known is None:
        known = user_has_device(request.user, confirmed=True)
        request.session[HAS_DEVICE_KEY] = known
    return known


def remember_device(request: HttpRequest) -> None:
    request.session[HAS_DEVICE_KEY] = True


# The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# Dates a person can mean; beyond them, date arithmetic runs off the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def parse_int(value: str | None) -> int | None:
    """A positive whole number typed in a form or a query, within the ids a row can have;
    None otherwise."""
    if not value or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def parse_date(value: str | None) -> date | None:
    """A date as YYYY-MM-DD between 1900 and 2200; None when it is not one."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or FIRST_DAY <= day <= LAST_DAY else None


def query_date(params: Any, name: str) -> date | None:
    """A date given in a page's address: None when left out; refused, naming the field, when
    it is not a date between 1900 and 2200."""
    value = params.get(name, "")
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise InvalidInput(_("%(field)s must be a date between %(first)s and %(last)s "
                             "(YYYY-MM-DD).") % {"field": name, "first": FIRST_DAY.isoformat(),
                                                 "last": LAST_DAY.isoformat()}, field=name)
    return day


def parse_local_datetime(value: str) -> datetime | None:
    """A date and time typed in a form (datetime-local), in the clinic's time zone (the one
    active for the request); None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def needs_second_factor(user: User, memberships: list[Membership] | None = None,
                        request: HttpRequest | None = None) -> bool:
    """A user with an authenticator must use it; an owner of any clinic must have one."""
    if memberships is None:
        memberships = list(Membership.objects.filter(user=user, is_active=True))
    if settings.MESOCLINIC_OWNERS_REQUIRE_OTP and any(
            m.role == Role.OWNER for m in memberships):
        return True
    return has_device(request) if request is not None else user_has_device(user,
                                                                            confirmed=True)


def second_factor_redirect(request: HttpRequest) -> HttpResponse | None:
    """Where an unverified user who needs a second factor must go first, if anywhere."""
    if request.user.is_verified() or not needs_second_factor(
            request.user, getattr(request, "memberships", None), request):
        return None
    if has_device(request):
        query = urlencode({"next": request.get_full_path()})
        return redirect(reverse("login_verify") + "?" + query)
    return redirect("two_factor_setup")


def pdf_response(document: bytes, *, filename: str, inline: bool = False) -> HttpResponse:
    """A PDF answer: downloaded under ``filename``, or with ``inline`` opened in the
    browser (an invoice to print)."""
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = \
        f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def render_error(request: HttpRequest, error: MesoclinicError) -> HttpResponse:
    template = {404: "errors/404.html", 403: "errors/403.html"}.get(error.status,
                                                                    "errors/400.html")
    return render(request, template, {"message": error.message}, status=error.status)


def staff_view(roles: Iterable[Role] | None = None) -> Callable[[View], View]:
    """Guard a page: logged in, second factor if needed, a clinic chosen, an allowed role.
    The view receives the ``Actor`` after the request."""
    allowed = frozenset(roles) if roles is not None else None

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(
                    reverse("login") + "?" + urlencode({"next": request.get_full_path()})
                )
            if (response := second_factor_redirect(request)) is not None:
                return response
            if getattr(request, "membership", None) is None:
                return redirect(
                    reverse("choose_clinic") + "?" + urlencode({"next": request.get_full_path()})
                )
            actor = actor_from_request(request)
            if allowed is not None and actor.role not in allowed:
                denied = Forbidden(_("Your role does not give access to this page."))
                return render_error(request, denied)
            try:
                return view(request, actor, *args, **kwargs)
            except (NotFound, Forbidden, InvalidInput) as error:
                return render_error(request, error)

        return wrapper

    return decorate


_FRIENDLY = {
    "missing": gettext_lazy("This field is required."),
    "date_from_datetime_parsing": gettext_lazy("Enter a valid date (YYYY-MM-DD)."),
    "date_parsing": gettext_lazy("Enter a valid date (YYYY-MM-DD)."),
    "date_type": gettext_lazy("Enter a valid date (YYYY-MM-DD)."),
    "datetime_parsing": gettext_lazy("Enter a date and a time (YYYY-MM-DD HH:MM)."),
    "datetime_from_date_parsing": gettext_lazy("Enter a date and a time (YYYY-MM-DD HH:MM)."),
    "datetime_type": gettext_lazy("Enter a date and a time (YYYY-MM-DD HH:MM)."),
    "time_parsing": gettext_lazy("Enter a time (HH:MM)."),
    "time_type": gettext_lazy("Enter a time (HH:MM)."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "decimal_max_digits": gettext_lazy("This number is too long."),
    "decimal_whole_digits": gettext_lazy("This number is too long."),
    "bool_parsing": gettext_lazy("Choose yes or no."),
    "bool_type": gettext_lazy("Choose yes or no."),
    "enum": gettext_lazy("Choose one of the options."),
    "literal_error": gettext_lazy("Choose one of the options."),
    "list_type": gettext_lazy("Choose from the list."),
    "string_type": gettext_lazy("Enter a text."),
    "extra_forbidden": gettext_lazy("This field is not expected here."),
}
# Messages that name the limit the value broke.
_FRIENDLY_LIMITS = {
    "greater_than": (gettext_lazy("Enter a number above %(limit)s."), "gt"),
    "greater_than_equal": (gettext_lazy("Enter %(limit)s or more."), "ge"),
    "less_than": (gettext_lazy("Enter a number below %(limit)s."), "lt"),
    "less_than_equal": (gettext_lazy("Enter %(limit)s or less."), "le"),
    "string_too_long": (gettext_lazy("At most %(limit)s characters."), "max_length"),
    "string_too_short": (gettext_lazy("At least %(limit)s characters."), "min_length"),
    "too_long": (gettext_lazy("Choose at most %(limit)s."), "max_length"),
    "too_short": (gettext_lazy("Choose at least %(limit)s."), "min_length"),
    "decimal_max_places": (gettext_lazy("Use at most %(limit)s decimals."), "decimal_places"),
}


def friendly_message(item: Mapping[str, Any]) -> str:
    """One pydantic error in the reader's words and language: never the library's own
    English ("Input should be a valid integer"). Our own checks' messages (ValueError in a
    validator) are already written for a person."""
    kind, context = item["type"], item.get("ctx") or {}
    if kind == "string_too_short" and context.get("min_length") == 1:
        return str(_FRIENDLY["missing"])
    if kind in _FRIENDLY:
        return str(_FRIENDLY[kind])
    if kind in _FRIENDLY_LIMITS:
        text, key = _FRIENDLY_LIMITS[kind]
        return str(text) % {"limit": context.get(key, "")}
    if kind in ("value_error", "assertion_error"):
        return str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return _("Check this value.")


def validation_messages(error: ValidationError) -> dict[str, list[str]]:
    """pydantic errors as {field: [message]} for a form."""
    messages: dict[str, list[str]] = {}
    for item in error.errors():
        loc = item["loc"]
        # A nested model's field is named itself (person.email → email); a list's item is
        # reported on the list (medications.0.last_dose → medications).
        field = str(loc[1]) if len(loc) > 1 and isinstance(loc[1], str) else \
            (str(loc[0]) if loc else "form")
        messages.setdefault(field, []).append(friendly_message(item))
    return messages


def parse_form(
    spec: type[SpecT], data: dict[str, Any]
) -> tuple[SpecT | None, dict[str, list[str]]]:
    try:
        return spec.model_validate(data), {}
    except ValidationError as error:
        return None, validation_messages(error)


__all__ = ["Actor", "parse_form", "staff_view", "validation_messages"]


def public_link_page(load: Callable[..., Any]) -> Callable[[View], View]:
    """A public page behind a link the clinic sent: the view receives the record the link
    names (``load`` records its reading, on GET; writes are audited by their service) and
    the token; a link that does not open answers the page that says what to do, 404."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any
                    ) -> HttpResponse:
            try:
                record = load(token, opened_from=client_ip(request)
                              if request.method == "GET" else None)
            except NotFound as error:
                return render(request, "consultation/public_error.html",
                              {"message": error.message}, status=404)
            # The patient's language, unless they chose another with the switch.
            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(patient_language(record.patient))
                request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
            return view(request, record, token, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def qr_code_data_uri(text: str) -> str:
    """A QR code of the text, as an SVG image inline in the page (nothing fetched)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
