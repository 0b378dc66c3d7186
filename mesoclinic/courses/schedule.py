"""The adaptive schedule of a course: pure, no Django, nothing of ours imported.

From the sessions done, the interval policy, the improvement signal, the clinic's opening
days and the earliest allowed day (allergy-test read, NSAID washout), propose the dates of
the remaining sessions. Rules (reference/procedure-and-risks.txt): 3 to 15 sessions; every
7–10 days at first; once improvement is recorded every 2 weeks, then monthly; maintenance
top-ups after the course. Never less than 7 days between two sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

MIN_SESSIONS = 3
MAX_SESSIONS = 15
MIN_INTERVAL_DAYS = 7
ALLERGY_TO_FIRST_SESSION = timedelta(hours=24)
NSAID_WASHOUT_DAYS = 7


@dataclass(frozen=True)
class Policy:
    planned_sessions: int
    initial_interval_days: int = 7  # the target while no improvement is recorded
    initial_interval_max_days: int = 10
    improved_interval_days: int = 14
    improved_sessions_before_monthly: int = 2
    monthly_interval_days: int = 30
    maintenance_interval_days: int = 90

    def __post_init__(self) -> None:
        if not MIN_SESSIONS <= self.planned_sessions <= MAX_SESSIONS:
            raise ValueError(f"a course has {MIN_SESSIONS} to {MAX_SESSIONS} sessions")
        if not (MIN_INTERVAL_DAYS <= self.initial_interval_days
                <= self.initial_interval_max_days):
            raise ValueError("the initial interval is 7 days or more, within its maximum")
        if min(self.improved_interval_days, self.monthly_interval_days) < MIN_INTERVAL_DAYS:
            raise ValueError("no interval is shorter than 7 days")


@dataclass(frozen=True)
class Course:
    policy: Policy
    done: tuple[date, ...] = ()  # days of the sessions done, any order
    improvement_recorded_on: date | None = None
    today: date = field(default_factory=date.today)
    not_before: date | None = None  # allergy read + 24 h, NSAID washout: see earliest_day
    open_weekdays: frozenset[int] = frozenset(range(7))  # Monday = 0
    closed_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Proposal:
    dates: tuple[date, ...]
    maintenance: date | None


def _whole_day_from(moment: datetime) -> date:
    """The first day that starts at or after this moment (its own day when it is midnight)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.date() if moment == midnight else moment.date() + timedelta(days=1)


def earliest_day(*, allergy_read_at: datetime | None,
                 nsaid_clear_at: datetime | None) -> date | None:
    """The first whole day on which a first session may take place: 24 h after a negative
    allergy-test read and once the NSAID washout has ended (each rounded up to the next
    midnight, on the clock of the moments given: the clinic's)."""
    limits: list[date] = []
    if allergy_read_at is not None:
        limits.append(_whole_day_from(allergy_read_at + ALLERGY_TO_FIRST_SESSION))
    if nsaid_clear_at is not None:
        limits.append(_whole_day_from(nsaid_clear_at))
    return max(limits) if limits else None


def interval_after(policy: Policy, previous: date, improvement: date | None,
                   sessions_since_improvement: int) -> int:
    """Days to wait after a session on ``previous``: initial until improvement is recorded
    (on or before that session); then every 2 weeks for the next sessions; then monthly.
    ``sessions_since_improvement`` counts the sessions after the day it was recorded."""
    if improvement is None or improvement > previous:
        return policy.initial_interval_days
    if sessions_since_improvement < policy.improved_sessions_before_monthly:
        return policy.improved_interval_days
    return policy.monthly_interval_days


def _open(course: Course, day: date) -> bool:
    return day.weekday() in course.open_weekdays and day not in course.closed_days


def _next_open(course: Course, day: date) -> date:
    # Bounded: a clinic open on no day at all would otherwise loop for ever.
    for offset in range(366):
        candidate = day + timedelta(days=offset)
        if _open(course, candidate):
            return candidate
    raise ValueError("the clinic is closed on every day of the coming year")


def propose(course: Course) -> Proposal:
    policy = course.policy
    done = sorted(course.done)
    remaining = min(policy.planned_sessions, MAX_SESSIONS) - len(done)
    floor = max(course.today, course.not_before or course.today)
    dates: list[date] = []
    previous = done[-1] if done else None
    since_improvement = sum(
        1 for d in done
        if course.improvement_recorded_on is not None and d > course.improvement_recorded_on
    )
    for _ in range(max(remaining, 0)):
        if previous is None:
            target = floor
        else:
            wait = interval_after(policy, previous, course.improvement_recorded_on,
                                  since_improvement)
            target = max(previous + timedelta(days=wait), floor)
        day = _next_open(course, target)
        dates.append(day)
        if course.improvement_recorded_on is not None and day > course.improvement_recorded_on:
            since_improvement += 1
        previous = day
    maintenance = None
    last = dates[-1] if dates else (done[-1] if done else None)
    if last is not None:
        maintenance = _next_open(course, max(
            last + timedelta(days=policy.maintenance_interval_days), course.today))
    return Proposal(tuple(dates), maintenance)
