"""``{% moment value clinic "style" %}``: every moment a template shows, in the clinic's zone
(see ``core.moments``). Loaded for every template."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from mesoclinic.core import moments

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
