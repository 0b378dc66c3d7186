"""Reads of the catalogue: the sections staff browse and the API serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from mesoclinic.catalog.models import (
    BodyArea,
    CatalogueRelease,
    Indication,
    OutcomeScale,
    SideEffect,
    Substance,
    SubstanceClass,
    Technique,
)


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    model: type[Model]

    def entries(self) -> QuerySet:
        queryset = self.model.objects.all()
        if self.model is Indication:
            queryset = queryset.prefetch_related("body_areas", "outcome_scales")
        elif self.model is Substance:
            queryset = queryset.select_related("substance_class")
        return queryset.order_by("name")


SECTIONS = (
    Section("indications", _("Indications"), Indication),
    Section("body-areas", _("Body areas"), BodyArea),
    Section("substance-classes", _("Substance classes"), SubstanceClass),
    Section("substances", _("Substances"), Substance),
    Section("techniques", _("Techniques"), Technique),
    Section("side-effects", _("Side effects"), SideEffect),
    Section("outcome-scales", _("Outcome scales"), OutcomeScale),
)
SECTIONS_BY_SLUG = {section.slug: section for section in SECTIONS}


def catalogue_release() -> CatalogueRelease | None:
    return CatalogueRelease.objects.order_by("-loaded_at").first()


def section_sizes() -> list[tuple[Section, int]]:
    return [(section, section.model.objects.count()) for section in SECTIONS]


def indications() -> list[Indication]:
    return list(Indication.objects.order_by("name"))


def indication_by_code(code: str | None) -> Indication | None:
    """The indication with this code, with its body areas; the first by name without one."""
    queryset = Indication.objects.prefetch_related("body_areas").order_by("name")
    if code:
        return queryset.filter(code=code).first()
    return queryset.first()


def body_areas() -> list[BodyArea]:
    return list(BodyArea.objects.order_by("name"))


def techniques() -> list[Technique]:
    return list(Technique.objects.order_by("name"))


def substances() -> list[Substance]:
    return list(Substance.objects.order_by("name"))


def side_effects(*, most_serious_first: bool = False) -> list[SideEffect]:
    order = ("seriousness", "name") if most_serious_first else ("name",)
    return list(SideEffect.objects.order_by(*order))


def outcome_scales() -> list[OutcomeScale]:
    return list(OutcomeScale.objects.order_by("name"))


Entry = TypeVar("Entry", bound=Model)


def catalogue_entry(model: type[Entry], code: str | None) -> Entry | None:
    """The catalogue's entry of this kind with this code, or None."""
    return model.objects.filter(code=code).first() if code else None  # type: ignore[attr-defined]


def outcome_scale_by_code(code: str | None) -> OutcomeScale | None:
    return catalogue_entry(OutcomeScale, code)
