"""Reads of the catalogue: the sections staff browse and the API serves."""

from __future__ import annotations

from dataclasses import dataclass

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
