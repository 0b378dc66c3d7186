"""The JSON API, /api/v1/: routers of each app mounted on one NinjaAPI."""

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.openapi.schema import OpenAPISchema

from mesoclinic.aftercare.api import router as aftercare_router
from mesoclinic.billing.api import router as billing_router
from mesoclinic.booking.api import router as booking_router
from mesoclinic.catalog.api import router as catalogue_router
from mesoclinic.consultation.api import router as consultation_router
from mesoclinic.core.api import TokenAuth, me_router
from mesoclinic.core.api import router as auth_router
from mesoclinic.core.errors import MesoclinicError
from mesoclinic.courses.api import router as courses_router
from mesoclinic.outcomes.api import router as outcomes_router
from mesoclinic.patients.api import PatientSummaryOut
from mesoclinic.patients.api import router as patients_router
from mesoclinic.patients.services import PossibleDuplicate
from mesoclinic.portal.api import router as data_requests_router

ERROR_SCHEMA = {"type": "object", "required": ["detail", "code"], "properties": {
    "detail": {"type": "string"}, "code": {"type": "string"},
    "field": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}
VALIDATION_SCHEMA = {"type": "object", "required": ["detail"], "properties": {
    "detail": {"type": "array", "items": {"type": "object"}}}}


class MesoclinicAPI(NinjaAPI):
    """Every operation declares the answers any of them can give: 400 for a body that is
    not JSON, 422 when the request does not fit its schema, and 401 for those that need a
    token."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", {
                    "description": "A body that is not JSON, or a value out of range",
                    "content": {"application/json": {"schema": ERROR_SCHEMA}}})
                responses.setdefault("422", {
                    "description": "The request does not fit the schema",
                    "content": {"application/json": {"schema": VALIDATION_SCHEMA}}})
                if operation.get("security"):
                    responses.setdefault("401", {
                        "description": "No valid token",
                        "content": {"application/json": {"schema": ERROR_SCHEMA}}})
        return schema


api = MesoclinicAPI(
    title="mesoclinic API",
    version="1",
    description="Patients and the mesotherapy catalogue of a clinic. Every read and write of "
    "a patient's data is audited. "
    "Obtain a token at POST /api/v1/auth/token and send it as 'Authorization: Bearer …'.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
)
api.add_router("/auth", auth_router)
api.add_router("/me", me_router)
api.add_router("/patients", patients_router)
api.add_router("/patients", consultation_router)
api.add_router("/catalogue", catalogue_router)
api.add_router("", courses_router)
api.add_router("", aftercare_router)
api.add_router("", outcomes_router)
api.add_router("", booking_router)
api.add_router("", data_requests_router)
api.add_router("", billing_router)


@api.exception_handler(PossibleDuplicate)
def possible_duplicate(request: HttpRequest, error: PossibleDuplicate) -> HttpResponse:
    duplicates = [PatientSummaryOut.from_orm(p).model_dump(mode="json")
                  for p in error.duplicates]
    return api.create_response(
        request,
        {"detail": error.message, "code": error.code, "field": None, "duplicates": duplicates},
        status=409,
    )


@api.exception_handler(MesoclinicError)
def mesoclinic_error(request: HttpRequest, error: MesoclinicError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": error.message, "code": error.code, "field": error.field},
        status=error.status,
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request: HttpRequest, error: Exception) -> HttpResponse:
    """A number or a date past what the database or the calendar holds: a clear 400, and
    nothing half-saved (the write's transaction is rolled back with the error)."""
    return api.create_response(
        request, {"detail": "A number or a date is out of range.", "code": "out-of-range",
                  "field": None}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}.get(
        error.status_code, "bad-request"
    )
    return api.create_response(
        request, {"detail": str(error), "code": code, "field": None}, status=error.status_code
    )
