"""Errors that services raise and that pages and the API turn into clear answers."""

from __future__ import annotations


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
