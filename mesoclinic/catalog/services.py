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
# Beside it, one file a language: catalogue.fr.json, with each entry's texts by code.
TRANSLATION_FILES = sorted(CATALOGUE_FILE.parent.glob("catalogue.*.json"))


def catalogue_translations() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    """{section: {code: {language: {field: text}}}} from the translation files."""
    found: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for path in TRANSLATION_FILES:
        data = json.loads(path.read_text())
        language = data["language"]
        for section, entries in data.items():
            if isinstance(entries, dict):
                for code, texts in entries.items():
                    found.setdefault(section, {}).setdefault(code, {})[language] = texts
    return found


def _expand_source(source: str, sources: dict[str, str]) -> str:
    """'GUIDE: quote' -> 'reference/comprehensive-guide.txt: quote'."""
    parts = []
    for piece in source.split("; "):
        key, sep, rest = piece.partition(":")
        parts.append(f"{sources[key]}{sep}{rest}" if key in sources else piece)
    return "; ".join(parts)


def _upsert(model: type, entries: list[dict[str, Any]], release: str,
            sources: dict[str, str], translations: dict[str, dict[str, dict[str, str]]]
            ) -> dict[str, Any]:
    by_code = {}
    for raw in entries:
        values = {k: v for k, v in raw.items() if k != "code"}
        values["source"] = _expand_source(values["source"], sources)
        values.setdefault("description", "")
        values["release"] = release
        values["translations"] = translations.get(raw["code"], {})
        obj, _created = model.objects.update_or_create(code=raw["code"], defaults=values)
        by_code[raw["code"]] = obj
    return by_code


@transaction.atomic
def catalogue_load(*, data: dict[str, Any] | None = None,
                   translations: dict[str, Any] | None = None) -> CatalogueRelease:
    """Load (or reload) the catalogue. Running it twice changes nothing the second time."""
    if data is None:
        data = json.loads(CATALOGUE_FILE.read_text())
    release = data["version"]
    sources = data["sources"]
    texts = catalogue_translations() if translations is None else translations
    areas = _upsert(BodyArea, data["body_areas"], release, sources, texts.get("body_areas", {}))
    scales = _upsert(OutcomeScale, data["outcome_scales"], release, sources,
                     texts.get("outcome_scales", {}))
    indications = _upsert(
        Indication,
        [{k: v for k, v in e.items() if k not in ("body_areas", "outcome_scales")}
         for e in data["indications"]],
        release,
        sources,
        texts.get("indications", {}),
    )
    for entry in data["indications"]:
        indication = indications[entry["code"]]
        indication.body_areas.set([areas[c] for c in entry["body_areas"]])
        indication.outcome_scales.set([scales[c] for c in entry["outcome_scales"]])
    classes = _upsert(SubstanceClass, data["substance_classes"], release, sources,
                      texts.get("substance_classes", {}))
    substances = [
        {**{k: v for k, v in e.items() if k not in ("class", "nsaid")},
         "substance_class": classes[e["class"]], "is_nsaid": e.get("nsaid", False)}
        for e in data["substances"]
    ]
    by_code = _upsert(Substance, substances, release, sources, texts.get("substances", {}))
    techniques = _upsert(Technique, data["techniques"], release, sources,
                         texts.get("techniques", {}))
    _upsert(SideEffect, data["side_effects"], release, sources, texts.get("side_effects", {}))
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
            "translations": texts.get("aftercare", {}).get(entry["key"], {}),
            "source": _expand_source(entry["source"], sources), "release": release})
    count = sum(len(data[k]) for k in (
        "body_areas", "outcome_scales", "indications", "substance_classes", "substances",
        "techniques", "side_effects", "templates", "aftercare") if k in data)
    record, _created = CatalogueRelease.objects.update_or_create(
        version=release, defaults={"entries": count}
    )
    return record
