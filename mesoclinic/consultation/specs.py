"""What the intake questionnaire, consent signing and allergy tests accept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from mesoclinic.consultation.models import AllergyResult, Condition, MedicationClass
from mesoclinic.core import clock


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.now().astimezone(timezone.get_current_timezone()).date():
        raise ValueError(_("This date is in the future."))
    return value


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class MedicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]
    drug_class: MedicationClass
    last_dose: Annotated[date | None, AfterValidator(_not_future)] = None


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conditions: list[Condition] = Field(default_factory=list, max_length=len(Condition))
    condition_details: LongText = ""
    medications: list[MedicationIn] = Field(default_factory=list, max_length=30)
    allergies: LongText = ""


class InjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: int
    lot: int
    site: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=100)]


class AllergyTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_at: datetime | None = Field(
        default=None, description="When the injections were given; now if left out.")
    injections: list[InjectionIn] = Field(min_length=2, max_length=2)


class AllergyReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: AllergyResult
    reaction: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
