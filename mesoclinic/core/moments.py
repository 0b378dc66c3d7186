"""The one way a moment is shown to a person and a day is judged: in the clinic's zone.

Pages, emails, PDFs, .ics descriptions and API messages all write moments through
``moment_text`` and judge calendar days through ``local_day``; neither depends on the time
zone that happens to be active (a worker runs in UTC, a public search spans clinics).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from django.utils import dateformat

from mesoclinic.core import clock

Style = Literal["datetime", "long", "short", "seconds", "weekday_time", "date", "longdate",
                "weekday", "day", "isodate", "time", "input", "iso"]

# Django date-format strings; month and day names follow the active language.
FORMATS: dict[str, str] = {
    "datetime": "j M Y, H:i",        # 23 Nov 2026, 10:00
    "long": "l j F Y, H:i",          # Monday 23 November 2026, 10:00
    "short": "D j M, H:i",           # Mon 23 Nov, 10:00
    "seconds": "j M Y, H:i:s",       # 23 Nov 2026, 10:00:05
    "weekday_time": "l j F, H:i",    # Monday 23 November, 10:00
    "date": "j M Y",                 # 23 Nov 2026
    "weekday": "l j F",              # Monday 23 November
    "isodate": "Y-m-d",              # a date field's value
    "longdate": "l j F Y",           # Monday 23 November 2026
    "day": "D j M",                  # Mon 23 Nov
    "time": "H:i",                   # 10:00
    "input": r"Y-m-d\TH:i",          # a datetime-local field's value
    "iso": "c",                      # machine-readable, with its offset
}


# Styles that name a day, not a time of day: never ambiguous.
DAY_STYLES = frozenset({"date", "longdate", "weekday", "day", "isodate"})


class HasZone(Protocol):
    @property
    def zoneinfo(self) -> ZoneInfo: ...


Where = HasZone | ZoneInfo | str


def zone_of(where: Where) -> ZoneInfo:
    if isinstance(where, ZoneInfo):
        return where
    if isinstance(where, str):
        return ZoneInfo(where)
    return where.zoneinfo


def in_zone(moment: datetime, where: Where) -> datetime:
    """The moment on the clinic's wall clock (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("A moment shown to a person must be timezone-aware.")
    return moment.astimezone(zone_of(where))


def given_in_clinic_time(moment: datetime, where: Where) -> datetime:
    """A time a person or a client sent: without an offset, it is the clinic's wall
    clock (the one they read on its pages)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone_of(where))


def ambiguous(local: datetime) -> bool:
    """Whether this wall-clock time happens twice (the hour repeated when clocks go back)."""
    # A moment converted from an instant never falls in the skipped hour, so a fold that
    # changes the offset means the wall time is repeated.
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _offset(local: datetime) -> str:
    offset = local.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def moment_text(moment: datetime, where: Where, style: Style = "datetime", *,
                name_zone: bool = False) -> str:
    """A moment as a person in the clinic reads it. ``name_zone`` adds the zone's name, for
    texts read away from the clinic (emails, API messages, PDFs, public pages); a time that
    happens twice on the day clocks go back always carries its UTC offset."""
    local = in_zone(moment, where)
    text = dateformat.format(local, FORMATS[style])
    if style in DAY_STYLES or style in ("iso", "input"):
        return text
    if ambiguous(local):
        return f"{text} ({local.tzinfo}, {_offset(local)})"
    return f"{text} ({local.tzinfo})" if name_zone else text


def day_text(day: date, style: Style = "date") -> str:
    """A calendar day (already the clinic's), in the active language."""
    return dateformat.format(day, FORMATS[style])


_PARSED = re.compile(r"^(?P<wall>.+?)(?: \((?P<zone>[A-Za-z_/+\-0-9]+)"
                     r"(?:, UTC(?P<sign>[+-])(?P<h>\d\d):(?P<m>\d\d))?\))?$")


def moment_parse(text: str, where: Where, style: Style = "datetime") -> datetime:
    """Read back a moment written by ``moment_text`` in English (tests, imports): the same
    instant, including in the repeated hour when its offset is written. Answered in UTC:
    Python never finds a wall time of the repeated hour equal to one of another zone."""
    match = _PARSED.match(text)
    if match is None:
        raise ValueError(f"Not a moment: {text!r}")
    zone = ZoneInfo(match["zone"]) if match["zone"] else zone_of(where)
    python_format = {"datetime": "%d %b %Y, %H:%M", "long": "%A %d %B %Y, %H:%M"}[style]
    wall = datetime.strptime(match["wall"], python_format)
    for fold in (0, 1):
        local = wall.replace(tzinfo=zone, fold=fold)
        if match["sign"] is None:
            return local.astimezone(UTC)
        expected = timedelta(hours=int(match["h"]), minutes=int(match["m"]))
        if match["sign"] == "-":
            expected = -expected
        if local.utcoffset() == expected:
            return local.astimezone(UTC)
    raise ValueError(f"No such offset on that day: {text!r}")


def local_day(moment: datetime, where: Where) -> date:
    """The clinic's calendar day of a moment: the day every date rule judges."""
    return in_zone(moment, where).date()


def today(where: Where) -> date:
    return local_day(clock.now(), where)


def local_midnight(day: date, where: Where) -> datetime:
    """The first moment of a clinic day."""
    return datetime.combine(day, time(0), tzinfo=zone_of(where))
