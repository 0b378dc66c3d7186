"""Errors that services raise and that pages and the API turn into clear answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field


class MesoclinicError(Exception):
    """Base: carries a stable code and a message meant for the user."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(MesoclinicError):
    """Missing, or in a clinic the user cannot see: the two are not told apart."""

    code = "not-found"
    status = 404


class Forbidden(MesoclinicError):
    code = "forbidden"
    status = 403


class Conflict(MesoclinicError):
    code = "conflict"
    status = 409


class InvalidInput(MesoclinicError):
    code = "invalid"
    status = 400


# An id given in a request: a row's id is a positive signed 64-bit integer, so anything
# else names nothing and is refused with the field's name (422), before any query.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
