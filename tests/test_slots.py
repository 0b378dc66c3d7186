"""Properties of the slot engine."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.booking.slots import Interval, WeeklyHours, free_starts, slots_of, windows

PARIS = ZoneInfo("Europe/Paris")
HOURS = [WeeklyHours(d, time(9), time(12)) for d in range(5)] + \
    [WeeklyHours(d, time(14), time(18, 30)) for d in range(5)]


@st.composite
def agendas(draw):
    first = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 1)))
    working = windows(first=first, last=first + timedelta(days=6), hours=HOURS,
                      days_off=set(), tz=PARIS)
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        window = draw(st.sampled_from(working))
        offset = draw(st.integers(0, 36)) * 5
        length = draw(st.integers(1, 12)) * 5
        start = window.start + timedelta(minutes=offset)
        busy.append(Interval(start, start + timedelta(minutes=length)))
    duration = timedelta(minutes=draw(st.sampled_from([15, 20, 30, 45, 60])))
    buffer = timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15])))
    not_before = working[0].start + timedelta(minutes=draw(st.integers(0, 3000)))
    return working, busy, duration, buffer, not_before


@given(agenda=agendas())
def test_a_free_start_never_overlaps_a_booking_and_fits_in_working_time(agenda):
    working, busy, duration, buffer, not_before = agenda
    for start in free_starts(working=working, busy=busy, duration=duration, buffer=buffer,
                             step=timedelta(minutes=15), not_before=not_before):
        claim = Interval(start, start + duration + buffer)
        assert not any(b.overlaps(claim) for b in busy)
        assert any(w.start <= start and start + duration <= w.end for w in working)
        assert start >= not_before


@given(agenda=agendas())
def test_an_empty_agenda_offers_every_step_of_every_window(agenda):
    working, _busy, duration, _buffer, _not_before = agenda
    starts = free_starts(working=working, busy=[], duration=duration, buffer=timedelta(0),
                         step=timedelta(minutes=15), not_before=working[0].start)
    expected = sum(int((w.end - w.start - duration) / timedelta(minutes=15)) + 1
                   for w in working if w.end - w.start >= duration)
    assert len(starts) == expected


def test_hours_stay_local_across_the_change_to_summer_time():
    # 29 March 2026: clocks go forward in Paris; the 9:00 opening stays 9:00 local.
    [before, after] = [w for w in windows(first=date(2026, 3, 27), last=date(2026, 3, 30),
                                          hours=[WeeklyHours(4, time(9), time(12)),
                                                 WeeklyHours(0, time(9), time(12))],
                                          days_off=set(), tz=PARIS)]
    assert before.start.hour == after.start.hour == 9
    assert before.start.utcoffset() == timedelta(hours=1)
    assert after.start.utcoffset() == timedelta(hours=2)


def test_days_off_have_no_windows():
    day = date(2026, 5, 4)  # a Monday
    assert windows(first=day, last=day, hours=HOURS, days_off={day}, tz=PARIS) == []


def test_an_appointment_claims_each_five_minutes_it_occupies():
    start = datetime(2026, 5, 4, 9, 0, tzinfo=PARIS)
    claims = slots_of(Interval(start, start + timedelta(minutes=40)))
    assert len(claims) == 8 and claims[0] == start and claims[-1] == start + timedelta(
        minutes=35)


@given(agenda=agendas(), minutes=st.integers(0, 7 * 24 * 12))
def test_a_start_is_offered_exactly_when_it_is_free_and_no_booking_overlaps_its_claim(
        agenda, minutes):
    from mesoclinic.booking.slots import offers

    working, busy, duration, buffer, not_before = agenda
    step = timedelta(minutes=15)
    start = working[0].start.replace(hour=0, minute=0) + timedelta(minutes=5 * minutes)
    listed = start in free_starts(working=working, busy=busy, duration=duration,
                                  buffer=buffer, step=step, not_before=not_before)
    claim = Interval(start, start + duration + buffer)
    decided = offers(start=start, working=working, duration=duration, step=step,
                     not_before=not_before) and not any(b.overlaps(claim) for b in busy)
    assert listed == decided
