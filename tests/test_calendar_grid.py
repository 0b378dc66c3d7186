"""The calendar's time grid: the layout engine (pure) and the page that uses it."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.booking import grid

intervals = st.lists(st.tuples(st.integers(0, 1400), st.integers(5, 180)), max_size=12)


@given(intervals)
def test_appointments_of_the_same_time_never_share_a_lane(raw):
    items = sorted((start, start + length) for start, length in raw)
    placed = grid.lanes(items)
    assert len(placed) == len(items)
    for i, ((a_start, a_end), (a_lane, a_count)) in enumerate(zip(items, placed, strict=True)):
        assert 0 <= a_lane < a_count
        for j, ((b_start, b_end), (b_lane, _count)) in enumerate(
                zip(items, placed, strict=True)):
            if i != j and a_start < b_end and b_start < a_end:
                assert a_lane != b_lane, (items, placed)


def test_spans_place_a_period_by_its_share_of_the_grid():
    assert grid.grid_hours([(time(9), time(17, 30))], [(time(8, 15), time(8, 45))]) == (8, 18)
    assert grid.span(time(9), time(10), first_hour=8, last_hour=18) == grid.Span(10.0, 10.0)
    assert grid.grid_hours([], []) == (8, 20)


@pytest.mark.usefixtures("catalogue")
def test_the_day_grid_has_a_column_per_practitioner_and_places_each_appointment(
        client_as, personas):
    from tests.factories import book_consultation, open_clinic_for_booking

    open_clinic_for_booking(personas.clinic, personas.practitioner, personas.nurse)
    appointment = book_consultation(clinic=personas.clinic, member=personas.practitioner)
    local = appointment.starts_at.astimezone(personas.clinic.zoneinfo)
    page = client_as(personas.reception).get(
        "/calendar/", {"date": local.date().isoformat()}).content.decode()
    assert personas.practitioner.user.full_name in page and personas.nurse.user.full_name in page
    # Open 8:00–20:00: the grid runs 8 to 20, and the appointment sits at its minute.
    top = round(100 * (local.hour * 60 + local.minute - 8 * 60) / (12 * 60), 3)
    assert f"top: {top}%" in page and appointment.patient.full_name in page
    week = client_as(personas.reception).get(
        "/calendar/", {"view": "week", "date": local.date().isoformat()}).content.decode()
    assert week.count('class="tg-col') == 7


@pytest.mark.usefixtures("catalogue")
def test_time_off_is_shaded_and_said(client_as, personas):
    from mesoclinic.booking.services import time_off_add
    from mesoclinic.core import moments
    from tests.factories import actor_for, open_clinic_for_booking

    open_clinic_for_booking(personas.clinic, personas.practitioner)
    day = moments.today(personas.clinic) + timedelta(days=2)
    time_off_add(actor=actor_for(personas.owner), membership=personas.practitioner,
                 first_day=day, last_day=day, reason="Congress")
    page = client_as(personas.owner).get("/calendar/", {"date": day.isoformat()})
    assert 'class="tg-col off"' in page.content.decode() and "Time off" in page.content.decode()
