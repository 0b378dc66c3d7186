"""The calendar's time grid, laid out: which hours the grid shows, where each open period
and each appointment sits in its column (as a share of the column's height), and which
lane an appointment takes beside others of the same time. Pure: times in, numbers out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class Span:
    top: float  # % of the column's height from the grid's first hour
    height: float  # % of the column's height


def minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def grid_hours(periods: list[tuple[time, time]], items: list[tuple[time, time]],
               default: tuple[int, int] = (8, 20)) -> tuple[int, int]:
    """The first and the last hour the grid shows: every open period and every appointment
    fits, on whole hours."""
    starts = [minutes(s) for s, _e in [*periods, *items]]
    ends = [minutes(e) if e != time(0) else 24 * 60 for _s, e in [*periods, *items]]
    if not starts:
        return default
    return min(starts) // 60, min(24, -(-max(ends) // 60))


def span(start: time, end: time, *, first_hour: int, last_hour: int) -> Span:
    total = (last_hour - first_hour) * 60
    top = max(0, minutes(start) - first_hour * 60)
    bottom = min(total, (minutes(end) if end != time(0) else 24 * 60) - first_hour * 60)
    return Span(round(100 * top / total, 3), round(100 * max(bottom - top, 0) / total, 3))


def lanes(items: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """For items (start, end) in minutes, in start order: (lane, lanes of its group), so
    that overlapping appointments stand side by side instead of on top of each other."""
    placed: list[tuple[int, int]] = []
    group: list[int] = []
    lane_ends: list[int] = []
    group_end = -1
    result: list[list[int]] = []
    for start, end in items:
        if start >= group_end and group:
            for index in group:
                result[index][1] = len(lane_ends)
            group, lane_ends = [], []
        lane = next((i for i, lane_end in enumerate(lane_ends) if lane_end <= start), None)
        if lane is None:
            lane = len(lane_ends)
            lane_ends.append(end)
        else:
            lane_ends[lane] = end
        group.append(len(result))
        result.append([lane, 0])
        group_end = max(group_end, end)
    for index in group:
        result[index][1] = len(lane_ends)
    placed = [(lane, count) for lane, count in result]
    return placed
