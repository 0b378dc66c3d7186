"""Check API responses against the OpenAPI document the API publishes."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.http import HttpResponse
from django.test import Client
from jsonschema import Draft202012Validator


@cache
def openapi_document() -> dict[str, Any]:
    return json.loads(Client().get("/api/v1/openapi.json").content)


def assert_matches_schema(response: HttpResponse, path: str, method: str) -> None:
    """``path`` as written in the document, e.g. '/api/v1/patients/{patient_id}'."""
    document = openapi_document()
    operation = document["paths"][path][method.lower()]
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, (
        f"{method} {path} answered {response.status_code}, which the document does not list"
    )
    schema = declared["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = sorted(validator.iter_errors(json.loads(response.content)), key=str)
    assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"
