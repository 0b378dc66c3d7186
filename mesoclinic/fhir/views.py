"""/fhir/r4/: the FHIR R4 endpoint. Bearer tokens as for /api/v1/; JSON only
(application/fhir+json); every error an OperationOutcome with its status."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from mesoclinic.booking.services import BookingRefused
from mesoclinic.core.context import Actor, client_ip
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.core.languages import staff_language
from mesoclinic.core.selectors import membership_for_token
from mesoclinic.fhir import resources as fhir
from mesoclinic.fhir.capability import capability_statement
from mesoclinic.fhir.selectors import (
    SearchPage,
    code_systems,
    fhir_binary,
    fhir_read,
    fhir_search,
    fhir_slots,
    patient_everything,
)
from mesoclinic.fhir.services import fhir_appointment_book

FHIR_JSON = "application/fhir+json"
_ISSUE_OF_STATUS = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                    405: "not-supported", 406: "not-supported", 409: "conflict",
                    422: "invalid", 429: "throttled"}


def _answer(data: Any, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                            content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _outcome(message: str, status: int, **extra: Any) -> HttpResponse:
    return _answer(fhir.operation_outcome(message, code=_ISSUE_OF_STATUS.get(status,
                                                                              "processing"),
                                          **extra), status)


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/")


def _actor(request: HttpRequest) -> Actor | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    membership = membership_for_token(key.strip())
    if membership is None:
        return None
    timezone.activate(membership.clinic.zoneinfo)
    if "HTTP_ACCEPT_LANGUAGE" not in request.META:
        translation.activate(staff_language(membership.user, membership.clinic))
    return Actor(user=membership.user, membership=membership, ip=client_ip(request))


def _bundle_of(page: SearchPage, request: HttpRequest) -> dict[str, Any]:
    base = _base(request)
    here = request.build_absolute_uri(request.path)
    query = request.GET.copy()
    links = {"self": request.build_absolute_uri()}
    if page.offset + page.count < page.total and page.count:
        query["_offset"] = str(page.offset + page.count)
        query["_count"] = str(page.count)
        links["next"] = f"{here}?{query.urlencode()}"
    if page.offset > 0:
        query["_offset"] = str(max(0, page.offset - page.count))
        query["_count"] = str(page.count)
        links["previous"] = f"{here}?{query.urlencode()}"
    entries = [(r, "match") for r in page.matches] + [(r, "include") for r in page.included]
    return fhir.bundle(kind="searchset", entries=entries, base=base, total=page.total,
                       links=links)


def everything_bundle(resources: list[dict[str, Any]], base: str) -> dict[str, Any]:
    return fhir.bundle(kind="searchset", entries=[(r, "match") for r in resources], base=base,
                       total=len(resources), links={})


def _route(request: HttpRequest, actor: Actor, path: str) -> HttpResponse:
    parts = [p for p in path.split("/") if p]
    # _format and _pretty ask for what every answer here is: JSON.
    params = {k: request.GET.getlist(k) for k in request.GET
              if k not in ("_format", "_pretty")}
    if any("json" not in f for f in request.GET.getlist("_format")):
        return _outcome(_("This server answers in JSON only."), 406)
    base = _base(request)
    if request.method == "POST":
        if parts != ["Appointment"]:
            return _outcome(_("Only Appointment can be created here."), 405)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _outcome(_("The body is not JSON."), 400)
        booked = fhir_appointment_book(actor=actor, body=body if isinstance(body, dict)
                                       else {})
        created = fhir_read(actor=actor, name="Appointment", resource_id=str(booked.pk),
                            base=base)
        return _answer(created, 201, Location=f"{base}Appointment/{booked.pk}")
    if len(parts) == 1 and parts[0] == "Slot":
        return _answer(_bundle_of(fhir_slots(actor=actor, params=params, base=base), request))
    if len(parts) == 1 and parts[0] == "CodeSystem":
        systems = code_systems()
        return _answer(fhir.bundle(kind="searchset", entries=[(s, "match") for s in systems],
                                   base=base, total=len(systems), links={}))
    if len(parts) == 1:
        return _answer(_bundle_of(fhir_search(actor=actor, name=parts[0], params=params,
                                              base=base), request))
    if len(parts) == 2 and parts[0] == "Binary":
        content, content_type = fhir_binary(actor=actor, binary_id=parts[1])
        response = HttpResponse(content, content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response
    if len(parts) == 2:
        return _answer(fhir_read(actor=actor, name=parts[0], resource_id=parts[1],
                                 base=base))
    if len(parts) == 3 and parts[0] == "Patient" and parts[2] == "$everything":
        if not parts[1].isdigit():
            return _outcome(_("No such Patient."), 404)
        return _answer(everything_bundle(
            patient_everything(actor=actor, patient_id=int(parts[1]), base=base), base))
    return _outcome(_("mesoclinic has no FHIR interaction at this address."), 404)


@csrf_exempt
def endpoint(request: HttpRequest, path: str = "") -> HttpResponse:
    if path.strip("/") == "metadata":
        return _answer(capability_statement(_base(request)))
    if request.method not in ("GET", "POST"):
        return _outcome(_("This server reads, searches and books appointments only."), 405)
    actor = _actor(request)
    if actor is None:
        response = _outcome(_("Send a valid token: Authorization: Bearer …"), 401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    try:
        return _route(request, actor, path)
    except BookingRefused as refused:
        return _outcome(refused.message, 409, rule=",".join(refused.reasons) or refused.code,
                        earliest=refused.earliest)
    except MesoclinicError as error:
        return _outcome(error.message, error.status, rule=error.code, field=error.field)
