"""When an adverse event escalates: pure, no Django, nothing of ours imported.

A symptom lasting longer than its expected course (swelling beyond 5 days, itching beyond 2,
burning beyond an hour — from the side-effect catalogue), or any serious event (infection,
allergic reaction, nerve symptoms, scarring), flags the patient and blocks the next session
until a practitioner has reviewed it. An unresolved moderate or severe event blocks too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The check-ins after each session, as (label, hours after the session).
CHECKIN_SCHEDULE: tuple[tuple[str, int], ...] = (
    ("day 1", 24), ("day 3", 72), ("day 7", 168),
    ("week 2", 14 * 24), ("week 6", 42 * 24), ("week 12", 84 * 24),
)


@dataclass(frozen=True)
class EventFacts:
    side_effect: str
    seriousness: str  # expected | monitor | serious (catalogue)
    expected_max_hours: float | None
    severity: str  # mild | moderate | severe
    serious: bool
    onset_at: datetime
    resolved_at: datetime | None
    reviewed: bool


def hours_lasted(event: EventFacts, now: datetime) -> float:
    end = event.resolved_at or now
    return max((end - event.onset_at).total_seconds() / 3600, 0.0)


def escalation_reasons(event: EventFacts, now: datetime) -> list[str]:
    reasons = []
    if event.serious or event.seriousness == "serious":
        reasons.append("serious")
    if event.expected_max_hours is not None and hours_lasted(event, now) > \
            event.expected_max_hours:
        reasons.append("longer-than-expected")
    return reasons


def is_open(event: EventFacts, now: datetime) -> bool:
    """Blocks the next session: escalated, or unresolved and moderate or severe — until a
    practitioner has reviewed it."""
    if event.reviewed:
        return False
    unresolved_and_marked = event.resolved_at is None and event.severity in ("moderate",
                                                                             "severe")
    return bool(escalation_reasons(event, now)) or unresolved_and_marked
