"""Properties of the schedule engine."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st

from mesoclinic.courses.schedule import (
    MAX_SESSIONS,
    Course,
    Policy,
    earliest_day,
    propose,
)

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
policies = st.builds(Policy, planned_sessions=st.integers(3, 15),
                     initial_interval_days=st.integers(7, 10))
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)


@st.composite
def courses(draw):
    policy = draw(policies)
    today = draw(days)
    done_count = draw(st.integers(0, policy.planned_sessions))
    # Sessions done in the past, at least 7 days apart.
    gaps = draw(st.lists(st.integers(7, 40), min_size=done_count, max_size=done_count))
    done, day = [], today - timedelta(days=sum(gaps) + draw(st.integers(0, 20)))
    for gap in gaps:
        day += timedelta(days=gap)
        done.append(day)
    improvement = draw(st.one_of(st.none(), st.sampled_from(done) if done else st.none(),
                                 days))
    return Course(
        policy=policy, done=tuple(d for d in done if d <= today), today=today,
        improvement_recorded_on=improvement,
        not_before=draw(st.one_of(st.none(), days)),
        open_weekdays=draw(weekday_sets),
        closed_days=frozenset(draw(st.lists(days, max_size=10))),
    )


def full_course(course: Course) -> list[date]:
    return sorted(course.done) + list(propose(course).dates)


@given(course=courses())
def test_never_less_than_7_days_between_two_sessions(course):
    sessions = full_course(course)
    assert all((b - a).days >= 7 for a, b in pairwise(sessions))


@given(course=courses())
def test_never_more_than_the_planned_count_or_15(course):
    sessions = full_course(course)
    assert len(sessions) <= min(course.policy.planned_sessions, MAX_SESSIONS)
    if len(course.done) <= course.policy.planned_sessions:
        assert len(sessions) == course.policy.planned_sessions


@given(course=courses())
def test_proposed_sessions_are_on_open_days_not_in_the_past_nor_before_the_earliest_day(
        course):
    for day in propose(course).dates:
        assert day >= course.today
        assert course.not_before is None or day >= course.not_before
        assert day.weekday() in course.open_weekdays and day not in course.closed_days


@given(read_at=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1),
                            timezones=st.just(UTC)),
       nsaid=st.one_of(st.none(), days), course=courses())
def test_the_first_session_is_24_hours_after_the_read_and_7_days_after_the_last_nsaid(
        read_at, nsaid, course):
    assume(not course.done)
    clear_at = None if nsaid is None else datetime.combine(
        nsaid + timedelta(days=8), datetime.min.time(), tzinfo=UTC)
    not_before = earliest_day(allergy_read_at=read_at, nsaid_clear_at=clear_at)
    first = propose(Course(policy=course.policy, today=course.today, not_before=not_before,
                           open_weekdays=course.open_weekdays)).dates[0]
    start_of_day = datetime(first.year, first.month, first.day, tzinfo=UTC)
    assert start_of_day >= read_at + timedelta(hours=24)
    if nsaid is not None:  # taken at the end of that day, then 7 full days
        assert first >= nsaid + timedelta(days=8)


@given(course=courses())
def test_the_interval_widens_beyond_10_days_only_after_improvement_is_recorded(course):
    everyday = Course(policy=course.policy, done=course.done, today=course.today,
                      improvement_recorded_on=course.improvement_recorded_on)
    proposed = list(propose(everyday).dates)
    chain = ([everyday.done[-1]] if everyday.done else []) + proposed
    improvement = everyday.improvement_recorded_on
    for previous, day in pairwise(chain):
        if (day - previous).days > course.policy.initial_interval_max_days \
                and day > everyday.today:
            assert improvement is not None and improvement <= previous


def test_after_improvement_two_fortnightly_sessions_then_monthly():
    s1, s2, s3 = date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)
    proposal = propose(Course(policy=Policy(planned_sessions=7), done=(s1, s2, s3),
                              improvement_recorded_on=s3, today=s3))
    gaps = [(b - a).days for a, b in zip((s3, *proposal.dates), proposal.dates, strict=False)]
    assert gaps == [14, 14, 30, 30]
    assert proposal.maintenance == proposal.dates[-1] + timedelta(days=90)


@given(course=courses(), missed=st.integers(1, 30))
def test_a_replan_after_a_missed_session_keeps_every_rule(course, missed):
    first = propose(course).dates
    assume(first)
    # The first proposed session was missed: it is not done; we re-plan days later.
    later = Course(policy=course.policy, done=course.done,
                   improvement_recorded_on=course.improvement_recorded_on,
                   today=first[0] + timedelta(days=missed), not_before=course.not_before,
                   open_weekdays=course.open_weekdays, closed_days=course.closed_days)
    sessions = full_course(later)
    assert all((b - a).days >= 7 for a, b in pairwise(sessions))
    assert len(sessions) == course.policy.planned_sessions
    assert all(day >= later.today for day in propose(later).dates)


def test_a_policy_outside_3_to_15_sessions_is_refused():
    import pytest

    for count in (2, 16):
        with pytest.raises(ValueError):
            Policy(planned_sessions=count)
