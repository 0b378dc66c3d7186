"""What a patient record accepts: one definition for the pages and the API."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from mesoclinic.core import clock
from mesoclinic.patients.models import Sex

MEDICAL_FIELDS = frozenset({"fitzpatrick_type", "notes"})

_PHONE = re.compile(r"^\+?[0-9 ().\-]{6,40}$")


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as error:
            raise ValueError(_("Enter a valid email address.")) from error
    return value.lower()


def _phone(value: str) -> str:
    if value and not _PHONE.match(value):
        raise ValueError(_("Enter a phone number: digits, spaces and + ( ) - only."))
    return value


def _birth_date(value: date) -> date:
    if value > clock.now().astimezone(timezone.get_current_timezone()).date():
        raise ValueError(_("The date of birth cannot be in the future."))
    if value.year < 1900:
        raise ValueError(_("The date of birth must be after 1900."))
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40),
                  AfterValidator(_phone)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254),
                  AfterValidator(_email)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=250)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
BirthDate = Annotated[date, AfterValidator(_birth_date)]
Fitzpatrick = Annotated[int, Field(ge=1, le=6)]
# Blank: the clinic's language.
Language = Literal["", "en", "fr"]


class PatientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Name
    last_name: Name
    date_of_birth: BirthDate
    sex: Sex
    phone: Phone = ""
    email: Email = ""
    address: Address = ""
    language: Language = Field(default="", description="What the patient is written to "
                               "in: en or fr; blank for the clinic's language.")
    fitzpatrick_type: Fitzpatrick | None = None
    notes: Notes = ""
    allow_duplicate: bool = Field(
        default=False,
        description="Register even though a patient with this name and date of birth exists.",
    )


class PatientChanges(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    first_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: BirthDate | None = None
    sex: Sex | None = None
    phone: Phone | None = None
    email: Email | None = None
    address: Address | None = None
    language: Language | None = None
    fitzpatrick_type: Fitzpatrick | None = None
    notes: Notes | None = None
