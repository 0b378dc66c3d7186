"""``{% moment value clinic "style" %}``: every moment a template shows, in the clinic's zone
(see ``core.moments``). Loaded for every template."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import formats, translation
from django.utils.translation import gettext_lazy

from mesoclinic.core import moments
from mesoclinic.core.audit import action_label

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, where: moments.Where | None, style: moments.Style =
           "datetime", name_zone: bool = False) -> str:
    if value is None or where is None:
        return ""
    return moments.moment_text(value, where, style, name_zone=name_zone)


@register.filter
def day(value: date | None, style: moments.Style = "date") -> str:
    """A calendar day that is already the clinic's (a DateField)."""
    return "" if value is None else moments.day_text(value, style)


# The reference texts behind the catalogue and the safety rules, by the names people know.
SOURCE_TITLES = {
    "reference/booking-and-consultation.txt": gettext_lazy("Booking and consultation guide"),
    "reference/procedure-and-risks.txt": gettext_lazy("The procedure and its risks"),
    "reference/what-is-mesotherapy.txt": gettext_lazy("What is mesotherapy?"),
    "reference/comprehensive-guide.txt": gettext_lazy("Comprehensive guide to mesotherapy"),
    "reference/mesotherapy-treatment-overview.txt": gettext_lazy(
        "Mesotherapy treatment overview"),
}
_CONVENTION = re.compile(r"DESIGN\.md[^;]*")


@register.filter
def source(value: str) -> str:
    """A source note with its documents named by their titles, not their file names."""
    text = str(value)
    for path, title in SOURCE_TITLES.items():
        text = text.replace(path, f"«{title}»" if translation.get_language() == "fr"
                            else f"“{title}”")
    return _CONVENTION.sub(str(gettext_lazy("mesoclinic's clinical convention (the "
                                            "reference texts are silent)")), text)


@register.filter
def amount(value: object) -> str:
    """A quantity as people write it: at most two decimals, none that are zeros, the
    reader's decimal mark ("48.8", "48,8"), never "48.8000000000000"."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).quantize(Decimal("0.01")).normalize()
    if number == number.to_integral():
        number = number.quantize(Decimal(1))
    return formats.number_format(number, use_l10n=True)


@register.filter
def ml(value: object) -> str:
    return "" if value is None or value == "" else f"{amount(value)} ml"


@register.filter
def action_words(action: str) -> str:
    return action_label(action)
