from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema

from mesoclinic.catalog.models import Indication, Substance
from mesoclinic.catalog.selectors import SECTIONS_BY_SLUG

router = Router(tags=["catalogue"])


class EntryOut(Schema):
    code: str
    name: str
    description: str
    source: str
    release: str


class BodyAreaOut(EntryOut):
    region: str


class OutcomeScaleOut(EntryOut):
    unit: str
    min_value: float
    max_value: float
    higher_is_better: bool
    rated_by: str


class IndicationOut(EntryOut):
    group: str
    body_areas: list[str]
    outcome_scales: list[str]

    @staticmethod
    def resolve_body_areas(obj: Indication) -> list[str]:
        return [area.code for area in obj.body_areas.all()]

    @staticmethod
    def resolve_outcome_scales(obj: Indication) -> list[str]:
        return [scale.code for scale in obj.outcome_scales.all()]


class SubstanceOut(EntryOut):
    substance_class: str
    is_nsaid: bool

    @staticmethod
    def resolve_substance_class(obj: Substance) -> str:
        return obj.substance_class.code


class TechniqueOut(EntryOut):
    needleless: bool
    depth_min_mm: float | None
    depth_max_mm: float | None
    needle_length_min_mm: float | None
    needle_length_max_mm: float | None
    needle_count_min: int | None
    needle_count_max: int | None
    relative_dermal_delivery: str


class SideEffectOut(EntryOut):
    expected_min_hours: float | None
    expected_max_hours: float | None
    seriousness: str


# Each list is its catalogue section's entries (catalog.selectors): the pages and the API
# read the same queries.
@router.get("/indications", response=list[IndicationOut])
def indications(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["indications"].entries()


@router.get("/body-areas", response=list[BodyAreaOut])
def body_areas(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["body-areas"].entries()


@router.get("/substance-classes", response=list[EntryOut])
def substance_classes(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["substance-classes"].entries()


@router.get("/substances", response=list[SubstanceOut])
def substances(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["substances"].entries()


@router.get("/techniques", response=list[TechniqueOut])
def techniques(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["techniques"].entries()


@router.get("/side-effects", response=list[SideEffectOut])
def side_effects(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["side-effects"].entries()


@router.get("/outcome-scales", response=list[OutcomeScaleOut])
def outcome_scales(request: HttpRequest) -> QuerySet:
    return SECTIONS_BY_SLUG["outcome-scales"].entries()
