"""What plans, sessions and injections accept."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from mesoclinic.core.errors import RowId
from mesoclinic.courses.zones import MAPS

MAP_PATTERN = "^(" + "|".join(MAPS) + ")$"

Reaction = Annotated[str, StringConstraints(pattern=r"^(burning|bleeding|pain|bruising|"
                                                    r"swelling|redness|vasovagal|other)$")]


class CocktailItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: RowId
    dose_ml: Decimal = Field(gt=0, le=50, decimal_places=2)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indication: str = Field(max_length=60, description="Catalogue code of the indication")
    body_areas: list[str] = Field(min_length=1, max_length=20)
    technique: str = Field(max_length=60)
    depth_min_mm: Decimal | None = Field(default=None, ge=0, le=10, decimal_places=1)
    depth_max_mm: Decimal | None = Field(default=None, ge=0, le=10, decimal_places=1)
    needle_length_mm: Decimal | None = Field(default=None, ge=4, le=6, decimal_places=1)
    device: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    volume_per_point_ml: Decimal | None = Field(default=None, gt=0, le=2, decimal_places=2)
    cocktail: list[CocktailItemIn] = Field(min_length=1, max_length=10)
    planned_sessions: int = Field(ge=3, le=15)
    initial_interval_days: int = Field(default=7, ge=7, le=10)
    improved_interval_days: int = Field(default=14, ge=7, le=60)
    monthly_interval_days: int = Field(default=30, ge=7, le=90)
    maintenance_interval_days: int = Field(default=90, ge=14, le=365)
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""

    @model_validator(mode="after")
    def depth_range_in_order(self) -> PlanIn:
        if (self.depth_min_mm is not None and self.depth_max_mm is not None
                and self.depth_min_mm > self.depth_max_mm):
            raise ValueError("The shallowest depth must not exceed the deepest.")
        return self


class InjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot: RowId
    chart_map: str = Field(pattern=MAP_PATTERN)
    zone: str = Field(default="", max_length=40)
    whole_zone: bool = False
    x: Decimal | None = Field(default=None, ge=0, le=400, decimal_places=2)
    y: Decimal | None = Field(default=None, ge=0, le=400, decimal_places=2)
    volume_ml: Decimal = Field(gt=0, le=20, decimal_places=2)
    depth_mm: Decimal = Field(ge=0, le=13, decimal_places=1)
    passes: int = Field(default=1, ge=1, le=10)
    photo: RowId | None = Field(default=None, description="Charted on this photo of the "
                                "patient (the zone is then required)")
    photo_x: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2,
                                    description="% of the photo's width")
    photo_y: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2,
                                    description="% of the photo's height")


class SessionCompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_at: datetime | None = None
    anaesthetic_cream: bool = False
    device: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    reactions: list[Reaction] = Field(default_factory=list, max_length=8)
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class SessionMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduled_on: date
