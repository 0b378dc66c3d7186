"""Loading the catalogue: idempotent upserts keyed by each entry's code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from mesoclinic.catalog.models import (
    AftercareAdvice,
    BodyArea,
    CatalogueRelease,
    Indication,
    OutcomeScale,
    ProtocolTemplate,
    SideEffect,
    Substance,
    SubstanceClass,
    Technique,
)

CATALOGUE_FILE = Path(__file__).parent / "data" / "catalogue.json"


def _expand_source(source: str, sources: dict[str, str]) -> str:
    """'GUIDE: quote' -> 'reference/comprehensive-guide.txt: quote'."""
    parts = []
    for piece in source.split("; "):
        key, sep, rest = piece.partition(":")
        parts.append(f"{sources[key]}{sep}{rest}" if key in sources else piece)
    return "; ".join(parts)


def _upsert(model: type, entries: list[dict[str, Any]], release: str,
            sources: dict[str, str], **renames: str) -> dict[str, Any]:
    by_code = {}
    for raw in entries:
        values = {renames.get(k, k): v for k, v in raw.items() if k != "code"}
        values["source"] = _expand_source(values["source"], sources)
        values.setdefault("description", "")
        values["release"] = release
        obj, _created = model.objects.update_or_create(code=raw["code"], defaults=values)
        by_code[raw["code"]] = obj
    return by_code


@transaction.atomic
def catalogue_load(*, data: dict[str, Any] | None = None) -> CatalogueRelease:
    """Load (or reload) the catalogue. Running it twice changes nothing the second time."""
    if data is None:
        data = json.loads(CATALOGUE_FILE.read_text())
    release = data["version"]
    sources = data["sources"]
    areas = _upsert(BodyArea, data["body_areas"], release, sources)
    scales = _upsert(OutcomeScale, data["outcome_scales"], release, sources)
    indications = _upsert(
        Indication,
        [{k: v for k, v in e.items() if k not in ("body_areas", "outcome_scales")}
         for e in data["indications"]],
        release,
        sources,
    )
    for entry in data["indications"]:
        indication = indications[entry["code"]]
        indication.body_areas.set([areas[c] for c in entry["body_areas"]])
        indication.outcome_scales.set([scales[c] for c in entry["outcome_scales"]])
    classes = _upsert(SubstanceClass, data["substance_classes"], release, sources)
    substances = [
        {**{k: v for k, v in e.items() if k not in ("class", "nsaid")},
         "substance_class": classes[e["class"]], "is_nsaid": e.get("nsaid", False)}
        for e in data["substances"]
    ]
    by_code = _upsert(Substance, substances, release, sources)
    techniques = _upsert(Technique, data["techniques"], release, sources)
    _upsert(SideEffect, data["side_effects"], release, sources)
    for entry in data.get("templates", []):
        template, _created = ProtocolTemplate.objects.update_or_create(
            indication=indications[entry["indication"]],
            defaults={
                "technique": techniques[entry["technique"]],
                "depth_min_mm": entry["depth_min_mm"], "depth_max_mm": entry["depth_max_mm"],
                "needle_length_mm": entry["needle_length_mm"], "sessions": entry["sessions"],
                "initial_interval_days": entry["initial_interval_days"],
                "source": _expand_source(entry["source"], sources), "release": release,
            })
        template.substances.set([by_code[c] for c in entry["substances"]])
    for entry in data.get("aftercare", []):
        AftercareAdvice.objects.update_or_create(key=entry["key"], defaults={
            "indication": indications[entry["indication"]] if entry["indication"] else None,
            "technique": techniques[entry["technique"]] if entry["technique"] else None,
            "title": entry["title"], "body": entry["body"],
            "source": _expand_source(entry["source"], sources), "release": release})
    count = sum(len(data[k]) for k in (
        "body_areas", "outcome_scales", "indications", "substance_classes", "substances",
        "techniques", "side_effects", "templates", "aftercare") if k in data)
    record, _created = CatalogueRelease.objects.update_or_create(
        version=release, defaults={"entries": count}
    )
    return record
