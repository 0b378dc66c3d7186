"""What the intake questionnaire, consent signing and allergy tests accept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from mesoclinic.consultation.models import AllergyResult, Condition, MedicationClass
from mesoclinic.core import clock
from mesoclinic.core.errors import RowId


def _not_future(value: date | None) -> date | None:
    """Judged on the clinic's calendar and clock (the zone active for the request)."""
    if value is None:
        return value
    now = clock.now().astimezone(timezone.get_current_timezone())
    if isinstance(value, datetime):
        late = value > now if timezone.is_aware(value) else value > now.replace(tzinfo=None)
        if late:
            raise ValueError(_("This moment is in the future."))
    elif value > now.date():
        raise ValueError(_("This date is in the future."))
    return value


def _day_or_moment(value: object) -> object:
    """A last dose is a day (YYYY-MM-DD) or a day and time (YYYY-MM-DDTHH:MM, the clinic's
    clock unless an offset is given)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text or " " in text:
                return datetime.fromisoformat(text)
            return date.fromisoformat(text) if text else None
        except ValueError as error:
            raise ValueError(_("Enter a date (YYYY-MM-DD), with a time if known "
                               "(YYYY-MM-DDTHH:MM).")) from error
    return value


LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class MedicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]
    drug_class: MedicationClass
    last_dose: Annotated[datetime | date | None, BeforeValidator(_day_or_moment),
                         AfterValidator(_not_future)] = Field(
        default=None, description="The last dose: a day, or a day and time. Left out for an "
                                  "aspirin or NSAID, it is read as current use.")


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conditions: list[Condition] = Field(default_factory=list, max_length=len(Condition))
    condition_details: LongText = ""
    medications: list[MedicationIn] = Field(default_factory=list, max_length=30)
    allergies: LongText = ""


class AllergyInjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: RowId
    lot: RowId
    site: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]


class AllergyTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_at: datetime | None = Field(
        default=None, description="When the injections were given; now if left out.")
    injections: list[AllergyInjectionIn] = Field(min_length=2, max_length=2)


class AllergyReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: AllergyResult
    reaction: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
