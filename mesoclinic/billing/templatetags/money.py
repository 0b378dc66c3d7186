"""Amounts as the reader writes them: "€1,234.50" in English, "1 234,50 €" in French."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats, translation

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def money_text(value: object, currency: str = "EUR") -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    digits = formats.number_format(abs(amount), 2, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency, currency)
    sign = "−" if amount < 0 else ""
    if (translation.get_language() or "en").startswith("fr"):
        return f"{sign}{digits}\u202f{symbol}"
    return f"{sign}{symbol}{digits}"


@register.filter
def money(value: object, currency: str = "EUR") -> str:
    return money_text(value, currency)


@register.filter
def make_list_of_range(count: int) -> range:
    """1, 2, … count: one mark per session of a package."""
    return range(1, int(count) + 1)
