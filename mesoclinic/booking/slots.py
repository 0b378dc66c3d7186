"""Free appointment times: pure, no Django, nothing of ours imported.

Working hours are local wall-clock times in the clinic's time zone (so a 9:00 start stays
9:00 across a change of summer time); busy intervals already include their buffer; a new
appointment occupies its duration plus its buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SLOT = timedelta(minutes=5)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class WeeklyHours:
    weekday: int  # Monday = 0
    start: time
    end: time


def windows(*, first: date, last: date, hours: list[WeeklyHours], days_off: set[date],
            tz: ZoneInfo) -> list[Interval]:
    """The working intervals between two days, inclusive, as aware datetimes."""
    found = []
    day = first
    while day <= last:
        if day not in days_off:
            for h in hours:
                if h.weekday == day.weekday() and h.start < h.end:
                    found.append(Interval(datetime.combine(day, h.start, tz),
                                          datetime.combine(day, h.end, tz)))
        day += timedelta(days=1)
    return sorted(found, key=lambda i: i.start)


def _ceil(moment: datetime, step: timedelta, origin: datetime) -> datetime:
    offset = (moment - origin) % step
    return moment if not offset else moment + (step - offset)


def free_starts(*, working: list[Interval], busy: list[Interval], duration: timedelta,
                buffer: timedelta, step: timedelta, not_before: datetime,
                limit: int | None = None) -> list[datetime]:
    """Start times, on a grid of ``step`` from each window's start, where the appointment
    (and its buffer) fits inside working time without touching a busy interval."""
    busy = sorted(busy, key=lambda i: i.start)
    found: list[datetime] = []
    for window in working:
        start = _ceil(max(window.start, not_before), step, window.start)
        while start + duration <= window.end:
            claim = Interval(start, start + duration + buffer)
            clash = next((b for b in busy if b.overlaps(claim)), None)
            if clash is None:
                found.append(start)
                if limit is not None and len(found) >= limit:
                    return found
                start += step
            else:
                start = _ceil(clash.end, step, window.start)
    return found


def offers(*, start: datetime, working: list[Interval], duration: timedelta,
           step: timedelta, not_before: datetime) -> bool:
    """Whether ``free_starts`` offers ``start`` when nothing else is booked: on a window's
    grid, not before ``not_before``, and the appointment fits in the window. With the
    overlap guard of the slot claims, this decides a booking without listing a day."""
    if start < not_before:
        return False
    for window in working:
        local = start.astimezone(window.start.tzinfo)
        if window.start <= local and local + duration <= window.end and \
                _ceil(local, step, window.start) == local:
            return True
    return False


def slots_of(interval: Interval) -> list[datetime]:
    """The 5-minute slots an appointment claims (the database's overlap guard)."""
    first = interval.start.replace(minute=interval.start.minute - interval.start.minute % 5,
                                   second=0, microsecond=0)
    slots = []
    moment = first
    while moment < interval.end:
        slots.append(moment)
        moment += SLOT
    return slots
