"""What a clinic's country decides about money: its currency and its VAT rates (data:
core/data/countries.json, France and the UK, a default for the rest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

COUNTRIES = Path(__file__).resolve().parent / "data" / "countries.json"


@dataclass(frozen=True, slots=True)
class CountryRules:
    currency: str
    standard: str
    rates: dict[str, Decimal]  # name → percent

    @property
    def standard_rate(self) -> Decimal:
        return self.rates[self.standard]


@cache
def _countries() -> dict[str, CountryRules]:
    data = json.loads(COUNTRIES.read_text())
    return {code: CountryRules(currency=entry["currency"], standard=entry["standard"],
                               rates={k: Decimal(v) for k, v in entry["rates"].items()})
            for code, entry in data.items() if not code.startswith("_comment")}


def country_rules(country: str) -> CountryRules:
    countries = _countries()
    return countries.get(country.upper()) or countries["_default"]


def currency_of(country: str) -> str:
    return country_rules(country).currency
